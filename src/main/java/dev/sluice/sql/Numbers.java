package dev.sluice.sql;

import dev.sluice.error.ApiError;

/** Whole-number query parameters ({@code limit}, {@code page}, {@code leads.offset}): a 400 for anything else. */
final class Numbers {
  private Numbers() {}

  static int parseNonNegative(String name, String text) {
    return parseAtLeast(name, text, 0);
  }

  static int parsePositive(String name, String text) {
    return parseAtLeast(name, text, 1);
  }

  private static int parseAtLeast(String name, String text, int min) {
    try {
      int v = Integer.parseInt(text);
      if (v >= min) return v;
    } catch (NumberFormatException ignored) {
      // fall through to the 400
    }
    throw ApiError.badRequest(name + " must be a whole number of at least " + min + ".");
  }
}
