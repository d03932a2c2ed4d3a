-- Offset pages GET /v1/leads?page=N&limit=20, N random in 1..BENCH_MAX_PAGE (500 = the demo's
-- 10,000-row offset cap). BENCH_NO_CACHE=1 sends Cache-Control: no-cache.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local max_page = env_number("BENCH_MAX_PAGE", 500)
local headers = reader_headers(os.getenv("BENCH_NO_CACHE") == "1")

function init(args)
  seed()
end

function request()
  return wrk.format("GET", "/v1/leads?page=" .. math.random(1, max_page) .. "&limit=20", headers)
end
