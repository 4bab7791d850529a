-- lua-omics inside a real nginx (Debian's nginx with its Lua module, LuaJIT):
-- the LuaJIT build, clients made in init_worker_by_lua, calls through
-- cosockets that do not block the worker, keepalive, errors as outside, the
-- phases where cosockets cannot run, and verified TLS through an nginx proxy.

local helper = require "helper"
local socket = require "socket"

local N = require "nginx_helper"
local missing = N.missing
local free_port = helper.free_port
local http_get, fields = N.http_get, N.fields

local CONF = [[
${MAIN}
worker_processes 1;
env AWS_CONFIG_FILE=${DIR}/aws_config;
events { worker_connections 1024; }
http {
${HTTP}
  lua_ssl_trusted_certificate ${DIR}/ca.pem;
  lua_ssl_verify_depth 2;
  lua_shared_dict omics_metrics 1m;

  init_by_lua_block {
    -- a client made before the workers fork
    package.loaded.omics_master = assert(require("omics").new {
      region = "us-east-1", endpoint = "${EMU}",
      credentials = { access_key_id = "AKIDEXAMPLE", secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" } })
  }

  init_worker_by_lua_block {
    local omics = require "omics"
    local creds = { access_key_id = "AKIDEXAMPLE", secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }
    local function new(extra)
      local o = { region = "us-east-1", endpoint = "${EMU}", credentials = creds }
      for k, v in pairs(extra or {}) do o[k] = v end
      return assert(omics.new(o))
    end
    local t = {
      auto = new(),
      -- short backoffs, for the specs that retry
      quick = new { max_backoff = 0.01 },
      curl = new { transport = "curl" },
      tls = new { endpoint = "https://127.0.0.1:${TLS}", transport = "ngx" },
      tls_wrong_name = new { endpoint = "https://127.0.0.1:${TLS2}", transport = "ngx" },
      -- through a real proxy: plain http in absolute form, https in a tunnel (CONNECT)
      proxied = new { transport = "ngx", proxy = "http://127.0.0.1:${PROXY}" },
      tls_proxied = new { endpoint = "https://127.0.0.1:${TLS}", transport = "ngx",
                          proxy = "http://127.0.0.1:${PROXY}" },
      tls_wrong_ca = new { endpoint = "https://127.0.0.1:${TLS3}", transport = "ngx" },
      chunked = new { endpoint = "http://127.0.0.1:${PORT}/chunked", transport = "ngx" },
      cut = new { endpoint = "http://127.0.0.1:${PORT}/cut", transport = "ngx", max_backoff = 0.01 },
      bounded = new { transport = "ngx", max_response_bytes = 1000000, timeout = 3, max_attempts = 1 },
      -- the fault matrix's client: its log lines go to package.loaded.matrix_log
      matrix = new { transport = "ngx", max_response_bytes = 4096, max_backoff = 0.01,
        log = function(level, message)
          local lines = package.loaded.matrix_log
          if lines and level ~= "debug" then lines[#lines + 1] = level .. " " .. message end
        end },
      -- call_many's client: the first line of each log message, in order
      many = new { transport = "ngx",
        log = function(_, message)
          local lines = package.loaded.many_log
          if lines then lines[#lines + 1] = message:match("^[^\n]*") end
        end },
    }
    -- metrics from the engine's events: calls and retries per operation in
    -- a shared dict (every worker adds to it), served by /metrics
    local metrics = ngx.shared.omics_metrics
    t.metered = new { transport = "ngx", max_backoff = 0.01 }
    t.metered:on("after_call", function(ev)
      metrics:incr(("calls\t%s\t%s"):format(ev.op, ev.code or "OK"), 1, 0)
      metrics:incr("seconds\t" .. ev.op, ev.seconds, 0)
    end)
    t.metered:on("after_attempt", function(ev)
      if ev.attempt > 1 then metrics:incr("retries\t" .. ev.op, 1, 0) end
    end)
    -- the events of one scenario, for the spec to compare with libcurl's
    t.traced = new { transport = "ngx", max_backoff = 0.01 }
    local event_fields = require "event_fields"
    for _, e in ipairs { "before_send", "after_attempt", "after_call" } do
      t.traced:on(e, function(ev)
        local seen = package.loaded.traced_events
        if seen then seen[#seen + 1] = event_fields(ev) end
      end)
    end
    -- waits in a sleep of its own: the seconds the core asked for, none slept
    t.slept = new { transport = "ngx", sleep = function(seconds)
      local seen = package.loaded.slept_seconds
      seen[#seen + 1] = seconds
      ngx.sleep(0)
    end }
    -- credential_process runs here, where blocking is harmless
    t.proc = assert(omics.new { region = "us-east-1", endpoint = "${EMU}", profile = "proc" })
    -- a call here (init_worker cannot use cosockets) goes through libcurl
    local ref, err = t.auto:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
    t.init_result = ref and ref.name or tostring(err)
    package.loaded.omics_clients = t
  }

  server {
    listen 127.0.0.1:${PORT};

    location /meta {
      content_by_lua_block {
        local clients = package.loaded.omics_clients
        local client = ngx.var.arg_client == "master" and package.loaded.omics_master
                       or clients[ngx.var.arg_client or "auto"]
        local ref, err = client:get_reference_metadata {
          referenceStoreId = ngx.var.arg_store or "1234567890", id = "9876543210" }
        if not ref then
          ngx.say("error=", err.code, "\nstatus=", tostring(err.status), "\nretryable=", tostring(err.retryable),
                  "\nmessage=", err.message, "\nkind=", err.kind)
          return
        end
        local src = ref.files.source
        ngx.say("name=", ref.name, "\nstatus=", ref.status, "\nmd5=", ref.md5,
                "\ncreationTime=", string.format("%.3f", ref.creationTime),
                "\ncreationTime_type=", type(ref.creationTime),
                "\ncontentLength=", string.format("%d", src.contentLength),
                "\ncontentLength_integral=", tostring(src.contentLength % 1 == 0),
                "\nhttp_status=", ref.ResponseMetadata.HTTPStatusCode,
                "\nrequest_id=", ref.ResponseMetadata.RequestId,
                "\nphase=", ngx.get_phase())
      }
    }

    # a stand-in service that answers in chunks (no Content-Length)
    location /chunked/ {
      content_by_lua_block {
        ngx.header["Content-Type"] = "application/json"
        ngx.header["x-amzn-RequestId"] = "chunked-1"
        ngx.print('{"id":"9876543210","name":"chun')
        ngx.flush(true)
        ngx.print('ked","status":"ACTIVE","md5":"00","creationTime":"2024-03-01T01:00:00.5+01:00",')
        ngx.flush(true)
        ngx.print('"files":{"source":{"contentLength":5497558138880}}}')
      }
    }

    # a stand-in service whose payload (300000 bytes promised) stops half way
    location /cut/ {
      content_by_lua_block {
        ngx.header["Content-Type"] = "application/octet-stream"
        ngx.header["Content-Length"] = 300000
        ngx.header["x-amzn-RequestId"] = "cut-1"
        ngx.print(string.rep("ACGT", 37500))
        ngx.flush(true)
        ngx.exit(444)
      }
    }

    location /wait {
      content_by_lua_block {
        local t0 = ngx.now()
        local res, err = package.loaded.omics_clients.auto:wait("ReferenceImportJobCompleted",
          { referenceStoreId = "1234567890", id = "1234567890" }, { delay = 1, max_attempts = 2 })
        ngx.update_time()
        ngx.say("reason=", tostring(err and err.reason), "\nseconds=", ngx.now() - t0)
      }
    }

    location /matrix {
      content_by_lua_block {
        package.loaded.matrix_log = {}
        local ref, err = package.loaded.omics_clients.matrix:get_reference_metadata {
          referenceStoreId = "1234567890", id = "9876543210" }
        local json = require "cjson"
        ngx.say(json.encode { ok = ref ~= nil, code = err and err.code or json.null,
          retryable = err and err.retryable or json.null,
          attempts = err and err.attempts or ref.ResponseMetadata.RetryAttempts + 1,
          log = package.loaded.matrix_log })
      }
    }

    location /many {
      content_by_lua_block {
        package.loaded.many_log = {}
        local calls = {}
        for i = 1, 20 do
          calls[i] = { "GetReferenceMetadata", { id = "9876543210",
                       referenceStoreId = i % 4 == 0 and "1111111111" or "1234567890" } }
        end
        calls[21] = { "no_such_operation" }
        local r, err = package.loaded.omics_clients.many:call_many(calls, { concurrency = 5 })
        local out = {}
        for i, x in ipairs(r or {}) do out[i] = x[1] and x[1].name or x[2].code end
        local json = require "cjson"
        ngx.say(json.encode { results = out, err = err and err.message or json.null,
                              log = package.loaded.many_log })
      }
    }

    location /upload {
      content_by_lua_block {
        -- ?wait=1: the wait for ACTIVE in the client's own sleep (the
        -- emulator's clock stands still: it times out)
        local clients, waiting = package.loaded.omics_clients, ngx.var.arg_wait ~= nil
        package.loaded.slept_seconds = {}
        local res, err = (waiting and clients.slept or clients.auto):upload_read_set({
          sequenceStoreId = ngx.var.arg_store, sourceFileType = "FASTQ", subjectId = "s", sampleId = "x",
          name = "from-nginx", files = { SOURCE1 = ngx.var.arg_path } },
          { part_size = 1000, wait = waiting, wait_seconds = waiting and 3 or nil })
        local json = require "cjson"
        ngx.say(json.encode { readSetId = res and res.readSetId or err and err.readSetId or json.null,
                              parts = res and res.parts or json.null, err = err and err.message or json.null,
                              code = err and err.code or json.null, slept = package.loaded.slept_seconds })
      }
    }

    location /proc {
      content_by_lua_block {
        local ref, err = package.loaded.omics_clients.proc:get_reference_metadata {
          referenceStoreId = "1234567890", id = "9876543210" }
        -- here, credential_process runs through ngx.pipe: the worker goes on
        local made, merr = require("omics").new { region = "us-east-1", endpoint = "${EMU}", profile = "proc" }
        local ref2, err2
        if made then
          ref2, err2 = made:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
        end
        local who = made and made:credentials()
        ngx.say("call=", ref and ref.name or err.code, "\nnew=", made and "made" or merr.code,
                "\nmessage=", merr and merr.message or "", "\ncall2=", ref2 and ref2.name or (err2 and err2.code) or "",
                "\nprovider=", who and who.provider or "", "\npipe=", tostring((pcall(require, "ngx.pipe"))))
      }
    }

    location /download {
      content_by_lua_block {
        local res, err = package.loaded.omics_clients.auto:download_reference(
          { referenceStoreId = "1234567890", id = "9876543210" }, { to = ngx.var.arg_dir, concurrency = 2 })
        local json = require "cjson"
        ngx.say(json.encode { files = res and res.files or json.null, parts = res and res.parts or json.null,
                              err = err and err.message or json.null })
      }
    }

    location /metasink {
      content_by_lua_block {
        local res, err = package.loaded.omics_clients.auto:get_reference_metadata(
          { referenceStoreId = "1234567890", id = "9876543210" }, { sink = ngx.var.arg_path })
        ngx.say("ok=", tostring(res ~= nil), "\nerror=", tostring(err and err.code),
                "\nmessage=", tostring(err and err.message))
      }
    }

    location /metered {
      content_by_lua_block {
        local client = package.loaded.omics_clients.metered
        local res, err
        if ngx.var.arg_op == "stores" then
          res, err = client:list_reference_stores {}
        else
          res, err = client:get_reference_metadata { referenceStoreId = ngx.var.arg_store or "1234567890",
                                                     id = "9876543210" }
        end
        ngx.say(res and "ok" or err.code)
      }
    }

    # Prometheus text exposition of the shared dict
    location /metrics {
      default_type text/plain;
      content_by_lua_block {
        local metrics = ngx.shared.omics_metrics
        local calls, retries, seconds = {}, {}, {}
        for _, key in ipairs(metrics:get_keys(0)) do
          local kind, op, code = key:match("^(%a+)\t([^\t]+)\t?(.*)$")
          local v = metrics:get(key)
          if kind == "calls" then
            calls[#calls + 1] = ('omics_calls_total{operation="%s",code="%s"} %d'):format(op, code, v)
          elseif kind == "retries" then
            retries[#retries + 1] = ('omics_retries_total{operation="%s"} %d'):format(op, v)
          elseif kind == "seconds" then
            seconds[#seconds + 1] = ('omics_call_seconds_total{operation="%s"} %.6f'):format(op, v)
          end
        end
        table.sort(calls) table.sort(retries) table.sort(seconds)
        ngx.print("# HELP omics_calls_total HealthOmics calls by operation and outcome.\n",
                  "# TYPE omics_calls_total counter\n", table.concat(calls, "\n"), "\n",
                  "# HELP omics_retries_total Attempts after the first, by operation.\n",
                  "# TYPE omics_retries_total counter\n", table.concat(retries, "\n"), "\n",
                  "# HELP omics_call_seconds_total Time spent in calls, waits included.\n",
                  "# TYPE omics_call_seconds_total counter\n", table.concat(seconds, "\n"), "\n")
      }
    }

    location /traced {
      content_by_lua_block {
        local client = package.loaded.omics_clients.traced
        package.loaded.traced_events = {}
        client:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
        client:get_reference_metadata { referenceStoreId = "1111111111", id = "9876543210" }
        client:get_reference_metadata { referenceStoreId = "12", id = "9876543210" }
        local seen = package.loaded.traced_events
        package.loaded.traced_events = nil
        ngx.say(require("cjson").encode(seen))
      }
    }

    location /init {
      content_by_lua_block { ngx.say("init_result=", package.loaded.omics_clients.init_result) }
    }

    location /stream {
      content_by_lua_block {
        local client = package.loaded.omics_clients[ngx.var.arg_client or "auto"]
        local bytes, chunks = 0, 0
        local path = ngx.var.arg_path
        if ngx.var.arg_plain then -- a plain create, for its mode
          assert(io.open(ngx.var.arg_plain, "w")):close()
        end
        local t0 = ngx.now()
        local res, err = client:get_reference({ referenceStoreId = "1234567890", id = "9876543210", partNumber = 1 },
          { sink = path or function(chunk) bytes = bytes + #chunk; chunks = chunks + 1 end })
        ngx.update_time()
        ngx.say("seconds=", ngx.now() - t0)
        if path and res then
          local f = io.open(path, "rb")
          bytes = #f:read("a")
          f:close()
        end
        ngx.say("ok=", tostring(res ~= nil), "\nbytes=", bytes, "\npayload=", tostring(res and res.payload),
                "\nerror=", tostring(err and err.code), "\nmessage=", tostring(err and err.message),
                "\nretries=", tostring(res and res.ResponseMetadata.RetryAttempts),
                "\nattempts=", tostring(err and err.attempts))
      }
    }

    location /filter {
      content_by_lua_block { ngx.say("body") }
      header_filter_by_lua_block {
        local res, err = package.loaded.omics_clients.auto:get_reference_metadata {
          referenceStoreId = "1234567890", id = "9876543210" }
        ngx.header["X-Omics-Error"] = err and err.code or "none"
      }
    }
  }

  # TLS fronts for the emulator: a certificate for 127.0.0.1 from a CA only
  # this test trusts; one for another name; one from a CA nobody trusts.
  server {
    listen 127.0.0.1:${TLS} ssl;
    ssl_certificate ${DIR}/good.pem;
    ssl_certificate_key ${DIR}/good.key;
    location / { proxy_pass ${EMU}; proxy_set_header Host $http_host; }
  }
  server {
    listen 127.0.0.1:${TLS2} ssl;
    ssl_certificate ${DIR}/other-name.pem;
    ssl_certificate_key ${DIR}/other-name.key;
    location / { proxy_pass ${EMU}; proxy_set_header Host $http_host; }
  }
  server {
    listen 127.0.0.1:${TLS3} ssl;
    ssl_certificate ${DIR}/untrusted.pem;
    ssl_certificate_key ${DIR}/untrusted.key;
    location / { proxy_pass ${EMU}; proxy_set_header Host $http_host; }
  }
}
]]

local function make_certs(dir)
  local script = [[
set -e
cd %s
ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout $1.key -out $1.pem -days 2 -subj /CN=$1 2>/dev/null; }
cert() { # name, CA, subjectAltName
  openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj /CN=$1 2>/dev/null
  printf 'subjectAltName=%%s\n' "$3" > $1.ext
  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days 2 -extfile $1.ext 2>/dev/null
}
ca ca
ca rogue-ca
cert good ca "DNS:127.0.0.1,IP:127.0.0.1"
cert other-name ca "DNS:not-this-host.example"
cert untrusted rogue-ca "DNS:127.0.0.1,IP:127.0.0.1"
]]
  return helper.succeeded(helper.sh("sh -c " .. helper.shq(script:format(helper.shq(dir)))))
end

local user_line, start_nginx, stop_nginx = N.user_line, N.start, N.stop

describe("inside nginx #nginx", function()
  if missing then
    it("needs nginx and the LuaJIT build", function()
      print("nginx_spec: " .. missing)
      pending(missing)
    end)
    return
  end

  local emu, dir, port, tls, tls2, tls3, proxy

  setup(function()
    emu = helper.emulator("--seed-demo")
    dir = helper.tmpdir()
    port, tls, tls2, tls3 = free_port(), free_port(), free_port(), free_port()
    proxy = helper.proxy { tls }
    assert(make_certs(dir), "openssl could not make the test certificates")
    -- a profile whose credentials come from credential_process
    helper.write(dir .. "/creds.sh", ("#!/bin/sh\nprintf '%%s' '%s'\n"):format(helper.json.encode {
      Version = 1, AccessKeyId = helper.AKID, SecretAccessKey = helper.SECRET }))
    os.execute(helper.sh("chmod +x " .. helper.shq(dir .. "/creds.sh")))
    helper.write(dir .. "/aws_config", "[profile proc]\ncredential_process = " .. dir .. "/creds.sh\n")
    N.write_conf(dir, CONF, { EMU = emu.url, PORT = port, TLS = tls, TLS2 = tls2, TLS3 = tls3,
                              PROXY = proxy.port })
    start_nginx(dir, ("http://127.0.0.1:%d/init"):format(port))
  end)

  teardown(function()
    stop_nginx(dir)
    if proxy then proxy:stop() end
    if emu then emu:stop() end
    helper.rmdir(dir)
  end)

  before_each(function()
    emu:control("DELETE", "faults")
    emu:control("POST", "delay", { delay_ms = 0 })
  end)

  local function url(path) return ("http://127.0.0.1:%d%s"):format(port, path) end

  it("returns the same values and types as plain Lua", function()
    local body, code = http_get(url("/meta"))
    assert.are.equal(200, code, body)
    local got = fields(body)
    local client = helper.client(emu)
    local ref = assert(client:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" })
    assert.are.equal(ref.name, got.name)
    assert.are.equal(ref.status, got.status)
    assert.are.equal(ref.md5, got.md5)
    assert.are.equal(("%.3f"):format(ref.creationTime), got.creationTime)
    assert.are.equal("number", got.creationTime_type)
    assert.are.equal(tostring(ref.files.source.contentLength), got.contentLength)
    assert.are.equal("true", got.contentLength_integral)
    assert.are.equal("200", got.http_status)
    assert.are.equal("content", got.phase)
    assert.matches("^%x+%-", got.request_id)
  end)

  it("uses a client made in init_by_lua, before the workers forked", function()
    local got = fields((http_get(url("/meta?client=master"))))
    assert.are.equal("demo-genome", got.name, got.message)
  end)

  it("reads chunked answers", function()
    local got = fields((http_get(url("/meta?client=chunked"))))
    assert.are.equal("chunked", got.name, got.message)
    assert.are.equal("1709251200.500", got.creationTime)
    assert.are.equal("5497558138880", got.contentLength)
    assert.are.equal("chunked-1", got.request_id)
  end)

  it("falls back to libcurl in init_worker_by_lua, where cosockets cannot run", function()
    local body = http_get(url("/init"))
    assert.are.equal("demo-genome", fields(body).init_result)
  end)

  it("refuses to block a phase without cosockets (header filter)", function()
    local p = io.popen(helper.sh("curl -s --noproxy '*' -D - -o /dev/null " .. helper.shq(url("/filter"))))
    local head = p:read("a")
    p:close()
    assert.matches("X%-Omics%-Error: TransportUnavailable", head)
  end)

  -- 10 requests at once to nginx (one worker), each calling the emulator,
  -- which takes 100 ms to answer each call: cosockets serve them side by
  -- side, so they take about one delay, where a blocking call would take ten
  it("does not block the event loop: 10 concurrent calls take about one delay, not ten", function()
    emu:control("POST", "delay", { delay_ms = 100 })
    local t0 = socket.gettime()
    local cmd = ("curl -s --no-progress-meter --noproxy '*' -m 60 --parallel --parallel-immediate --parallel-max 10 " ..
                 "-o /dev/null -w '%%{http_code}\\n' %s"):format(helper.shq(url("/meta?client=auto&i=[1-10]")))
    local p = io.popen(helper.sh(cmd))
    local out = p:read("a")
    p:close()
    local elapsed = socket.gettime() - t0
    local ok = 0
    for code in out:gmatch("%d+") do if code == "200" then ok = ok + 1 end end
    assert.are.equal(10, ok, out)
    print(("nginx_spec: 10 concurrent calls, 100 ms each, through cosockets: %.2f s"):format(elapsed))
    assert.is_true(elapsed < 0.6, ("cosockets took %.2f s"):format(elapsed))
  end)

  it("call_many runs calls side by side through cosockets, at most `concurrency` at once", function()
    emu:control("POST", "delay", { delay_ms = 100 })
    local body, code = http_get(url("/many"))
    assert.are.equal(200, code, body)
    local got = assert(helper.json.decode(body), body)
    assert.is_nil(got.err)
    assert.are.equal(21, #got.results)
    for i = 1, 20 do
      assert.are.equal(i % 4 == 0 and "ResourceNotFoundException" or "demo-genome", got.results[i])
    end
    assert.are.equal("ParamValidationError", got.results[21])
    -- the log's order: five attempts go out before the first answer comes
    -- back (each answer takes 100 ms), and never more than five are out
    local out, most, first_answer = 0, 0, nil
    for i, line in ipairs(got.log) do
      if line:match("^attempt ") then out = out + 1 end
      if line:match("^answer: ") then
        first_answer = first_answer or i
        out = out - 1
      end
      most = math.max(most, out)
    end
    assert.are.equal(5, most)
    assert.are.equal(6, first_answer)
  end)

  it("keeps connections alive: the emulator sees far fewer connections than requests", function()
    local before = emu:stats()
    for _ = 1, 30 do
      local _, code = http_get(url("/meta"))
      assert.are.equal(200, code)
    end
    local after = emu:stats()
    local requests, connections = after.requests - before.requests, after.connections - before.connections
    print(("nginx_spec: %d calls through nginx opened %d connection(s) to the emulator"):format(requests, connections))
    assert.are.equal(30, requests)
    assert.is_true(connections <= 2)
  end)

  it("returns service errors as nil, err exactly as outside", function()
    local client = helper.client(emu, { max_backoff = 0.01 })
    -- (retryable faults three times: both sides give up after three attempts)
    for _, fault in ipairs {
      { status = 404, code = "ResourceNotFoundException", message = "no such reference" },
      { status = 429, code = "ThrottlingException", message = "slow down", count = 3 },
      { status = 500, code = "InternalServerException", message = "oops", count = 3 },
    } do
      emu:faults { fault }
      local got = fields((http_get(url("/meta?client=quick"))))
      emu:faults { fault }
      local _, err = client:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
      assert.are.equal(err.code, got.error)
      assert.are.equal(tostring(err.status), got.status)
      assert.are.equal(tostring(err.retryable), got.retryable)
      assert.are.equal(err.message, got.message)
    end
  end)

  it("returns broken answers and dropped connections as errors", function()
    emu:faults { { mode = "html", status = 502, count = 3 } }
    local got = fields((http_get(url("/meta?client=quick"))))
    assert.are.equal("BadGateway", got.error)
    assert.are.equal("502", got.status)
    emu:faults { { mode = "malformed" } }
    got = fields((http_get(url("/meta?client=quick"))))
    assert.are.equal("ResponseParseError", got.error)
    emu:faults { { mode = "drop", count = 3 } }
    got = fields((http_get(url("/meta?client=quick"))))
    assert.are.equal("ConnectionError", got.error)
    assert.are.equal("true", got.retryable)
    assert.are.equal("nil", got.status)
  end)

  it("streams a payload to a sink through cosockets", function()
    local got = fields((http_get(url("/stream"))))
    assert.are.equal("true", got.ok, got.error)
    assert.are.equal("12219", got.bytes)
    assert.are.equal("nil", got.payload)
  end)

  it("downloads a reference and its index through cosockets, parts side by side", function()
    local dir = helper.tmpdir()
    local body = http_get(url("/download?dir=" .. dir))
    local got = assert(helper.json.decode(body), body)
    assert.is_nil(got.err)
    assert.are.equal(2, got.parts)
    local plain = helper.client(emu)
    for file, path in pairs { SOURCE = dir .. "/demo-genome.fasta", INDEX = dir .. "/demo-genome.fasta.fai" } do
      assert.are.equal(path, got.files[file])
      local chunks = {}
      assert(plain:get_reference({ referenceStoreId = "1234567890", id = "9876543210", partNumber = 1, file = file },
        { sink = function(c) chunks[#chunks + 1] = c end }))
      assert.are.equal(table.concat(chunks), helper.read(path))
    end
  end)

  it("uploads a read set through cosockets, its parts read from the file", function()
    local plain = helper.client(emu)
    local store = assert(plain:create_sequence_store { name = "from-nginx" }).id
    local records = {}
    for i = 1, 30 do records[i] = ("@r%d\n%s\n+\n%s\n"):format(i, ("ACGT"):rep(25), ("I"):rep(100)) end
    local data = table.concat(records)
    local path = helper.tmpdir() .. "/reads.fastq"
    helper.write(path, data)
    local body = http_get(url(("/upload?store=%s&path=%s"):format(store, path)))
    local got = assert(helper.json.decode(body), body)
    assert.is_nil(got.err)
    assert.are.equal(math.ceil(#data / 1000), got.parts)
    emu:control("POST", "clock", { advance = 5 })
    local chunks = {}
    assert(plain:get_read_set({ sequenceStoreId = store, id = got.readSetId, partNumber = 1 },
      { sink = function(c) chunks[#chunks + 1] = c end }))
    assert.are.equal(data, table.concat(chunks))
    -- the wait for ACTIVE: the core's looks through cosockets, its waits in
    -- the client's sleep (1 s, 2 s), then the time out after wait_seconds
    local looks = emu:stats().by_operation.GetReadSetMetadata or 0
    body = http_get(url(("/upload?store=%s&path=%s&wait=1"):format(store, path)))
    got = assert(helper.json.decode(body), body)
    assert.are.equal("WaiterTimeout", got.code)
    assert.are.equal(("read set %s is still PROCESSING_UPLOAD after 3 s (opts.wait_seconds)"):format(got.readSetId),
                     got.err)
    assert.are.same({ 1, 2 }, got.slept)
    assert.are.equal(looks + 3, emu:stats().by_operation.GetReadSetMetadata)
  end)

  it("credential_process runs in init_worker, and through ngx.pipe (or refused) where blocking would stall the worker", function()
    local got = fields((http_get(url("/proc"))))
    assert.are.equal("demo-genome", got.call) -- the credentials init_worker fetched
    if got.pipe == "true" then -- (OpenResty: the command runs without blocking)
      assert.are.equal("made", got.new, got.message)
      assert.are.equal("demo-genome", got.call2)
      assert.are.equal("credential-process", got.provider)
    else -- (Debian's nginx module has no ngx.pipe)
      assert.are.equal("CredentialProcessRefused", got.new)
      assert.matches("credential_process would block an nginx worker serving requests %(the content phase%)", got.message)
    end
  end)

  it("a download cut off: a path sink starts over, a function sink is not fed twice", function()
    local dir = helper.tmpdir()
    emu:faults { { mode = "cut_answer", operation = "GetReference", count = 1 } }
    local got = fields((http_get(url("/stream?path=" .. dir .. "/ref"))))
    assert.are.equal("true", got.ok, got.message)
    assert.are.equal("12219", got.bytes)
    assert.are.equal("1", got.retries)
    helper.rmdir(dir)
    -- cut half way: the function has seen what arrived (as with libcurl,
    -- bytes go to the sink as they come), so it is not fed them twice
    emu:faults { { mode = "cut_answer", operation = "GetReference", count = 1 } }
    got = fields((http_get(url("/stream"))))
    assert.are.equal("false", got.ok)
    assert.truthy(got.message:find("not retried: part of the payload already went to the sink", 1, true), got.message)
    assert.is_true(tonumber(got.bytes) > 0 and tonumber(got.bytes) <= 6110, got.bytes)
    -- cut after 150000 of 300000 bytes: the function has seen some, so no retry
    got = fields((http_get(url("/stream?client=cut"))))
    assert.are.equal("false", got.ok)
    assert.are.equal("ConnectionError", got.error)
    assert.truthy(got.message:find("not retried: part of the payload already went to the sink", 1, true), got.message)
    assert.is_true(tonumber(got.bytes) > 0 and tonumber(got.bytes) <= 150000, got.bytes)
    -- a path sink starts over each time; cut every time, it leaves no file
    dir = helper.tmpdir()
    got = fields((http_get(url("/stream?client=cut&path=" .. dir .. "/cut"))))
    assert.are.equal("false", got.ok)
    assert.are.equal("ConnectionError", got.error)
    assert.are.equal("3", got.attempts)
    local p = io.popen("ls -A " .. helper.shq(dir))
    assert.are.equal("", p:read("a"))
    p:close()
    helper.rmdir(dir)
    emu:control("DELETE", "faults")
  end)

  it("bounds an answer by max_response_bytes: 100 MB of metadata, a 2 GiB 404, an endless chunked 500", function()
    emu:faults { { mode = "flood", status = 200, size = 100 * 1024 * 1024 } }
    local got = fields((http_get(url("/meta?client=bounded"))))
    assert.are.equal("ResponseTooLarge", got.error, got.message)
    assert.matches("max_response_bytes %(1000000%)", got.message)
    assert.are.equal("false", got.retryable)
    for _, fault in ipairs {
      { mode = "flood", status = 404, size = 2 * 1024 * 1024 * 1024, operation = "GetReference" },
      { mode = "flood", status = 500, chunked = true, operation = "GetReference" },
    } do
      emu:faults { fault }
      local body, code = http_get(url("/stream?client=bounded"))
      assert.are.equal(200, code, body) -- nil, err: never an error raised out of the call
      got = fields(body)
      assert.are.equal("ResponseTooLarge", got.error, got.message)
      assert.are.equal("0", got.bytes, "an error answer never reaches the sink")
    end
    got = fields((http_get(url("/meta?client=bounded"))))
    assert.are.equal("demo-genome", got.name, got.message)
  end)

  it("timeout bounds the whole attempt: a byte every 0.5 s does not keep a call alive", function()
    -- the part (12219 bytes) a byte every 0.5 s would take hours; timeout is 3 s
    emu:faults { { mode = "trickle", interval_ms = 500, operation = "GetReference" } }
    local t0 = socket.gettime()
    local got = fields((http_get(url("/stream?client=bounded"))))
    local took = socket.gettime() - t0
    assert.are.equal("TimeoutError", got.error, got.message)
    assert.matches("longer than timeout %(3 s%)", got.message)
    assert.is_true(took < 6, ("took %.1f s"):format(took))
  end)

  it("path sinks: the mode of a plain create, and refused for an operation without a payload", function()
    local d = helper.tmpdir()
    local got = fields((http_get(url(("/stream?path=%s/ref&plain=%s/plain"):format(d, d)))))
    assert.are.equal("true", got.ok, got.message)
    local p = io.popen(helper.sh(("stat -c %%a %s/ref %s/plain"):format(helper.shq(d), helper.shq(d))))
    local ref_mode, plain_mode = p:read("l"), p:read("l")
    p:close()
    assert.are.equal(plain_mode, ref_mode)
    helper.write(d .. "/meta.out", "keep me")
    got = fields((http_get(url("/metasink?path=" .. d .. "/meta.out"))))
    assert.are.equal("SinkError", got.error, got.message)
    assert.are.equal("keep me", helper.read(d .. "/meta.out"))
    helper.rmdir(d)
  end)

  it("a waiter sleeps with ngx.sleep: the worker serves other requests meanwhile", function()
    local job = '{"id":"1234567890","referenceStoreId":"1234567890","roleArn":"arn:aws:iam::1:role/r",' ..
                '"status":"IN_PROGRESS","creationTime":"2024-03-01T00:00:00Z"}'
    emu:faults { { operation = "GetReferenceImportJob", mode = "body", status = 200, body = job, count = 2,
                   headers = { ["Content-Type"] = "application/json" } } }
    local waiting = io.popen(helper.sh(("curl -s --noproxy '*' -m 30 %s"):format(helper.shq(url("/wait")))))
    os.execute(helper.sh("sleep 0.3"))
    local t0 = socket.gettime()
    local got = fields((http_get(url("/meta"))))
    local took = socket.gettime() - t0
    local waited = fields(waiting:read("a"))
    waiting:close()
    assert.are.equal("demo-genome", got.name, got.message)
    assert.are.equal("max_attempts", waited.reason)
    assert.is_true(tonumber(waited.seconds) >= 0.9, waited.seconds)
    -- (one worker: a blocking sleep would hold this request for the rest of the second)
    assert.is_true(took < 0.5, ("a request during the wait took %.2f s"):format(took))
  end)

  -- The fault matrix of faults_spec through nginx's cosockets: the same
  -- outcome as libcurl outside, code, retryable, attempts and log lines.
  it("the fault matrix gives the same outcome through cosockets as through libcurl", function()
    local retried = 0
    for _, faults in ipairs(helper.FAULT_MATRIX) do
      emu:faults(faults)
      local before = emu:stats().requests
      local body = http_get(url("/matrix"))
      local ngx_sent = emu:stats().requests - before
      local got = assert(helper.json.decode(body), body)
      local lines = {}
      local c = helper.client(emu, { max_response_bytes = 4096, sleep = function() end,
        log = function(level, message) if level ~= "debug" then lines[#lines + 1] = level .. " " .. message end end })
      emu:faults(faults)
      before = emu:stats().requests
      local res, err = c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
      local curl_sent = emu:stats().requests - before
      local what = helper.json.encode(faults)
      assert.are.equal(res ~= nil, got.ok, what)
      assert.are.equal(err and err.code or nil, got.code, what) -- (JSON null reads as nil)
      assert.are.equal(err and err.retryable or nil, got.retryable or nil, what)
      assert.are.equal(err and err.attempts or res.ResponseMetadata.RetryAttempts + 1, got.attempts, what)
      assert.are.equal(curl_sent, ngx_sent, what)
      assert.are.equal(helper.normal_log(lines), helper.normal_log(got.log), what)
      if #lines > 0 then retried = retried + 1 end
    end
    print(("nginx_spec: the fault matrix: %d faults, the same outcome through cosockets as libcurl")
      :format(#helper.FAULT_MATRIX))
    assert.is_true(retried >= 4, "the log lines were compared")
    emu:control("DELETE", "faults")
  end)

  it("events: the cosocket driver tells the same events as libcurl", function()
    local function scenario(run)
      emu:faults { { status = 429, code = "ThrottlingException", message = "slow", count = 1 } }
      local seen = run()
      emu:control("DELETE", "faults")
      return seen
    end
    local from_ngx = scenario(function()
      local body, code = http_get(url("/traced"))
      assert.are.equal(200, code, body)
      return helper.json.decode(body)
    end)
    local from_curl = scenario(function()
      local client = helper.client(emu, { max_backoff = 0.01 })
      local seen = {}
      for _, e in ipairs { "before_send", "after_attempt", "after_call" } do
        client:on(e, function(ev) seen[#seen + 1] = require("event_fields")(ev) end)
      end
      client:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
      client:get_reference_metadata { referenceStoreId = "1111111111", id = "9876543210" }
      client:get_reference_metadata { referenceStoreId = "12", id = "9876543210" }
      return seen
    end)
    assert.are.equal(9, #from_curl)
    assert.are.same(from_curl, from_ngx)
    assert.are.equal("[REDACTED]", from_ngx[1].authorization)
  end)

  it("events: calls and retries per operation in a shared dict, served as Prometheus text", function()
    emu:faults { { operation = "GetReferenceMetadata", status = 429, code = "ThrottlingException", count = 2 } }
    local outcomes = {}
    for _, q in ipairs { "", "", "?store=1111111111", "?op=stores" } do
      local body = http_get(url("/metered" .. q))
      outcomes[#outcomes + 1] = body:match("^(%S+)")
    end
    emu:control("DELETE", "faults")
    assert.are.same({ "ok", "ok", "ResourceNotFoundException", "ok" }, outcomes)
    local text, code = http_get(url("/metrics"))
    assert.are.equal(200, code)
    print("nginx_spec: /metrics\n" .. text)
    local without_seconds = text:gsub('(omics_call_seconds_total{operation="%a+"}) [%d.]+', "%1 S")
    assert.are.equal(table.concat({
      "# HELP omics_calls_total HealthOmics calls by operation and outcome.",
      "# TYPE omics_calls_total counter",
      'omics_calls_total{operation="GetReferenceMetadata",code="OK"} 2',
      'omics_calls_total{operation="GetReferenceMetadata",code="ResourceNotFoundException"} 1',
      'omics_calls_total{operation="ListReferenceStores",code="OK"} 1',
      "# HELP omics_retries_total Attempts after the first, by operation.",
      "# TYPE omics_retries_total counter",
      'omics_retries_total{operation="GetReferenceMetadata"} 2',
      "# HELP omics_call_seconds_total Time spent in calls, waits included.",
      "# TYPE omics_call_seconds_total counter",
      'omics_call_seconds_total{operation="GetReferenceMetadata"} S',
      'omics_call_seconds_total{operation="ListReferenceStores"} S',
      "",
    }, "\n"), without_seconds)
  end)

  it("goes through a proxy: http in absolute form, https through a CONNECT tunnel", function()
    local before = #proxy:requests()
    local got = fields((http_get(url("/meta?client=proxied"))))
    assert.are.equal("demo-genome", got.name, got.message)
    got = fields((http_get(url("/meta?client=tls_proxied"))))
    assert.are.equal("demo-genome", got.name, got.message)
    local seen = proxy:requests_since(before, 2)
    assert.are.equal(2, #seen, table.concat(seen, "\n"))
    assert.are.equal(("GET %s/referencestore/1234567890/reference/9876543210/metadata HTTP/1.1"):format(emu.url),
                     seen[1])
    assert.are.equal(("CONNECT 127.0.0.1:%d HTTP/1.1"):format(tls), seen[2])
  end)

  it("verifies TLS: the trusted CA and the host name", function()
    local got = fields((http_get(url("/meta?client=tls"))))
    assert.are.equal("demo-genome", got.name, got.message)
    got = fields((http_get(url("/meta?client=tls_wrong_name"))))
    assert.are.equal("TLSError", got.error)
    assert.are.equal("false", got.retryable)
    got = fields((http_get(url("/meta?client=tls_wrong_ca"))))
    assert.are.equal("TLSError", got.error)
  end)
end)

-- The README's nginx example, as it is written, in a real nginx: only the
-- paths, the port, and where the worker finds its endpoint and keys (in the
-- environment) change.
describe("the README's nginx example #nginx", function()
  if missing then
    it("needs nginx and the LuaJIT build", function() pending(missing) end)
    return
  end
  local emu, dir, port

  setup(function()
    emu = helper.emulator("--seed-demo")
    dir = helper.tmpdir()
    port = free_port()
    local block = helper.read(helper.root .. "/README.md"):match("```nginx\n(.-)```")
    assert(block, "README.md has no nginx example")
    block = block:gsub("/path/to/lua%-omics", helper.root):gsub("listen 8080;", "listen 127.0.0.1:" .. port .. ";")
    local head = table.concat({
      user_line(),
      "pid " .. dir .. "/nginx.pid;",
      "error_log " .. dir .. "/error.log info;",
      "env AWS_ENDPOINT_URL_OMICS; env AWS_ACCESS_KEY_ID; env AWS_SECRET_ACCESS_KEY;",
      "events { worker_connections 64; }",
    }, "\n")
    -- load_module must come first
    local modules, rest = block:match("^(.-\n)\n(http.*)$")
    helper.write(dir .. "/nginx.conf", modules .. head .. "\n" .. rest)
    start_nginx(dir, ("http://127.0.0.1:%d/reference?store=1234567890&id=9876543210"):format(port),
      ("AWS_ENDPOINT_URL_OMICS=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s "):format(
        emu.url, helper.AKID, helper.shq(helper.SECRET)))
  end)

  teardown(function()
    stop_nginx(dir)
    if proxy then proxy:stop() end
    if emu then emu:stop() end
    helper.rmdir(dir)
  end)

  it("answers a reference, and an error as its status", function()
    local body, code = http_get(("http://127.0.0.1:%d/reference?store=1234567890&id=9876543210"):format(port))
    assert.are.equal(200, code, body)
    assert.are.equal("demo-genome ACTIVE 12219\n", body)
    body, code = http_get(("http://127.0.0.1:%d/reference?store=1111111111&id=9876543210"):format(port))
    assert.are.equal(404, code)
    assert.matches("^ResourceNotFoundException: ", body)
  end)
end)
