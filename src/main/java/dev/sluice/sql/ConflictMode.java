package dev.sluice.sql;

import dev.sluice.error.ApiError;

/** What a bulk insert does with a row whose key exists: fail the request, skip the row, or update it. */
public enum ConflictMode {
  ERROR, SKIP, UPDATE;

  public static ConflictMode parse(String text) {
    if (text == null || text.equals("error")) return ERROR;
    if (text.equals("skip")) return SKIP;
    if (text.equals("update")) return UPDATE;
    throw ApiError.badRequest("onConflict must be error, skip or update.");
  }
}
