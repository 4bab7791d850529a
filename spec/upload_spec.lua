-- client:upload_read_set against the emulator: a read set's files sent part
-- by part straight from disk, completed, waited for until ACTIVE (in the
-- emulator's virtual time), and fetched back byte for byte; bad input named
-- before anything is sent; a failing part aborting the upload, or keeping it
-- for a resume that sends only the parts that are missing.
local helper = require "helper"

local fastq = helper.fastq

describe("uploads", function()
  local emu, client, store, dir, one, two

  local function parts_sent()
    return emu:stats().by_operation.UploadReadSetPart or 0
  end

  setup(function()
    emu = helper.emulator("--part-size 4096")
    -- waiting sleeps in the emulator's clock: no real time passes
    client = helper.client(emu, { max_backoff = 0.01,
      sleep = function(s) emu:control("POST", "clock", { advance = s }) end })
    store = assert(client:create_sequence_store { name = "uploads" }).id
    dir = helper.tmpdir()
    one, two = fastq(50000, 11), fastq(42000, 13)
    helper.write(dir .. "/r_1.fastq", one)
    helper.write(dir .. "/r_2.fastq", two)
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  it("sends a paired FASTQ in parts read from the files, waits until ACTIVE, and reads back the same", function()
    local before = parts_sent()
    local calls = {}
    local res = assert(client:upload_read_set({
      sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s1", sampleId = "x1", name = "pair",
      files = { SOURCE1 = dir .. "/r_1.fastq", SOURCE2 = dir .. "/r_2.fastq" },
    }, { part_size = 16384, concurrency = 3, progress = function(...) calls[#calls + 1] = { ... } end }))
    -- progress: the last call says all of it went
    assert.are.same({ #one + #two, #one + #two, "SOURCE2" }, calls[#calls])
    assert.are.equal("ACTIVE", res.status)
    assert.are.equal(4 + 3, res.parts) -- 50,000 and 42,000 bytes in parts of 16 KiB
    assert.are.equal(4 + 3, parts_sent() - before)
    assert.are.equal(#one + #two, res.bytes)
    assert.is_string(res.uploadId)
    local back = helper.tmpdir()
    local got = assert(client:download_read_set({ sequenceStoreId = store, id = res.readSetId }, { to = back }))
    assert.are.equal(one, helper.read(got.files.SOURCE1))
    assert.are.equal(two, helper.read(got.files.SOURCE2))
  end)

  it("a BAM with its reference: up, ACTIVE, and down with its index, named .bam and .bam.bai", function()
    -- a small BAM (BGZF, one reference, three records), written by Python's gzip
    local bam = dir .. "/aligned.bam"
    assert(os.execute(helper.sh(("python3 -c %s %s"):format(helper.shq([[
import gzip, struct, sys
name = b"chr1\0"
header = b"BAM\x01" + struct.pack("<i", 0) + struct.pack("<i", 1) + struct.pack("<i", len(name)) + name + struct.pack("<i", 1000)
recs = b""
for i in range(3):
    rn = b"r%d\0" % i
    seq_len = 8
    body = struct.pack("<iiBBHHHiiii", 0, 10 * i, len(rn), 30, 4680, 0, 0, seq_len, -1, -1, 0) + rn
    body += b"\x11" * ((seq_len + 1) // 2) + b"\x1e" * seq_len
    recs += struct.pack("<i", len(body)) + body
sys.stdout.buffer.write(gzip.compress(header + recs, mtime=0))
]]), helper.shq(bam)) .. " > " .. helper.shq(bam))))
    local res = assert(client:upload_read_set({
      sequenceStoreId = store, sourceFileType = "BAM", subjectId = "s1", sampleId = "x1", name = "aligned",
      referenceArn = "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890/reference/9876543210",
      files = { SOURCE1 = bam },
    }, { part_size = 1000 }))
    assert.are.equal("ACTIVE", res.status)
    local back = helper.tmpdir()
    local got = assert(client:download_read_set({ sequenceStoreId = store, id = res.readSetId }, { to = back }))
    assert.are.equal(back .. "/aligned.bam", got.files.SOURCE1)
    assert.are.equal(back .. "/aligned.bam.bai", got.files.INDEX)
    assert.are.equal(helper.read(bam), helper.read(got.files.SOURCE1))
    assert.are.equal("BAI\1", helper.read(got.files.INDEX):sub(1, 4))
  end)

  it("names bad input before anything is sent", function()
    local function refused(params, opts, pattern)
      local before = emu:stats().requests
      local none, err = client:upload_read_set(params, opts)
      assert.is_nil(none)
      assert.matches(pattern, err.message)
      assert.are.equal(before, emu:stats().requests)
    end
    local function p(extra)
      local t = { sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s", sampleId = "x", name = "n",
                  files = { SOURCE1 = dir .. "/r_1.fastq" } }
      for k, v in pairs(extra) do t[k] = v end
      return t
    end
    refused(p { sourceFileType = "BAM", files = { SOURCE1 = dir .. "/r_1.fastq", SOURCE2 = dir .. "/r_2.fastq" } },
            nil, "params%.files%.SOURCE2: a second file is only for FASTQ, not BAM")
    refused(p { sourceFileType = "CRAM" }, nil, "params%.referenceArn: required for a CRAM read set")
    refused(p { files = { SOURCE1 = dir .. "/missing.fastq" } }, nil, "params%.files%.SOURCE1: cannot read .*missing%.fastq")
    refused(p { files = { SOURCE1 = dir } }, nil, "params%.files%.SOURCE1: .* is not a file with bytes in it")
    refused(p { files = { SOURCE3 = dir .. "/r_1.fastq" } }, nil, "params%.files: expected { SOURCE1 = path")
    refused(p {}, { part_size = 200 * 1024 * 1024 }, "opts%.part_size: expected 1 to 104857600 bytes")
    refused(p {}, { concurrency = 2000 }, "opts%.concurrency: expected an integer from 1 to 1024")
    refused(p {}, { wait = "yes" }, "opts%.wait: expected a boolean")
    refused(p {}, { colour = 1 }, "opts%.colour: not an option of upload_read_set")
    refused("x", nil, "params: expected a table")
  end)

  it("a part that keeps failing aborts the upload, and says so", function()
    emu:faults { { status = 500, code = "InternalServerException", operation = "UploadReadSetPart", count = 20 } }
    local none, err = client:upload_read_set({
      sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s1", sampleId = "x1", name = "failing",
      files = { SOURCE1 = dir .. "/r_1.fastq" },
    }, { part_size = 16384, concurrency = 1 })
    emu:control("DELETE", "faults")
    assert.is_nil(none)
    assert.are.equal("InternalServerException", err.code)
    assert.matches("^part 1 of SOURCE1: .* %(upload %d+ aborted%)$", err.message)
    assert.is_string(err.upload_id)
    local uploads = assert(client:list_multipart_read_set_uploads { sequenceStoreId = store }).uploads or {}
    for _, up in ipairs(uploads) do assert.are_not.equal(err.upload_id, up.uploadId) end
  end)

  it("keeps a failed upload on request, and a resume sends only the parts that are missing", function()
    -- a transport function that fails every part after the second (the Lua driver)
    local sent = 0
    local flaky = helper.client(emu, { max_attempts = 1, transport = function(req)
      if req.url:find("/part?", 1, true) then -- UploadReadSetPart
        sent = sent + 1
        if sent > 2 then return nil, "the link went down" end
      end
      return helper.luasocket(req)
    end })
    local params = { sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s1", sampleId = "x1",
                     name = "resumed", files = { SOURCE1 = dir .. "/r_1.fastq" } }
    local none, err = flaky:upload_read_set(params, { part_size = 16384, keep_upload = true })
    assert.is_nil(none)
    assert.are.equal("ConnectionError", err.code)
    assert.matches("kept: opts%.upload_id resumes it", err.message)
    assert.are.equal(3, sent) -- two parts went, the third did not
    local before = parts_sent()
    local res = assert(client:upload_read_set(params, { part_size = 16384, upload_id = err.upload_id }))
    assert.are.equal(2, parts_sent() - before) -- parts 3 and 4 of 4
    assert.are.equal(2, res.parts)
    assert.are.equal("ACTIVE", res.status)
    local back = helper.tmpdir()
    local got = assert(client:download_read_set({ sequenceStoreId = store, id = res.readSetId }, { to = back }))
    assert.are.equal(one, helper.read(got.files.SOURCE1))
  end)
  it("an upload killed half way (SIGKILL) resumes from the parts that are missing", function()
    local big = fastq(80000, 17)
    local path = dir .. "/killed.fastq"
    helper.write(path, big)
    emu:faults { { delay_ms = 300, operation = "UploadReadSetPart", count = 100 } }
    local script = helper.tmpdir() .. "/child.lua"
    helper.write(script, ([[
      package.path = %q
      package.cpath = %q
      local omics = require "omics"
      local client = assert(omics.new { region = "us-east-1", endpoint = %q,
        credentials = { access_key_id = "AKIDEXAMPLE", secret_access_key = %q } })
      assert(client:upload_read_set({ sequenceStoreId = %q, sourceFileType = "FASTQ", subjectId = "s",
        sampleId = "x", name = "killed", files = { SOURCE1 = %q } }, { part_size = 16384, concurrency = 1 }))
    ]]):format(package.path, package.cpath, emu.url, helper.SECRET, store, path))
    local pid = helper.spawn_lua(script)
    -- the upload as the service sees it, once two parts are there
    local upload_id, have = nil, 0
    for _ = 1, 100 do
      local ups = assert(client:list_multipart_read_set_uploads { sequenceStoreId = store }).uploads or {}
      for _, up in ipairs(ups) do
        if up.name == "killed" then upload_id = up.uploadId end
      end
      if upload_id then
        have = #(assert(client:list_read_set_upload_parts {
          sequenceStoreId = store, uploadId = upload_id, partSource = "SOURCE1" }).parts or {})
        if have >= 2 then break end
      end
      os.execute(helper.sh("sleep 0.1"))
    end
    os.execute(helper.sh("kill -9 " .. pid))
    emu:control("DELETE", "faults")
    assert.is_string(upload_id)
    assert.is_true(have >= 2 and have < 5, "killed half way: " .. have)
    local before = parts_sent()
    local res = assert(client:upload_read_set({ sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s",
      sampleId = "x", name = "killed", files = { SOURCE1 = path } }, { part_size = 16384, upload_id = upload_id }))
    assert.is_true(parts_sent() - before <= 5 - have, "sent again: " .. (parts_sent() - before))
    assert.are.equal("ACTIVE", res.status)
    local back = helper.tmpdir()
    local got = assert(client:download_read_set({ sequenceStoreId = store, id = res.readSetId }, { to = back }))
    assert.are.equal(big, helper.read(got.files.SOURCE1))
  end)
end)
