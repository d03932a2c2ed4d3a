package dev.sluice.catalog;

import dev.sluice.auth.Role;

import java.util.List;

/**
 * Who may write a resource, and which columns the gateway itself sets when it changes a row.
 *
 * @param writeRole the least role that may insert, update or delete rows of the resource (its
 *     reads are unchanged); shared resources (no tenant column) default to admin, since every
 *     tenant reads them, tenant-scoped ones to writer
 * @param touchOnUpdate timestamp columns set to {@code now()} by the gateway whenever it updates a
 *     row (PATCH and the update branch of an upsert), e.g. {@code updated_at}; a client may not set
 *     them on PATCH
 */
public record WritePolicy(Role writeRole, List<String> touchOnUpdate) {
  public WritePolicy {
    touchOnUpdate = List.copyOf(touchOnUpdate);
  }

  /** The default of a resource that declares nothing. */
  public static WritePolicy defaultFor(String tenantColumn) {
    return new WritePolicy(tenantColumn == null ? Role.ADMIN : Role.WRITER, List.of());
  }
}
