-- Whole files: client:download_read_set and client:download_reference
-- against the emulator (parts of 4 KiB): every file of a read set or a
-- reference part by part, byte for byte, named by its type; parts checked;
-- complete or absent; resumed after a SIGKILL from the parts that are
-- missing; concurrency bounded; faults per part; bad input named.
local helper = require "helper"

local PART = 4096

local fastq = helper.fastq

local function listing(dir)
  local p = io.popen("ls -A " .. helper.shq(dir))
  local names = {}
  for line in p:lines() do names[#names + 1] = line end
  p:close()
  table.sort(names)
  return table.concat(names, " ")
end

describe("downloads", function()
  local emu, client, store, readset, one, pair

  -- A read set of the given FASTQ files (one or two), ACTIVE.
  local function make_read_set(name, files)
    local up = assert(client:create_multipart_read_set_upload {
      sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s1", sampleId = "x1", name = name,
    })
    local parts = {}
    for k, data in ipairs(files) do
      local source = "SOURCE" .. k
      local r = assert(client:upload_read_set_part {
        sequenceStoreId = store, uploadId = up.uploadId, partSource = source, partNumber = 1, payload = data,
      })
      parts[#parts + 1] = { partNumber = 1, partSource = source, checksum = r.checksum }
    end
    local id = assert(client:complete_multipart_read_set_upload {
      sequenceStoreId = store, uploadId = up.uploadId, parts = parts,
    }).readSetId
    emu:control("POST", "clock", { advance = 5 })
    return id
  end

  setup(function()
    emu = helper.emulator("--seed-demo --part-size " .. PART)
    client = helper.client(emu, { max_backoff = 0.01 })
    store = assert(client:create_sequence_store { name = "downloads" }).id
    one = fastq(5 * PART + 1234, 3)
    pair = { fastq(3 * PART + 10, 5), fastq(3 * PART + 77, 9) }
    readset = make_read_set("sample 7/run:1", pair)
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  it("fetches a paired FASTQ read set part by part, named by its type", function()
    local dir = helper.tmpdir()
    local done = {}
    local res = assert(client:download_read_set({ sequenceStoreId = store, id = readset },
      { to = dir, concurrency = 3, progress = function(d, total, file) done[#done + 1] = { d, total, file } end }))
    assert.are.equal(dir .. "/sample_7_run_1_1.fastq", res.files.SOURCE1)
    assert.are.equal(dir .. "/sample_7_run_1_2.fastq", res.files.SOURCE2)
    assert.are.equal(pair[1], helper.read(res.files.SOURCE1))
    assert.are.equal(pair[2], helper.read(res.files.SOURCE2))
    assert.are.equal(#pair[1] + #pair[2], res.bytes)
    assert.are.equal(8, res.parts) -- 4 + 4 parts of 4 KiB
    assert.are.equal(0, res.resumed)
    assert.is_number(res.seconds)
    -- nothing else is left beside them
    assert.are.equal("sample_7_run_1_1.fastq sample_7_run_1_2.fastq", listing(dir))
    -- progress: the last call says all is done
    local last = done[#done]
    assert.are.same({ #pair[1] + #pair[2], #pair[1] + #pair[2] }, { last[1], last[2] })
  end)

  it("one file to a path of its own, and an existing file left alone", function()
    local dir = helper.tmpdir()
    local path = dir .. "/second.fq"
    local res = assert(client:download_read_set({ sequenceStoreId = store, id = readset, files = { "SOURCE2" } },
      { to = path }))
    assert.are.same({ SOURCE2 = path }, res.files)
    assert.are.equal(pair[2], helper.read(path))
    local again, err = client:download_read_set({ sequenceStoreId = store, id = readset, files = { "SOURCE2" } },
      { to = path })
    assert.is_nil(again)
    assert.are.equal("DownloadFileExists", err.code)
    assert.matches("second%.fq is there already %(opts%.overwrite = true replaces it%)", err.message)
    assert(client:download_read_set({ sequenceStoreId = store, id = readset, files = { "SOURCE2" } },
      { to = path, overwrite = true }))
    assert.are.equal(pair[2], helper.read(path))
  end)

  it("a reference and its index", function()
    -- the emulator's demo genome: three chromosomes, 12 kB of FASTA in 4 KiB parts
    local refstore, ref = "1234567890", { id = "9876543210" }
    local dir = helper.tmpdir()
    local res = assert(client:download_reference({ referenceStoreId = refstore, id = ref.id }, { to = dir }))
    local meta = assert(client:get_reference_metadata { referenceStoreId = refstore, id = ref.id })
    assert.is_true(meta.files.source.totalParts >= 3)
    assert.are.equal(dir .. "/demo-genome.fasta", res.files.SOURCE)
    assert.matches("%.fasta%.fai$", res.files.INDEX)
    local whole = {}
    for part = 1, meta.files.source.totalParts do
      local chunks = {}
      assert(client:get_reference({ referenceStoreId = refstore, id = ref.id, partNumber = part },
        { sink = function(c) chunks[#chunks + 1] = c end }))
      whole[#whole + 1] = table.concat(chunks)
    end
    assert.are.equal(table.concat(whole), helper.read(res.files.SOURCE))
    assert.are.equal(meta.files.index.contentLength, #helper.read(res.files.INDEX))
  end)

  it("a part cut half way is fetched again; a lasting failure leaves no file", function()
    local dir = helper.tmpdir()
    emu:faults { { mode = "cut_answer", operation = "GetReadSet", count = 1 } }
    local before = emu:stats().requests
    local res = assert(client:download_read_set({ sequenceStoreId = store, id = readset, files = { "SOURCE1" } },
      { to = dir, concurrency = 1 }))
    assert.are.equal(pair[1], helper.read(res.files.SOURCE1))
    assert.are.equal(1 + 4 + 1, emu:stats().requests - before) -- metadata, 4 parts, one again
    dir = helper.tmpdir()
    emu:faults { { status = 500, code = "InternalServerException", operation = "GetReadSet", count = 40 } }
    local stat = assert(io.open("/proc/self/stat")) -- (this process's, not a shell's)
    local pid = stat:read("n")
    stat:close()
    local function fds()
      local p = io.popen(helper.sh(("ls /proc/%d/fd | wc -l"):format(pid)))
      local n = tonumber(p:read("a"))
      p:close()
      return n
    end
    local function failing()
      return client:download_read_set({ sequenceStoreId = store, id = readset, files = { "SOURCE1" } },
        { to = dir, concurrency = 1, resume = false })
    end
    collectgarbage() -- (sockets and files nobody holds are closed first)
    local fds_before = fds()
    local none, err = failing()
    for _ = 1, 3 do failing() end -- a descriptor left by each would show as four
    collectgarbage()
    -- (the client's one kept-alive connection may be open or not either time)
    assert.is_true(fds() - fds_before <= 1, ("descriptors: %d, then %d"):format(fds_before, fds()))
    emu:control("DELETE", "faults")
    assert.is_nil(none)
    assert.are.equal("InternalServerException", err.code)
    assert.matches("^part %d of SOURCE1: ", err.message)
    assert.are.equal("", listing(dir))
  end)

  it("each fault a part can meet: throttled, a 5xx, a stall, a reset; the file is still whole", function()
    local quick = helper.client(emu, { max_backoff = 0.01, max_attempts = 4, stall_timeout = 0.3 })
    for _, fault in ipairs {
      { status = 429, code = "ThrottlingException", message = "slow down", count = 2 },
      { status = 503, code = "ServiceUnavailableException", count = 1 },
      { mode = "stall", stall_ms = 2000, count = 1 },
      { mode = "reset_after_headers", count = 1 },
      { mode = "truncate", count = 1 },
    } do
      fault.operation = "GetReadSet"
      local dir = helper.tmpdir()
      emu:faults { fault }
      local before = emu:stats().requests
      local res, err = quick:download_read_set({ sequenceStoreId = store, id = readset, files = { "SOURCE1" } },
        { to = dir, concurrency = 2 })
      local what = helper.json.encode(fault)
      assert.is_table(res, what .. ": " .. tostring(err))
      assert.are.equal(pair[1], helper.read(res.files.SOURCE1), what)
      -- the metadata, four parts, and each failed attempt once more
      assert.are.equal(1 + 4 + (fault.count or 1), emu:stats().requests - before, what)
    end
    emu:control("DELETE", "faults")
  end)

  it("a server that lies about a part's length is caught", function()
    local dir = helper.tmpdir()
    -- the part answers with a body shorter than the metadata's part size
    emu:faults { { mode = "body", status = 200, body = "@r\nACGT\n+\nIIII\n", operation = "GetReadSet", count = 1 } }
    local none, err = client:download_read_set({ sequenceStoreId = store, id = readset, files = { "SOURCE1" } },
      { to = dir, concurrency = 1, resume = false })
    emu:control("DELETE", "faults")
    assert.is_nil(none)
    assert.are.equal("DownloadPartError", err.code)
    assert.is_truthy(err.message:find(("part 1 of SOURCE1: 15 bytes came, %d were expected"):format(PART), 1, true),
                     err.message)
    assert.are.equal("", listing(dir))
  end)

  it("resumes after SIGKILL from the parts that are missing, byte for byte", function()
    local dir = helper.tmpdir()
    local big = make_read_set("killed", { one })
    -- a child that downloads slowly (each part waits 300 ms), killed half way
    emu:faults { { delay_ms = 300, operation = "GetReadSet", count = 100 } }
    local script = dir .. "/child.lua"
    helper.write(script, ([[
      package.path = %q
      package.cpath = %q
      local omics = require "omics"
      local client = assert(omics.new { region = "us-east-1", endpoint = %q,
        credentials = { access_key_id = "AKIDEXAMPLE", secret_access_key = %q } })
      assert(client:download_read_set({ sequenceStoreId = %q, id = %q }, { to = %q, concurrency = 1 }))
    ]]):format(package.path, package.cpath, emu.url, helper.SECRET, store, big, dir))
    local pid = helper.spawn_lua(script)
    local state = dir .. "/killed.fastq.omics-state"
    local parts_done = 0
    for _ = 1, 100 do
      local s = io.open(state)
      if s then
        local text = s:read("a")
        s:close()
        parts_done = select(2, text:gsub("\npart %d+", ""))
        if parts_done >= 2 then break end
      end
      os.execute(helper.sh("sleep 0.1"))
    end
    os.execute(helper.sh("kill -9 " .. pid))
    os.execute(helper.sh("sleep 0.2"))
    emu:control("DELETE", "faults")
    assert.is_true(parts_done >= 2 and parts_done < 6, "killed half way: " .. parts_done)
    assert.is_nil(io.open(dir .. "/killed.fastq"), "no file before it is complete")
    local before = emu:stats().requests
    local res = assert(client:download_read_set({ sequenceStoreId = store, id = big }, { to = dir }))
    local parts_left = emu:stats().requests - before - 1
    assert.is_true(parts_left <= 6 - parts_done, ("fetched %d parts again"):format(parts_left))
    assert.are.equal(6 - res.resumed, res.parts)
    assert.is_true(res.resumed >= parts_done)
    assert.are.equal(one, helper.read(res.files.SOURCE1))
    assert.are.equal("child.lua killed.fastq", listing(dir))
  end)

  it("the same through a Lua driver (a transport function), a cut part fetched again", function()
    local lua_client = helper.client(emu, { transport = helper.luasocket, max_backoff = 0.01 })
    local dir = helper.tmpdir()
    emu:faults { { mode = "cut_answer", operation = "GetReadSet", count = 1 } }
    local before = emu:stats().requests
    local res = assert(lua_client:download_read_set({ sequenceStoreId = store, id = readset }, { to = dir }))
    assert.are.equal(1 + 8 + 1, emu:stats().requests - before) -- metadata, 8 parts, one again
    assert.are.equal(pair[1], helper.read(res.files.SOURCE1))
    assert.are.equal(pair[2], helper.read(res.files.SOURCE2))
    assert.are.equal("sample_7_run_1_1.fastq sample_7_run_1_2.fastq", listing(dir))
  end)

  it("never more parts in flight than asked", function()
    for _, concurrency in ipairs { 2, 5 } do
      emu:reset() -- (its count of requests at once starts again, and so do its stores)
      store = assert(client:create_sequence_store { name = "bounded" }).id
      readset = make_read_set("bounded", pair)
      -- (each part waits 250 ms at the server: the parts of a round overlap
      -- there, even with a slow client under the sanitizers)
      emu:faults { { delay_ms = 250, operation = "GetReadSet", count = 100 } }
      local res = assert(client:download_read_set({ sequenceStoreId = store, id = readset },
        { to = helper.tmpdir(), concurrency = concurrency }))
      emu:control("DELETE", "faults")
      assert.are.equal(8, res.parts)
      local most = emu:stats().max_in_flight
      assert.is_true(most <= concurrency, ("%d parts in flight at once, asked %d"):format(most, concurrency))
      if (os.getenv("OMICS_PRELOAD") or "") == "" then
        assert.is_true(most >= 2, ("%d part in flight at once: no two side by side"):format(most))
      else
        -- (under the sanitizers, on a loaded machine, an instrumented client has
        -- been seen to start its second part only after the first one ended)
        print(("download_spec: %d part(s) at once; overlap not asserted under the sanitizers")
          :format(most))
      end
    end
  end)

  it("names bad input before anything is sent", function()
    local function refused(params, opts, pattern)
      local before = emu:stats().requests
      local none, err = client:download_read_set(params, opts)
      assert.is_nil(none)
      assert.matches(pattern, err.message)
      return emu:stats().requests - before
    end
    local p = { sequenceStoreId = store, id = readset }
    -- options and the form of params: nothing is sent
    assert.are.equal(0, refused(p, { concurrency = 0 }, "opts%.concurrency: expected an integer from 1 to 1024"))
    assert.are.equal(0, refused(p, { colour = "red" }, "opts%.colour: not an option of a download"))
    assert.are.equal(0, refused({ sequenceStoreId = store, id = readset, files = "SOURCE1" }, {},
                                "params%.files: expected a list"))
    assert.are.equal(0, refused("x", {}, "params: expected a table"))
    -- what the metadata must say: the metadata call, and no part
    assert.are.equal(1, refused(p, { to = "/nonexistent/dir/x", }, "nonexistent"))
    assert.are.equal(1, refused({ sequenceStoreId = store, id = readset, files = { "SOURCE3" } }, {},
                                "params%.files: there is no SOURCE3 file here %(there is: SOURCE1, SOURCE2%)"))
  end)
end)
