package dev.sluice.maintenance;

import dev.sluice.catalog.Partitioning;
import dev.sluice.catalog.Partitioning.Interval;
import dev.sluice.catalog.Partitioning.Retire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

@DisplayName("Partition plans: what to create ahead and what to retire")
class PartitionPlanTest {
  static final LocalDate TODAY = LocalDate.parse("2026-12-02");

  static PartitionPlan.Existing day(LocalDate d) {
    return new PartitionPlan.Existing(Partitioning.partitionName("events", d), PartitionPlan.instant(d),
        PartitionPlan.instant(d.plusDays(1)));
  }

  @Test
  @DisplayName("creates today's partition and `ahead` more, skipping those that exist")
  void createsAhead() {
    Partitioning p = new Partitioning("occurred_at", Interval.DAY, 3, 0, Retire.DROP);
    PartitionPlan plan = PartitionPlan.of("events", p, List.of(day(TODAY.plusDays(1))), TODAY);
    assertEquals(List.of(TODAY, TODAY.plusDays(2), TODAY.plusDays(3)), plan.create());
    assertEquals(List.of(), plan.retire());
  }

  @Test
  @DisplayName("weeks start on Monday and months on the 1st; a hand-made range over a slot is not overlapped")
  void widths() {
    Partitioning weeks = new Partitioning("t", Interval.WEEK, 1, 0, Retire.DROP);
    assertEquals(List.of(LocalDate.parse("2026-11-30"), LocalDate.parse("2026-12-07")),
        PartitionPlan.of("events", weeks, List.of(), TODAY).create());
    Partitioning months = new Partitioning("t", Interval.MONTH, 1, 0, Retire.DROP);
    PartitionPlan.Existing byHand = new PartitionPlan.Existing("events_december",
        Instant.parse("2026-12-15T00:00:00Z"), Instant.parse("2026-12-20T00:00:00Z"));
    assertEquals(List.of(LocalDate.parse("2027-01-01")), PartitionPlan.of("events", months, List.of(byHand), TODAY).create());
  }

  @Test
  @DisplayName("retires own partitions that ended retentionDays ago or earlier, never hand-made or DEFAULT ones")
  void retires() {
    Partitioning p = new Partitioning("t", Interval.DAY, 0, 30, Retire.DROP);
    PartitionPlan.Existing old = day(TODAY.minusDays(31));
    PartitionPlan.Existing edge = day(TODAY.minusDays(30)); // ends 29 days ago: kept
    PartitionPlan.Existing byHand = new PartitionPlan.Existing("events_2020", Instant.parse("2020-01-01T00:00:00Z"),
        Instant.parse("2021-01-01T00:00:00Z"));
    PartitionPlan.Existing dflt = new PartitionPlan.Existing("events_default", null, null);
    PartitionPlan plan = PartitionPlan.of("events", p, List.of(old, edge, byHand, dflt, day(TODAY)), TODAY);
    assertEquals(List.of(old), plan.retire());
    assertEquals(List.of(), plan.create());
  }

  @Test
  @DisplayName("reads PostgreSQL's bound expressions")
  void parsesBounds() {
    PartitionPlan.Existing e = PartitionPlan.parse("events_p20261201",
        "FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2026-12-02 00:00:00+00')");
    assertEquals(Instant.parse("2026-12-01T00:00:00Z"), e.from());
    assertEquals(Instant.parse("2026-12-02T00:00:00Z"), e.to());
    assertNull(PartitionPlan.parse("events_default", "DEFAULT").from());
    assertNull(PartitionPlan.parse("x", "FOR VALUES FROM (MINVALUE) TO ('2026-12-02 00:00:00+00')").to());
  }
}
