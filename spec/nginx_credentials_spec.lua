-- Credentials inside a real nginx: fetched over cosockets (the worker goes
-- on serving while the credential endpoint is slow), and shared by the
-- workers through a lua_shared_dict (one fetch per refresh for all four
-- workers, not one per worker).  Time is the emulator's job clock and the
-- clients' clock option, moved together: nothing sleeps for an expiry.

local helper = require "helper"
local N = require "nginx_helper"

-- The start of both confs: the workers and the container credential endpoint
-- (${CREDS}) they fetch from, nothing else of the environment.
local HEAD = [[
${MAIN}
worker_processes ${WORKERS};
env AWS_CONTAINER_CREDENTIALS_FULL_URI=${CREDS};
env AWS_EC2_METADATA_DISABLED=true;
env AWS_CONFIG_FILE=${DIR}/none;
env AWS_SHARED_CREDENTIALS_FILE=${DIR}/none;
events { worker_connections 256; }
http {
${HTTP}
]]

local CONF = HEAD .. [[
  lua_shared_dict omics_credentials 1m;
  lua_shared_dict test_clock 64k;

  server {
    listen 127.0.0.1:${PORT} reuseport;

    location = /ready { return 200 "ready\n"; }
    location = /ping { return 200 "pong\n"; }

    # a call through this worker's client (made here, at the worker's first
    # request): shared=1 with the shared dict, else each worker on its own
    location = /call {
      content_by_lua_block {
        local clients = package.loaded.test_clients or {}
        package.loaded.test_clients = clients
        local key = ngx.var.arg_shared == "1" and "shared" or "own"
        local c = clients[key]
        if not c then
          local err
          c, err = require("omics").new { region = "us-east-1", endpoint = "${EMU}",
            shared_dict = key == "shared" and "omics_credentials" or nil,
            clock = function() return ngx.now() + (ngx.shared.test_clock:get("offset") or 0) end }
          if not c then
            ngx.say("pid=", ngx.worker.pid(), "\nresult=", err.code, ": ", err.message)
            return
          end
          clients[key] = c
        end
        local ref, err = c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
        ngx.say("pid=", ngx.worker.pid(), "\nresult=", ref and ref.name or (err.code .. ": " .. err.message))
      }
    }

    location = /advance {
      content_by_lua_block {
        ngx.say(ngx.shared.test_clock:incr("offset", tonumber(ngx.var.arg_by), 0))
      }
    }
  }
}
]]

-- CONF with HTTP_PROXY and HTTPS_PROXY (${PROXY}) in the workers' environment
local PROXY_CONF = CONF:gsub("env AWS_EC2_METADATA_DISABLED=true;",
                             "env AWS_EC2_METADATA_DISABLED=true;\nenv HTTP_PROXY=${PROXY};\nenv HTTPS_PROXY=${PROXY};\n" ..
                             "env NO_PROXY=none.invalid;", 1)

local function start(emu, workers)
  local dir = helper.tmpdir()
  local port = helper.free_port()
  N.write_conf(dir, CONF, { EMU = emu.url, PORT = port, WORKERS = workers,
                            CREDS = emu.url .. "/container/v2/creds" })
  N.start(dir, ("http://127.0.0.1:%d/ready"):format(port))
  return dir, ("http://127.0.0.1:%d"):format(port)
end

-- One worker whose container credential endpoint is a location of its own
-- (/creds): it answers the headers and part of the body, the rest 0.6 s
-- later; /fetches counts them.  Every client of the worker shares one
-- provider (made without fetching: core.provider's defer).
local SLOW_CONF = HEAD .. [[
  lua_shared_dict test_state 64k;
  init_by_lua_block {
    function test_client()
      local p = package.loaded.test_provider or require("omics.core").provider({}, true)
      package.loaded.test_provider = p
      return require("omics").new { region = "us-east-1", endpoint = "http://127.0.0.1:9", credentials = p }
    end
  }

  server {
    listen 127.0.0.1:${PORT} reuseport;
    location = /ready { return 200 "ready\n"; }
    location = /fetches { content_by_lua_block { ngx.say(ngx.shared.test_state:get("fetches") or 0) } }
    location = /creds {
      content_by_lua_block {
        local n = ngx.shared.test_state:incr("fetches", 1, 0)
        local body = ('{"AccessKeyId":"ASIASLOW%d","SecretAccessKey":"s","Token":"t","Expiration":"%s"}')
          :format(n, os.date("!%Y-%m-%dT%H:%M:%SZ", ngx.time() + 3600))
        ngx.header["Content-Length"] = #body
        ngx.print(body:sub(1, 20))
        ngx.flush(true)
        ngx.sleep(0.6)
        ngx.print(body:sub(21))
      }
    }
    # a client of the provider, and its credentials
    location = /key {
      content_by_lua_block {
        local c, err = test_client()
        local info = c and c:credentials()
        ngx.say("result=", info and info.access_key_id or (err.code .. ": " .. err.message))
      }
    }
    # a request whose call is killed mid-fetch: its thread dies with it
    location = /killed {
      content_by_lua_block {
        ngx.thread.spawn(test_client)
        ngx.sleep(0.2)
        ngx.exit(200)
      }
    }
  }
}
]]

describe("credentials inside nginx #nginx", function()
  if N.missing then
    it("needs nginx and the LuaJIT build", function()
      print("nginx_credentials_spec: " .. N.missing)
      pending(N.missing)
    end)
    return
  end

  local emu
  setup(function() emu = helper.emulator("--seed-demo") end)
  teardown(function() if emu then emu:stop() end end)

  local function fetches()
    return emu:stats().by_operation.ContainerCredentials or 0
  end

  -- n requests to base/call?shared=s: the workers that answered; every
  -- answer must be the call's result
  local function calls(base, shared, n)
    local pids = {}
    for _ = 1, n do
      local got = N.fields((N.http_get(base .. "/call?shared=" .. shared)))
      assert.are.equal("demo-genome", got.result)
      pids[got.pid] = true
    end
    local k = 0
    for _ in pairs(pids) do k = k + 1 end
    return k
  end

  -- the emulator's job clock and the clients' clock, moved together
  local function advance(base, seconds)
    emu:control("POST", "clock", { advance = seconds })
    assert(N.http_get(base .. "/advance?by=" .. seconds))
  end

  -- Credentials live an hour: 2,800 s on they are in the advisory window
  -- (800 s left: a refresh is due, the old ones still serve), 3,300 s later
  -- the new ones are in the mandatory window (300 s left: none may use them).
  local function over_two_refreshes(shared)
    emu:reset()
    local dir, base = start(emu, 4)
    local counts, workers = {}, 0
    local ok, err = pcall(function()
      workers = math.max(workers, calls(base, shared, 100))
      counts[1] = fetches()
      advance(base, 2800)
      workers = math.max(workers, calls(base, shared, 100))
      counts[2] = fetches()
      advance(base, 3300)
      workers = math.max(workers, calls(base, shared, 100))
      counts[3] = fetches()
      workers = math.max(workers, calls(base, shared, 100))
      counts[4] = fetches()
    end)
    N.stop(dir)
    helper.rmdir(dir)
    assert(ok, err)
    return counts, workers
  end

  it("four workers share them through a lua_shared_dict: one fetch at first and one per refresh", function()
    local counts, workers = over_two_refreshes("1")
    print(("nginx_credentials_spec: shared dict, %d workers, 400 requests over two refreshes: " ..
           "%d, %d, %d, %d fetches"):format(workers, counts[1], counts[2], counts[3], counts[4]))
    assert.is_true(workers >= 2, "the requests reached one worker only")
    assert.are.same({ 1, 2, 3, 3 }, counts)
  end)

  it("without the shared dict each worker fetches its own", function()
    local counts, workers = over_two_refreshes("0")
    print(("nginx_credentials_spec: no shared dict, %d workers, 400 requests over two refreshes: " ..
           "%d, %d, %d, %d fetches"):format(workers, counts[1], counts[2], counts[3], counts[4]))
    assert.is_true(workers >= 2, "the requests reached one worker only")
    -- every worker that served a request in a period fetched for itself
    assert.is_true(counts[1] >= 2 and counts[1] <= 4)
    assert.is_true(counts[3] - counts[2] >= 2)
    assert.are.equal(counts[3], counts[4])
  end)

  -- curl requests in the background: out/<name> gets the body
  local function background(out, name, url)
    os.execute(helper.sh(("curl -s --noproxy '*' -m 30 -o %s/%s %s &")
      :format(helper.shq(out), name, helper.shq(url))))
  end
  local function answer(out, name)
    for _ = 1, 150 do
      if helper.exists(out .. "/" .. name) and helper.read(out .. "/" .. name) ~= "" then break end
      os.execute(helper.sh("sleep 0.1"))
    end
    return helper.exists(out .. "/" .. name) and N.fields(helper.read(out .. "/" .. name)).result
  end
  local function slow_endpoint(body)
    local dir = helper.tmpdir()
    local port = helper.free_port()
    N.write_conf(dir, SLOW_CONF, { PORT = port, WORKERS = 1,
                                 CREDS = ("http://127.0.0.1:%d/creds"):format(port) })
    N.start(dir, ("http://127.0.0.1:%d/ready"):format(port))
    local out = helper.tmpdir()
    local ok, err = pcall(body, ("http://127.0.0.1:%d"):format(port), out)
    N.stop(dir)
    helper.rmdir(dir)
    helper.rmdir(out)
    assert(ok, err)
  end

  it("a second request while the answer is half read leaves the fetch alone: one fetch for both", function()
    slow_endpoint(function(base, out)
      background(out, "first", base .. "/key")
      os.execute(helper.sh("sleep 0.3")) -- (half the answer is in)
      background(out, "second", base .. "/key")
      assert.are.equal("ASIASLOW1", answer(out, "first"))
      assert.are.equal("ASIASLOW1", answer(out, "second"))
      assert.are.equal("1", N.http_get(base .. "/fetches"):match("%d+"))
    end)
  end)

  it("a request killed mid-fetch holds the others up for the fetch's own time limit only", function()
    slow_endpoint(function(base, out)
      local t0 = os.time()
      assert.are.equal(200, select(2, N.http_get(base .. "/killed")))
      background(out, "next", base .. "/key")
      -- the killed fetch (2 s, the container endpoint's limit) is taken
      -- over, not waited for half a minute
      assert.are.equal("ASIASLOW2", answer(out, "next"))
      print(("nginx_credentials_spec: served %d s after a request was killed mid-fetch")
        :format(os.time() - t0))
    end)
  end)

  it("nothing blocks: while the credential endpoint takes 1 s, the same worker answers at once", function()
    emu:reset()
    emu:faults { { operation = "ContainerCredentials", delay_ms = 1000 } }
    local dir, base = start(emu, 1)
    local out = helper.tmpdir()
    local ok, err = pcall(function()
      -- the first call of the worker: its client fetches credentials (1 s)
      os.execute(helper.sh(("curl -s --noproxy '*' -m 10 -o %s/call -w '%%{time_total}' %s > %s/call_time &")
        :format(helper.shq(out), helper.shq(base .. "/call?shared=1"), helper.shq(out))))
      os.execute(helper.sh("sleep 0.3"))
      local body = N.http_get(base .. "/ping")
      assert.are.equal("pong", body:match("^(%a+)"))
      local p = io.popen(helper.sh(("curl -s --noproxy '*' -m 5 -o /dev/null -w '%%{time_total}' %s")
        :format(helper.shq(base .. "/ping"))))
      local seconds = tonumber(p:read("a"))
      p:close()
      for _ = 1, 50 do
        if helper.exists(out .. "/call_time") and helper.read(out .. "/call_time") ~= "" then break end
        os.execute(helper.sh("sleep 0.1"))
      end
      local call_seconds = tonumber(helper.read(out .. "/call_time"))
      print(("nginx_credentials_spec: a plain location answered in %.1f ms while the worker's call " ..
             "waited %.2f s for credentials"):format(seconds * 1000, call_seconds))
      assert.is_true(seconds < 0.1, "the plain location took " .. seconds .. " s")
      assert.is_true(call_seconds >= 0.9, "the call did not wait for the credential endpoint")
      assert.are.equal("demo-genome", N.fields(helper.read(out .. "/call")).result)
    end)
    N.stop(dir)
    helper.rmdir(dir)
    helper.rmdir(out)
    assert(ok, err)
  end)

  -- HTTP_PROXY in the workers' environment: the call goes through the proxy,
  -- a credential fetch from a local agent (loopback, as the metadata
  -- addresses) never does, one from anywhere else does.  (The same rule as
  -- the libcurl path's.)
  local function through_proxy(creds, check)
    emu:reset()
    local proxy = helper.proxy()
    local dir, port = helper.tmpdir(), helper.free_port()
    local ok, err = pcall(function()
      N.write_conf(dir, PROXY_CONF, { EMU = emu.url, PORT = port, WORKERS = 1, PROXY = proxy.url,
                                      CREDS = creds })
      N.start(dir, ("http://127.0.0.1:%d/ready"):format(port))
      local before = #proxy:requests()
      check(N.fields((N.http_get(("http://127.0.0.1:%d/call?shared=0"):format(port)))), proxy, before)
    end)
    N.stop(dir)
    helper.rmdir(dir)
    proxy:stop()
    assert(ok, err)
  end

  it("with HTTP_PROXY a fetch from a loopback agent goes direct, the call through the proxy", function()
    through_proxy(emu.url .. "/container/v2/creds", function(got, proxy, before)
      assert.are.equal("demo-genome", got.result)
      assert.are.same({
        ("GET %s/referencestore/1234567890/reference/9876543210/metadata HTTP/1.1"):format(emu.url),
      }, proxy:requests_since(before, 1))
      assert.are.equal(1, fetches())
    end)
  end)

  it("with HTTPS_PROXY a fetch from a host elsewhere goes through the proxy (a CONNECT tunnel)", function()
    through_proxy("https://creds.invalid:8443/v2/creds", function(got, proxy, before)
      assert.are_not.equal("demo-genome", got.result)
      print("nginx_credentials_spec: through the proxy to a host it cannot reach: " .. got.result)
      local seen = proxy:requests_since(before, 1)
      assert.are.equal("CONNECT creds.invalid:8443 HTTP/1.1", seen[1])
      assert.are.equal(0, fetches())
    end)
  end)
end)
