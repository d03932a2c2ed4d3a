package dev.sluice.replica;

/**
 * PostgreSQL WAL positions ({@code pg_lsn}, written "16/B374D848") as unsigned 64-bit numbers, so
 * "has the replica replayed this write?" is a comparison. WAL positions stay far below 2^63.
 */
public final class Lsn {
  private Lsn() {}

  /** The position, or -1 for null (a server that is not replaying WAL). */
  public static long parse(String text) {
    if (text == null) return -1;
    int slash = text.indexOf('/');
    if (slash < 1) throw new IllegalArgumentException("not an LSN: " + text);
    return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
  }

  public static String format(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase() + '/' + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }
}
