-- `make bench`: every benchmark of lua-omics side by side, measured in the
-- same run on the same server, printed as one table with ratios.
--
--   lua5.4 bench/run.lua            (make bench builds what it needs first)
--
-- Environment: REPEAT (runs of each measurement, default 5; the table shows
-- medians), CALLS (calls per run, default 20000; boto3 makes a tenth),
-- MEMORY_CALLS (default 100000), PYTHON (default /usr/bin/python3: Debian's,
-- with python3-boto3), NGINX (default /usr/sbin/nginx), WRK_SECONDS (each
-- wrk run of section 5, default 3), CLI_RUNS (processes of section 6 per
-- run, default 50), AWS (the AWS CLI of section 6, default aws: left out
-- where it does not run).
--
-- The call server is a local nginx answering a fixed GetReferenceMetadata
-- (bench/nginx.conf.in); every client makes its calls over one kept-alive
-- connection.  Runs of the different clients are interleaved, so that a
-- noisy moment on this shared machine hits them all alike.
local socket = require "socket"

local REPEAT = tonumber(os.getenv("REPEAT") or "5")
local CALLS = tonumber(os.getenv("CALLS") or "20000")
local MEMORY_CALLS = tonumber(os.getenv("MEMORY_CALLS") or "100000")
local PYTHON = os.getenv("PYTHON") or "/usr/bin/python3"
local NGINX = os.getenv("NGINX") or "/usr/sbin/nginx"
local WRK_SECONDS = tonumber(os.getenv("WRK_SECONDS") or "3")
local OUT = "build/bench"
local CLI_RUNS = tonumber(os.getenv("CLI_RUNS") or "50")
local AWS = os.getenv("AWS") or "aws"

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local function shq(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- Run a benchmark command; its last line of key=value pairs as a table.
local function measure(cmd)
  local out, ok = sh(cmd)
  local line = out:match("([^\n]*=[^\n]*)\n?$")
  if not ok or not line then
    error("benchmark failed: " .. cmd .. "\n" .. out)
  end
  local r = {}
  for k, v in line:gmatch("([%w_]+)=(%S+)") do r[k] = tonumber(v) or v end
  return r
end

local function median(xs)
  local t = {}
  for i, x in ipairs(xs) do t[i] = x end
  table.sort(t)
  local n = #t
  if n % 2 == 1 then return t[(n + 1) // 2] end
  return (t[n // 2] + t[n // 2 + 1]) / 2
end

local function lua_cmd(lua, args)
  return ("LUA_PATH='./?.lua;;' LUA_CPATH='build/%s/?.so;;' %s bench/lua_bench.lua %s"):format(lua, lua, args)
end

-- Section 6: CLI_RUNS processes one after another, each making one
-- GetReferenceMetadata call (a fresh process: start-up plus one call), with
-- the shell's own timing of the whole loop; wall and CPU seconds.
local function cli_loop(cmd, env)
  local script = ("TIMEFORMAT='%%R %%U %%S'; time (for i in $(seq %d); do %s >/dev/null || exit 1; done)")
    :format(CLI_RUNS, cmd)
  local out, ok = sh(("env -i PATH=%s HOME=%s %s bash -c %s"):format(shq(os.getenv("PATH")),
    shq(env.HOME), env.vars, shq(script)))
  local wall, user, sys = out:match("([%d.]+) ([%d.]+) ([%d.]+)%s*$")
  if not ok or not wall then error("the command line loop failed: " .. cmd .. "\n" .. out) end
  return { runs = CLI_RUNS, wall = tonumber(wall), cpu = tonumber(user) + tonumber(sys) }
end

local function aws_version()
  local out, ok = sh(AWS .. " --version")
  return ok and out:match("^aws%-cli/([%d.]+)") or nil
end

------------------------------------------------------------------ the answer

-- A ListReferences answer of at least 1 MiB: the same few shapes of items
-- with varied values, every item with its two timestamps.
local function list_references()
  local items, size, i = {}, 0, 0
  local statuses = { "ACTIVE", "ACTIVE", "ACTIVE", "DELETING", "DELETED" }
  while size < 1024 * 1024 do
    i = i + 1
    local id = ("%010d"):format(1000000000 + i * 7919)
    local item = ('{"id":"%s","arn":"arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890/reference/%s",' ..
      '"referenceStoreId":"1234567890","md5":"%032x","status":"%s","name":"reference-%d",' ..
      '"description":"Assembly %d of the benchmark, with a description of some length",' ..
      '"creationTime":"2024-%02d-%02dT%02d:%02d:%02d.%03dZ","updateTime":"2025-%02d-%02dT%02d:%02d:%02dZ"}')
      :format(id, id, i * 2654435761 % 4294967296, statuses[i % 5 + 1], i, i,
              i % 12 + 1, i % 28 + 1, i % 24, i % 60, (i * 7) % 60, i % 1000,
              (i + 5) % 12 + 1, (i + 3) % 28 + 1, (i + 1) % 24, (i * 3) % 60, (i * 11) % 60)
    items[#items + 1] = item
    size = size + #item + 1
  end
  return '{"nextToken":"eyJvZmZzZXQiOjEwMDB9","references":[' .. table.concat(items, ",") .. "]}", i
end

------------------------------------------------------------------- nginx

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return port
end

-- Start an nginx in dir from the template bench/<name>.conf.in (its @PORT@,
-- @DIR@, @ROOT@, @USER@ and the extra fields filled in) on a free port;
-- the port, once it answers.
local function start_nginx(dir, name, extra)
  local port = free_port()
  local uid = sh("id -u"):match("%d+")
  local fields = { PORT = tostring(port), DIR = dir, ROOT = sh("pwd"):match("^(.-)%s*$"),
                   USER = uid == "0" and "user root;" or "" }
  for k, v in pairs(extra or {}) do fields[k] = tostring(v) end
  local conf = assert(io.open(("bench/%s.conf.in"):format(name))):read("a"):gsub("@(%u+)@", fields)
  write(("%s/%s.conf"):format(dir, name), conf)
  local out, ok = sh(("%s -p %s -c %s/%s.conf"):format(NGINX, shq(dir), shq(dir), name))
  if not ok then error(name .. ": nginx did not start: " .. out) end
  for _ = 1, 50 do
    local c = socket.connect("127.0.0.1", port)
    if c then
      c:close()
      return port
    end
    socket.sleep(0.1)
  end
  error(("%s: nginx does not answer on port %d"):format(name, port))
end

local function stop_nginx(dir, name)
  sh(("%s -p %s -c %s/%s.conf -s stop"):format(NGINX, shq(dir), shq(dir), name))
end

-- wrk against url: requests/s, and the count of answers that were not 2xx.
local function wrk(url)
  local out, ok = sh(("wrk -t1 -c20 -d%ds %s"):format(WRK_SECONDS, shq(url)))
  local rate = ok and tonumber(out:match("Requests/sec:%s*([%d.]+)"))
  if not rate then error("wrk failed: " .. out) end
  local bad = tonumber(out:match("Non%-2xx or 3xx responses:%s*(%d+)")) or 0
  if bad > 0 then error(("wrk: %d answers of %s were not 2xx"):format(bad, url)) end
  return { calls = rate, wall = 1 }
end

------------------------------------------------------------------- runs

-- The headers lua-omics sends for the benchmark's call, signed, as shell
-- words "Name: value" for the floor loop.
local function floor_headers(endpoint)
  package.path = "./?.lua;" .. package.path
  package.cpath = "build/lua5.4/?.so;" .. package.cpath
  local omics = require "omics"
  local c = assert(omics.new { region = "us-east-1", endpoint = endpoint, credentials = {
    access_key_id = "AKIDEXAMPLE", secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" } })
  local req = assert(c:prepare("GetReferenceMetadata", { referenceStoreId = "1234567890", id = "9876543210" }))
  assert(c:sign(req))
  local words = {}
  for name, value in pairs(req.headers) do
    if name:lower() ~= "host" then words[#words + 1] = shq(name .. ": " .. value) end
  end
  -- what each attempt adds to a call
  -- (a version 4 UUID of the same length as the client's)
  words[#words + 1] = shq("amz-sdk-invocation-id: 3f2b8c1e-9d4a-4e6b-a1c7-5e0f2d9b8a64")
  words[#words + 1] = shq("amz-sdk-request: attempt=1; max=3")
  table.sort(words)
  return table.concat(words, " ")
end

local function lscpu()
  local model = sh("grep -m1 'model name' /proc/cpuinfo"):match(":%s*(.-)%s*$") or "unknown CPU"
  local cores = sh("nproc"):match("%d+") or "?"
  local kernel = sh("uname -sr"):match("^(.-)%s*$")
  return ("%s, %s cores, %s"):format(model, cores, kernel)
end

local function main()
  os.execute("mkdir -p " .. OUT)
  local body, items = list_references()
  local list_file = OUT .. "/list_references.json"
  write(list_file, body)
  local dir = sh("mktemp -d"):match("^(.-)%s*$")
  local ok, err = pcall(function()
    local port = start_nginx(dir, "nginx")
    local endpoint = "http://127.0.0.1:" .. port
    -- the floor's request: prepared and signed once, by lua-omics itself
    local headers = floor_headers(endpoint)

    local runs = {}
    local function add(key, r)
      runs[key] = runs[key] or {}
      table.insert(runs[key], r)
    end
    local py_calls = math.max(200, CALLS // 10)
    -- section 6: the omics command (bin/omics) and the AWS CLI, a process a call
    local home = dir .. "/home"
    os.execute("mkdir -p " .. shq(home))
    local cli_env = { HOME = home, vars = table.concat({
      "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
      "AWS_DISABLE_HOST_PREFIX_INJECTION=true", "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1",
      "LUA_PATH=" .. shq(sh("pwd"):match("^(.-)%s*$") .. "/?.lua;;"),
    }, " ") }
    local cli_args = ("get-reference-metadata --reference-store-id 1234567890 --id 9876543210 --endpoint-url %s")
      :format(endpoint)
    local aws = aws_version()
    local root = sh("pwd"):match("^(.-)%s*$")
    io.stderr:write(("bench: %d rounds; calls against %s\n"):format(REPEAT, endpoint))
    for round = 1, REPEAT do
      io.stderr:write(("bench: round %d of %d\n"):format(round, REPEAT))
      add("floor", measure(("%s/floor %s/referencestore/1234567890/reference/9876543210/metadata %d %s")
        :format(OUT, endpoint, CALLS, headers)))
      add("floorparse", measure(("FLOOR_PARSE=1 %s/floor %s/referencestore/1234567890/reference/9876543210/metadata %d %s")
        :format(OUT, endpoint, CALLS, headers)))
      add("calls54", measure(lua_cmd("lua5.4", ("calls %s %d"):format(endpoint, CALLS))))
      add("callsjit", measure(lua_cmd("luajit", ("calls %s %d"):format(endpoint, CALLS))))
      add("boto3", measure(("%s bench/py_bench.py calls %s %d"):format(PYTHON, endpoint, py_calls)))
      add("sign_c", measure(("%s/sign_c %d"):format(OUT, 200000)))
      add("sign54", measure(lua_cmd("lua5.4", "sign 100000")))
      add("signjit", measure(lua_cmd("luajit", "sign 100000")))
      add("botosign", measure(("%s bench/py_bench.py sign %d"):format(PYTHON, 20000)))
      add("parse54", measure(lua_cmd("lua5.4", "parse " .. list_file .. " 20")))
      add("parsejit", measure(lua_cmd("luajit", "parse " .. list_file .. " 20")))
      add("cjson", measure(lua_cmd("lua5.4", "cjson " .. list_file .. " 20")))
      add("botoparse", measure(("%s bench/py_bench.py parse %s 3"):format(PYTHON, list_file)))
      add("cli54", cli_loop(("LUA_CPATH=%s lua5.4 %s/bin/omics %s"):format(shq(root .. "/build/lua5.4/?.so;;"), root,
        cli_args), cli_env))
      add("clijit", cli_loop(("LUA_CPATH=%s luajit %s/bin/omics %s"):format(shq(root .. "/build/luajit/?.so;;"), root,
        cli_args), cli_env))
      if aws then add("awscli", cli_loop(AWS .. " omics " .. cli_args, cli_env)) end
    end
    io.stderr:write("bench: nginx (wrk)\n")
    local front_dir = dir .. "/front"
    os.execute("mkdir -p " .. shq(front_dir))
    -- the front nginx of section 5, in front of the canned server
    local front = start_nginx(front_dir, "nginx_front", { UPSTREAM = port })
    local ok_front, ferr = pcall(function()
      local body = sh(("curl -s http://127.0.0.1:%d/omics"):format(front))
      if not body:match("^GRCh38") then error("the front nginx's /omics answered: " .. body) end
      local base = "http://127.0.0.1:" .. front
      for _ = 1, REPEAT do
        add("proxy", wrk(base .. "/referencestore/1234567890/reference/9876543210/metadata"))
        add("capture", wrk(base .. "/capture"))
        add("cosocket", wrk(base .. "/omics"))
      end
    end)
    stop_nginx(front_dir, "nginx_front")
    if not ok_front then error(ferr) end
    io.stderr:write("bench: memory\n")
    local mem54 = measure(lua_cmd("lua5.4", ("memory %s %d"):format(endpoint, MEMORY_CALLS)))
    local memjit = measure(lua_cmd("luajit", ("memory %s %d"):format(endpoint, MEMORY_CALLS)))

    -- medians of the per-unit figures
    local function per(key, count_field, what)
      local xs = {}
      for i, r in ipairs(runs[key]) do xs[i] = r[what] / r[count_field] end
      return median(xs)
    end
    local function rate(key, count_field)
      local xs = {}
      for i, r in ipairs(runs[key]) do xs[i] = r[count_field] / r.wall end
      return median(xs)
    end

    local lines = {}
    local function out(s) lines[#lines + 1] = s end
    out(("lua-omics benchmarks, %s (%s)"):format(os.date("!%Y-%m-%d %H:%M UTC"), lscpu()))
    out(("medians of %d runs, interleaved; ratios are against the row marked 1.00"):format(REPEAT))
    out("")
    out(("1. Calls: GetReferenceMetadata from a local nginx (canned %d-byte answer), one kept-alive connection"):format(
      #assert(io.open("bench/nginx.conf.in")):read("a"):match("return 200 '(.-)';")))
    out(("   %-34s %10s %8s %14s %8s"):format("client", "calls/s", "ratio", "CPU us/call", "ratio"))
    local floor_rate, floor_cpu = rate("floor", "calls"), per("floor", "calls", "cpu")
    local results = {}
    for _, row in ipairs {
      { "floor", "raw libcurl loop (floor)" },
      { "floorparse", "raw libcurl loop + cJSON_Parse" },
      { "calls54", "lua-omics, Lua 5.4" },
      { "callsjit", "lua-omics, LuaJIT" },
      { "boto3", "boto3 " .. (sh(PYTHON .. " -c 'import boto3; print(boto3.__version__)'"):match("[%d.]+") or "") },
    } do
      local r, c = rate(row[1], "calls"), per(row[1], "calls", "cpu")
      results[row[1]] = { rate = r / floor_rate, cpu = c / floor_cpu }
      out(("   %-34s %10.0f %8.2f %14.1f %8.2f"):format(row[2], r, r / floor_rate, c * 1e6, c / floor_cpu))
    end
    out("")
    out("2. Signing: the benchmark's GetReferenceMetadata request, signing key cached")
    out(("   %-34s %10s %14s %8s"):format("signer", "sigs/s", "us/signature", "speedup"))
    local boto_sig = per("botosign", "signatures", "cpu")
    for _, row in ipairs {
      { "sign_c", "omics_sign, C" },
      { "sign54", "omics.sigv4.sign, Lua 5.4" },
      { "signjit", "omics.sigv4.sign, LuaJIT" },
      { "botosign", "botocore SigV4Auth.add_auth" },
    } do
      local c = per(row[1], "signatures", "cpu")
      results[row[1]] = { us = c * 1e6, speedup = boto_sig / c }
      out(("   %-34s %10.0f %14.2f %8.1f"):format(row[2], 1 / c, c * 1e6, boto_sig / c))
    end
    out("")
    out(("3. Parsing: a %d-byte ListReferences answer (%d references, 2 timestamps each)"):format(#body, items))
    out(("   %-34s %10s %10s %8s"):format("parser", "ms/parse", "MB/s", "ratio"))
    local cjson_ms = per("cjson", "parses", "cpu")
    for _, row in ipairs {
      { "cjson", "lua-cjson decode (no timestamps)" },
      { "parse54", "client:parse, Lua 5.4" },
      { "parsejit", "client:parse, LuaJIT" },
      { "botoparse", "botocore rest-json parser" },
    } do
      local c = per(row[1], "parses", "cpu")
      results[row[1]] = { ratio = cjson_ms / c }
      out(("   %-34s %10.2f %10.1f %8.2f"):format(row[2], c * 1e3, #body / c / 1048576, cjson_ms / c))
    end
    out("")
    out(("4. Memory: resident size (kB) of one process and one client"):format())
    out(("   %-34s %10s %12s %16s %8s"):format("runtime", "client", "+1000 calls", ("+%d calls"):format(MEMORY_CALLS), "growth"))
    for _, row in ipairs { { mem54, "Lua 5.4" }, { memjit, "LuaJIT" } } do
      local m = row[1]
      out(("   %-34s %10d %12d %16d %8d"):format(row[2], m.rss_client_kb, m.rss_warm_kb, m.rss_after_kb,
        m.rss_after_kb - m.rss_warm_kb))
    end
    out("")
    out(("5. nginx: one worker, wrk with 20 connections for %d s, in front of the canned server"):format(WRK_SECONDS))
    out(("   %-52s %10s %8s"):format("location", "requests/s", "ratio"))
    local proxy_rate = rate("proxy", "calls")
    for _, row in ipairs {
      { "proxy", "proxy_pass (nginx alone)" },
      { "capture", "ngx.location.capture + cjson.decode, unsigned" },
      { "cosocket", "get_reference_metadata through cosockets" },
    } do
      local r = rate(row[1], "calls")
      results[row[1]] = { ratio = r / proxy_rate }
      out(("   %-52s %10.0f %8.2f"):format(row[2], r, r / proxy_rate))
    end
    out("")
    out(("6. The command line: %d processes one after another, each one GetReferenceMetadata (start-up plus a call)")
      :format(CLI_RUNS))
    out(("   %-34s %10s %8s %14s %8s"):format("command", "ms/cmd", "ratio", "CPU ms/cmd", "ratio"))
    local cli_rows = { { "cli54", "omics (bin/omics), Lua 5.4" }, { "clijit", "omics (bin/omics), LuaJIT" } }
    if aws then cli_rows[#cli_rows + 1] = { "awscli", "aws omics (AWS CLI " .. aws .. ")" } end
    local base_wall, base_cpu = per("cli54", "runs", "wall"), per("cli54", "runs", "cpu")
    for _, row in ipairs(cli_rows) do
      local w, c = per(row[1], "runs", "wall"), per(row[1], "runs", "cpu")
      results[row[1]] = { ms = w * 1e3, cpu_ms = c * 1e3 }
      out(("   %-34s %10.1f %8.2f %14.1f %8.2f"):format(row[2], w * 1e3, w / base_wall, c * 1e3, c / base_cpu))
    end
    if not aws then out("   (the AWS CLI is not on this machine: its row is left out)") end
    out("")
    out("Targets")
    local function target(label, value, goal, fmt, met)
      out(("   %-52s " .. fmt .. "  (target %s)  %s"):format(label, value, goal, met and "met" or "NOT MET"))
    end
    for _, k in ipairs { { "calls54", "Lua 5.4" }, { "callsjit", "LuaJIT" } } do
      local r = results[k[1]]
      target("calls/s vs the floor, " .. k[2], r.rate, ">= 0.90", "%5.2f", r.rate >= 0.90)
      target("CPU per call vs the floor, " .. k[2], r.cpu, "<= 1.25", "%5.2f", r.cpu <= 1.25)
    end
    target("C signature, us", results.sign_c.us, "<= 2", "%5.2f", results.sign_c.us <= 2)
    target("C signature vs botocore, times faster", results.sign_c.speedup, ">= 30", "%5.0f",
           results.sign_c.speedup >= 30)
    for _, k in ipairs { { "parse54", "Lua 5.4" }, { "parsejit", "LuaJIT" } } do
      target("parse throughput vs lua-cjson, " .. k[2], results[k[1]].ratio, ">= 0.75", "%5.2f",
             results[k[1]].ratio >= 0.75)
    end
    target("nginx: cosockets vs proxy_pass", results.cosocket.ratio, ">= 0.60", "%5.2f",
           results.cosocket.ratio >= 0.60)
    target("omics command: start-up plus one call, ms, Lua 5.4", results.cli54.ms, "<= 25", "%5.1f",
           results.cli54.ms <= 25)
    if aws then
      local speedup = results.awscli.ms / results.cli54.ms
      target("omics command vs the AWS CLI, times faster", speedup, ">= 15", "%5.1f", speedup >= 15)
    end
    for _, m in ipairs { { mem54, "Lua 5.4" }, { memjit, "LuaJIT" } } do
      local growth = m[1].rss_after_kb - m[1].rss_warm_kb
      target(("memory growth over %d calls, kB, %s"):format(MEMORY_CALLS, m[2]), growth, "none (< 256)", "%5d",
             growth < 256)
    end
    print(table.concat(lines, "\n"))
  end)
  stop_nginx(dir, "nginx")
  os.execute("rm -rf " .. shq(dir))
  if not ok then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
end

main()
