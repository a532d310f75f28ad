-- wrk script: cycle through a list of addresses, so the load spreads over
-- every answer instead of repeating one. Only a 200 whose body holds one of
-- the markers counts as an answer; anything else is an error.
-- Usage: wrk -s bench/cycle.lua URL -- ADDRESSES_FILE MARKER [MARKER ...]
-- Each line of ADDRESSES_FILE: "page <path>", "htmx <path>" (sent with
-- HX-Request: true) or "api <path>". Each thread starts at its own place in the list.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  markers = {}
  gzip = false
  for i = 2, #args do
    if args[i] == "--gzip" then
      gzip = true
    else
      table.insert(markers, args[i])
    end
  end
  requests = {}
  for line in io.lines(args[1]) do
    local kind, path = line:match("^(%S+)%s+(%S+)$")
    if kind then
      local headers = {}
      if kind == "htmx" then
        headers["HX-Request"] = "true"
      end
      if gzip then
        headers["Accept-Encoding"] = "gzip"
      end
      table.insert(requests, wrk.format("GET", path, headers))
    end
  end
  -- Threads start at different places in the list; each still walks all of it.
  index = (id * 397) % #requests
  good = 0
  bad = 0
  server_errors = 0
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  if status == 200 then
    local encoding = headers["Content-Encoding"] or headers["content-encoding"]
    if gzip and encoding == "gzip" then
      good = good + 1
      return
    end
    for _, marker in ipairs(markers) do
      if string.find(body, marker, 1, true) then
        good = good + 1
        return
      end
    end
  end
  bad = bad + 1
  if status >= 500 then
    server_errors = server_errors + 1
  end
end

function done(summary, latency, requests)
  local good_total, bad_total, server_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    good_total = good_total + thread:get("good")
    bad_total = bad_total + thread:get("bad")
    server_total = server_total + thread:get("server_errors")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "good": %d, "bad": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "server_errors": %d}\n',
    summary.requests, summary.duration, good_total, bad_total, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, server_total))
end
