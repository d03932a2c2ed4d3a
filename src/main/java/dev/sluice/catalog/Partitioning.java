package dev.sluice.catalog;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAdjusters;

/**
 * A resource whose table is range-partitioned by a timestamptz column. The gateway keeps
 * {@code ahead} partitions beyond the current one and retires those that end more than
 * {@code retentionDays} ago (dropped, or detached and kept as plain tables).
 */
public record Partitioning(String column, Interval interval, int ahead, int retentionDays, Retire retire) {

  /** Partition width. Bounds are UTC midnights; weeks start on Monday (ISO). */
  public enum Interval {
    DAY, WEEK, MONTH;

    /** The start of the partition holding {@code day}. */
    public LocalDate floor(LocalDate day) {
      return switch (this) {
        case DAY -> day;
        case WEEK -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        case MONTH -> day.withDayOfMonth(1);
      };
    }

    /** The start of the partition after the one starting at {@code start}. */
    public LocalDate next(LocalDate start) {
      return switch (this) {
        case DAY -> start.plusDays(1);
        case WEEK -> start.plusWeeks(1);
        case MONTH -> start.plusMonths(1);
      };
    }
  }

  public enum Retire { DROP, DETACH }

  private static final DateTimeFormatter SUFFIX = DateTimeFormatter.ofPattern("yyyyMMdd");

  /** The name of the partition starting at {@code start}: {@code <table>_p<yyyymmdd>}. */
  public static String partitionName(String table, LocalDate start) {
    return table + "_p" + SUFFIX.format(start);
  }
}
