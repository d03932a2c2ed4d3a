-- Shared by the bench's wrk scripts (loaded with dofile from BENCH_LUA_DIR).
-- Each wrk thread runs the script in a Lua state of its own; setup() numbers the threads so each
-- seeds its own random sequence, and done() prints one machine-readable line for bench.sh:
--   BENCH_JSON {"tool":"wrk","requests":...,"throughput":...,"p50_ms":...,"p95_ms":...,"p99_ms":...}

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

function seed()
  -- BENCH_SEED sets wrk processes started together apart (the cluster scenario runs one per node).
  math.randomseed(os.time() * 1009 + (tid or 0) * 7919 + env_number("BENCH_SEED", 0) * 104729)
  for _ = 1, 10 do math.random() end
end

function env_number(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return tonumber(v)
end

-- Tenant 1 owns leads 1, 5, 9, ... (lead n belongs to organization 1 + (n-1) % 4).
function tenant_lead(span)
  return 4 * math.random(0, span - 1) + 1
end

function reader_headers(no_cache)
  local h = { ["Authorization"] = "Bearer demo-reader", ["Accept"] = "application/json" }
  if no_cache then h["Cache-Control"] = "no-cache" end
  return h
end

function read_file(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

function read_lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then out[#out + 1] = line end
  end
  return out
end

-- 2025-01-01T00:00:00Z; lead n was created 13 n seconds later.
DEMO_EPOCH = 1735689600

function random_created_at(leads)
  local n = math.random(20000, leads)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", DEMO_EPOCH + 13 * n)
end

STATUSES = { "new", "contacted", "qualified", "won", "lost" }

function done(summary, latency, requests)
  local s = summary
  local secs = s.duration / 1e6
  local socket = s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"tool":"wrk","requests":%d,"duration_s":%.3f,"throughput":%.1f,"unit":"req/s",'
      .. '"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non_2xx":%d,"socket_errors":%d,"timeouts":%d}\n',
    s.requests, secs, s.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, s.errors.status, socket, s.errors.timeout))
end
