package dev.sluice.demo;

import dev.sluice.bus.Addresses;
import dev.sluice.bus.DataRequest;
import dev.sluice.config.SluiceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * Loads the demo data when the database is empty. Organizations, customers and leads are
 * generated deterministically by SQL (the same scale always gives the same rows) at start;
 * documents come from the debian-minilm data set with its own ids, so its ground truth applies,
 * through the bulk write path once it is deployed. Without the data set (a bare clone) they come
 * from the sample of its texts in the jar, and the write path embeds them.
 */
public final class DemoLoader {
  private static final Logger LOG = Logger.getLogger(DemoLoader.class.getName());
  static final int ORGANIZATIONS = 4;
  private static final int DOC_BATCH = 500;
  /** How often the document load says how far it is (instead of a line per batch). */
  private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;
  /** Texts to embed per bulk request: small enough to finish well inside the send timeout on a busy machine. */
  private static final int SAMPLE_BATCH = 100;
  /** Advisory lock key of the demo load ("sluice" in ASCII, as a number). */
  private static final long LOCK = 0x736c75696365L;

  private static final String ORGS = "INSERT INTO organizations (id, name, created_at) "
      + "SELECT g, 'Organization ' || g, timestamptz '2025-01-01 00:00:00+00' FROM generate_series(1, $1) g";
  // customer g belongs to organization 1 + (g-1) % 4; lead g to the same organization as its customer
  private static final String CUSTOMERS = "INSERT INTO customers (id, org_id, name, email, created_at) "
      + "SELECT g, 1 + (g - 1) % $2, 'Customer ' || g, 'customer' || g || '@example.com', "
      + "timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, $1) g";
  private static final String LEADS = "INSERT INTO leads (id, org_id, customer_id, title, status, priority, created_at, updated_at) "
      + "SELECT g, 1 + (g - 1) % $3, 1 + (g - 1) % $2, "
      + "(ARRAY['Roof repair','Solar install','Kitchen remodel','Window replacement','HVAC service',"
      + "'Garden design','Plumbing check','Office fit-out'])[1 + g % 8] || ' #' || g, "
      + "(ARRAY['new','contacted','qualified','won','lost'])[1 + (g * 7) % 5], 1 + (g * 13) % 5, "
      + "timestamptz '2025-01-01 00:00:00+00' + g * interval '13 seconds', "
      + "timestamptz '2025-01-01 00:00:00+00' + g * interval '13 seconds' + (g % 97) * interval '1 hour' "
      + "FROM generate_series(1, $1) g";
  private static final DeliveryOptions BULK_DELIVERY = new DeliveryOptions().setSendTimeout(120_000).setLocalOnly(true);

  private DemoLoader() {}

  /**
   * Loads under a session advisory lock, so gateways starting together on an empty database
   * (a cluster) load once: the others wait, then find the data there.
   */
  public static Future<Void> loadIfEmpty(Vertx vertx, Pool pool, SluiceConfig.Demo demo) {
    if (!demo.load()) return Future.succeededFuture();
    return pool.withConnection(lock -> lock.query("SELECT pg_advisory_lock(" + LOCK + ")").execute()
        .compose(v -> load(vertx, pool, demo))
        .eventually(() -> lock.query("SELECT pg_advisory_unlock(" + LOCK + ")").execute()));
  }

  private static Future<Void> load(Vertx vertx, Pool pool, SluiceConfig.Demo demo) {
    return pool.query("SELECT count(*) FROM organizations").execute()
        .compose(rs -> rs.iterator().next().getLong(0) == 0 ? loadCrm(pool, demo.leads()) : Future.succeededFuture());
  }

  /**
   * Loads the documents through the gateway's own bulk write path ({@code sluice.bulk}), once the
   * write verticles are up: the demo data goes through the same validation (dimension, finiteness)
   * and statement as a client's bulk insert. Under the same advisory lock as the rest of the load.
   */
  public static Future<Void> loadDocumentsIfEmpty(Vertx vertx, Pool pool, SluiceConfig.Demo demo) {
    if (!demo.load()) return Future.succeededFuture();
    return pool.withConnection(lock -> lock.query("SELECT pg_advisory_lock(" + LOCK + ")").execute()
        .compose(v -> pool.query("SELECT count(*) FROM documents").execute())
        .compose(rs -> rs.iterator().next().getLong(0) == 0 ? loadDocuments(vertx, pool, demo) : Future.succeededFuture())
        .eventually(() -> lock.query("SELECT pg_advisory_unlock(" + LOCK + ")").execute()));
  }

  static Future<Void> loadCrm(Pool pool, int leads) {
    // Customers are a multiple of the organization count so every lead's customer is in its organization.
    int customers = Math.max(ORGANIZATIONS, (leads / 20) / ORGANIZATIONS * ORGANIZATIONS);
    long start = System.nanoTime();
    return pool.withTransaction(c -> c.preparedQuery(ORGS).execute(Tuple.of(ORGANIZATIONS))
            .compose(v -> c.preparedQuery(CUSTOMERS).execute(Tuple.of(customers, ORGANIZATIONS)))
            .compose(v -> c.preparedQuery(LEADS).execute(Tuple.of(leads, customers, ORGANIZATIONS)))
            .compose(v -> c.query("SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT max(id) FROM customers)), "
                + "setval(pg_get_serial_sequence('leads', 'id'), greatest(1, (SELECT coalesce(max(id), 0) FROM leads)))").execute()))
        .compose(v -> pool.query("ANALYZE organizations, customers, leads").execute())
        .onSuccess(v -> LOG.info("demo data: " + ORGANIZATIONS + " organizations, " + customers + " customers, " + leads
            + " leads in " + (System.nanoTime() - start) / 1_000_000 + " ms"))
        .mapEmpty();
  }

  static Future<Void> loadDocuments(Vertx vertx, Pool pool, SluiceConfig.Demo demo) {
    Path dir = Path.of(demo.documentsPath());
    boolean sample = !DocumentFiles.present(dir);
    if (sample) {
      // A bare clone: the texts of the bundled sample, embedded in-process by the write path
      // (resources.documents.vectors.embedding.source), on the embedding worker pool.
      LOG.info("demo data: no data set at " + dir.toAbsolutePath() + "; embedding the bundled sample of "
          + "its texts instead (about a minute on two cores)");
    }
    long start = System.nanoTime();
    // Building the HNSW index once after the load is far faster than inserting into it row by row:
    // take the migration's own definition, drop it, load, and create it again.
    return pool.query("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'documents' "
            + "AND indexdef LIKE '%USING hnsw%'").execute()
        .compose(idx -> {
          List<String> defs = new java.util.ArrayList<>();
          Future<?> dropped = Future.succeededFuture();
          for (Row r : idx) {
            defs.add(r.getString(1));
            String name = r.getString(0);
            dropped = dropped.compose(v -> pool.query("DROP INDEX " + quoteIdent(name)).execute());
          }
          return dropped.compose(v -> vertx.executeBlocking(() -> sample ? DocumentFiles.openSample(demo.documentsLimit())
                  : DocumentFiles.open(dir, demo.documentsLimit())))
              .compose(files -> insertAll(vertx, pool, files, 0, sample ? SAMPLE_BATCH : DOC_BATCH, new Progress(start))
                  .eventually(() -> vertx.executeBlocking(() -> {
                    files.close();
                    return null;
                  })))
              .compose(n -> recreate(pool, defs).map(n));
        })
        .compose(n -> pool.query("ANALYZE documents").execute().map(n))
        .onSuccess(n -> LOG.info("demo data: " + n + " documents in " + (System.nanoTime() - start) / 1_000_000 + " ms"
            + (sample ? " (the bundled sample, embedded in-process)" : "")))
        .mapEmpty();
  }

  private static Future<Integer> insertAll(Vertx vertx, Pool pool, DocumentFiles files, int done, int batchSize,
                                           Progress progress) {
    return vertx.executeBlocking(() -> files.next(batchSize)).compose(batch -> {
      if (batch.isEmpty()) return Future.succeededFuture(done);
      JsonArray rows = new JsonArray(new java.util.ArrayList<>(batch.size()));
      batch.forEach(d -> rows.add(d.toJson()));
      // The gateway itself loads the shared corpus: an admin write (documents are admin-only).
      DataRequest bulk = new DataRequest("documents", 0, null, new JsonObject(), rows.toBuffer(), true, false,
          dev.sluice.auth.Role.ADMIN);
      int total = done + batch.size();
      return vertx.eventBus().request(Addresses.BULK, bulk, BULK_DELIVERY)
          .onSuccess(v -> progress.report(total))
          .compose(v -> insertAll(vertx, pool, files, total, batchSize, progress));
    });
  }

  /** One line every few seconds while documents load, whatever the batch size. */
  private static final class Progress {
    private final long start;
    private long lastLine;

    Progress(long start) {
      this.start = start;
      this.lastLine = start;
    }

    void report(int done) {
      long now = System.nanoTime();
      if (now - lastLine < PROGRESS_EVERY_NANOS) return;
      lastLine = now;
      long ms = Math.max(1, (now - start) / 1_000_000);
      LOG.info("demo data: " + done + " documents so far (" + done * 1000L / ms + "/s)");
    }
  }

  private static Future<Void> recreate(Pool pool, List<String> defs) {
    Future<Void> f = Future.succeededFuture();
    for (String def : defs) {
      // The definition is PostgreSQL's own text from pg_indexes, not client input.
      f = f.compose(v -> pool.withConnection(c -> c.query("SET maintenance_work_mem = '512MB'").execute()
          .compose(x -> c.query(def).execute())).mapEmpty());
    }
    return f;
  }

  private static String quoteIdent(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }
}
