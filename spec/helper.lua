-- Shared by the specs: where things are, a real emulator process per spec
-- file, its control API, and a way to run Lua in a child process with its own
-- environment (Lua cannot set environment variables of its own process).
local json = require "dkjson"
local http = require "socket.http"
local ltn12 = require "ltn12"

local helper = {}

helper.root = os.getenv("PWD") or "."
helper.cpath = os.getenv("OMICS_CPATH") or
  (helper.root .. (type(jit) == "table" and "/build/luajit/?.so" or "/build/lua5.4/?.so"))
-- (omics.core is <cpath dir>/omics/core.so; omics.lua is in the root)
helper.lua = os.getenv("OMICS_LUA") or "lua5.4"
-- the conformance data (spec/fixtures/README.md) and the committed model
helper.fixtures = helper.root .. "/spec/fixtures"
helper.model_dir = helper.root .. "/tools/model/2022-11-28"
helper.json = json

helper.AKID = "AKIDEXAMPLE"
helper.SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
helper.CREDS = { access_key_id = helper.AKID, secret_access_key = helper.SECRET }

helper.lpath = helper.root .. "/?.lua"
if not package.cpath:find(helper.cpath, 1, true) then
  package.cpath = helper.cpath .. ";" .. package.cpath
end
if not package.path:find(helper.lpath, 1, true) then
  package.path = helper.lpath .. ";" .. package.path
end

-- The Lua running the specs: LuaJIT (Lua 5.1, numbers are doubles) or 5.4.
helper.luajit = type(jit) == "table"

-- An integer as the module returns one: a Lua integer on 5.4; on LuaJIT,
-- where every number is a double, a number with an integral value.
function helper.is_integer(x)
  if helper.luajit then return type(x) == "number" and x % 1 == 0 end
  return math.type(x) == "integer"
end

-- Whether a shell command succeeded (os.execute says it differently on
-- Lua 5.1/LuaJIT and on 5.2+).
function helper.succeeded(cmd)
  local a, _, code = os.execute(cmd)
  if type(a) == "number" then return a == 0 end
  return a == true and (code == nil or code == 0)
end

function helper.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

function helper.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

function helper.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

function helper.shq(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Shell commands run without the sanitizer runtimes that may be preloaded
-- into this process (make sanitize): they are for the module, not for sh.
local function sh(cmd)
  return "LD_PRELOAD= " .. cmd
end
helper.sh = sh

function helper.tmpdir()
  local p = io.popen(sh("mktemp -d /tmp/lua-omics-spec.XXXXXX"))
  local dir = p:read("l")
  p:close()
  return dir
end

function helper.rmdir(dir)
  if dir and dir:match("^/tmp/lua%-omics%-spec%.") then
    os.execute(sh("rm -rf " .. helper.shq(dir)))
  end
end

-- A fixture's path; a missing fixture fails the spec that needs it (a
-- clone runs every conformance case, or says what is missing).
function helper.fixture(sub)
  local path = helper.fixtures .. "/" .. sub
  assert(helper.exists(path), path .. " is missing: the fixtures are part of the repository")
  return path
end

---------------------------------------------------------------- emulator

local Emulator = {}
Emulator.__index = Emulator

-- Start tools/emulator on a free port; args is a string of extra flags.
function helper.emulator(args)
  local dir = helper.tmpdir()
  local portfile = dir .. "/port"
  local cmd = sh(string.format(
    "cd %s && LD_PRELOAD= python3 tools/emulator/omics_emulator.py --port 0 --port-file %s %s " ..
    "> %s/log 2>&1 & echo $!",
    helper.shq(helper.root), helper.shq(portfile), args or "", dir))
  local p = io.popen(cmd)
  local pid = p:read("l")
  p:close()
  local port
  for _ = 1, 200 do
    local f = io.open(portfile, "r")
    if f then
      port = f:read("n")
      f:close()
      if port then break end
    end
    os.execute(sh("sleep 0.05"))
  end
  if not port then
    local log = helper.exists(dir .. "/log") and helper.read(dir .. "/log") or ""
    error("the emulator did not start: " .. log)
  end
  local self = setmetatable({ pid = pid, port = port, dir = dir,
                              url = "http://127.0.0.1:" .. port }, Emulator)
  return self
end

function Emulator:stop()
  if self.pid then
    os.execute(sh("kill " .. self.pid .. " 2>/dev/null"))
    self.pid = nil
  end
  helper.rmdir(self.dir)
end

-- A request to the control API; returns the decoded JSON answer and status.
function Emulator:control(method, path, body)
  local chunks = {}
  local source, headers
  if body ~= nil then
    -- (an empty Lua table would be written as [], which the API refuses)
    local text = type(body) == "string" and body or (next(body) == nil and "{}" or json.encode(body))
    source = ltn12.source.string(text)
    headers = { ["content-type"] = "application/json", ["content-length"] = #text }
  end
  local _, status = http.request {
    url = self.url .. "/_emulator/" .. path, method = method,
    source = source, headers = headers, sink = ltn12.sink.table(chunks),
  }
  local text = table.concat(chunks)
  return (text ~= "" and json.decode(text) or nil), status
end

function Emulator:reset() return self:control("POST", "reset", "{}") end
function Emulator:stats() return (self:control("GET", "stats")) end
function Emulator:faults(list) return self:control("POST", "faults", { faults = list }) end
function Emulator:requests(limit)
  local r = self:control("GET", "requests?limit=" .. (limit or 10))
  return r.requests
end

-- Start the Lua script at path in the background, with the sanitizers'
-- runtime when this process has it; its pid (a string of digits).
function helper.spawn_lua(path)
  local env = "LD_PRELOAD=" .. helper.shq(os.getenv("OMICS_PRELOAD") or "")
  for _, k in ipairs { "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS" } do
    if os.getenv(k) then env = env .. " " .. k .. "=" .. helper.shq(os.getenv(k)) end
  end
  local p = io.popen(("%s %s %s >/dev/null 2>&1 & echo $!"):format(env, helper.lua, helper.shq(path)))
  local pid = p:read("l")
  p:close()
  return pid:match("%d+")
end

-- FASTQ records of 100 bases (the emulator checks what it is given), n
-- bytes or a bit more; seed varies the bases.
function helper.fastq(n, seed)
  local out, size, i = {}, 0, 0
  local bases = { "A", "C", "G", "T" }
  local x = seed or 7
  while size < n do
    i = i + 1
    local seq = {}
    for k = 1, 100 do
      x = (x * 1103515245 + 12345) % 2147483648
      seq[k] = bases[x % 4 + 1]
    end
    local rec = ("@read%d\n%s\n+\n%s\n"):format(i, table.concat(seq), ("I"):rep(100))
    out[#out + 1] = rec
    size = size + #rec
  end
  return table.concat(out)
end

-- A real HTTP proxy on loopback (Debian's tinyproxy): tunnels (CONNECT) are
-- allowed to connect_ports; proxy:requests() is the request lines it logged.
local Proxy = {}
Proxy.__index = Proxy

-- A TCP port on loopback that nothing listens on (for a server to start).
function helper.free_port()
  local s = assert(require("socket").bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end
local free_port = helper.free_port

function helper.proxy(connect_ports)
  local dir = helper.tmpdir()
  local port = free_port()
  local lines = { "Port " .. port, "Listen 127.0.0.1", "Timeout 30", "MaxClients 50",
                  ('LogFile "%s/log"'):format(dir), "LogLevel Info", "Allow 127.0.0.1",
                  "DisableViaHeader Yes" }
  for _, p in ipairs(connect_ports or {}) do lines[#lines + 1] = "ConnectPort " .. p end
  helper.write(dir .. "/conf", table.concat(lines, "\n") .. "\n")
  local p = io.popen(sh(("tinyproxy -d -c %s >%s/out 2>&1 & echo $!"):format(helper.shq(dir .. "/conf"),
                                                                        helper.shq(dir))))
  local pid = p:read("l")
  p:close()
  for _ = 1, 100 do
    local c = require("socket").connect("127.0.0.1", port)
    if c then
      c:close()
      return setmetatable({ pid = pid, port = port, dir = dir, url = "http://127.0.0.1:" .. port }, Proxy)
    end
    os.execute(sh("sleep 0.05"))
  end
  error("tinyproxy did not start: " .. (helper.exists(dir .. "/out") and helper.read(dir .. "/out") or ""))
end

function Proxy:requests()
  local out = {}
  local text = helper.exists(self.dir .. "/log") and helper.read(self.dir .. "/log") or ""
  for line in text:gmatch("Request %(file descriptor %d+%): ([^\n]*)") do out[#out + 1] = line end
  return out
end

-- The requests logged after the first `since`, once there are `want` of them
-- (the proxy writes its log a moment after it forwards; two seconds at most).
function Proxy:requests_since(since, want)
  if want == 0 then os.execute(sh("sleep 0.3")) end -- (none expected: give a late one time to show)
  local all
  for _ = 1, 40 do
    all = self:requests()
    if #all - since >= want then break end
    os.execute(sh("sleep 0.05"))
  end
  return { table.unpack(all, since + 1) }
end

function Proxy:stop()
  os.execute(sh("kill " .. self.pid .. " 2>/dev/null"))
  helper.rmdir(self.dir)
end

-- A client for the emulator with the example credentials.
function helper.client(emu, opts)
  local omics = require "omics"
  local o = { region = "us-east-1", endpoint = emu.url, credentials = helper.CREDS }
  for k, v in pairs(opts or {}) do o[k] = v end
  return assert(omics.new(o))
end

-- A transport function written with LuaSocket: what a user with an HTTP
-- stack of their own passes as the transport option (the Lua driver loop).
function helper.luasocket(req)
  local http = require "socket.http"
  local ltn12 = require "ltn12"
  local out, headers = {}, {}
  for k, v in pairs(req.headers) do headers[k:lower()] = v end
  local _, status, rheaders = http.request {
    url = req.url, method = req.method, headers = headers,
    source = req.body and ltn12.source.string(req.body), sink = ltn12.sink.table(out),
  }
  if type(status) ~= "number" then return nil, status end
  return status, rheaders, table.concat(out)
end

-- The fault matrix every driver must agree on (faults_spec, nginx_spec):
-- lists of emulator faults, for a client with max_response_bytes = 4096.
helper.FAULT_MATRIX = {
  { { status = 429, code = "ThrottlingException", message = "slow", count = 2 } },
  { { status = 429, code = "ThrottlingException", message = "slow", count = 3 } },
  { { status = 503, code = "ServiceUnavailableException", count = 1 } },
  { { status = 400, code = "ValidationException", message = "bad" } },
  { { status = 404, code = "ResourceNotFoundException", message = "none" } },
  { { mode = "html", status = 502, count = 3 } },
  { { mode = "malformed" } },
  { { mode = "bad_utf8" } },
  { { mode = "oversize", size = 100000 } },
  { { mode = "drop", count = 3 } },
}

-- Log lines as the drivers must agree on them: the transport's own wording
-- of a ConnectionError and the random waits left out.
function helper.normal_log(lines)
  local out = {}
  for _, line in ipairs(lines) do
    out[#out + 1] = line:gsub("%(ConnectionError: [^)]*%)+", "(ConnectionError)"):gsub("%d+%.%d+ s", "N s")
  end
  return table.concat(out, "\n")
end

------------------------------------------------------------ child Lua

-- The sanitizers' runtime for a child that loads an instrumented
-- omics.core (make sanitize): NAME=value words for env, none otherwise.
function helper.preload_env()
  local words = {}
  local preload = os.getenv("OMICS_PRELOAD")
  if preload and preload ~= "" then
    words[1] = "LD_PRELOAD=" .. helper.shq(preload)
    for _, k in ipairs { "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS" } do
      if os.getenv(k) then words[#words + 1] = k .. "=" .. helper.shq(os.getenv(k)) end
    end
  end
  return words
end

-- Run a Lua chunk in a child process with exactly the environment given
-- (plus PATH), so that configuration can be read from the environment and
-- from files.  Returns what the chunk printed and its exit status.
function helper.run_lua(code, env)
  local dir = helper.tmpdir()
  local script = dir .. "/chunk.lua"
  helper.write(script, "package.cpath = " .. string.format("%q", helper.cpath) ..
    " .. ';' .. package.cpath\npackage.path = " .. string.format("%q", helper.lpath) ..
    " .. ';' .. package.path\n" .. code)
  local parts = { "LD_PRELOAD= env -i", "PATH=" .. helper.shq(os.getenv("PATH") or "/usr/bin:/bin") }
  for _, w in ipairs(helper.preload_env()) do parts[#parts + 1] = w end
  for k, v in pairs(env or {}) do
    parts[#parts + 1] = k .. "=" .. helper.shq(v)
  end
  parts[#parts + 1] = helper.lua .. " " .. helper.shq(script) .. " 2>&1"
  local p = io.popen(table.concat(parts, " "))
  local out = p:read("a")
  local ok, _, code_ = p:close()
  helper.rmdir(dir)
  return out, (ok and 0 or code_)
end

return helper
