-- The Lua side of `make bench` (bench/run.lua runs it, under lua5.4 and
-- luajit).  One measurement per run, printed as one line of key=value pairs:
--
--   lua_bench.lua calls ENDPOINT N    N get_reference_metadata calls, one client,
--                                     one kept-alive connection
--   lua_bench.lua sign N              N signatures through omics.sigv4.sign
--   lua_bench.lua parse FILE N        the ListReferences answer in FILE parsed N
--                                     times into Lua tables (client:parse)
--   lua_bench.lua cjson FILE N        the same bytes decoded N times by lua-cjson
--   lua_bench.lua memory ENDPOINT N   resident memory after require and a client,
--                                     after 1,000 calls, and after N more
--
-- wall is elapsed seconds; cpu is the process's user + system seconds
-- (os.clock is clock(3), which counts both).
local omics = require "omics"

local CREDS = { access_key_id = "AKIDEXAMPLE", secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }
local PARAMS = { referenceStoreId = "1234567890", id = "9876543210" }

local function client(endpoint)
  return assert(omics.new { region = "us-east-1", endpoint = endpoint or "http://127.0.0.1:1",
                            credentials = CREDS })
end

local function timed(n, fn)
  collectgarbage()
  local w0, c0 = omics.now(), os.clock()
  fn(n)
  return omics.now() - w0, os.clock() - c0
end

local function rss_kb()
  local f = assert(io.open("/proc/self/status"))
  local text = f:read("a")
  f:close()
  return tonumber(text:match("VmRSS:%s*(%d+)"))
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local mode = arg[1]

if mode == "calls" then
  local c, n = client(arg[2]), assert(tonumber(arg[3]))
  assert(c:get_reference_metadata(PARAMS)) -- connect, warm up
  local wall, cpu = timed(n, function(k)
    for _ = 1, k do
      local res, err = c:get_reference_metadata(PARAMS)
      if not res then error(tostring(err)) end
    end
  end)
  print(("calls=%d wall=%.6f cpu=%.6f"):format(n, wall, cpu))

elseif mode == "sign" then
  local n = assert(tonumber(arg[2]))
  local req = {
    method = "GET", path = "/referencestore/1234567890/reference/9876543210/metadata", query = "",
    headers = { { "Host", "127.0.0.1:8080" }, { "User-Agent", "lua-omics/0.1.0" } },
    region = "us-east-1", service = "omics", credentials = CREDS, time = 1764374400,
  }
  assert(omics.sigv4.sign(req))
  local wall, cpu = timed(n, function(k)
    for i = 1, k do
      req.time = 1764374400 + 1 + i % 80000
      local r, err = omics.sigv4.sign(req)
      if not r then error(tostring(err)) end
    end
  end)
  print(("signatures=%d wall=%.6f cpu=%.6f"):format(n, wall, cpu))

elseif mode == "parse" then
  local body, n = read_file(arg[2]), assert(tonumber(arg[3]))
  local c = client()
  local answer = { status = 200, headers = { ["content-type"] = "application/json" }, body = body }
  local first = assert(c:parse("ListReferences", answer))
  assert(type(first.references[1].creationTime) == "number", "timestamps are converted")
  local wall, cpu = timed(n, function(k)
    for _ = 1, k do
      local res, err = c:parse("ListReferences", answer)
      if not res then error(tostring(err)) end
    end
  end)
  print(("parses=%d bytes=%d wall=%.6f cpu=%.6f"):format(n, #body, wall, cpu))

elseif mode == "cjson" then
  local body, n = read_file(arg[2]), assert(tonumber(arg[3]))
  local cjson = require "cjson"
  assert(#cjson.decode(body).references > 0)
  local wall, cpu = timed(n, function(k)
    for _ = 1, k do cjson.decode(body) end
  end)
  print(("parses=%d bytes=%d wall=%.6f cpu=%.6f"):format(n, #body, wall, cpu))

elseif mode == "memory" then
  local n = assert(tonumber(arg[3]))
  local c = client(arg[2])
  collectgarbage()
  local at_client = rss_kb()
  for _ = 1, 1000 do assert(c:get_reference_metadata(PARAMS)) end
  collectgarbage()
  local warm = rss_kb()
  for _ = 1, n do
    local res, err = c:get_reference_metadata(PARAMS)
    if not res then error(tostring(err)) end
  end
  collectgarbage()
  print(("rss_client_kb=%d rss_warm_kb=%d rss_after_kb=%d calls=%d"):format(at_client, warm, rss_kb(), n))

else
  io.stderr:write("usage: lua_bench.lua calls|sign|parse|cjson|memory ...\n")
  os.exit(2)
end
