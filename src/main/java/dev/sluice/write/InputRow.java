package dev.sluice.write;

/**
 * One validated row: its values aligned with the target's columns and the mask of the columns it
 * gives (a column it omits gets the table's default). {@code index} is its 0-based position in the
 * request; {@code line} its NDJSON line, or 0.
 */
record InputRow(long index, long line, long mask, Object[] values) {}
