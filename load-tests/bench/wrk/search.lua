-- ANN searches POST /v1/documents/search with the dev queries of debian-minilm: one JSON body a
-- line in BENCH_BODIES_FILE ({"vector":[384 floats],"k":10,"select":"id,package"[,"efSearch":N]}),
-- drawn at random.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local bodies
local headers = {
  ["Authorization"] = "Bearer demo-reader",
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json",
}

function init(args)
  seed()
  bodies = read_lines(os.getenv("BENCH_BODIES_FILE"))
end

function request()
  return wrk.format("POST", "/v1/documents/search", headers, bodies[math.random(1, #bodies)])
end
