-- The fault matrix: each fault the emulator can inject, and what a call
-- makes of it: the right result after retries, or the documented error with
-- its code and the number of attempts.  Plus retry headers, the retry quota,
-- clock skew, timeouts and TLS.
local helper = require "helper"
local omics = require "omics"
local socket = require "socket"

local PARAMS = { referenceStoreId = "1234567890", id = "9876543210" }

-- Short waits between attempts keep the spec quick; the backoff's shape is
-- the same (rand * min(2^(attempt-1), max_backoff)).
local function quick(opts)
  opts = opts or {}
  opts.max_backoff = opts.max_backoff or 0.05
  return opts
end

describe("faults", function()
  local emu, client

  setup(function()
    emu = helper.emulator("--seed-demo")
    client = helper.client(emu, quick { max_backoff = 0.05 })
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  before_each(function()
    emu:control("DELETE", "faults")
    emu:control("POST", "skew", { seconds = 0 })
  end)

  -- Inject faults, call, and report the outcome and how many requests the
  -- emulator saw.
  local function run(faults, c, params)
    if faults then emu:faults(faults) end
    local before = emu:stats().requests
    local res, err = (c or client):get_reference_metadata(params or PARAMS)
    return res, err, emu:stats().requests - before
  end

  local function header(req, name)
    for _, h in ipairs(req.headers) do
      if h[1]:lower() == name then return h[2] end
    end
  end

  it("throttled twice, then served: the result after 3 attempts", function()
    local res, err, sent = run { { status = 429, code = "ThrottlingException", message = "slow", count = 2 } }
    assert(res, tostring(err))
    assert.are.equal(2, res.ResponseMetadata.RetryAttempts)
    assert.are.equal(3, sent)
    local reqs = emu:requests(3)
    local id = header(reqs[1], "amz-sdk-invocation-id")
    assert.matches("^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$", id)
    for i, r in ipairs(reqs) do
      assert.are.equal(id, header(r, "amz-sdk-invocation-id"), "one invocation id for all attempts")
      assert.are.equal(("attempt=%d; max=3"):format(i), header(r, "amz-sdk-request"))
    end
    assert.are_not.equal(header(reqs[1], "authorization"), nil)
  end)

  it("throttled past max_attempts: ThrottlingException after 3 attempts", function()
    local res, err, sent = run { { status = 429, code = "ThrottlingException", message = "slow", count = 5 } }
    assert.is_nil(res)
    assert.are.equal("ThrottlingException", err.code)
    assert.are.equal(3, err.attempts)
    assert.are.equal(3, sent)
    assert.is_true(err.retryable)
  end)

  -- The engine's waits go through the sleep option: retries in virtual time,
  -- the same on libcurl and on a Lua driver (a transport function).
  it("backs off rand * min(2^(n-1), max_backoff) between attempts, on every driver, in virtual time", function()
    local luasocket = helper.luasocket
    for _, transport in ipairs { "curl", luasocket } do
      local waits = {}
      local c = helper.client(emu, { max_attempts = 5, max_backoff = 20, transport = transport,
                                     sleep = function(s) waits[#waits + 1] = s end })
      local t0 = socket.gettime()
      local res, err, sent = run({ { status = 503, code = "ServiceUnavailableException", count = 4 } }, c)
      assert(res, tostring(err))
      assert.are.equal(4, res.ResponseMetadata.RetryAttempts)
      assert.are.equal(5, sent)
      assert.are.equal(4, #waits)
      for n, w in ipairs(waits) do
        assert.is_true(w >= 0 and w <= math.min(2 ^ (n - 1), 20), ("wait %d: %.3f s"):format(n, w))
      end
      assert.is_true(socket.gettime() - t0 < 3, "a wait was slept for real")
    end
    local _, e = omics.new { region = "us-east-1", credentials = helper.CREDS, sleep = 5 }
    assert.are.equal("InvalidOption", e.code)
    assert.matches("option sleep: a function %(seconds%)", e.message)
  end)

  -- One engine, many drivers: the same fault gives the same outcome (result
  -- or error code, retryable, attempts seen by the server, log lines) on
  -- libcurl, on curl multi (call_many) and on a Lua driver (a transport
  -- function; the nginx driver is the same loop, checked in spec/nginx_spec.lua).
  it("the fault matrix gives the same outcome on libcurl, curl multi and a Lua driver", function()
    local luasocket = helper.luasocket
    local function outcome(transport, faults)
      local lines = {}
      local c = helper.client(emu, { transport = transport ~= "multi" and transport or nil,
        max_response_bytes = 4096, sleep = function() end,
        log = function(level, message)
          if level ~= "debug" then lines[#lines + 1] = level .. " " .. message end
        end })
      local res, err, sent
      if transport == "multi" then -- the curl multi driver: one call of call_many
        emu:faults(faults)
        local before = emu:stats().requests
        local r = assert(c:call_many { { "GetReferenceMetadata", PARAMS } })
        res, err, sent = r[1][1], r[1][2], emu:stats().requests - before
      else
        res, err, sent = run(faults, c)
      end
      return { ok = res ~= nil, code = err and err.code, retryable = err and err.retryable,
               attempts = err and err.attempts or (res and res.ResponseMetadata.RetryAttempts + 1),
               sent = sent, log = helper.normal_log(lines) }
    end
    local retried = 0
    for _, faults in ipairs(helper.FAULT_MATRIX) do
      local curl = outcome("curl", faults)
      local lua = outcome(luasocket, faults)
      local multi = outcome("multi", faults)
      assert.are.same(curl, lua, helper.json.encode(faults))
      assert.are.same(curl, multi, "curl multi: " .. helper.json.encode(faults))
      if curl.log:find("trying again", 1, true) then retried = retried + 1 end
      local f = faults[1]
      print(("faults_spec: %-46s -> %-26s %d attempt(s), %d sent (curl = multi = function)")
        :format(("%s %s x%d"):format(f.mode or "status", f.status or "", f.count or 1),
                curl.ok and "result" or curl.code, curl.attempts or 0, curl.sent))
    end
    assert.are.equal(5, retried, "the log lines were compared")
  end)

  it("max_attempts = 5 from the option, and from AWS_MAX_ATTEMPTS", function()
    local five = helper.client(emu, quick { max_attempts = 5 })
    local res, err, sent = run({ { status = 503, code = "ServiceUnavailable", count = 4 } }, five)
    assert(res, tostring(err))
    assert.are.equal(4, res.ResponseMetadata.RetryAttempts)
    assert.are.equal(5, sent)
    emu:faults { { status = 500, code = "InternalServerException", count = 2 } }
    local out = helper.run_lua([[
      local omics = require "omics"
      local c = assert(omics.new { region = "us-east-1", endpoint = os.getenv("EMU") })
      local _, err = c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
      print("ATTEMPTS " .. tostring(err and err.attempts))
    ]], { EMU = emu.url, AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET,
          AWS_MAX_ATTEMPTS = "2", HOME = "/nonexistent" })
    assert.matches("ATTEMPTS 2", out)
  end)

  it("500 and 503 are retried", function()
    local res, err = run { { status = 500, code = "InternalServerException", message = "oops" } }
    assert(res, tostring(err))
    assert.are.equal(1, res.ResponseMetadata.RetryAttempts)
    res, err = run { { status = 503, code = "ServiceUnavailable", message = "busy" } }
    assert(res, tostring(err))
    assert.are.equal(1, res.ResponseMetadata.RetryAttempts)
  end)

  it("errors that retrying cannot mend are not retried", function()
    local res, err, sent = run { { status = 404, code = "ResourceNotFoundException", message = "no", count = 3 } }
    assert.is_nil(res)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, sent)
    res, err, sent = run { { status = 400, code = "ValidationException", message = "bad", count = 3 } }
    assert.are.equal(1, sent)
    assert.are.equal(1, err.attempts)
  end)

  it("connection refused: ConnectionError after 3 attempts", function()
    local dead = helper.client({ url = "http://127.0.0.1:9" }, quick())
    local res, err = dead:get_reference_metadata(PARAMS)
    assert.is_nil(res)
    assert.are.equal("ConnectionError", err.code)
    assert.are.equal(3, err.attempts)
    assert.is_nil(err.status)
  end)

  it("connection reset before the answer, and after its headers: retried", function()
    local res, err, sent = run { { mode = "drop" } }
    assert(res, tostring(err))
    assert.is_true(sent >= 2)
    res, err, sent = run { { mode = "reset_after_headers" } }
    assert(res, tostring(err))
    assert.are.equal(2, sent)
    -- (libcurl itself sends a request again, once, when a kept-alive
    -- connection turns out dead: the emulator may see more requests than
    -- attempts)
    res, err = run { { mode = "drop", count = 10 } }
    assert.is_nil(res)
    assert.are.equal("ConnectionError", err.code)
    assert.are.equal(3, err.attempts)
  end)

  it("a body short of its Content-Length: retried, then ConnectionError", function()
    local res, err = run { { mode = "truncate" } }
    assert(res, tostring(err))
    res, err = run { { mode = "truncate", count = 3 } }
    assert.is_nil(res)
    assert.are.equal("ConnectionError", err.code)
    assert.matches("transfer closed", err.message)
    assert.are.equal(3, err.attempts)
  end)

  it("malformed JSON in a 200: ResponseParseError, not retried", function()
    local res, err, sent = run { { mode = "malformed" } }
    assert.is_nil(res)
    assert.are.equal("ResponseParseError", err.code)
    assert.are.equal("parse", err.kind)
    assert.are.equal(1, sent)
  end)

  -- Found by fuzz_parse: a modeled error whose members do not match the
  -- model once left half-built tables behind the error.
  it("a modeled error with members of the wrong type: still that error, and the next call is clean", function()
    local body = '{"__type":"ResourceNotFoundException","message":5,"extra":{"a":[1,{"b":true}]}}'
    local res, err, sent = run { { mode = "body", status = 404, body = body,
      headers = { ["Content-Type"] = "application/json" } } }
    assert.is_nil(res)
    assert.are.equal("ResourceNotFoundException", err.code)
    assert.are.equal(404, err.status)
    assert.are.equal(1, sent)
    local again = assert(client:get_reference_metadata(PARAMS))
    assert.are.equal(PARAMS.id, again.id)
    assert.is_table(again.ResponseMetadata)
  end)

  it("an HTML error page: a structured error named after its status", function()
    local res, err, sent = run { { mode = "html", status = 502, count = 3 } }
    assert.is_nil(res)
    assert.are.equal("BadGateway", err.code)
    assert.are.equal(502, err.status)
    assert.are.equal(3, sent)
    assert.matches("502 Bad Gateway", err.message)
  end)

  it("an oversized body: ResponseTooLarge, not retried", function()
    local small = helper.client(emu, quick { max_response_bytes = 4096 })
    local res, err, sent = run({ { mode = "oversize", size = 100000 } }, small)
    assert.is_nil(res)
    assert.are.equal("ResponseTooLarge", err.code)
    assert.are.equal(1, sent)
    assert(small:get_reference_metadata(PARAMS), "a normal answer still fits")
  end)

  it("a stalled body: TimeoutError after stall_timeout, never a hang", function()
    local impatient = helper.client(emu, quick { stall_timeout = 1, max_attempts = 2 })
    local t0 = socket.gettime()
    local res, err, sent = run({ { mode = "stall", stall_ms = 20000, count = 2 } }, impatient)
    local took = socket.gettime() - t0
    assert.is_nil(res)
    assert.are.equal("TimeoutError", err.code)
    assert.are.equal(2, err.attempts)
    assert.are.equal(2, sent)
    assert.is_true(took < 8, ("took %.1f s"):format(took))
  end)

  -- GetReference streams its payload: only a 2xx payload going to a sink may
  -- be larger than max_response_bytes
  local REF_PART = { referenceStoreId = "1234567890", id = "9876543210", partNumber = 1 }

  it("an error answer to a streaming operation is bounded too: a 2 GiB 404, an endless chunked 500", function()
    local small = helper.client(emu, quick { max_response_bytes = 1000000 })
    for _, fault in ipairs {
      { mode = "flood", status = 404, size = 2 * 1024 * 1024 * 1024 },
      { mode = "flood", status = 500, chunked = true },
    } do
      fault.operation = "GetReference"
      emu:faults { fault }
      local bytes = 0
      local res, err = small:get_reference(REF_PART, { sink = function(chunk) bytes = bytes + #chunk end })
      assert.is_nil(res)
      assert.are.equal("ResponseTooLarge", err.code)
      assert.matches("larger than max_response_bytes %(1000000%)", err.message)
      assert.are.equal(1, err.attempts)
      assert.are.equal(0, bytes, "an error answer never reaches the sink")
    end
    emu:control("DELETE", "faults")
    assert(small:get_reference_metadata(PARAMS), "the client is fine after")
  end)

  it("a streaming payload read into memory is bounded; one going to a sink is not", function()
    local small = helper.client(emu, quick { max_response_bytes = 4096 })
    local _, err = small:get_reference(REF_PART)
    assert.are.equal("ResponseTooLarge", err.code)
    assert.matches("or a streaming payload with a sink", err.message)
    local bytes = 0
    assert(small:get_reference(REF_PART, { sink = function(chunk) bytes = bytes + #chunk end }))
    assert.are.equal(12219, bytes)
  end)

  it("headers that arrive slowly are not a stall: each header line is a byte that moved", function()
    local patient = helper.client(emu, quick { stall_timeout = 1, max_attempts = 1 })
    -- a header line every 0.4 s for 2.4 s, then the body at once
    local res, err = run({ { mode = "trickle", lines = 6, interval_ms = 400, body_bytes = 0 } }, patient)
    assert(res, tostring(err))
    assert.are.equal("fault-injection-sample", res.name)
    -- the stall clock still runs: nothing at all for longer than stall_timeout
    res, err = run({ { mode = "trickle", lines = 1, interval_ms = 2500, body_bytes = 0 } }, patient)
    assert.is_nil(res)
    assert.are.equal("TimeoutError", err.code)
    assert.matches("stalled", err.message)
  end)

  it("timeout bounds the whole attempt: a byte every 0.5 s does not keep a call alive", function()
    local hurried = helper.client(emu, quick { timeout = 2, max_attempts = 1 })
    local t0 = socket.gettime()
    local res, err = run({ { mode = "trickle", interval_ms = 500 } }, hurried)
    local took = socket.gettime() - t0
    assert.is_nil(res)
    assert.are.equal("TimeoutError", err.code)
    assert.is_true(took < 5, ("took %.1f s"):format(took))
  end)

  it("invalid UTF-8 in a string: ResponseParseError naming the member", function()
    local res, err = run { { mode = "bad_utf8" } }
    assert.is_nil(res)
    assert.are.equal("ResponseParseError", err.code)
    assert.matches("not valid UTF%-8 at name", err.message)
  end)

  it("the retry quota runs out under sustained failures, and successes refill it", function()
    -- 500 tokens, 5 per retry: 100 retries at most while every call fails
    -- (the backoffs in virtual time)
    local c = helper.client(emu, quick { max_attempts = 2, sleep = function() end })
    emu:faults { { status = 500, code = "InternalServerException", count = 10000 } }
    local retried = 0
    for _ = 1, 110 do
      local _, err = c:get_reference_metadata(PARAMS)
      if err.attempts == 2 then retried = retried + 1 end
    end
    assert.are.equal(100, retried)
    emu:control("DELETE", "faults")
    for _ = 1, 10 do assert(c:get_reference_metadata(PARAMS)) end
    emu:faults { { status = 500, code = "InternalServerException", count = 2 } }
    local _, err = c:get_reference_metadata(PARAMS)
    assert.are.equal(2, err.attempts, "10 successes gave back 10 tokens: enough for a retry")
  end)

  it("adaptive mode: throttles slow the client down, and it still gets through", function()
    -- in virtual time: the rate limiter's clock moves with the sleep option
    local function waits(mode)
      local slept = {}
      local c = helper.client(emu, { retry_mode = mode, max_attempts = 6, max_backoff = 0.05,
                                     sleep = function(s) slept[#slept + 1] = s end })
      local t0 = socket.gettime()
      local res, err = run({ { status = 429, code = "ThrottlingException", count = 3 } }, c)
      assert(res, tostring(err))
      assert.are.equal(3, res.ResponseMetadata.RetryAttempts)
      assert.is_true(socket.gettime() - t0 < 2, "a wait was slept for real")
      local total = 0
      for _, w in ipairs(slept) do total = total + w end
      return #slept, total
    end
    local n_std, t_std = waits("standard")
    local n_ad, t_ad = waits("adaptive")
    assert.are.equal(3, n_std) -- the three backoffs
    -- adaptive: the rate limiter, cut down by the throttles, adds waits of its own
    print(("faults_spec: adaptive: %d waits, %.2f s; standard %d, %.2f s"):format(n_ad, t_ad, n_std, t_std))
    assert.is_true(n_ad > n_std and t_ad > t_std + 0.5, ("%d waits, %.2f s"):format(n_ad, t_ad))
    local _, e = omics.new { region = "us-east-1", credentials = helper.CREDS, retry_mode = "sometimes" }
    assert.are.equal("InvalidOption", e.code)
  end)

  it("a retry re-signs: each attempt has its own signature time", function()
    local res = run { { status = 500, code = "InternalServerException", delay_ms = 1100 } }
    assert(res)
    local reqs = emu:requests(2)
    assert.are_not.equal(header(reqs[1], "authorization"), header(reqs[2], "authorization"))
  end)

  it("a skewed clock: corrected from the Date header, retried once, then fine", function()
    emu:control("POST", "skew", { seconds = 3600 })
    local c = helper.client(emu, quick())
    local res, err, sent = run(nil, c)
    assert(res, tostring(err))
    assert.are.equal(2, sent)
    assert.are.equal(1, res.ResponseMetadata.RetryAttempts)
    res, err, sent = run(nil, c)
    assert(res, tostring(err))
    assert.are.equal(1, sent, "later calls are signed with the service's time")
    local out = helper.client(emu, quick { max_attempts = 1 })
    res, err = run(nil, out)
    assert(res, "the correction is one retry, whatever max_attempts says")
  end)

  it("a server with a self-signed certificate: TLSError, never silently trusted", function()
    local dir = helper.tmpdir()
    assert(helper.succeeded(helper.sh(("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem " ..
      "-out cert.pem -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null"):format(dir))))
    local port = assert(socket.bind("127.0.0.1", 0))
    local _, p = port:getsockname()
    port:close()
    local server = ([[
import http.server, ssl
s = http.server.HTTPServer(("127.0.0.1", %s), http.server.BaseHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("%s/cert.pem", "%s/key.pem")
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
]]):format(p, dir, dir)
    helper.write(dir .. "/server.py", server)
    local h = io.popen(helper.sh("python3 " .. dir .. "/server.py >/dev/null 2>&1 & echo $!"))
    local pid = h:read("l")
    h:close()
    -- (wait until it listens: a refused first attempt would be retried)
    for _ = 1, 100 do
      local probe = socket.connect("127.0.0.1", p)
      if probe then probe:close() break end
      os.execute(helper.sh("sleep 0.05"))
    end
    local tls = helper.client({ url = "https://127.0.0.1:" .. p })
    local res, err = tls:get_reference_metadata(PARAMS)
    os.execute(helper.sh("kill " .. pid))
    helper.rmdir(dir)
    assert.is_nil(res)
    assert.are.equal("TLSError", err.code)
    assert.is_false(err.retryable)
    assert.are.equal(1, err.attempts)
    local _, e = omics.new { region = "us-east-1", credentials = helper.CREDS, verify = false }
    assert.are.equal("InvalidOption", e.code, "there is no option to turn verification off")
  end)

  it("the log hook shows requests, answers and retries, with secrets redacted", function()
    local lines = {}
    local c = helper.client(emu, {
      credentials = { access_key_id = "ASIALOGTEST", secret_access_key = "log-secret-value",
                      session_token = "log-token-value" },
      log = function(level, message) lines[#lines + 1] = level .. " " .. message end,
    })
    emu:control("POST", "credentials", { access_key_id = "ASIALOGTEST", secret_access_key = "log-secret-value",
                                          session_token = "log-token-value" })
    emu:faults { { status = 503, code = "ServiceUnavailable", message = "busy" } }
    assert(c:get_reference_metadata(PARAMS))
    local all = table.concat(lines, "\n")
    assert.matches("debug attempt 1: GET http://127%.0%.0%.1:%d+/referencestore/1234567890/reference/9876543210/metadata", all)
    assert.matches("Authorization: %[REDACTED%]", all)
    assert.matches("X%-Amz%-Security%-Token: %[REDACTED%]", all)
    assert.matches("info GetReferenceMetadata: attempt 1 of 3 failed %(ServiceUnavailable", all)
    assert.matches("debug answer: HTTP 200", all)
    assert.is_nil(all:find("log-secret-value", 1, true))
    assert.is_nil(all:find("log-token-value", 1, true))
    assert.is_nil(all:find("Signature=", 1, true))
  end)
end)
