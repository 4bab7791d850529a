-- The transport option: libcurl by default outside nginx, "ngx" only where
-- cosockets run, or the caller's function taking the prepared, signed request
-- and returning status, headers, body.
local helper = require "helper"
local omics = require "omics"
-- A transport written with LuaSocket (helper.luasocket), remembering what it sent.
local seen = {}
local function luasocket(req)
  seen[#seen + 1] = req
  return helper.luasocket(req)
end

describe("transports", function()
  local emu
  setup(function() emu = helper.emulator("--seed-demo") end)
  teardown(function() if emu then emu:stop() end end)
  before_each(function() emu:control("DELETE", "faults") end)

  local PARAMS = { referenceStoreId = "1234567890", id = "9876543210" }

  it("a function transport gets the signed request and gives the same result", function()
    local client = helper.client(emu, { transport = luasocket })
    local before = #seen
    local ref = assert(client:get_reference_metadata(PARAMS))
    assert.are.equal(before + 1, #seen)
    local req = seen[#seen]
    assert.are.equal("GET", req.method)
    assert.matches("^AWS4%-HMAC%-SHA256 Credential=AKIDEXAMPLE/", req.headers.Authorization)
    assert.is_string(req.headers["X-Amz-Date"])
    local plain = assert(helper.client(emu):get_reference_metadata(PARAMS))
    assert.are.equal(plain.md5, ref.md5)
    assert.are.equal(plain.creationTime, ref.creationTime)
    assert.is_true(helper.is_integer(ref.files.source.contentLength))
  end)

  it("errors through a function transport are the service's errors", function()
    local client = helper.client(emu, { transport = luasocket })
    emu:faults { { status = 404, code = "ResourceNotFoundException", message = "gone" } }
    local res, err = client:get_reference_metadata(PARAMS)
    assert.is_nil(res)
    assert.are.equal("ResourceNotFoundException", err.code)
    assert.are.equal(404, err.status)
    assert.are.equal("gone", err.message)
  end)

  it("a failing or raising transport is a retryable ConnectionError", function()
    -- (the backoffs between its attempts in virtual time)
    local nap = function() end
    local client = helper.client(emu, { sleep = nap, transport = function() return nil, "no route to host" end })
    local res, err = client:get_reference_metadata(PARAMS)
    assert.is_nil(res)
    assert.are.equal("ConnectionError", err.code)
    assert.matches("no route to host", err.message)
    assert.is_true(err.retryable)
    client = helper.client(emu, { sleep = nap, transport = function() error("kaboom") end })
    res, err = client:get_reference_metadata(PARAMS)
    assert.are.equal("ConnectionError", err.code)
    assert.matches("kaboom", err.message)
  end)

  it("sinks work with a function transport", function()
    local client = helper.client(emu, { transport = luasocket })
    local bytes = 0
    local res = assert(client:get_reference({ referenceStoreId = "1234567890", id = "9876543210", partNumber = 1 },
      { sink = function(chunk) bytes = bytes + #chunk end }))
    assert.are.equal(12219, bytes)
    assert.is_nil(res.payload)
    local _, err = client:get_reference({ referenceStoreId = "1234567890", id = "9876543210", partNumber = 1 },
      { sinc = print })
    assert.are.equal("ParamValidationError", err.code)
  end)

  it("a function transport's answers are bounded by max_response_bytes as libcurl's are", function()
    local huge = ('{"id":"9876543210","name":"' .. ("x"):rep(5000) .. '"}')
    local client = helper.client(emu, { max_response_bytes = 4096, transport = function()
      return 200, { ["content-type"] = "application/json" }, huge
    end })
    local res, err = client:get_reference_metadata(PARAMS)
    assert.is_nil(res)
    assert.are.equal("ResponseTooLarge", err.code)
    assert.matches("max_response_bytes %(4096%)", err.message)
    assert.is_false(err.retryable)
    local broken = helper.client(emu, { sleep = function() end,
      transport = function() return 200, {}, { "not", "a string" } end })
    _, err = broken:get_reference_metadata(PARAMS)
    assert.are.equal("ConnectionError", err.code)
    assert.matches("must return status", err.message)
  end)

  it("paginators and waiters go through the transport too", function()
    local client = helper.client(emu, { transport = luasocket })
    local before = #seen
    for _ in client:paginate("ListReferenceStores", {}) do end
    assert.is_true(#seen > before)
  end)

  it("ngx is refused outside nginx, curl and auto use libcurl", function()
    local client = helper.client(emu, { transport = "ngx" })
    local res, err = client:get_reference_metadata(PARAMS)
    assert.is_nil(res)
    assert.are.equal("TransportUnavailable", err.code)
    assert(helper.client(emu, { transport = "curl" }):get_reference_metadata(PARAMS))
    assert(helper.client(emu, { transport = "auto" }):get_reference_metadata(PARAMS))
  end)

  it("checks the transport options", function()
    local function bad(opts, pattern)
      local o = { region = "us-east-1", credentials = helper.CREDS }
      for k, v in pairs(opts) do o[k] = v end
      local c, err = omics.new(o)
      assert.is_nil(c)
      assert.are.equal("InvalidOption", err.code)
      assert.matches(pattern, err.message)
    end
    bad({ transport = "socket" }, "transport")
    bad({ keepalive_pool_size = 0 }, "keepalive_pool_size")
    bad({ keepalive_timeout = "long" }, "keepalive_timeout")
    bad({ transport = "ngx", ca_file = "/etc/ssl/certs/ca-certificates.crt" }, "lua_ssl_trusted_certificate")
  end)
end)
