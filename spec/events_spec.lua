-- client:on(event, fn): the engine's events (before_send, after_attempt,
-- after_call) as a user's metrics or tracing sees them, the same through
-- every driver outside nginx (libcurl, curl multi, a transport function;
-- nginx_spec runs the cosocket driver), and handlers that misbehave.
local helper = require "helper"

local STORE, ID = "1234567890", "9876543210"
local PARAMS = { referenceStoreId = STORE, id = ID }

-- The events of the client's calls, in order, without their timings (and
-- the request reduced to what does not change from call to call).
local function recorder(client)
  local seen = {}
  local function keep(ev)
    assert(type(ev.seconds) == "number" or ev.event == "before_send")
    assert(ev.seconds == nil or ev.seconds >= 0)
    local copy = {}
    for k, v in pairs(ev) do if k ~= "seconds" then copy[k] = v end end
    if ev.request then
      copy.request = { method = ev.request.method, path = ev.request.path,
                       authorization = ev.request.headers.Authorization,
                       body_length = ev.request.body_length }
    end
    seen[#seen + 1] = copy
  end
  for _, e in ipairs { "before_send", "after_attempt", "after_call" } do client:on(e, keep) end
  return seen
end

describe("client events", function()
  local emu
  setup(function() emu = helper.emulator("--seed-demo") end)
  teardown(function() if emu then emu:stop() end end)
  before_each(function() emu:control("DELETE", "faults") end)

  -- One throttled attempt, then the answer; then a 404; then refused parameters.
  local function scenario(client, run)
    local seen = recorder(client)
    emu:faults { { status = 429, code = "ThrottlingException", message = "slow", count = 1 } }
    local r1 = run(client, "GetReferenceMetadata", PARAMS)
    local r2 = run(client, "GetReferenceMetadata", { referenceStoreId = "1111111111", id = ID })
    local r3 = run(client, "GetReferenceMetadata", { referenceStoreId = "12", id = ID })
    return seen, { r1, r2, r3 }
  end

  local function by_call(client, op, params)
    local res, err = client:call(op, params)
    return res and "ok" or err.code
  end
  local function by_many(client, op, params)
    local r = assert(client:call_many { { op, params } })
    return r[1][1] and "ok" or r[1][2].code
  end

  local expected = {
    { event = "before_send", op = "GetReferenceMetadata", attempt = 1 },
    { event = "after_attempt", op = "GetReferenceMetadata", attempt = 1, status = 429, code = "ThrottlingException" },
    { event = "before_send", op = "GetReferenceMetadata", attempt = 2 },
    { event = "after_attempt", op = "GetReferenceMetadata", attempt = 2, status = 200 },
    { event = "after_call", op = "GetReferenceMetadata", attempts = 2, status = 200 },
    { event = "before_send", op = "GetReferenceMetadata", attempt = 1 },
    { event = "after_attempt", op = "GetReferenceMetadata", attempt = 1, status = 404, code = "ResourceNotFoundException" },
    { event = "after_call", op = "GetReferenceMetadata", attempts = 1, status = 404, code = "ResourceNotFoundException" },
    { event = "after_call", op = "GetReferenceMetadata", attempts = 0, code = "ParamValidationError" },
  }

  local function check(seen, outcomes)
    assert.are.same({ "ok", "ResourceNotFoundException", "ParamValidationError" }, outcomes)
    assert.are.equal(#expected, #seen)
    for i, want in ipairs(expected) do
      local got = {}
      for k in pairs(want) do got[k] = seen[i][k] end
      assert.are.same(want, got, "event " .. i)
    end
    -- the request of before_send: signed, its secrets left out
    assert.are.equal("GET", seen[1].request.method)
    assert.are.equal("/referencestore/" .. STORE .. "/reference/" .. ID .. "/metadata", seen[1].request.path)
    assert.are.equal("[REDACTED]", seen[1].request.authorization)
    assert.are.equal(0, seen[1].request.body_length)
    -- bytes: the answer's body
    assert.is_true(seen[4].bytes > 100)
    assert.is_true(seen[2].bytes > 0)
  end

  it("libcurl (client:call): before_send, after_attempt per attempt, after_call once", function()
    local seen, outcomes = scenario(helper.client(emu, { max_backoff = 0.01 }), by_call)
    check(seen, outcomes)
  end)

  it("curl multi (call_many) tells the same events", function()
    local seen, outcomes = scenario(helper.client(emu, { max_backoff = 0.01 }), by_many)
    check(seen, outcomes)
  end)

  it("a transport function tells the same events, bytes and all", function()
    local a, oa = scenario(helper.client(emu, { max_backoff = 0.01 }), by_call)
    local b, ob = scenario(helper.client(emu, { max_backoff = 0.01, transport = helper.luasocket }), by_call)
    check(b, ob)
    assert.are.same(oa, ob)
    for i = 1, #a do a[i].request, b[i].request = nil, nil end
    assert.are.same(a, b)
  end)

  it("after_call's seconds hold the waits between attempts, on the client's sleep option too", function()
    local slept = 0
    local client = helper.client(emu, { max_backoff = 20, sleep = function(s) slept = slept + s end })
    local total
    client:on("after_call", function(ev) total = ev.seconds end)
    emu:faults { { status = 503, code = "ServiceUnavailableException", count = 2 } }
    assert(client:get_reference_metadata(PARAMS))
    assert.is_true(slept > 0)
    assert.is_true(total >= slept, ("%g < %g"):format(total, slept))
  end)

  it("streamed payloads count the bytes that reached the sink", function()
    local client = helper.client(emu)
    local bytes
    client:on("after_attempt", function(ev) bytes = ev.bytes end)
    local got = 0
    assert(client:get_reference({ referenceStoreId = STORE, id = ID, partNumber = 1 },
                                { sink = function(chunk) got = got + #chunk end }))
    assert.is_true(got > 0)
    assert.are.equal(got, bytes)
  end)

  it("downloads and uploads tell an after_call per call of theirs", function()
    local client = helper.client(emu)
    local calls = {}
    client:on("after_call", function(ev) calls[#calls + 1] = ev.op end)
    local dir = helper.tmpdir()
    assert(client:download_reference({ referenceStoreId = STORE, id = ID }, { to = dir }))
    helper.rmdir(dir)
    assert.are.equal("GetReferenceMetadata", calls[1])
    assert.is_true(#calls >= 3) -- the metadata, then a part of each file at least
    for i = 2, #calls do assert.are.equal("GetReference", calls[i]) end
  end)

  it("client:off removes one handler or all of an event", function()
    local client = helper.client(emu)
    local a, b = 0, 0
    local fa = client:on("after_call", function() a = a + 1 end)
    client:on("after_call", function() b = b + 1 end)
    assert(client:get_reference_metadata(PARAMS))
    assert.are.equal(1, client:off("after_call", fa))
    assert(client:get_reference_metadata(PARAMS))
    assert.are.same({ 1, 2 }, { a, b })
    assert.are.equal(1, client:off("after_call"))
    assert.are.equal(0, client:off("after_call"))
    assert(client:get_reference_metadata(PARAMS))
    assert.are.same({ 1, 2 }, { a, b })
  end)

  it("refuses an unknown event or a handler that is not a function", function()
    local client = helper.client(emu)
    assert.has_error(function() client:on("after_everything", print) end)
    local ok, msg = pcall(client.on, client, "after_everything", print)
    assert.is_false(ok)
    assert.matches("before_send", msg)
    assert.has_error(function() client:on("after_call", 42) end)
    assert.has_error(function() client:off("nope") end)
  end)
end)

describe("hostile event handlers", function()
  local emu
  setup(function() emu = helper.emulator("--seed-demo") end)
  teardown(function() if emu then emu:stop() end end)

  -- A client whose warnings are kept; every call must still succeed.
  local function client_with_log(transport)
    local warnings = {}
    local client = helper.client(emu, { transport = transport, log = function(level, message)
      if level == "warn" then warnings[#warnings + 1] = message end
    end })
    return client, warnings
  end

  for _, transport in ipairs { "curl", "function" } do
    local t = transport == "function" and helper.luasocket or nil
    it(("a handler that raises does not break the call; its error goes to the log (%s)"):format(transport), function()
      local client, warnings = client_with_log(t)
      local later = 0
      client:on("before_send", function() error("plain failure") end)
      client:on("after_attempt", function() error({}) end) -- a table, no __tostring
      client:on("after_call", function()
        error(setmetatable({}, { __tostring = function() error("and its __tostring raises") end }))
      end)
      client:on("after_call", function() error("second\27[31m\nline\0nul") end)
      client:on("after_call", function() later = later + 1 end) -- still runs
      local res, err = client:get_reference_metadata(PARAMS)
      assert.is_nil(err)
      assert.are.equal("demo-genome", res.name)
      assert.are.equal(1, later)
      assert.are.equal(3, #warnings, table.concat(warnings, "\n"))
      assert.matches("GetReferenceMetadata: the before_send event handler failed: .*plain failure", warnings[1])
      assert.matches("the after_attempt event handler failed: table: ", warnings[2])
      assert.matches("the after_call event handler failed: an error whose __tostring raised", warnings[3])
      for _, w in ipairs(warnings) do assert.is_nil(w:find("[%c]")) end
    end)

    it(("a handler may not use its client: the call goes on (%s)"):format(transport), function()
      local client, warnings = client_with_log(t)
      client:on("after_attempt", function() client:get_reference_metadata(PARAMS) end)
      client:on("after_attempt", function() client:close() end)
      client:on("after_attempt", function() client:on("after_call", print) end)
      client:on("after_call", function() coroutine.yield() end)
      local res = assert(client:get_reference_metadata(PARAMS))
      assert.are.equal("demo-genome", res.name)
      -- (the first failure of an event is logged; the others ran too)
      assert.are.equal(2, #warnings, table.concat(warnings, "\n"))
      assert.matches("running its event handlers", warnings[1])
      assert.matches("yield", warnings[2])
      assert(client:get_reference_metadata(PARAMS)) -- not closed, still usable
    end)
  end

  it("a handler that changes the event's table changes nothing else", function()
    local client = helper.client(emu)
    local seen
    client:on("before_send", function(ev)
      ev.request.headers.Authorization = "stolen"
      ev.request.path = "/elsewhere"
      ev.op = nil
    end)
    client:on("before_send", function(ev) seen = ev.request.path end)
    local res = assert(client:get_reference_metadata(PARAMS))
    assert.are.equal("demo-genome", res.name)
    assert.are.equal("/elsewhere", seen) -- (one table per event, shared by its handlers)
  end)

  it("before_send never shows a secret: not the key, the token or the signature", function()
    local client = helper.client(emu, { credentials = {
      access_key_id = helper.AKID, secret_access_key = helper.SECRET, session_token = "TOKEN-SECRET-1" } })
    local dump = {}
    client:on("before_send", function(ev)
      for k, v in pairs(ev.request.headers) do dump[#dump + 1] = k .. ": " .. v end
      for k, v in pairs(ev.request) do if type(v) ~= "table" then dump[#dump + 1] = k .. "=" .. tostring(v) end end
    end)
    local res, err = client:get_reference_metadata(PARAMS)
    assert(res or err)
    local text = table.concat(dump, "\n")
    assert.is_nil(text:find(helper.SECRET, 1, true))
    assert.is_nil(text:find("TOKEN-SECRET-1", 1, true))
    assert.is_nil(text:find("Signature=", 1, true))
    assert.matches("X%-Amz%-Security%-Token: %[REDACTED%]", text)
  end)
end)
