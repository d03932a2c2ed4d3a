package dev.sluice.sql;

import dev.sluice.catalog.Resource;

import java.util.List;

/** The SQL and parameters of one page, and what encoding its rows needs; also what /admin/explain shows. */
public record PageQuery(String sql, SqlParams params, Resource resource, Ordering order, Filters filters, int limit,
                        Integer page, String count, String countSql, SqlParams countParams, List<String> embedded,
                        Selection selection) {}
