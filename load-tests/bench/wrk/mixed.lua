-- The mixed workload, as TARGETS.md states it: 70 % reads, 20 % search, 10 % writes.
--   35 % point reads of random tenant-1 leads (through the cache, as clients read)
--   20 % offset pages (page 1..500)
--   15 % filtered pages with an embedded customer (random status, random created_at bound)
--   20 % ANN searches with the dev queries (BENCH_BODIES_FILE)
--   10 % single writes: a one-row POST /v1/leads/bulk (BENCH_WRITE_BODY_FILE), titled "bench-..."
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local span = env_number("BENCH_SPAN", 250000)
local leads = env_number("BENCH_LEADS", 1000000)
local read = reader_headers(false)
local search = { ["Authorization"] = "Bearer demo-reader", ["Content-Type"] = "application/json" }
local write = { ["Authorization"] = "Bearer demo-writer", ["Content-Type"] = "application/json" }
local bodies, write_body

function init(args)
  seed()
  bodies = read_lines(os.getenv("BENCH_BODIES_FILE"))
  write_body = read_file(os.getenv("BENCH_WRITE_BODY_FILE"))
end

function request()
  local r = math.random(1, 100)
  if r <= 35 then
    return wrk.format("GET", "/v1/leads/" .. tenant_lead(span), read)
  elseif r <= 55 then
    return wrk.format("GET", "/v1/leads?page=" .. math.random(1, 500) .. "&limit=20", read)
  elseif r <= 70 then
    return wrk.format("GET", "/v1/leads?select=id,title,status,customer(id,name)&status=eq."
      .. STATUSES[math.random(1, #STATUSES)] .. "&created_at=lt." .. random_created_at(leads)
      .. "&order=created_at.desc&limit=20", read)
  elseif r <= 90 then
    return wrk.format("POST", "/v1/documents/search", search, bodies[math.random(1, #bodies)])
  else
    return wrk.format("POST", "/v1/leads/bulk", write, write_body)
  end
end
