package dev.sluice.auth;

/** Roles in increasing power: each can do everything the ones before it can. */
public enum Role {
  READER, WRITER, ADMIN;

  public boolean allows(Role needed) {
    return compareTo(needed) >= 0;
  }
}
