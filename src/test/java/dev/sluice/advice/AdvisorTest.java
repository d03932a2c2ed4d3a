package dev.sluice.advice;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("Advisor: the columns a normalised statement compares with parameters")
class AdvisorTest {
  static final Set<String> LEADS = Set.of("id", "org_id", "status", "priority", "title", "created_at");

  @Test
  @DisplayName("qualified, quoted and ANY/LIKE comparisons count; other tables' columns and constants do not")
  void comparedColumns() {
    assertEquals(List.of("org_id", "status", "priority"), Advisor.comparedColumns(
        "SELECT t.id FROM leads t WHERE t.org_id = $1 AND t.\"status\" = $2 AND priority >= $3 AND t.id > 5", LEADS));
    assertEquals(List.of("id", "title"), Advisor.comparedColumns(
        "SELECT * FROM leads WHERE id = ANY($1::int8[]) AND title ILIKE $2 AND nope = $3", LEADS));
    assertEquals(List.of(), Advisor.comparedColumns("SELECT count(*) FROM leads", LEADS));
  }
}
