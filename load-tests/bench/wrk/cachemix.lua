-- Read-heavy mix on a hot set, for the cache: 95 % point reads, 5 % one-row PATCHes.
--   reads:  GET /v1/leads/{id}, demo-reader, no Cache-Control (the cache answers)
--   writes: PATCH /v1/leads?id=eq.{id} {"title":"mix-<thread>-<n>"}, demo-writer
-- Both over the first BENCH_SPAN tenant-1 leads (1, 5, 9, ...). The first BENCH_CHECK_IDS of them
-- are read but never written here: they belong to the staleness checker (benchlib.py staleness),
-- so a title it reads back can only be its own or an older one.
-- BENCH_WRITE_PCT (5): share of writes. done() also prints the X-Cache headers wrk saw:
--   BENCH_CACHE {"xcache_hit":...,"xcache_miss":...,"no_xcache":...,"reads_sent":...,"writes_sent":...}
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local span = env_number("BENCH_SPAN", 1000)
local check_ids = env_number("BENCH_CHECK_IDS", 0)
local write_pct = env_number("BENCH_WRITE_PCT", 5)
local read = reader_headers(false)
local write = { ["Authorization"] = "Bearer demo-writer", ["Content-Type"] = "application/json",
                ["Accept"] = "application/json" }

-- per-thread counters (globals, so done() can fetch them with thread:get)
xcache_hit, xcache_miss, no_xcache, reads_sent, writes_sent = 0, 0, 0, 0, 0

local threads = {}
local common_setup = setup
function setup(thread)
  common_setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  seed()
end

function request()
  if math.random(1, 100) <= write_pct then
    writes_sent = writes_sent + 1
    local id = 4 * math.random(check_ids, span - 1) + 1
    return wrk.format("PATCH", "/v1/leads?id=eq." .. id, write,
      '{"title":"mix-' .. (tid or 0) .. '-' .. writes_sent .. '"}')
  end
  reads_sent = reads_sent + 1
  return wrk.format("GET", "/v1/leads/" .. tenant_lead(span), read)
end

function response(status, headers, body)
  local x = headers["X-Cache"] or headers["x-cache"]
  if x == "hit" then xcache_hit = xcache_hit + 1
  elseif x == "miss" then xcache_miss = xcache_miss + 1
  else no_xcache = no_xcache + 1 end
end

local common_done = done
function done(summary, latency, requests)
  common_done(summary, latency, requests)
  local t = { xcache_hit = 0, xcache_miss = 0, no_xcache = 0, reads_sent = 0, writes_sent = 0 }
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (tonumber(th:get(k)) or 0) end
  end
  io.write(string.format('BENCH_CACHE {"xcache_hit":%d,"xcache_miss":%d,"no_xcache":%d,"reads_sent":%d,"writes_sent":%d}\n',
    t.xcache_hit, t.xcache_miss, t.no_xcache, t.reads_sent, t.writes_sent))
end
