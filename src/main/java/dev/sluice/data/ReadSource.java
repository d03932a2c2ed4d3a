package dev.sluice.data;

/** The readers of one server (the primary or a replica), over that server's pipelined client. */
record ReadSource(PageReader pages, PointReader points) {}
