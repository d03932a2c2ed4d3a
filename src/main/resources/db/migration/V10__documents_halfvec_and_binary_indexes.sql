-- Two more ANN indexes on documents.embedding, each a smaller copy of the vectors for HNSW to walk
-- (issue 18): a halfvec expression index (2-byte floats: half the index pages) and a binary
-- quantisation (one bit per dimension: 1/32 of them), whose candidates the gateway re-ranks by the
-- full vectors. resources.documents.vectors.embedding.index picks the one searches use by default;
-- a search may name another with "index". The expressions must stay exactly as the gateway writes
-- them in its ORDER BY (SearchSql.indexExpression), or the planner would not use them. The demo
-- loader drops and re-creates every HNSW index of documents around a load, these included.
SET LOCAL maintenance_work_mem = '1GB';
CREATE INDEX IF NOT EXISTS documents_embedding_halfvec_idx ON documents
  USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 256);
CREATE INDEX IF NOT EXISTS documents_embedding_binary_idx ON documents
  USING hnsw ((binary_quantize(embedding)::bit(384)) bit_hamming_ops) WITH (m = 16, ef_construction = 256);
