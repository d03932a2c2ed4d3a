-- The halfvec index of documents.embedding rebuilt with m 12, ef_construction 512 (V10 built it as
-- V3's column index, m 16, ef_construction 256). Chosen by measurement on copies of the 59,382
-- documents (README "Index kinds"): at the same recall@10 on the 200 dev queries (0.952-0.957),
-- m 12 / 512 at ef_search 100 visits 1,666 pages per query where m 16 / 256 visits 1,840, and
-- reached 1.39 x the searches/s of the column index at ef 120 (median of 6 paired pgbench rounds;
-- m 16 / 256: 1.21 x). Fewer neighbours per element make each step of the walk cheaper; the
-- larger ef_construction keeps the graph good enough that the walk is not longer. m 8 needed
-- ef_search 180 for 0.95 and was slower; ef_construction 1000 gained little more (1.47 x at ef 90)
-- for twice the build time. The build takes about as long as V10's (1 to 1.5 minutes on two cores).
-- The demo loader recreates the index from this definition around a load.
SET LOCAL maintenance_work_mem = '1GB';
DROP INDEX IF EXISTS documents_embedding_halfvec_idx;
CREATE INDEX documents_embedding_halfvec_idx ON documents
  USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 12, ef_construction = 512);
