package dev.sluice.support;

import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec;
import dev.sluice.catalog.SchemaSnapshot;
import dev.sluice.catalog.WriteSchema;
import dev.sluice.catalog.WriteTarget;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The leads table as the write path sees it, built from schema facts without a database: for the SQL and validation tests. */
public final class WriteTargets {
  private WriteTargets() {}

  public static final WriteTarget LEADS = leads();

  public static WriteTarget leads() {
    Map<String, ColumnType> fields = new LinkedHashMap<>();
    fields.put("id", ColumnType.INT8);
    fields.put("org_id", ColumnType.INT8);
    fields.put("title", ColumnType.TEXT);
    fields.put("status", ColumnType.TEXT);
    fields.put("priority", ColumnType.INT4);
    fields.put("meta", ColumnType.JSONB);
    fields.put("embedding", ColumnType.VECTOR);
    Resource r = new Resource("leads", "leads", "id", ColumnType.INT8, "org_id", fields, List.of(), List.of("id"), Map.of(),
        List.of(), Map.of("embedding", new ResourceSpec.VectorSpec("embedding", 3, ResourceSpec.Metric.COSINE)), 30, 1000);
    Map<String, SchemaSnapshot.ColumnFacts> facts = new LinkedHashMap<>();
    facts.put("id", new SchemaSnapshot.ColumnFacts("int8", false, false, true, false, false, 0));
    facts.put("org_id", new SchemaSnapshot.ColumnFacts("int8", false, false, false, false, false, 0));
    facts.put("title", new SchemaSnapshot.ColumnFacts("varchar", false, false, false, false, false, 10));
    facts.put("status", new SchemaSnapshot.ColumnFacts("text", false, true, false, false, false, 0));
    facts.put("priority", new SchemaSnapshot.ColumnFacts("int4", false, true, false, false, false, 0));
    facts.put("meta", new SchemaSnapshot.ColumnFacts("jsonb", true, false, false, false, false, 0));
    facts.put("embedding", new SchemaSnapshot.ColumnFacts("vector", true, false, false, false, false, 0));
    return WriteSchema.build(r, facts, Map.of("leads_priority_check", List.of("priority")),
        Map.of("leads_pkey", List.of("id"), "leads_title_key", List.of("org_id", "title")));
  }

  public static long mask(String... names) {
    long m = 0;
    for (String n : names) m |= LEADS.byName.get(n).bit();
    return m;
  }
}
