package dev.sluice.config;

/**
 * The {@code maintenance} section: the scheduler that refreshes materialized views and keeps time
 * partitions (dev.sluice.maintenance). Read from the raw configuration like the vector settings,
 * and validated when the gateway starts.
 *
 * @param intervalSeconds how often each gateway looks whether a view is due or a partition is
 *     missing or past retention (only one gateway acts at a time: advisory locks)
 * @param lockTimeoutMs the longest a refresh or partition DDL waits for a table lock, so that it
 *     never queues in front of the traffic for long; it is tried again at the next tick
 * @param statementTimeoutMs bound on one refresh or DDL statement
 */
public record MaintenanceSettings(int intervalSeconds, int lockTimeoutMs, int statementTimeoutMs) {

  public static MaintenanceSettings from(SluiceConfig config) {
    Settings m = new Settings("", config.raw()).child("maintenance");
    return new MaintenanceSettings(
        m.integer("intervalSeconds", 60, 1, 86_400),
        m.integer("lockTimeoutMs", 2000, 1, 600_000),
        m.integer("statementTimeoutMs", 600_000, 1000, 86_400_000));
  }
}
