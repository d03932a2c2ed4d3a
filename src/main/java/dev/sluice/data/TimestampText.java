package dev.sluice.data;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;

/**
 * PostgreSQL's JSON rendering of timestamptz ({@code 2025-01-01T00:00:13.5+00:00}: ISO local date-time,
 * fraction without trailing zeros, a +HH:MM offset, never Z). Written by hand for years 0–9999 and
 * whole-minute offsets because {@link DateTimeFormatter} cost 12 % of the gateway's CPU on 20-row
 * keyset pages (its fraction printer divides BigDecimals); other values take the formatter, which
 * defines the expected text (TimestampTextTest compares the two).
 */
final class TimestampText {
  static final DateTimeFormatter FORMATTER = new DateTimeFormatterBuilder()
      .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME).appendOffset("+HH:MM", "+00:00").toFormatter();

  private TimestampText() {}

  static String of(OffsetDateTime t) {
    int year = t.getYear();
    int offset = t.getOffset().getTotalSeconds();
    if (year < 0 || year > 9999 || offset % 60 != 0) return FORMATTER.format(t);
    char[] c = new char[35];
    digits(c, 0, year, 4);
    c[4] = '-';
    digits(c, 5, t.getMonthValue(), 2);
    c[7] = '-';
    digits(c, 8, t.getDayOfMonth(), 2);
    c[10] = 'T';
    digits(c, 11, t.getHour(), 2);
    c[13] = ':';
    digits(c, 14, t.getMinute(), 2);
    c[16] = ':';
    digits(c, 17, t.getSecond(), 2);
    int n = 19;
    int nano = t.getNano();
    if (nano != 0) {
      c[n++] = '.';
      int width = 9;
      while (nano % 10 == 0) {
        nano /= 10;
        width--;
      }
      digits(c, n, nano, width);
      n += width;
    }
    c[n++] = offset < 0 ? '-' : '+';
    int minutes = Math.abs(offset) / 60;
    digits(c, n, minutes / 60, 2);
    c[n + 2] = ':';
    digits(c, n + 3, minutes % 60, 2);
    return new String(c, 0, n + 5);
  }

  /** {@code value} as exactly {@code width} decimal digits, zero-padded, at {@code at}. */
  private static void digits(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }
}
