-- The HNSW build of documents.embedding, chosen by measurement on the 200 dev queries of
-- shared/data/debian-minilm (README "Vector search"). V1 built pgvector's default (m 16,
-- ef_construction 64), which needs ef_search 200 for recall@10 0.96. With ef_construction 256
-- the same m reaches recall@10 0.96 at ef_search 120 (vector.efSearch.default) with about a
-- quarter fewer index pages visited per query (2,215 against 2,891). m 24 and 32 did no better
-- per unit of work. conf/sluice.yaml vector.indexes declares this build; the gateway refuses to
-- start when the live index differs. The demo loader recreates the index from its own definition
-- around a load, so these parameters survive it. On the 59,382 documents the build takes 1 to
-- 1.5 minutes on two cores (the default build: about 10 s).
SET LOCAL maintenance_work_mem = '1GB';
DROP INDEX IF EXISTS documents_embedding_hnsw_idx;
CREATE INDEX documents_embedding_hnsw_idx ON documents USING hnsw (embedding vector_cosine_ops)
  WITH (m = 16, ef_construction = 256);
