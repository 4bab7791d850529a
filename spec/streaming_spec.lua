-- Streaming payloads: UploadReadSetPart sends its body unsigned (the model's
-- v4-unsigned-body), GetReadSet and GetReference write to a sink instead of
-- memory.  Multi-megabyte payloads, against the emulator.
local helper = require "helper"

local MB = 1024 * 1024
local PART = 8 * MB

local fastq = helper.fastq

describe("streaming payloads", function()
  local emu, client, store, readset, data

  setup(function()
    emu = helper.emulator("--part-size " .. PART)
    client = helper.client(emu)
    store = assert(client:create_sequence_store { name = "stream" }).id
    data = fastq(PART + 3 * MB)
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  it("uploads parts unsigned and completes the read set", function()
    local up = assert(client:create_multipart_read_set_upload {
      sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s1", sampleId = "x1", name = "big",
    })
    -- cut on record boundaries near 4 MB
    local parts, at, n = {}, 1, 0
    while at <= #data do
      local stop = data:find("\n@", math.min(at + 4 * MB, #data), true) or #data
      n = n + 1
      local chunk = data:sub(at, stop)
      local r = assert(client:upload_read_set_part {
        sequenceStoreId = store, uploadId = up.uploadId, partSource = "SOURCE1", partNumber = n,
        payload = chunk,
      })
      parts[n] = { partNumber = n, partSource = "SOURCE1", checksum = r.checksum }
      at = stop + 1
    end
    assert.is_true(n >= 3)
    local req = emu:requests(2)[1]
    local sha
    for _, h in ipairs(req.headers) do
      if h[1]:lower() == "x-amz-content-sha256" then sha = h[2] end
    end
    assert.are.equal("UNSIGNED-PAYLOAD", sha)
    readset = assert(client:complete_multipart_read_set_upload {
      sequenceStoreId = store, uploadId = up.uploadId, parts = parts,
    }).readSetId
    emu:control("POST", "clock", { advance = 5 })
    local meta = assert(client:get_read_set_metadata { sequenceStoreId = store, id = readset })
    assert.are.equal("ACTIVE", meta.status)
    assert.are.equal(#data, meta.files.source1.contentLength)
    assert.are.equal(2, meta.files.source1.totalParts)
  end)

  it("uploads a part from an open file, from where it stands", function()
    local up = assert(client:create_multipart_read_set_upload {
      sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s2", sampleId = "x2", name = "from-file",
    })
    local chunk = data:sub(1, data:find("\n@", 2 * MB, true))
    local dir = helper.tmpdir()
    helper.write(dir .. "/part", "HEADER-TO-SKIP" .. chunk)
    local f = assert(io.open(dir .. "/part", "rb"))
    f:seek("set", #"HEADER-TO-SKIP")
    local before = emu:stats().requests
    local from_file = assert(client:upload_read_set_part {
      sequenceStoreId = store, uploadId = up.uploadId, partSource = "SOURCE1", partNumber = 1, payload = f,
    })
    f:close()
    assert.are.equal(1, emu:stats().requests - before)
    local from_string = assert(client:upload_read_set_part {
      sequenceStoreId = store, uploadId = up.uploadId, partSource = "SOURCE1", partNumber = 2, payload = chunk,
    })
    assert.are.equal(from_string.checksum, from_file.checksum)
    local req = emu:requests(2)[1]
    local length
    for _, h in ipairs(req.headers) do
      if h[1]:lower() == "content-length" then length = tonumber(h[2]) end
    end
    assert.are.equal(#chunk, length)
    -- a file where the model wants a string is refused before anything is sent
    f = assert(io.open(dir .. "/part", "rb"))
    local res, err = client:create_sequence_store { name = f }
    f:close()
    assert.is_nil(res)
    assert.matches("name: expected a string, got file", err.message)
    helper.rmdir(dir)
  end)

  it("downloads parts into a path, byte for byte", function()
    assert.is_string(readset, "needs the upload above")
    local dir = helper.tmpdir()
    local got = {}
    for part = 1, 2 do
      local path = ("%s/part%d"):format(dir, part)
      local res = assert(client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = part },
                                             { sink = path }))
      assert.is_nil(res.payload)
      got[part] = helper.read(path)
    end
    assert.are.equal(PART, #got[1])
    assert.is_true(table.concat(got) == data)
    helper.rmdir(dir)
  end)

  it("into a function and an open file", function()
    local chunks, count = {}, 0
    assert(client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 2 },
      { sink = function(chunk) count = count + 1; chunks[#chunks + 1] = chunk end }))
    assert.is_true(count > 1)
    assert.is_true(table.concat(chunks) == data:sub(PART + 1))
    local dir = helper.tmpdir()
    local f = assert(io.open(dir .. "/f", "wb"))
    assert(client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 2 }, { sink = f }))
    f:close()
    assert.is_true(helper.read(dir .. "/f") == data:sub(PART + 1))
    helper.rmdir(dir)
  end)

  it("leaves no file behind when the download fails", function()
    local dir = helper.tmpdir()
    local res, err = client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 9 },
                                         { sink = dir .. "/nine" })
    assert.is_nil(res)
    assert.are.equal("RangeNotSatisfiableException", err.code)
    emu:faults { { mode = "truncate", operation = "GetReadSet", count = 3 } }
    res, err = client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 1 },
                                   { sink = dir .. "/one" })
    assert.is_nil(res)
    local p = io.popen("ls -A " .. helper.shq(dir))
    local listing = p:read("a")
    p:close()
    assert.are.equal("", listing)
    helper.rmdir(dir)
  end)

  -- A download cut off mid-body: a path sink starts over (its partial file
  -- is rewound), so the retry gives the whole part and nothing doubled; a
  -- function sink has already seen the first bytes, so the call stops there
  -- and says so rather than feed it the part twice.
  it("a download cut off mid-body: a path is retried whole, a function is not fed twice", function()
    assert.is_string(readset, "needs the upload above")
    local dir = helper.tmpdir()
    emu:faults { { mode = "cut_answer", operation = "GetReadSet", count = 1 } }
    local before = emu:stats().requests
    local res = assert(client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 2 },
                                           { sink = dir .. "/two" }))
    assert.are.equal(2, emu:stats().requests - before)
    assert.are.equal(1, res.ResponseMetadata.RetryAttempts)
    assert.is_true(helper.read(dir .. "/two") == data:sub(PART + 1))
    helper.rmdir(dir)

    emu:faults { { mode = "cut_answer", operation = "GetReadSet", count = 1 } }
    local got = {}
    before = emu:stats().requests
    local err
    res, err = client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 2 },
      { sink = function(chunk) got[#got + 1] = chunk end })
    assert.is_nil(res)
    assert.are.equal(1, emu:stats().requests - before)
    assert.are.equal(1, err.attempts)
    assert.matches("not retried", err.message)
    local seen = table.concat(got)
    assert.is_true(#seen > 0 and #seen < #data - PART)
    assert.is_true(seen == data:sub(PART + 1, PART + #seen))
    emu:control("DELETE", "faults")
  end)

  it("an upload from a file is replayed on a retry, byte for byte", function()
    local up = assert(client:create_multipart_read_set_upload {
      sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s3", sampleId = "x3", name = "replayed",
    })
    local chunk = data:sub(1, data:find("\n@", MB, true))
    local dir = helper.tmpdir()
    helper.write(dir .. "/part", chunk)
    local f = assert(io.open(dir .. "/part", "rb"))
    emu:faults { { status = 503, code = "ServiceUnavailableException", operation = "UploadReadSetPart", count = 1 } }
    local before = emu:stats().requests
    local from_file = assert(client:upload_read_set_part {
      sequenceStoreId = store, uploadId = up.uploadId, partSource = "SOURCE1", partNumber = 1, payload = f,
    })
    f:close()
    assert.are.equal(2, emu:stats().requests - before)
    assert.are.equal(1, from_file.ResponseMetadata.RetryAttempts)
    local from_string = assert(client:upload_read_set_part {
      sequenceStoreId = store, uploadId = up.uploadId, partSource = "SOURCE1", partNumber = 2, payload = chunk,
    })
    assert.are.equal(from_string.checksum, from_file.checksum)
    helper.rmdir(dir)
  end)

  it("a sink that fails stops the transfer with StreamWriteError", function()
    local res, err = client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 1 },
      { sink = function() return false end })
    assert.is_nil(res)
    assert.are.equal("StreamWriteError", err.code)
    res, err = client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 1 },
      { sink = function() error("disk full") end })
    assert.are.equal("StreamWriteError", err.code)
    assert.matches("disk full", err.message)
    res, err = client:get_read_set({ sequenceStoreId = store, id = readset, partNumber = 1 }, { sink = 42 })
    assert.are.equal("ParamValidationError", err.code)
  end)

  it("a sink's failure reads the same through libcurl and through a Lua driver", function()
    local p = { sequenceStoreId = store, id = readset, partNumber = 1 }
    -- the Lua driver: a transport function answering the part
    local lua_driven = helper.client(emu, { transport = function()
      return 200, { ["content-type"] = "application/octet-stream" }, "ACGT"
    end })
    local sinks = {
      raised = function() error("disk full", 0) end,
      error_table = function() error(setmetatable({ message = "quota" }, { __tostring = function() return "x" end })) end,
      no_message = function() error(nil) end,
      refused = function() return false end,
    }
    local want = {
      raised = "writing the response's payload to the sink failed: the sink function raised: disk full",
      error_table = "writing the response's payload to the sink failed: the sink function raised: quota",
      no_message = "writing the response's payload to the sink failed: the sink function raised: (an error object)",
      refused = "writing the response's payload to the sink failed: the sink function returned false",
    }
    for name, sink in pairs(sinks) do
      for _, c in ipairs { client, lua_driven } do
        local res, err = c:get_read_set(p, { sink = sink })
        assert.is_nil(res)
        assert.are.equal("StreamWriteError", err.code)
        assert.are.equal(want[name], err.message)
        assert.is_false(err.retryable)
      end
    end
  end)

  it("refuses a client reused from inside its own call, which goes on intact", function()
    local p = { sequenceStoreId = store, id = readset, partNumber = 1 }
    -- the sink calls the client it is feeding, then tries to close it
    local inner_ok, inner_err, close_ok, close_err
    local got = {}
    local res, err = client:get_read_set(p, { sink = function(chunk)
      if not inner_ok and not inner_err then
        inner_ok, inner_err = pcall(client.get_read_set_metadata, client, { sequenceStoreId = store, id = readset })
        close_ok, close_err = pcall(client.close, client)
      end
      got[#got + 1] = chunk
    end })
    assert.is_nil(err)
    assert.is_table(res)
    assert.is_false(inner_ok)
    assert.matches("in the middle of a call .* use a second client", tostring(inner_err))
    assert.is_false(close_ok)
    assert.matches("cannot be closed from its own sink", tostring(close_err))
    assert.is_true(table.concat(got) == data:sub(1, PART))
    -- an error raised by the sink for it ends the call as a sink failure
    res, err = client:get_read_set(p, { sink = function()
      client:get_read_set_metadata { sequenceStoreId = store, id = readset }
    end })
    assert.is_nil(res)
    assert.are.equal("StreamWriteError", err.code)
    assert.matches("use a second client", err.message)
    -- and the client is usable again afterwards; a second client was never refused
    assert(client:get_read_set_metadata { sequenceStoreId = store, id = readset })
    local other = helper.client(emu)
    local nested
    assert(client:get_read_set(p, { sink = function()
      nested = nested or assert(other:get_read_set_metadata { sequenceStoreId = store, id = readset })
    end }))
    assert.are.equal("ACTIVE", nested.status)
  end)

  it("refuses the client from its own log function", function()
    local seen
    local c
    c = helper.client(emu, { log = function()
      if seen == nil then seen = { pcall(c.get_read_set_metadata, c, { sequenceStoreId = store, id = readset }) } end
    end })
    assert(c:get_read_set_metadata { sequenceStoreId = store, id = readset })
    assert.is_false(seen[1])
    assert.matches("use a second client", tostring(seen[2]))
  end)

  it("refuses to close the client from its own call through <close> too", function()
    if helper.luajit then
      print("streaming_spec: <close> is Lua 5.4 syntax; not run under LuaJIT")
      pending("to-be-closed variables are Lua 5.4 only")
      return
    end
    local c
    local closed_ok, closed_err
    local close_in_log = assert(load([[
      local c = ...
      local x <close> = c
    ]]))
    c = helper.client(emu, { log = function()
      if closed_ok == nil then closed_ok, closed_err = pcall(close_in_log, c) end
    end })
    local res, err = c:get_read_set_metadata { sequenceStoreId = store, id = readset }
    assert.is_nil(err)
    assert.are.equal("ACTIVE", res.status)
    assert.is_false(closed_ok)
    assert.matches("cannot be closed from its own sink, log or credentials function", tostring(closed_err))
    assert.matches("^omics.client %(region", tostring(c))
  end)

  it("runs a log function on the caller's thread after a call on another thread shared its provider", function()
    local omics = require "omics"
    local shared = assert(omics.provider { credentials = helper.CREDS })
    local b = helper.client(emu, { credentials = shared })
    -- (LuaJIT, as Lua 5.1, gives nil for the main thread)
    local function thread() return coroutine.running() or "main" end
    local threads, co = {}, nil
    local a = helper.client(emu, { credentials = shared, log = function()
      threads[#threads + 1] = thread()
      if #threads == 1 then
        -- a coroutine calls the other client, yields for good and is collected
        co = coroutine.create(function()
          assert(b:get_read_set_metadata { sequenceStoreId = store, id = readset })
          coroutine.yield()
        end)
        assert(coroutine.resume(co))
        co = nil
        collectgarbage()
        collectgarbage()
      end
    end })
    local me = thread()
    assert(a:get_read_set_metadata { sequenceStoreId = store, id = readset })
    assert.is_true(#threads >= 2)
    for i, t in ipairs(threads) do
      assert.are.equal(me, t, "log line " .. i .. " ran on another thread")
    end
  end)

  it("keeps memory bounded: a sink holds no copy of the payload", function()
    if (os.getenv("OMICS_PRELOAD") or "") ~= "" then
      -- AddressSanitizer holds freed memory in quarantine: peaks mean nothing
      print("streaming_spec: the memory bound is not measured under the sanitizers")
      pending("peak memory under AddressSanitizer says nothing about the module")
      return
    end
    -- in a child process, so that its peak resident size (VmHWM) says what
    -- one download cost: the 8 MB part through a sink, then into a string
    local out, status = helper.run_lua([[
      local function hwm()
        for line in io.lines("/proc/self/status") do
          local kb = line:match("^VmHWM:%s+(%d+)")
          if kb then return tonumber(kb) end
        end
      end
      local omics = require "omics"
      local c = assert(omics.new { region = "us-east-1", endpoint = os.getenv("EMU"),
        credentials = { access_key_id = "AKIDEXAMPLE", secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" } })
      local p = { sequenceStoreId = os.getenv("STORE"), id = os.getenv("READSET"), partNumber = 1 }
      assert(c:get_read_set_metadata { sequenceStoreId = p.sequenceStoreId, id = p.id })
      collectgarbage()
      local base, bytes = hwm(), 0
      assert(c:get_read_set(p, { sink = function(chunk) bytes = bytes + #chunk end }))
      local streamed = hwm() - base
      local res = assert(c:get_read_set(p))
      local buffered = hwm() - base
      print(("BYTES %d STREAMED %d BUFFERED %d PAYLOAD %d"):format(bytes, streamed, buffered, #res.payload))
    ]], { EMU = emu.url, STORE = store, READSET = readset })
    assert.are.equal(0, status, out)
    local bytes, streamed, buffered, payload = out:match("BYTES (%d+) STREAMED (%d+) BUFFERED (%d+) PAYLOAD (%d+)")
    assert.are.equal(PART, tonumber(bytes))
    assert.are.equal(PART, tonumber(payload))
    -- kilobytes: the sink costs a few pieces of 512 KiB (LuaJIT collects them
    -- a little later than Lua 5.4), never the part; a string costs the part twice
    print(("streaming_spec: streaming grew the peak by %d kB, buffering by %d kB"):format(streamed, buffered))
    assert.is_true(tonumber(streamed) < 4096, "streaming grew the peak by " .. streamed .. " kB")
    assert.is_true(tonumber(buffered) > 8000, "buffering grew the peak by only " .. buffered .. " kB")
  end)
end)
