package dev.sluice.data;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("timestamptz as PostgreSQL's JSON writes it: the hand-written path equals the formatter")
class TimestampTextTest {
  @Test
  @DisplayName("PostgreSQL's own renderings")
  void examples() {
    assertEquals("2025-01-01T00:00:13+00:00", TimestampText.of(OffsetDateTime.parse("2025-01-01T00:00:13Z")));
    assertEquals("2026-12-02T05:18:42.624635+00:00", TimestampText.of(OffsetDateTime.parse("2026-12-02T05:18:42.624635Z")));
    assertEquals("2026-12-02T05:18:42.5-03:30", TimestampText.of(OffsetDateTime.parse("2026-12-02T05:18:42.500-03:30")));
  }

  @Test
  @DisplayName("100,000 random instants, fractions and offsets, and the formatter's own edge cases")
  void sameAsFormatter() {
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < 100_000; i++) {
      long seconds = random.nextLong(-62_167_219_200L - 86_400L * 400, 253_402_300_799L + 86_400L * 400);
      int nanos = switch (i % 4) {
        case 0 -> 0;
        case 1 -> random.nextInt(1_000_000) * 1000; // PostgreSQL's microseconds
        case 2 -> random.nextInt(10) * 100_000_000;
        default -> random.nextInt(1_000_000_000);
      };
      int offset = i % 5 == 0 ? random.nextInt(-64_800, 64_801) : random.nextInt(-18 * 60, 18 * 60 + 1) * 60;
      OffsetDateTime t = OffsetDateTime.ofInstant(java.time.Instant.ofEpochSecond(seconds, nanos), ZoneOffset.ofTotalSeconds(offset));
      assertEquals(TimestampText.FORMATTER.format(t), TimestampText.of(t), t::toString);
    }
    for (OffsetDateTime t : new OffsetDateTime[] {OffsetDateTime.MIN, OffsetDateTime.MAX,
        OffsetDateTime.parse("0000-01-01T00:00:00Z"), OffsetDateTime.parse("9999-12-31T23:59:59.999999999Z")}) {
      assertEquals(TimestampText.FORMATTER.format(t), TimestampText.of(t), t::toString);
    }
  }
}
