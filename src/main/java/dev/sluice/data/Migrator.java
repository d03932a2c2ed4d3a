package dev.sluice.data;

import dev.sluice.config.SluiceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;

/**
 * Runs the Flyway migrations in src/main/resources/db/migration. Flyway is blocking JDBC, so it
 * runs on a worker thread through executeBlocking, never on an event loop.
 */
public final class Migrator {
  private Migrator() {}

  public static Future<Integer> migrate(Vertx vertx, SluiceConfig.Pg pg) {
    // Straight to PostgreSQL: Flyway's lock and its transactions want a session, not a pooler's.
    PgConnectOptions o = PgConnectOptions.fromUri(Database.directUrl(pg));
    String jdbc = "jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase();
    return vertx.executeBlocking(() -> Flyway.configure()
        .dataSource(jdbc, o.getUser(), o.getPassword() == null ? "" : o.getPassword())
        .locations("classpath:db/migration")
        .load()
        .migrate()
        .migrationsExecuted);
  }
}
