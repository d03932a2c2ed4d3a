-- Point reads GET /v1/leads/{id} of random tenant-1 leads.
-- BENCH_SPAN: how many of tenant 1's leads to draw from (250000 = all of the 1M demo; 1000 = a hot set).
-- BENCH_NO_CACHE=1: send Cache-Control: no-cache (PostgreSQL answers, not the cache).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local span = env_number("BENCH_SPAN", 250000)
local headers = reader_headers(os.getenv("BENCH_NO_CACHE") == "1")

function init(args)
  seed()
end

function request()
  return wrk.format("GET", "/v1/leads/" .. tenant_lead(span), headers)
end
