-- wrk script for e2e/load/intake.sh: the real complaint form POST, with
-- the double-submit CSRF cookie and field, a different message each time
-- (so no two are taken for one double-submitted form).
local token = "loadtestloadtestloadtestloadtestloadtestloa" -- 43 characters
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

function request()
  counter = counter + 1
  local body = "telefon=91234567&csrf_token=" .. token ..
    "&melding=Dere+ringte+meg+i+dag+%28load-" .. id .. "-" .. counter .. "%29"
  return wrk.format("POST", "/klage", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "innsyn_csrf=" .. token,
  }, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, 'class="reference"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
  end
  io.write(string.format("INTAKE requests=%d errors=%d socket_errors=%d non_receipts=%d\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    b))
end
