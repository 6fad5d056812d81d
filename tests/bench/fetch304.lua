-- Config fetch answered 304 (docs/benchmarks.md): fetch.lua's requests (a
-- random device each, its API key, keep-alive) with `If-None-Match` carrying
-- the device's current ETag, read from the files fetch_all.lua wrote just
-- before. It has no response() callback, as fetch.lua has none: one would
-- make wrk build a Lua table per answer and take CPU from the server (the
-- two share the machine). run_bench.py counts the 304 answers from the
-- server's switchboard_http_requests_total instead.
--
-- With STALE (`stale`), every If-None-Match carries a tag no answer has, so
-- the server answers 200 with the body: the 200 side of target 7's turns,
-- with the same requests and the same client work as the 304 side.
--
--   wrk -t2 -c64 -d10s -s fetch304.lua http://127.0.0.1:PORT -- DEVICES VERSIONS_DIR WALK_THREADS [STALE]
--
-- The uuid and key formulas are tests/bench/dataset.h's; keep them in step.

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local devices = 1000
local tags = {}

function init(args)
  devices = tonumber(args[1]) or devices
  for t = 0, (tonumber(args[3]) or 1) - 1 do
    local f = io.open(args[2] .. "/versions-" .. t .. ".txt", "r")
    if f then
      for line in f:lines() do
        local i, tag = line:match("^(%d+) (.+)$")
        if i then
          -- The same length as a real tag: the request is the same size.
          tags[tonumber(i)] = args[4] == "stale" and '"' .. string.rep("0", #tag - 2) .. '"' or tag
        end
      end
      f:close()
    end
  end
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

local function device_uuid(i)
  local scrambled = (i * 2654435761) % 4294967296
  return string.format("%04x%04x-0000-4000-8000-%012x", math.floor(scrambled / 65536),
                       scrambled % 65536, i)
end

function request()
  local i = math.random(0, devices - 1)
  local headers = { ["X-Device-API-Key"] = "bench-device-key-" .. i }
  if tags[i] then headers["If-None-Match"] = tags[i] end
  return wrk.format("GET", "/api/v1/device/" .. device_uuid(i) .. "/mqtt", headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT script=fetch304 requests=%d duration_us=%d rps=%.1f " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d status_errors=%d connect_errors=%d " ..
    "read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
