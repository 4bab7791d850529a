-- client:call_many: many calls at once, results in order, each failing
-- alone; curl multi in plain Lua (the nginx side is in nginx_spec).
local helper = require "helper"

local STORE, REF = "1234567890", "9876543210"

describe("client:call_many", function()
  local emu
  setup(function() emu = helper.emulator("--seed-demo") end)
  teardown(function() emu:stop() end)
  before_each(function() emu:control("DELETE", "faults") end)

  it("returns { result } or { nil, err } per call, in the order of the calls", function()
    local c = helper.client(emu)
    local calls = {
      { "GetReferenceMetadata", { referenceStoreId = STORE, id = REF } },
      { "get_reference_metadata", { referenceStoreId = "1111111111", id = REF } },
      { "GetReferenceMetadata", { id = REF } },
      { "no_such_operation", {} },
      42,
      { "GetReferenceStore", "not a table" },
      { "get_reference_store", { id = STORE } },
    }
    local r = assert(c:call_many(calls))
    assert.equal(#calls, #r)
    assert.equal("demo-genome", r[1][1].name)
    assert.is_nil(r[1][2])
    assert.is_nil(r[2][1])
    assert.equal("ResourceNotFoundException", r[2][2].code)
    assert.equal(404, r[2][2].status)
    assert.is_string(r[2][2].data.message)
    assert.equal("ParamValidationError", r[3][2].code)
    assert.matches("referenceStoreId", r[3][2].message)
    assert.equal("ParamValidationError", r[4][2].code)
    assert.matches("calls%[4%]%[1%]: the service has no operation no_such_operation", r[4][2].message)
    assert.matches("calls%[5%]: expected a table", r[5][2].message)
    assert.matches("calls%[6%]%[2%]: expected a table of parameters, got string", r[6][2].message)
    assert.equal("demo-store", r[7][1].name)
    -- the results are what client:call returns
    local one = assert(c:get_reference_metadata { referenceStoreId = STORE, id = REF })
    assert.same(one.creationTime, r[1][1].creationTime)
    assert.same(one.files, r[1][1].files)
    assert.same({}, assert(c:call_many {}))
  end)

  it("keeps at most `concurrency` calls in flight, each on a connection kept alive", function()
    local c = helper.client(emu)
    local calls = {}
    for i = 1, 64 do calls[i] = { "GetReferenceMetadata", { referenceStoreId = STORE, id = REF } } end
    local before = emu:stats()
    local r = assert(c:call_many(calls, { concurrency = 8 }))
    local after = emu:stats()
    for i = 1, 64 do assert.equal("demo-genome", r[i][1].name) end
    assert.equal(64, after.requests - before.requests)
    -- eight slots: eight connections, each reused for its slot's next calls;
    -- a connection is reused only once idle, so eight at once were open
    -- (the control API's request for `after` is one connection more)
    assert.equal(8, after.connections - before.connections - 1)
    -- the default is 16
    before = emu:stats()
    assert(c:call_many(calls))
    assert.equal(16, emu:stats().connections - before.connections - 1)
  end)

  it("retries each call as client:call does, waiting in the client's sleep", function()
    local slept = 0
    local c = helper.client(emu, { sleep = function(s) slept = slept + s end })
    emu:faults { { operation = "GetReferenceMetadata", status = 503,
                   code = "ServiceUnavailableException", count = 5 } }
    local calls = {}
    for i = 1, 10 do calls[i] = { "GetReferenceMetadata", { referenceStoreId = STORE, id = REF } } end
    local before = emu:stats()
    local r = assert(c:call_many(calls, { concurrency = 10 }))
    for i = 1, 10 do assert.equal("demo-genome", r[i][1].name) end
    assert.equal(15, emu:stats().requests - before.requests)
    assert.is_true(slept > 0)
    -- a call that fails every attempt fails alone, with its attempts
    emu:faults { { operation = "GetReferenceStore", status = 503,
                   code = "ServiceUnavailableException", count = 3 } }
    r = assert(c:call_many({ { "GetReferenceStore", { id = STORE } },
                             { "GetReferenceMetadata", { referenceStoreId = STORE, id = REF } } },
                           { concurrency = 2 }))
    assert.equal("ServiceUnavailableException", r[1][2].code)
    assert.equal(3, r[1][2].attempts)
    assert.equal("demo-genome", r[2][1].name)
  end)

  it("logs each attempt with its secrets redacted, as a single call does", function()
    local lines = {}
    local c = helper.client(emu, { log = function(_, msg) lines[#lines + 1] = msg end })
    assert(c:call_many({ { "GetReferenceStore", { id = STORE } },
                         { "GetReferenceStore", { id = STORE } } }))
    local text = table.concat(lines, "\n")
    local _, attempts = text:gsub("attempt 1: GET ", "")
    assert.equal(2, attempts)
    assert.not_matches(helper.CREDS.secret_access_key, text, 1, true)
    assert.matches("authorization: [redacted]", text:lower(), 1, true)
  end)

  it("refuses bad options and a list that is not one, naming them", function()
    local c = helper.client(emu)
    local calls = { { "GetReferenceStore", { id = STORE } } }
    for _, case in ipairs {
      { { concurrency = 0 }, "concurrency: expected an integer from 1 to 1024, got 0" },
      { { concurrency = 1025 }, "got 1025" },
      { { concurrency = 1.5 }, "concurrency: expected an integer from 1 to 1024, got number" },
      { { concurrency = "8" }, "got string" },
      { { concurency = 8 }, "unknown option concurency %(options: concurrency%)" },
      { 8, "call_many options: expected a table, got number" },
    } do
      local r, err = c:call_many(calls, case[1])
      assert.is_nil(r)
      assert.equal("ParamValidationError", err.code)
      assert.matches(case[2], err.message)
    end
    local r, err = c:call_many("GetReferenceStore")
    assert.is_nil(r)
    assert.matches("calls: expected a list", err.message)
    assert.equal(1, #assert(c:call_many(calls, { concurrency = 4.0 })))
  end)

  it("raises on a closed client, as every method does", function()
    local c = helper.client(emu)
    c:close()
    assert.has_error(function() c:call_many {} end)
  end)

  it("runs through a transport function, one call after another, with the same outcomes", function()
    local c = helper.client(emu, { transport = helper.luasocket })
    local r = assert(c:call_many({
      { "GetReferenceMetadata", { referenceStoreId = STORE, id = REF } },
      { "GetReferenceMetadata", { referenceStoreId = "1111111111", id = REF } },
      { "nope" },
      "x",
    }, { concurrency = 4 }))
    assert.equal("demo-genome", r[1][1].name)
    assert.equal("ResourceNotFoundException", r[2][2].code)
    assert.matches("calls%[3%]%[1%]: the service has no operation nope", r[3][2].message)
    assert.matches("calls%[4%]: expected a table", r[4][2].message)
  end)
end)
