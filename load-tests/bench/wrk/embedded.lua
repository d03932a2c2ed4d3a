-- Filtered pages with an embedded relation, newest first:
-- GET /v1/leads?select=id,title,status,priority,customer(id,name)&status=eq.S&created_at=lt.T&order=created_at.desc&limit=20
-- S a random status, T a random point of the demo's time line. BENCH_NO_CACHE=1 sends no-cache.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local leads = env_number("BENCH_LEADS", 1000000)
local headers = reader_headers(os.getenv("BENCH_NO_CACHE") == "1")

function init(args)
  seed()
end

function request()
  local path = "/v1/leads?select=id,title,status,priority,customer(id,name)&status=eq."
    .. STATUSES[math.random(1, #STATUSES)] .. "&created_at=lt." .. random_created_at(leads)
    .. "&order=created_at.desc&limit=20"
  return wrk.format("GET", path, headers)
end
