-- Keyset page 1: GET /v1/leads?limit=20&order=created_at.desc, tenant 1's newest leads, the same page every
-- time (BENCH_NO_CACHE=1: PostgreSQL answers each; without it, the cache).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local headers = reader_headers(os.getenv("BENCH_NO_CACHE") == "1")

function request()
  return wrk.format("GET", "/v1/leads?limit=20&order=created_at.desc", headers)
end
