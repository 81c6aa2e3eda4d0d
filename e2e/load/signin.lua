-- wrk script: wrong passwords posted to /admin/login, each from its own
-- client address (X-Forwarded-For, the server trusts one proxy hop) and for
-- its own unknown account, so no limit holds them back and every request
-- costs a full argon2 check: the worst case the limits allow.
local token = "loadtestloadtestloadtestloadtestloadtestloa"
local n = 0
local ok, slowed, other = 0, 0, 0

function setup(thread)
  thread:set("id", math.random(1, 200))
end

function request()
  n = n + 1
  local ip = string.format("10.%d.%d.%d", id, math.floor(n / 250) % 250, n % 250 + 1)
  local body = "csrf_token=" .. token .. "&epost=load" .. id .. "-" .. n ..
    "%40example.invalid&passord=not+the+password"
  return wrk.format("POST", "/admin/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "innsyn_csrf=" .. token,
    ["X-Forwarded-For"] = ip,
  }, body)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format(
    "SIGNIN_RESULT requests=%d rps=%.1f p50_ms=%.1f p99_ms=%.1f non2xx=%d\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status
  ))
end
