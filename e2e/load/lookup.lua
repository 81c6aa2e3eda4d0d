-- wrk script for the public lookup: /hvem-ringte?nummer=... over known
-- caller numbers (+4721000000 .. +4721009999, filled by run.sh) or unknown
-- ones (+4721010000 .. +4721019999), in several written forms.
-- The mix is the script's argument: `-- known`, `-- unknown` or `-- mixed`
-- (the default). Prints one machine-readable line at the end (read by run.sh).

local forms = {
  function(n) return "%2B4721" .. string.format("%06d", n) end,          -- +4721xxxxxx
  function(n) return "21" .. string.format("%06d", n) end,               -- 21xxxxxx
  function(n)                                                             -- 21 xx xx xx
    local s = string.format("%06d", n)
    return "21+" .. s:sub(1, 2) .. "+" .. s:sub(3, 4) .. "+" .. s:sub(5, 6)
  end,
}

local counter = 0
local mode = "mixed"
local low, high = 0, 19999

function init(args)
  mode = args[1] or "mixed"
  if mode == "known" then
    low, high = 0, 9999
  elseif mode == "unknown" then
    low, high = 10000, 19999
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
  counter = counter + 1
  local n = math.random(low, high)
  local form = forms[(counter % #forms) + 1]
  return wrk.format("GET", "/hvem-ringte?nummer=" .. form(n))
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format(
    "LOOKUP_RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests,
    summary.requests / secs,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  ))
end
