-- The README's "OpenResty in production" nginx.conf, run as written (its
-- port and the module's path aside) against the emulator: credentials from
-- the container endpoint fetched once for all workers through the shared
-- dict, parts streamed to the HTTP client as they arrive, an error before
-- the first byte as its status, and a 256 MiB part to a slow reader with
-- the worker's memory flat.

local helper = require "helper"
local N = require "nginx_helper"

local PART = 256 * 1024 * 1024

-- the worker processes of the nginx whose pid file is in dir
local function workers(dir)
  local master = helper.read(dir .. "/nginx.pid"):match("%d+")
  local p = io.popen(helper.sh("pgrep -P " .. master))
  local pids = {}
  for pid in p:read("a"):gmatch("%d+") do pids[#pids + 1] = pid end
  p:close()
  return pids
end

-- a process's peak resident memory (VmHWM), in KiB
local function peak_kib(pid)
  local status = helper.read("/proc/" .. pid .. "/status")
  return tonumber(status:match("VmHWM:%s*(%d+)"))
end

-- a FASTQ file of exactly size bytes (the same record over and over)
local function fastq_of_size(path, size)
  local rec = "@r\n" .. ("ACGT"):rep(16) .. "\n+\n" .. ("I"):rep(64) .. "\n"
  local block = rec:rep(math.floor(1048576 / #rec))
  local f = assert(io.open(path, "wb"))
  local left = size
  while left >= #block do
    f:write(block)
    left = left - #block
  end
  local n = math.floor(left / #rec)
  f:write(rec:rep(n))
  left = left - n * #rec
  if left > 0 then -- one shorter record to make up the size
    local seq = math.floor((left - 6) / 2)
    f:write("@r\n", ("A"):rep(seq), "\n+\n", ("I"):rep(left - 6 - seq), "\n")
  end
  f:close()
end

describe("the README's production nginx.conf #nginx", function()
  if N.missing then
    it("needs nginx and the LuaJIT build", function() pending(N.missing) end)
    return
  end

  local emu, dir, base, store, readset

  setup(function()
    emu = helper.emulator("--seed-demo --part-size " .. PART)
    dir = helper.tmpdir()
    local port = helper.free_port()
    local block = helper.read(helper.root .. "/README.md")
      :match("```nginx\n(# nginx.conf: lua%-omics in production.-)```")
    assert(block, "README.md has no production nginx.conf")
    block = block:gsub("/path/to/lua%-omics", helper.root)
                 :gsub("listen 8080;", "listen 127.0.0.1:" .. port .. ";")
    helper.write(dir .. "/nginx.conf", block)
    base = "http://127.0.0.1:" .. port
    -- (pid file and error log in dir: given on the command line, not written into the file)
    local globals = ("pid %s/nginx.pid; %s"):format(dir, N.user_line())
    local env = ("AWS_REGION=us-east-1 AWS_ENDPOINT_URL_OMICS=%s AWS_CONTAINER_CREDENTIALS_FULL_URI=%s "):format(
      emu.url, emu.url .. "/container/v2/creds")
    local cmd = ("%s%s -p %s -c %s/nginx.conf -e %s/error.log -g %s"):format(env, N.NGINX, helper.shq(dir),
      dir, dir, helper.shq(globals))
    assert(helper.succeeded(helper.sh(cmd)), "nginx did not start: " ..
           (helper.exists(dir .. "/error.log") and helper.read(dir .. "/error.log") or ""))
    for _ = 1, 50 do
      local _, code = N.http_get(base .. "/references/1234567890/9876543210/1", 1)
      if code == 200 then break end
      os.execute(helper.sh("sleep 0.1"))
    end
  end)

  teardown(function()
    N.stop(dir)
    if emu then emu:stop() end
    helper.rmdir(dir)
  end)

  it("streams a reference's part, fetching the credentials once for every worker", function()
    local plain = helper.client(emu)
    local want = assert(plain:get_reference { referenceStoreId = "1234567890", id = "9876543210", partNumber = 1 })
    for _ = 1, 20 do
      local body, code = N.http_get(base .. "/references/1234567890/9876543210/1")
      assert.are.equal(200, code)
      assert.are.equal(want.payload, body)
    end
    assert.is_true(#workers(dir) >= 2, "worker_processes auto started one worker")
    assert.are.equal(1, emu:stats().by_operation.ContainerCredentials)
    -- the application's id went with the calls
    local ua
    for _, h in ipairs(emu:requests(1)[1].headers) do
      if h[1]:lower() == "user-agent" then ua = h[2] end
    end
    assert.matches(" app/genome%-gateway ngx_lua/", ua)
  end)

  it("turns an error before the first byte into its status", function()
    local body, code = N.http_get(base .. "/references/1111111111/9876543210/1")
    assert.are.equal(404, code)
    assert.matches("^ResourceNotFoundException: Reference store 1111111111", body)
    body, code = N.http_get(base .. "/references/1234567890/9876543210/7")
    assert.are.equal(416, code, body)
    assert.matches("^RangeNotSatisfiableException: ", body)
  end)

  it("a 256 MiB part to a slow reader: the worker's memory stays flat", function()
    local src = dir .. "/big.fastq"
    fastq_of_size(src, PART)
    -- (waits for ACTIVE on the emulator's job clock)
    local plain = helper.client(emu, { sleep = function(s) emu:control("POST", "clock", { advance = s }) end })
    store = store or assert(plain:create_sequence_store { name = "production" }).id
    local up = assert(plain:upload_read_set({ sequenceStoreId = store, sourceFileType = "FASTQ",
      subjectId = "s1", sampleId = "x1", name = "big", files = { SOURCE1 = src } }))
    readset = up.readSetId
    os.remove(src)
    -- one worker only: the same connection's worker serves the warm-up and the part
    local before = {}
    for _, pid in ipairs(workers(dir)) do before[pid] = peak_kib(pid) end
    local out = dir .. "/part"
    local p = io.popen(helper.sh(("curl -s --noproxy '*' -m 120 --limit-rate 64M -o %s -w '%%{http_code} %%{size_download} %%{time_total}' %s")
      :format(helper.shq(out), helper.shq(("%s/readsets/%s/%s/1"):format(base, store, readset)))))
    local code, size, seconds = p:read("a"):match("(%d+) (%d+) ([%d.]+)")
    p:close()
    assert.are.equal("200", code)
    assert.are.equal(PART, tonumber(size))
    local grew = 0
    for pid, was in pairs(before) do
      local now = peak_kib(pid)
      if now and now - was > grew then grew = now - was end
    end
    print(("nginx_production_spec: a %d MiB part to a reader at 64 MB/s in %.1f s; the worker's peak memory grew %.1f MiB")
      :format(math.floor(PART / 1048576), tonumber(seconds), grew / 1024))
    assert.is_true(grew < 32 * 1024, ("the worker's peak memory grew by %.1f MiB"):format(grew / 1024))
    os.remove(out)
  end)
end)
