package dev.sluice.maintenance;

import dev.sluice.catalog.Partitioning;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one maintenance pass must do to a partitioned table, computed from its current partitions
 * and today's date (UTC): the partitions to create, from the one holding today up to {@code ahead}
 * beyond it, and the partitions to retire, those whose upper bound lies {@code retentionDays} or
 * more in the past. Only partitions named as the gateway names them ({@code <table>_p<yyyymmdd>})
 * are ever retired; partitions made by hand are left alone, and none is created over them.
 */
record PartitionPlan(List<LocalDate> create, List<Existing> retire) {

  /** A partition as PostgreSQL reports it; {@code from}/{@code to} null for DEFAULT or MINVALUE/MAXVALUE bounds. */
  record Existing(String name, Instant from, Instant to) {}

  private static final Pattern RANGE = Pattern.compile("FOR VALUES FROM \\('([^']+)'\\) TO \\('([^']+)'\\)");
  private static final Pattern SHORT_OFFSET = Pattern.compile("([+-]\\d{2})$");

  static PartitionPlan of(String table, Partitioning p, List<Existing> existing, LocalDate today) {
    List<LocalDate> create = new ArrayList<>();
    LocalDate start = p.interval().floor(today);
    for (int i = 0; i <= p.ahead(); i++) {
      LocalDate end = p.interval().next(start);
      if (!overlaps(existing, instant(start), instant(end))) create.add(start);
      start = end;
    }
    List<Existing> retire = new ArrayList<>();
    if (p.retentionDays() > 0) {
      Instant cutoff = instant(today.minusDays(p.retentionDays()));
      Pattern own = Pattern.compile(Pattern.quote(table) + "_p\\d{8}");
      for (Existing e : existing) {
        if (e.to() != null && !e.to().isAfter(cutoff) && own.matcher(e.name()).matches()) retire.add(e);
      }
    }
    return new PartitionPlan(List.copyOf(create), List.copyOf(retire));
  }

  private static boolean overlaps(List<Existing> existing, Instant from, Instant to) {
    for (Existing e : existing) {
      if (e.from() == null || e.to() == null) continue; // DEFAULT takes what no range takes
      if (e.from().isBefore(to) && from.isBefore(e.to())) return true;
    }
    return false;
  }

  static Instant instant(LocalDate day) {
    return day.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /**
   * Reads {@code pg_get_expr(relpartbound)}, e.g. {@code FOR VALUES FROM ('2026-12-01 00:00:00+00')
   * TO ('2026-12-02 00:00:00+00')} (the session is in UTC); other forms give null bounds.
   */
  static Existing parse(String name, String bound) {
    Matcher m = bound == null ? null : RANGE.matcher(bound);
    if (m == null || !m.matches()) return new Existing(name, null, null);
    return new Existing(name, timestamp(m.group(1)), timestamp(m.group(2)));
  }

  private static Instant timestamp(String text) {
    String iso = SHORT_OFFSET.matcher(text.replace(' ', 'T')).replaceFirst("$1:00");
    return OffsetDateTime.parse(iso).toInstant();
  }
}
