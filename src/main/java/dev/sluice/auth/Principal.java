package dev.sluice.auth;

/** Who is calling: the tenant every query is scoped to and the role that limits what it may do. */
public record Principal(long tenant, Role role) {}
