-- `make bench-transfer`: whole read sets moved through the project's
-- emulator, side by side in one run: lua-omics (download_read_set and
-- upload_read_set), boto3 doing the same part calls on 10 threads (what
-- amazon-omics-tools does by default; Debian's python3-boto3 with the
-- committed model), and as the floor of downloads, curl --parallel fetching
-- the same parts with requests pre-signed by lua-omics.
--
--   lua5.4 bench/transfer.lua     (make bench-transfer builds what it needs)
--
-- Environment: SIZE_MB (each of the two FASTQ files, default 512),
-- PYTHON (default /usr/bin/python3), CONCURRENCY (lua-omics and curl, 8).
-- CPU is each client process's user + system seconds (the shell's `times`).
local socket = require "socket"

local SIZE = tonumber(os.getenv("SIZE_MB") or "512") * 1048576
local PYTHON = os.getenv("PYTHON") or "/usr/bin/python3"
local CONCURRENCY = tonumber(os.getenv("CONCURRENCY") or "8")
local PART = 16 * 1048576
local ROOT = io.popen("pwd"):read("l")
local AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  return out, p:close()
end

-- Run cmd; its last line's key=value pairs, plus its children's CPU seconds.
-- Each run starts with nothing left to write back (sync): the files an
-- earlier client left in the page cache are not written during this one.
local function measure(cmd)
  sh("sync")
  local t0 = socket.gettime()
  local out, ok = sh(("sh -c %s"):format(shq(cmd .. "; times")))
  local elapsed = socket.gettime() - t0
  local u1, u2, s1, s2 = out:match("\n(%d+)m([%d.]+)s (%d+)m([%d.]+)s%s*$")
  local line = out:match("([^\n]*bytes=[^\n]*)\n")
  if not ok or not line or not u1 then error("failed: " .. cmd .. "\n" .. out) end
  local r = {}
  for k, v in line:gmatch("([%w_]+)=(%S+)") do r[k] = k ~= "id" and tonumber(v) or v end
  r.cpu = tonumber(u1) * 60 + tonumber(u2) + tonumber(s1) * 60 + tonumber(s2)
  if r.wall == 0 then r.wall = elapsed end -- (curl says nothing of its own time)
  return r
end

local function fastq_file(path, size, seed)
  local f = assert(io.open(path, "wb"))
  local recs, x = {}, seed
  for i = 1, 500 do
    local seq = {}
    for k = 1, 100 do
      x = (x * 1103515245 + 12345) % 2147483648
      seq[k] = ("ACGT"):sub(x % 4 + 1, x % 4 + 1)
    end
    recs[i] = ("@r%d\n%s\n+\n%s\n"):format(i, table.concat(seq), ("I"):rep(100))
  end
  local block, written = table.concat(recs), 0
  while written + #block <= size do
    f:write(block)
    written = written + #block
  end
  f:close()
  return written
end

local function start_emulator(dir)
  local portfile = dir .. "/port"
  local pid = sh(("cd %s && python3 tools/emulator/omics_emulator.py --port 0 --port-file %s " ..
                  "--part-size %d > %s/emulator.log 2>&1 & echo $!"):format(shq(ROOT), shq(portfile), PART, shq(dir)))
  for _ = 1, 100 do
    local f = io.open(portfile)
    local port = f and f:read("n")
    if f then f:close() end
    if port then return "http://127.0.0.1:" .. port, pid:match("%d+") end
    socket.sleep(0.05)
  end
  error("the emulator did not start")
end

local function lua_client_cmd(script)
  return ("LUA_PATH=%s LUA_CPATH=%s lua5.4 %s"):format(shq(ROOT .. "/?.lua;;"),
    shq(ROOT .. "/build/lua5.4/?.so;;"), shq(script))
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function main()
  local dir = sh("mktemp -d"):match("^(.-)%s*$")
  local endpoint, emu_pid
  local ok, err = pcall(function()
    io.stderr:write("bench-transfer: writing the files\n")
    local f1, f2 = dir .. "/reads_1.fastq", dir .. "/reads_2.fastq"
    local total = fastq_file(f1, SIZE, 7) + fastq_file(f2, SIZE, 11)
    endpoint, emu_pid = start_emulator(dir)
    package.path = ROOT .. "/?.lua;" .. package.path
    package.cpath = ROOT .. "/build/lua5.4/?.so;" .. package.cpath
    local omics = require "omics"
    local client = assert(omics.new { region = "us-east-1", endpoint = endpoint,
                                      credentials = { access_key_id = AKID, secret_access_key = SECRET } })
    local store = assert(client:create_sequence_store { name = "bench" }).id
    local rows = {}

    io.stderr:write("bench-transfer: uploads\n")
    -- the start of both lua-omics scripts: a client, and the process's peak
    -- resident memory (VmHWM) for the result line
    local prelude = ([[
      local omics = require "omics"
      local c = assert(omics.new { region = "us-east-1", endpoint = %q,
        credentials = { access_key_id = %q, secret_access_key = %q } })
      local function peak_kb()
        local f = assert(io.open("/proc/self/status"))
        local kb = tonumber(f:read("a"):match("VmHWM:%%s*(%%d+)"))
        f:close()
        return kb
      end
    ]]):format(endpoint, AKID, SECRET)
    write(dir .. "/up.lua", prelude .. ([[
      local r = assert(c:upload_read_set({ sequenceStoreId = %q, sourceFileType = "FASTQ", subjectId = "s",
        sampleId = "x", name = "lua", files = { SOURCE1 = %q, SOURCE2 = %q } },
        { part_size = %d, concurrency = %d, wait = false }))
      print(("bytes=%%d parts=%%d wall=%%f peak_kb=%%d id=%%s"):format(r.bytes, r.parts, r.seconds,
        peak_kb(), r.readSetId))
    ]]):format(store, f1, f2, PART, CONCURRENCY))
    rows.up_lua = measure(lua_client_cmd(dir .. "/up.lua"))
    local botodata = dir .. "/botodata"
    sh(("mkdir -p %s && ln -s %s %s/omics"):format(shq(botodata), shq(ROOT .. "/tools/model"), shq(botodata)))
    local py = ("AWS_DATA_PATH=%s %s %s/bench/py_transfer.py"):format(shq(botodata), PYTHON, shq(ROOT))
    rows.up_boto = measure(("%s upload %s %s %s %s"):format(py, endpoint, store, shq(f1), shq(f2)))
    sh(("curl -s -X POST %s/_emulator/clock -d '{\"advance\": 60}'"):format(endpoint))
    local id = rows.up_lua.id

    io.stderr:write("bench-transfer: downloads\n")
    -- the floor: curl --parallel, requests pre-signed by lua-omics
    local meta = assert(client:get_read_set_metadata { sequenceStoreId = store, id = id })
    local conf, nparts = {}, 0
    sh("mkdir -p " .. shq(dir .. "/curl"))
    for name, info in pairs(meta.files) do
      for k = 1, info.totalParts do
        local req = assert(client:prepare("GetReadSet", { sequenceStoreId = store, id = id,
                                                          file = name:upper(), partNumber = k }))
        assert(client:sign(req))
        nparts = nparts + 1
        if nparts > 1 then conf[#conf + 1] = "next" end
        conf[#conf + 1] = ("url = %q"):format(req.url)
        conf[#conf + 1] = ("output = %q"):format(("%s/curl/%s.%d"):format(dir, name, k))
        for h, v in pairs(req.headers) do
          if h:lower() ~= "host" then conf[#conf + 1] = ("header = %q"):format(h .. ": " .. v) end
        end
      end
    end
    write(dir .. "/curl.conf", table.concat(conf, "\n") .. "\n")
    rows.down_floor = measure(("curl -s -f --parallel --parallel-max %d -K %s && echo bytes=%d parts=%d wall=0")
      :format(CONCURRENCY, shq(dir .. "/curl.conf"), total, nparts))
    sh("rm -rf " .. shq(dir .. "/curl"))
    write(dir .. "/down.lua", prelude .. ([[
      os.execute("rm -rf %s && mkdir -p %s")
      local r = assert(c:download_read_set({ sequenceStoreId = %q, id = %q }, { to = %q, concurrency = %d }))
      print(("bytes=%%d parts=%%d wall=%%f peak_kb=%%d"):format(r.bytes, r.parts, r.seconds, peak_kb()))
    ]]):format(dir .. "/lua", dir .. "/lua", store, id, dir .. "/lua", CONCURRENCY))
    rows.down_lua = measure(lua_client_cmd(dir .. "/down.lua"))
    sh("rm -rf " .. shq(dir .. "/lua"))
    sh("mkdir -p " .. shq(dir .. "/boto"))
    rows.down_boto = measure(("%s download %s %s %s %s"):format(py, endpoint, store, id, shq(dir .. "/boto")))

    -- the wall time of each run, measured around the whole process for the floor
    local gib = total / 1073741824
    local function rate(r) return r.bytes / r.wall / 1048576 end
    local out = {}
    local function line(s) out[#out + 1] = s end
    line(("lua-omics transfers, %s: a paired FASTQ read set, 2 x %d MiB, parts of 16 MiB, through the emulator")
      :format(os.date("!%Y-%m-%d %H:%M UTC"), SIZE // 1048576))
    line(("   %-40s %8s %8s %12s %12s"):format("client", "wall s", "MB/s", "CPU s/GiB", "peak MiB"))
    for _, k in ipairs { { "down_floor", "download: curl --parallel (floor)" },
                         { "down_lua", ("download: lua-omics (%d at once)"):format(CONCURRENCY) },
                         { "down_boto", "download: boto3 (10 threads)" },
                         { "up_lua", ("upload: lua-omics (%d at once)"):format(CONCURRENCY) },
                         { "up_boto", "upload: boto3 (10 threads)" } } do
      local r = rows[k[1]]
      -- (peak resident memory of the lua-omics process itself, VmHWM)
      line(("   %-40s %8.2f %8.0f %12.2f %12s"):format(k[2], r.wall, r.wall > 0 and rate(r) or 0, r.cpu / gib,
        r.peak_kb and ("%.1f"):format(r.peak_kb / 1024) or "-"))
    end
    line("")
    line("Targets")
    local function target(label, value, goal, met)
      line(("   %-52s %6.2f  (target %s)  %s"):format(label, value, goal, met and "met" or "NOT MET"))
    end
    local floor_rate = rate(rows.down_floor)
    target("download throughput vs curl --parallel", rate(rows.down_lua) / floor_rate, ">= 0.90",
           rate(rows.down_lua) / floor_rate >= 0.9)
    for _, d in ipairs { { "down", "download" }, { "up", "upload" } } do
      local l, b = rows[d[1] .. "_lua"], rows[d[1] .. "_boto"]
      target(d[2] .. ": client CPU vs boto3", l.cpu / b.cpu, "<= 0.25", l.cpu / b.cpu <= 0.25)
      target(d[2] .. ": wall time vs boto3", l.wall / b.wall, "<= 0.50", l.wall / b.wall <= 0.5)
    end
    print(table.concat(out, "\n"))
  end)
  if emu_pid then sh("kill " .. emu_pid) end
  sh("rm -rf " .. shq(dir))
  if not ok then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
end

main()
