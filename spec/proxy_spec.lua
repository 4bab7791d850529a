-- Proxies, through a real one on loopback (tinyproxy): the proxy option,
-- HTTP_PROXY / HTTPS_PROXY as curl and the AWS SDKs read them, NO_PROXY,
-- and a proxy that is not http://host:port refused with its source named.
-- (The cosocket driver through the same proxy, tunnels included, is in
-- spec/nginx_spec.lua.)
local helper = require "helper"

describe("proxies", function()
  local emu, proxy
  local PARAMS = { referenceStoreId = "1234567890", id = "9876543210" }

  setup(function()
    emu = helper.emulator("--seed-demo")
    proxy = helper.proxy()
  end)

  teardown(function()
    if proxy then proxy:stop() end
    if emu then emu:stop() end
  end)

  -- the requests the proxy saw, since n were there (waiting for want of them)
  local function since(n, want)
    return proxy:requests_since(n, want or 1)
  end

  it("the proxy option sends every call through the proxy", function()
    local before = #proxy:requests()
    local c = helper.client(emu, { proxy = proxy.url })
    assert.are.equal("demo-genome", assert(c:get_reference_metadata(PARAMS)).name)
    local seen = since(before, 1)
    assert.are.equal(1, #seen)
    assert.are.equal(("GET %s/referencestore/1234567890/reference/9876543210/metadata HTTP/1.1"):format(emu.url),
                     seen[1])
  end)

  it("HTTP_PROXY from the environment, unless NO_PROXY names the host", function()
    local code = ([[
      local omics = require "omics"
      local c = assert(omics.new { region = "us-east-1", endpoint = %q })
      print(assert(c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }).name)
    ]]):format(emu.url)
    local env = { AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET, HOME = helper.tmpdir() }
    local before = #proxy:requests()
    env.HTTP_PROXY = proxy.url
    local out, status = helper.run_lua(code, env)
    assert.are.equal(0, status, out)
    assert.matches("demo%-genome", out)
    assert.are.equal(1, #since(before))
    for _, bypass in ipairs { "127.0.0.1", "localhost,127.0.0.1:8080", "*", ".0.0.1" } do
      before = #proxy:requests()
      env.NO_PROXY = bypass
      out, status = helper.run_lua(code, env)
      assert.are.equal(0, status, out)
      assert.are.equal(0, #since(before, 0), "NO_PROXY=" .. bypass)
    end
    env.NO_PROXY = "example.com"
    before = #proxy:requests()
    out, status = helper.run_lua(code, env)
    assert.are.equal(0, status, out)
    assert.are.equal(1, #since(before), "NO_PROXY names another host")
  end)

  it("a proxy that is not http://host:port is refused, its source named", function()
    local _, err = require("omics").new { region = "us-east-1", credentials = helper.CREDS,
                                          proxy = "socks5://127.0.0.1:1080" }
    assert.are.equal("InvalidOption", err.code)
    assert.matches("the proxy option: expected http://host:port", err.message)
    local out = helper.run_lua([[
      local _, err = require("omics").new { region = "us-east-1" }
      print(err.code, err.message)
    ]], { AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET, HOME = helper.tmpdir(),
          HTTPS_PROXY = "http://user:secret@proxy:3128" })
    assert.matches("InvalidOption\tHTTPS_PROXY: expected http://host:port %(a proxy without credentials%)", out)
    assert.is_nil(out:find("secret", 1, true), "the proxy's password is not shown")
  end)

  it("AWS_CA_BUNDLE names the CA bundle when the ca_file option does not", function()
    local out = helper.run_lua(([[
      local omics = require "omics"
      local c = assert(omics.new { region = "us-east-1", endpoint = %q, max_attempts = 1 })
      local _, err = c:list_sequence_stores {}
      print(err.code, err.message)
    ]]):format(emu.url:gsub("^http:", "https:")), { AWS_ACCESS_KEY_ID = helper.AKID,
          AWS_SECRET_ACCESS_KEY = helper.SECRET, HOME = helper.tmpdir(), AWS_CA_BUNDLE = "/nonexistent/bundle.pem" })
    -- libcurl was given the bundle: it says it cannot read it
    assert.matches("bundle", out)
  end)
end)
