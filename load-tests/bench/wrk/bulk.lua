-- Bulk inserts POST /v1/leads/bulk (demo-writer): the body of BENCH_BODY_FILE every time
-- (a JSON array, or NDJSON with BENCH_CONTENT_TYPE=application/x-ndjson). Rows are titled
-- "bench-..." so bench.sh can delete them afterwards.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local body
local headers = {
  ["Authorization"] = "Bearer demo-writer",
  ["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json",
  ["Accept"] = "application/json",
}

function init(args)
  body = read_file(os.getenv("BENCH_BODY_FILE"))
end

function request()
  return wrk.format("POST", "/v1/leads/bulk", headers, body)
end
