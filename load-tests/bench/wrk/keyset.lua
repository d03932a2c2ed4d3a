-- Keyset pages GET /v1/leads?limit=20&id=gt.START&after=CURSOR, as a scrolling client: each wrk
-- thread picks a random START in tenant 1's leads and follows the "next" cursor of the latest
-- answer (its connections share it, so some pages are read twice), starting over at the end.
-- The cursor is bound to the filter, so a thread keeps one START.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local span = env_number("BENCH_SPAN", 250000)
local headers = reader_headers(os.getenv("BENCH_NO_CACHE") == "1")
local base
local cursor = nil

function init(args)
  seed()
  base = "/v1/leads?limit=20&id=gt." .. (tenant_lead(span) - 1)
end

function request()
  local path = base
  if cursor then path = base .. "&after=" .. cursor end
  return wrk.format("GET", path, headers)
end

function response(status, hdrs, body)
  if status ~= 200 then return end
  local n = body:match('"next"%s*:%s*"([^"]+)"')
  cursor = n -- nil at the end of the tenant's rows: start over
end
