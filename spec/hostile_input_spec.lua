-- Hostile input from Lua: whatever a script passes as parameters or call
-- options, the call ends in a ParamValidationError (kind "validation") whose
-- message names the member path and the rule, nothing reaches the service
-- (the emulator's request count does not move), and nothing crashes or hangs.
--
-- The HealthOmics model has no double and no long input member and a single
-- header member, so a small service model of our own ("Probe", through
-- omics.service) carries doubles, floats, longs and headers of every kind.
--
-- (Bugs this spec found were fixed; their cases are plain assertions now.)
local helper = require "helper"
local omics = require "omics"
local socket = require "socket"

local STORE = "1234567890"          -- a store id of the model's shape (10 to 36 digits)
local ROLE = "arn:aws:iam::123456789012:role/omics-import"
local NAN, INF = 0 / 0, math.huge
local MB = 1024 * 1024

local PROBE_MODEL = {
  version = "2.0",
  metadata = { protocol = "rest-json", endpointPrefix = "omics", signingName = "omics",
               serviceId = "Omics", apiVersion = "2022-11-28" },
  operations = {
    Probe = { name = "Probe", http = { method = "POST", requestUri = "/probe/{label}", responseCode = 200 },
              input = { shape = "ProbeIn" } },
  },
  shapes = {
    Label = { type = "string", min = 1, max = 64 },
    Str = { type = "string", max = 16 },
    Dbl = { type = "double" },
    Flt = { type = "float" },
    Lng = { type = "long" },
    RangedLng = { type = "long", min = 1, max = 5497558138880 },
    Int = { type = "integer" },
    Doc = { type = "structure", document = true },
    DblList = { type = "list", member = { shape = "Dbl" } },
    LngList = { type = "list", member = { shape = "Lng" } },
    DblMap = { type = "map", key = { shape = "Str" }, value = { shape = "Dbl" } },
    Inner = { type = "structure", members = { l = { shape = "Lng" }, d = { shape = "Dbl" } } },
    ProbeIn = { type = "structure", required = { "label" }, members = {
      label = { shape = "Label", location = "uri", locationName = "label" },
      hdr = { shape = "Str", location = "header", locationName = "X-Probe-Str" },
      hdrInt = { shape = "Int", location = "header", locationName = "X-Probe-Int" },
      hdrLong = { shape = "Lng", location = "header", locationName = "X-Probe-Long" },
      hdrDbl = { shape = "Dbl", location = "header", locationName = "X-Probe-Dbl" },
      qd = { shape = "Dbl", location = "querystring", locationName = "qd" },
      ql = { shape = "Lng", location = "querystring", locationName = "ql" },
      d = { shape = "Dbl" }, f = { shape = "Flt" },
      l = { shape = "Lng" }, rl = { shape = "RangedLng" }, doc = { shape = "Doc" },
      ds = { shape = "DblList" }, ls = { shape = "LngList" }, dm = { shape = "DblMap" },
      inner = { shape = "Inner" },
    } },
  },
}

-- A message cut short for a failure report (some are megabytes long).
local function short(s)
  s = tostring(s)
  if #s > 300 then return s:sub(1, 300) .. ("... (%d bytes)"):format(#s) end
  return s
end

-- expectations: plain substrings, or pat "lua pattern"
local function pat(p) return { pattern = p } end

local function check_message(msg, expect)
  for _, e in ipairs(expect or {}) do
    if type(e) == "table" then
      assert.is_truthy(msg:find(e.pattern),
        ("the message %q should match %q"):format(short(msg), e.pattern))
    else
      assert.is_truthy(msg:find(e, 1, true),
        ("the message %q should contain %q"):format(short(msg), e))
    end
  end
end

local function now() return socket.gettime() end


-- /proc/self/status VmRSS in bytes, or nil off Linux.
local function rss()
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  local kb = s:match("VmRSS:%s*(%d+)")
  return kb and tonumber(kb) * 1024
end

describe("hostile input", function()
  local emu, client, probe

  setup(function()
    emu = helper.emulator()
    client = helper.client(emu)
    probe = assert(omics.service(PROBE_MODEL, { region = "us-east-1", endpoint = emu.url,
                                                credentials = helper.CREDS }))
  end)

  teardown(function()
    if probe then probe:close() end
    if client then client:close() end
    if emu then emu:stop() end
  end)

  -- Call fn (returning res, err); it must be refused before anything is sent,
  -- within `seconds` (default 5: generous, not a speed test).
  local function refused_by(fn, expect, seconds)
    local before = emu:stats().requests
    local t0 = now()
    local res, err = fn()
    local took = now() - t0
    assert.is_nil(res, "the call should have been refused")
    assert.is_table(err, "an error table")
    assert.are.equal("ParamValidationError", err.code,
      ("expected a ParamValidationError, got %s: %s"):format(tostring(err.code), short(err.message)))
    assert.are.equal("validation", err.kind)
    assert.is_string(err.message)
    check_message(err.message, expect)
    assert.are.equal(before, emu:stats().requests, "nothing may be sent")
    assert.is_true(took < (seconds or 5), ("refused in %.2f s"):format(took))
    return err
  end

  -- the HealthOmics client; op is the API name, or a method name in snake_case
  local function refused(op, params, expect, opts, seconds)
    return refused_by(function()
      if op:find("_") then return client[op](client, params, opts) end
      return client:call(op, params, opts)
    end, expect, seconds)
  end

  local function probe_refused(params, expect)
    local all = { "invalid parameters for Probe: " }
    for _, e in ipairs(expect) do all[#all + 1] = e end
    return refused_by(function() return probe:call("Probe", params) end, all)
  end

  -- a valid call, as prepared (nothing is sent)
  local function prepared(op, params, c)
    local req, err = (c or client):prepare(op, params)
    assert.is_table(req, err and short(err.message))
    return req
  end

  local function source(extra)
    local s = { sourceFiles = { source1 = "s3://bucket/r1.fastq" }, sourceFileType = "FASTQ",
                subjectId = "subject", sampleId = "sample" }
    for k, v in pairs(extra or {}) do s[k] = v end
    return s
  end

  local function import_job(sources)
    return { sequenceStoreId = STORE, roleArn = ROLE, sources = sources }
  end

  local function run(extra)
    local p = { roleArn = ROLE, outputUri = "s3://bucket/out/" }
    for k, v in pairs(extra or {}) do p[k] = v end
    return p
  end

  local function annotation_import(extra)
    local p = { destinationName = "my_store", roleArn = ROLE, items = { { source = "s3://bucket/a.vcf" } } }
    for k, v in pairs(extra or {}) do p[k] = v end
    return p
  end

  local function nested(depth, key)
    local root = {}
    local cur = root
    for _ = 1, depth do
      local n = {}
      cur[key or 1] = n
      cur = n
    end
    return root
  end

  --------------------------------------------------------------- types

  describe("wrong types", function()
    it("at the top level", function()
      refused("GetReferenceMetadata", { referenceStoreId = STORE, id = true },
              { "invalid parameters for GetReferenceMetadata: id: expected a string, got boolean" })
      refused("get_reference", { referenceStoreId = STORE, id = STORE, partNumber = "1" },
              { "partNumber: expected an integer, got string" })
      refused("CreateWorkflow", { definitionZip = 5 }, { "definitionZip: expected a string of bytes, got integer" })
      refused("ListReadSets", { sequenceStoreId = STORE, filter = { createdAfter = true } },
              { "filter.createdAfter: expected a timestamp (epoch seconds or an ISO 8601 string), got boolean" })
    end)

    it("inside nested structures", function()
      refused("ListReadSets", { sequenceStoreId = STORE, filter = { name = 5 } },
              { "invalid parameters for ListReadSets: filter.name: expected a string, got integer" })
      refused("StartAnnotationImportJob",
              annotation_import { formatOptions = { tsvOptions = { readOptions = { quoteAll = "yes" } } } },
              { "formatOptions.tsvOptions.readOptions.quoteAll: expected a boolean, got string" })
      refused("StartRunBatch", { defaultRunSetting = { workflowId = "1", roleArn = ROLE, priority = "high" },
                                 batchRunSettings = { s3UriSettings = "s3://bucket/runs.json" } },
              { "defaultRunSetting.priority: expected an integer, got string" })
    end)

    it("inside list items", function()
      refused("StartReadSetImportJob", import_job { source(), source { subjectId = 1 } },
              { "sources[2].subjectId: expected a string, got integer" })
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { "a", "b", false } },
              { "tagKeys[3]: expected a string, got boolean" })
      refused("StartReadSetImportJob", import_job { source { sourceFiles = { source1 = {} } } },
              { "sources[1].sourceFiles.source1: expected a string, got table" })
    end)

    it("in map values, including structures and lists in maps", function()
      refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { team = "a", cost = 12 } },
              { "tags.cost: expected a string, got integer" })
      refused("CreateWorkflow", { parameterTemplate = { reads = { description = "reads", optional = "no" } } },
              { "parameterTemplate.reads.optional: expected a boolean, got string" })
      refused("StartReadSetImportJob", import_job { source { tags = { k = true } } },
              { "sources[1].tags.k: expected a string, got boolean" })
    end)

    it("in map keys: they must be strings", function()
      refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { [1] = "v" } },
              { "tags: expected a map with string keys, found a key of type integer" })
      refused("StartAnnotationImportJob", annotation_import { annotationFields = { [7] = "x" } },
              { "annotationFields: expected a map with string keys, found a key of type integer" })
      -- a map key is checked against the key's shape too
      refused("StartAnnotationImportJob", annotation_import { annotationFields = { [string.rep("k", 22)] = "x" } },
              { "annotationFields." .. string.rep("k", 22) .. ": length 22 characters is above the maximum of 21" })
    end)

    it("in union members", function()
      refused("CreateAnnotationStore", { storeFormat = "TSV", reference = { referenceArn = false } },
              { "reference.referenceArn: expected a string, got boolean" })
      refused("CreateAnnotationStore", { storeFormat = "TSV", storeOptions = { tsvStoreOptions = { annotationType = 7 } } },
              { "storeOptions.tsvStoreOptions.annotationType: expected a string, got integer" })
      refused("CreateAnnotationStore", { storeFormat = "TSV",
                                         storeOptions = { tsvStoreOptions = { schema = { { chrom = 5 } } } } },
              { "storeOptions.tsvStoreOptions.schema[1].chrom: expected a string, got integer" })
      refused("StartRunBatch", { defaultRunSetting = { workflowId = "1", roleArn = ROLE },
                                 batchRunSettings = { inlineSettings = "all of them" } },
              { "batchRunSettings.inlineSettings: expected a list (a table with keys 1..n), got string" })
      refused("StartRunBatch", { defaultRunSetting = { workflowId = "1", roleArn = ROLE },
                                 batchRunSettings = { inlineSettings = { { runSettingId = 1 } } } },
              { "batchRunSettings.inlineSettings[1].runSettingId: expected a string, got integer" })
      refused("StartAnnotationImportJob", annotation_import { formatOptions = { tsvOptions = {}, vcfOptions = {} } },
              { "formatOptions: a union (FormatOptions) takes exactly one member, 2 are set" })
    end)

    it("a table where a scalar is expected", function()
      refused("CreateReferenceStore", { name = {} }, { "name: expected a string, got table" })
      refused("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = { 1 } },
              { "partNumber: expected an integer, got table" })
      refused("StartAnnotationImportJob", annotation_import { runLeftNormalization = { true } },
              { "runLeftNormalization: expected a boolean, got table" })
      -- no __tostring coercion either
      local stringish = setmetatable({}, { __tostring = function() return "name" end })
      refused("CreateReferenceStore", { name = stringish }, { "name: expected a string, got table" })
    end)

    it("a scalar where a table is expected", function()
      refused("ListReadSets", { sequenceStoreId = STORE, filter = "ACTIVE" },
              { "filter: expected a table (structure ReadSetFilter), got string" })
      refused("StartReadSetImportJob", import_job(source()),
              { "sources: expected a list (a table with keys 1..n), found the key \"" })
      refused("StartReadSetImportJob", import_job "s3://bucket/r1.fastq",
              { "sources: expected a list (a table with keys 1..n), got string" })
      refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = 5 },
              { "tags: expected a map (a table with string keys), got integer" })
      refused("StartRunBatch", { defaultRunSetting = { workflowId = "1", roleArn = ROLE },
                                 batchRunSettings = "s3://bucket/runs.json" },
              { "batchRunSettings: expected a table (structure BatchRunSettings), got string" })
    end)

    it("booleans and strings are not interchangeable", function()
      refused("StartAnnotationImportJob", annotation_import { runLeftNormalization = "true" },
              { "runLeftNormalization: expected a boolean, got string" })
      refused("StartAnnotationImportJob", annotation_import { runLeftNormalization = 1 },
              { "runLeftNormalization: expected a boolean, got integer" })
      refused("StartAnnotationImportJob", annotation_import { formatOptions = { vcfOptions = { ignoreQualField = "false" } } },
              { "formatOptions.vcfOptions.ignoreQualField: expected a boolean, got string" })
      refused("CreateReferenceStore", { name = true }, { "name: expected a string, got boolean" })
    end)

    it("a string is not a number, and a number not a string (no coercion)", function()
      refused("StartRun", run { priority = "5" }, { "priority: expected an integer, got string" })
      refused("ListRuns", { maxResults = "10" }, { "maxResults: expected an integer, got string" })
      refused("GetReferenceMetadata", { referenceStoreId = 1234567890, id = STORE },
              { "referenceStoreId: expected a string, got integer" })
      refused("GetReferenceMetadata", { referenceStoreId = STORE, id = 1234567890.5 },
              { "id: expected a string, got number" })
      probe_refused({ label = "x", d = "1.5", qd = "2" },
                    { "d: expected a number, got string", "qd: expected a number, got string" })
      probe_refused({ label = "x", l = "12" }, { "l: expected an integer, got string" })
      refused("ListReadSets", { sequenceStoreId = STORE, filter = { createdAfter = "yesterday" } },
              { "filter.createdAfter: expected a timestamp (epoch seconds or ISO 8601), got \"yesterday\"" })
    end)
  end)

  ----------------------------------------------------------- NaN, inf

  describe("NaN and infinities", function()
    it("are refused for integers, naming the member", function()
      refused("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = NAN },
              { pat "partNumber: expected an integer, got NaN" })
      refused("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = INF },
              { "partNumber: expected an integer, got inf" })
      refused("StartRun", run { priority = -INF }, { "priority: expected an integer, got -inf" })
      refused("StartRunBatch", { defaultRunSetting = { workflowId = "1", roleArn = ROLE },
                                 batchRunSettings = { inlineSettings = { { runSettingId = "a", priority = NAN } } } },
              { pat "batchRunSettings%.inlineSettings%[1%]%.priority: expected an integer, got NaN" })
    end)

    it("are refused for longs, in the body, a header, the query, lists and structures", function()
      probe_refused({ label = "x", l = NAN }, { pat "l: expected an integer, got NaN" })
      probe_refused({ label = "x", hdrLong = INF, ql = -INF, ls = { 1, NAN }, inner = { l = INF } }, {
        "hdrLong: expected an integer, got inf", "ql: expected an integer, got -inf",
        pat "ls%[2%]: expected an integer, got NaN", "inner.l: expected an integer, got inf" })
    end)

    it("are refused for strings (no coercion) and timestamps", function()
      refused("GetReference", { referenceStoreId = NAN, id = STORE, partNumber = 1 },
              { "referenceStoreId: expected a string, got number" })
      refused("CreateReferenceStore", { name = INF }, { "name: expected a string, got number" })
      probe_refused({ label = -INF }, { "label: expected a string, got number" })
      refused("ListReadSets", { sequenceStoreId = STORE, filter = { createdAfter = NAN, createdBefore = INF } }, {
        "filter.createdAfter: expected a timestamp (epoch seconds or an ISO 8601 string), got number",
        "filter.createdBefore: expected a timestamp" })
    end)

    it("are refused in documents, which are JSON", function()
      refused("StartRun", run { parameters = { depth = { 1, 2, NAN } } },
              { "invalid parameters for StartRun: parameters: not a JSON document", "NaN" })
      refused("StartRun", run { engineSettings = { x = -INF } }, { "engineSettings: not a JSON document", "infinity" })
    end)

    it("are sent for doubles and floats, as rest-json writes them", function()
      local req = prepared("Probe", { label = "x", d = NAN, f = INF, ds = { NAN, INF, -INF }, dm = { a = NAN },
                                      inner = { d = -INF }, hdrDbl = NAN, qd = -INF }, probe)
      local body = helper.json.decode(req.body)
      assert.are.equal("NaN", body.d)
      assert.are.equal("Infinity", body.f)
      assert.are.same({ "NaN", "Infinity", "-Infinity" }, body.ds)
      assert.are.same({ a = "NaN" }, body.dm)
      assert.are.same({ d = "-Infinity" }, body.inner)
      assert.are.equal("NaN", req.headers["X-Probe-Dbl"])
      assert.are.equal("qd=-Infinity", req.query)
      -- and they do go out: the emulator sees them (it does not know Probe)
      local before = emu:stats().requests
      probe:call("Probe", { label = "nan", d = NAN, hdrDbl = INF })
      assert.are.equal(before + 1, emu:stats().requests)
      local seen = emu:requests(1)[1]
      assert.are.equal("NaN", helper.json.decode(seen.body).d)
      local hdr
      for _, h in ipairs(seen.headers) do
        if h[1]:lower() == "x-probe-dbl" then hdr = h[2] end
      end
      assert.are.equal("Infinity", hdr)
    end)
  end)

  ------------------------------------------------------------ integers

  describe("integers", function()
    it("out of the shape's range", function()
      refused("StartRun", run { priority = 100001 }, { "priority: value 100001 is above the maximum of 100000" })
      refused("StartRun", run { storageCapacity = -1 }, { "storageCapacity: value -1 is below the minimum of 0" })
      refused("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = 0 },
              { "partNumber: value 0 is below the minimum of 1" })
      refused("ListRuns", { maxResults = -0.0 }, { "maxResults: value 0 is below the minimum of 1" })
      probe_refused({ label = "x", rl = 5497558138881 }, { "rl: value 5497558138881 is above the maximum of 5497558138880" })
      probe_refused({ label = "x", rl = 0 }, { "rl: value 0 is below the minimum of 1" })
    end)

    it("out of the type's range: int32 given 2^31, longs given 2^63 as a float", function()
      refused("StartRun", run { priority = 2 ^ 31 }, { "priority: 2147483648 is out of range for a 32-bit integer" })
      refused("StartRun", run { priority = 2147483648 }, { "priority: 2147483648 is out of range for a 32-bit integer" })
      refused("StartRun", run { priority = -2147483649 }, { "priority: -2147483649 is out of range for a 32-bit integer" })
      probe_refused({ label = "x", hdrInt = 2 ^ 31 }, { "hdrInt: 2147483648 is out of range for a 32-bit integer" })
      probe_refused({ label = "x", l = 2 ^ 63 }, { "l: 9223372036854775808 is out of range for a 64-bit integer" })
      probe_refused({ label = "x", hdrLong = 2 ^ 63, ql = -2 ^ 64, ls = { 1e300 } }, {
        "hdrLong: 9223372036854775808 is out of range for a 64-bit integer",
        "ql: -18446744073709551616 is out of range for a 64-bit integer",
        "ls[1]: " })
      -- the edges that fit are sent
      local req = prepared("Probe", { label = "x", l = -2 ^ 63, hdrInt = -2147483648, hdrLong = 2 ^ 53,
                                      ql = 9007199254740992 }, probe)
      assert.matches('"l":%-9223372036854775808', req.body)
      assert.are.equal("-2147483648", req.headers["X-Probe-Int"])
      assert.are.equal("9007199254740992", req.headers["X-Probe-Long"])
      assert.are.equal("ql=9007199254740992", req.query)
      -- 2^63 - 1 is a Lua 5.4 integer; on LuaJIT the literal is the double 2^63
      local max = 9223372036854775807
      if helper.luajit then
        probe_refused({ label = "x", l = max }, { "l: 9223372036854775808 is out of range for a 64-bit integer" })
      else
        assert.matches('"l":9223372036854775807', prepared("Probe", { label = "x", l = max }, probe).body)
      end
    end)

    it("non-integral numbers are not integers", function()
      refused("StartRun", run { priority = 1.5 }, { "priority: expected an integer, got 1.5" })
      refused("ListRuns", { maxResults = 100.25 }, { "maxResults: expected an integer, got 100.25" })
      refused("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = 1e-300 },
              { "partNumber: expected an integer, got 1e-300" })
      probe_refused({ label = "x", rl = 2.5, ls = { 1, 2, 3.75 } },
                    { "rl: expected an integer, got 2.5", "ls[3]: expected an integer, got 3.75" })
      -- an integral float is an integer, on both runtimes
      local req = prepared("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = 2.0 })
      assert.are.equal("partNumber=2", req.query)
    end)
  end)

  ---------------------------------------------------- depth and cycles

  describe("deep and cyclic tables", function()
    it("a document 10,000 levels deep: a clear message, no stack overflow", function()
      local err = refused("StartRun", run { parameters = nested(10000) },
                          { "params.parameters[1][1][1]", "nested deeper than 100 levels" })
      assert.is_true(#err.message < 2000, "the message stays short")
      refused("StartRun", run { engineSettings = nested(10000, "k") },
              { "params.engineSettings.k.k.k", "nested deeper than 100 levels" })
      -- a reasonable depth is fine
      local req = prepared("StartRun", run { parameters = nested(50, "k") })
      assert.matches('"parameters":{"k":{"k":', req.body)
    end)

    it("nested lists 10,000 deep, for a list and for a structure", function()
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = nested(10000) },
              { "params.tagKeys[1][1]", "nested deeper than 100 levels" })
      refused("ListReadSets", { sequenceStoreId = STORE, filter = nested(10000, "name") },
              { "params.filter.name.name", "nested deeper than 100 levels" })
    end)

    it("cyclic tables at several depths: named, not followed forever", function()
      local p = { name = "store" }
      p.me = p
      refused("CreateReferenceStore", p, { "params.me: a cyclic table (it contains itself)" })
      local keys = {}
      keys[1] = keys
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = keys },
              { "params.tagKeys[1]: a cyclic table (it contains itself)" })
      local src = source()
      src.tags = { back = { to = { sources = nil } } }
      local list = { src }
      src.tags.back.to.sources = list
      refused("StartReadSetImportJob", import_job(list),
              { "params.sources[1].tags.back.to.sources: a cyclic table (it contains itself)" })
      local doc = { a = { b = {} } }
      doc.a.b.c = doc.a
      refused("StartRun", run { parameters = doc }, { "params.parameters.a.b.c: a cyclic table (it contains itself)" })
      local union = { tsvStoreOptions = {} }
      union.tsvStoreOptions.formatToHeader = union
      refused("CreateAnnotationStore", { storeFormat = "TSV", storeOptions = union },
              { "params.storeOptions.tsvStoreOptions.formatToHeader: a cyclic table (it contains itself)" })
    end)

    it("a table used twice without a cycle is not mistaken for one", function()
      local tags = { team = "genomics" }
      local req = prepared("StartReadSetImportJob", import_job { source { tags = tags }, source { tags = tags } })
      local body = helper.json.decode(req.body)
      assert.are.same(tags, body.sources[1].tags)
      assert.are.same(tags, body.sources[2].tags)
    end)
  end)

  ------------------------------------------------------- huge strings

  describe("huge strings", function()
    local big

    setup(function() big = string.rep("a", 64 * MB) end)
    teardown(function()
      big = nil
      collectgarbage()
    end)

    it("64 MB for members with a maximum length: refused quickly, in every location", function()
      refused("CreateReferenceStore", { name = big },
              { "name: length 67108864 characters is above the maximum of 127" }, nil, 5)
      refused("GetReferenceMetadata", { referenceStoreId = STORE, id = big },
              { "id: length 67108864 characters is above the maximum of 36" }, nil, 5)
      refused("ListRuns", { name = big }, { "name: length 67108864 characters is above the maximum of 128" }, nil, 5)
      refused("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = 1, range = big },
              { "range: length 67108864 characters is above the maximum of 127" }, nil, 5)
      refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { k = big } },
              { "tags.k: length 67108864 characters is above the maximum of 256" }, nil, 5)
      refused("StartReadSetImportJob", import_job { source { description = big } },
              { "sources[1].description: length 67108864 characters is above the maximum of 255" }, nil, 5)
    end)

    it("64 MB with one invalid byte at the end: refused quickly as not UTF-8", function()
      refused("CreateReferenceStore", { name = big .. "\255" }, { "name: not valid UTF-8" }, nil, 5)
      refused("StartRun", run { parameters = { x = big .. "\192" } }, { "parameters: not a JSON document" }, nil, 5)
    end)

    it("a million items for a list or map with a maximum: refused quickly", function()
      local patterns, tags = {}, {}
      for i = 1, 1000000 do patterns[i] = "*.bam" end
      for i = 1, 200000 do tags["k" .. i] = "v" end
      refused("CreateWorkflow", { definitionRepository = { connectionArn = "arn:aws:codeconnections:x",
                                                           fullRepositoryId = "org/repo",
                                                           excludeFilePatterns = patterns } },
              { "definitionRepository.excludeFilePatterns: length 1000000 items is above the maximum of 50" }, nil, 5)
      refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = tags },
              { "tags: length 200000 entries is above the maximum of 50" }, nil, 5)
    end)

    it("the length of a list in the query string is checked too", function()
      local keys = {}
      for i = 1, 51 do keys[i] = "k" .. i end
      do
        refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = keys },
                { "tagKeys: length 51 items is above the maximum of 50" })
        for i = 52, 1000000 do keys[i] = "k" end
        refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = keys },
                { "tagKeys: length 1000000 items is above the maximum of 50" }, nil, 5)
      end
    end)

    it("a huge key is not copied whole into the message", function()
      local key = string.rep("k", MB)
      do
        local err = refused("CreateReferenceStore", { name = "store", [key] = 1 }, { "unknown parameter" })
        assert.is_true(#err.message < 4096, ("the message is %d bytes"):format(#err.message))
        err = refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { [key] = 1 } },
                      { "expected a string, got integer" })
        assert.is_true(#err.message < 4096, ("the message is %d bytes"):format(#err.message))
        err = refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { [key] = print } },
                      { "a function cannot be sent" })
        assert.is_true(#err.message < 4096, ("the message is %d bytes"):format(#err.message))
      end
    end)

    it("a refused 64 MB value leaves no copies behind in the client", function()
      if (os.getenv("OMICS_PRELOAD") or "") ~= "" then
        print("hostile_input_spec: resident memory is not measured under the sanitizers")
        pending("resident memory under AddressSanitizer says nothing about the module")
        return
      end
      if not rss() then
        pending("no /proc/self/status here to measure resident memory")
        return
      end
      local c = helper.client(emu)
      collectgarbage()
      collectgarbage()
      local before = rss()
      refused_by(function() return c:create_reference_store { name = big } end, { "name: length 67108864" })
      refused_by(function() return c:get_reference_metadata { referenceStoreId = STORE, id = big } end,
                 { "id: length 67108864" })
      refused_by(function() return c:list_runs { name = big } end, { "name: length 67108864" })
      refused_by(function() return c:get_reference { referenceStoreId = STORE, id = STORE, partNumber = 1,
                                                     range = big } end, { "range: length 67108864" })
      collectgarbage()
      collectgarbage()
      local grown = rss() - before
      c:close()
      do
        assert.is_true(grown < 32 * MB, ("resident memory grew by %.0f MB"):format(grown / MB))
      end
    end)
  end)

  --------------------------------------------------- NUL and UTF-8

  describe("embedded NUL bytes", function()
    it("are sent escaped in JSON bodies: strings, map keys, documents", function()
      local req = prepared("CreateReferenceStore", { name = "a\0b" })
      assert.are.equal('{"name":"a\\u0000b"}', req.body)
      req = prepared("TagResource", { resourceArn = "arn:aws:omics:x", tags = { ["k\0"] = "v\0" } })
      assert.are.equal('{"tags":{"k\\u0000":"v\\u0000"}}', req.body)
      req = prepared("StartRun", run { parameters = { ["x\0"] = { "\0" } } })
      assert.matches('"parameters":{"x\\u0000":%["\\u0000"%]}', req.body)
      assert.are.same({ ["x\0"] = { "\0" } }, helper.json.decode(req.body).parameters)
    end)

    it("are refused in header members", function()
      refused("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = 1, range = "bytes=0-1\0" },
              { "range: a header value cannot contain CR, LF or NUL" })
      probe_refused({ label = "x", hdr = "a\0b" }, { "hdr: a header value cannot contain CR, LF or NUL" })
      probe_refused({ label = "x", hdr = "a\r\nX-Injected: 1" }, { "hdr: a header value cannot contain CR, LF or NUL" })
    end)

    it("are percent-encoded in path labels and the query, and reach the service as given", function()
      local req = prepared("GetReferenceMetadata", { referenceStoreId = STORE, id = "12345\0" .. "67890" })
      assert.are.equal("/referencestore/1234567890/reference/12345%0067890/metadata", req.path)
      req = prepared("ListRuns", { name = "a\0b" })
      assert.are.equal("name=a%00b", req.query)
      local res, err = client:get_reference_metadata { referenceStoreId = STORE, id = "12345\0" .. "67890" }
      assert.is_nil(res)
      assert.are.equal("service", err.kind) -- the emulator refused it, after routing it
      local seen = emu:requests(1)[1]
      assert.are.equal("/referencestore/1234567890/reference/12345%0067890/metadata", seen.raw_path)
      assert.are.equal("12345\0" .. "67890", seen.labels.id)
    end)

    it("in an answer's strings are refused, never cut short", function()
      local body
      local c = helper.client(emu, { transport = function() return 200, {}, body end })
      local store = '{"id":"1234567890","arn":"arn:aws:omics:us-east-1:1:referencestore/1234567890",' ..
                    '"creationTime":"2024-01-01T00:00:00Z","name":%s}'
      for _, name in ipairs { '"a\\u0000b"', '"a\\u0000"', '"\\\\\\u0000"' } do
        body = store:format(name)
        local res, err = c:get_reference_store { id = "1234567890" }
        assert.is_nil(res, name)
        assert.are.equal("ResponseParseError", err.code)
        assert.matches("holds U%+0000", err.message)
      end
      -- a backslash that is text, then "u0000": no NUL at all
      body = store:format('"a\\\\u0000b"')
      local res = assert(c:get_reference_store { id = "1234567890" })
      assert.are.equal("a\\u0000b", res.name)
      -- a raw NUL byte is not JSON at all
      body = store:format('"a\0b"')
      local none, err = c:get_reference_store { id = "1234567890" }
      assert.is_nil(none)
      assert.are.equal("ResponseParseError", err.code)
    end)

    it("in an answer that is not strict JSON are refused, saying what and where", function()
      local body
      local c = helper.client(emu, { transport = function() return 200, {}, body end })
      local good = '{"id":"1234567890","name":"store"}'
      for _, case in ipairs {
        { good .. ' trailing', "text after the JSON value at byte " .. #good + 1 },
        { '{"id":"1234567890","name":"a\tb"}', "control character inside a string.- at byte 28" },
        { '{"id":"1234567890","name":"x","maxSize":01}', "not followed by a comma or } at byte 41" },
        { '{"id":"1234567890","name":"x","maxSize":1.}', "decimal point at byte 42" },
        { '{"id":"1234567890","name":"x"', "not followed by a comma or } at byte 29" },
      } do
        body = case[1]
        local res, err = c:get_reference_store { id = "1234567890" }
        assert.is_nil(res, case[1])
        assert.are.equal("ResponseParseError", err.code)
        assert.is_truthy(err.message:find(("not valid JSON (%d bytes): "):format(#case[1]), 1, true), err.message)
        assert.matches(case[2], err.message)
      end
      body = good
      assert.are.equal("store", assert(c:get_reference_store { id = "1234567890" }).name)
    end)

    it("in a key do not cut the message short", function()
      do
        refused("CreateReferenceStore", { name = "store", ["a\0b"] = 1 }, { "unknown parameter (valid: name" })
        refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { ["k\0x"] = 1, z = 2 } },
                { "expected a string, got integer", "tags.z: expected a string, got integer" })
        refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { ["k\0x"] = print } },
                { "params.tags.k\\x00x: a function cannot be sent" })
      end
    end)
  end)

  describe("invalid UTF-8", function()
    local bad = {
      { "a lone continuation byte", "ab\128" },
      { "a truncated sequence", "ab\226\130" },
      { "a byte that never appears", "\255" },
      { "an overlong '/' in two bytes", "\192\175" },
      { "an overlong '/' in three bytes", "\224\128\175" },
      { "an overlong NUL", "\192\128" },
      { "a lone high surrogate (U+D800)", "x\237\160\128" },
      { "a lone low surrogate (U+DFFF)", "\237\191\191" },
      { "a surrogate pair encoded as two 3-byte sequences", "\237\160\189\237\184\128" },
      { "a code point above U+10FFFF", "\244\144\128\128" },
    }

    it("is refused in body strings, naming the member", function()
      for _, case in ipairs(bad) do
        refused("CreateReferenceStore", { name = case[2] }, { "name: not valid UTF-8" })
      end
    end)

    it("is refused in labels, the query, headers, list items, map keys and values, and documents", function()
      for _, case in ipairs(bad) do
        local s = case[2]
        refused("GetReferenceMetadata", { referenceStoreId = STORE, id = "1234567890" .. s }, { "id: not valid UTF-8" })
        refused("ListRuns", { name = s }, { "name: not valid UTF-8" })
        probe_refused({ label = "x", hdr = s }, { "hdr: not valid UTF-8" })
        refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { "ok", s } },
                { "tagKeys[2]: not valid UTF-8" })
        refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { ok = s } }, { "tags.ok: not valid UTF-8" })
        refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { ["k" .. s] = "v" } }, { "not valid UTF-8" })
        refused("StartRun", run { parameters = { s } }, { "parameters: not a JSON document", "UTF-8" })
        refused("StartRun", run { parameters = { [s] = 1 } }, { "parameters: not a JSON document", "UTF-8" })
      end
    end)

    it("valid UTF-8 is sent, and lengths count characters", function()
      local req = prepared("CreateReferenceStore", { name = "\240\159\167\172 g\195\169nome \239\191\191" })
      assert.are.equal("\240\159\167\172 g\195\169nome \239\191\191", helper.json.decode(req.body).name)
      prepared("CreateReferenceStore", { name = string.rep("\195\169", 127) }) -- 254 bytes, 127 characters
      refused("CreateReferenceStore", { name = string.rep("\195\169", 128) },
              { "name: length 128 characters is above the maximum of 127" })
    end)
  end)

  ---------------------------------------------------- unknown members

  describe("unknown members", function()
    it("at every depth, listing the valid ones", function()
      refused("GetReferenceMetadata", { referenceStoreId = STORE, id = STORE, Id = "x" },
              { "Id: unknown parameter (valid: id, referenceStoreId)" })
      refused("ListReadSets", { sequenceStoreId = STORE, filter = { nmae = "x" } },
              { "filter.nmae: unknown parameter (valid: name, status, referenceArn, createdAfter, createdBefore, " ..
                "sampleId, subjectId, generatedFrom, creationType)" })
      refused("StartReadSetImportJob", import_job { source(), source { sourceFiles = { source1 = "s3://b/k", source3 = "x" } } },
              { "sources[2].sourceFiles.source3: unknown parameter (valid: source1, source2)" })
      refused("CreateAnnotationStore", { storeFormat = "TSV", storeOptions = { tsvStoreOptions = { annotation = "x" } } },
              { "storeOptions.tsvStoreOptions.annotation: unknown parameter (valid: annotationType, formatToHeader, schema)" })
      refused("CreateWorkflow", { parameterTemplate = { reads = { descr = "x" } } },
              { "parameterTemplate.reads.descr: unknown parameter (valid: description, optional)" })
      probe_refused({ label = "x", inner = { L = 1 } }, { "inner.L: unknown parameter (valid: " })
    end)

    it("in a union: both the unknown member and the empty union are reported", function()
      refused("StartAnnotationImportJob", annotation_import { formatOptions = { csvOptions = {} } }, {
        "formatOptions.csvOptions: unknown parameter (valid: tsvOptions, vcfOptions)",
        "formatOptions: a union (FormatOptions) takes exactly one member, 0 are set" })
    end)

    it("keys that are not strings where a structure is expected", function()
      refused("CreateReferenceStore", { "store" },
              { "params: structure CreateReferenceStoreRequest has string keys only, found a key of type integer" })
      refused("ListReadSets", { sequenceStoreId = STORE, filter = { "ACTIVE" } },
              { "filter: structure ReadSetFilter has string keys only, found a key of type integer" })
    end)
  end)

  ------------------------------------------------ lists, maps, empties

  describe("lists and maps as Lua tables", function()
    it("a list with holes is refused, naming the key", function()
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { [1] = "a", [3] = "c" } },
              { "tagKeys: expected a list (a table with keys 1..n), found the key 3" })
      refused("StartReadSetImportJob", import_job { [2] = source() },
              { "sources: expected a list (a table with keys 1..n), found the key 2" })
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { [0] = "a", "b" } },
              { "tagKeys: expected a list (a table with keys 1..n), found the key 0" })
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { [-1] = "a" } },
              { "tagKeys: expected a list (a table with keys 1..n), found the key -1" })
    end)

    it("a list with string keys is refused, naming the key", function()
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { "a", extra = "c" } },
              { "tagKeys: expected a list (a table with keys 1..n), found the key \"extra\"" })
    end)

    it("a map given as an array is refused", function()
      refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { "team", "genomics" } },
              { "tags: expected a map with string keys, found a key of type integer" })
      refused("StartRun", run { tags = { { team = "genomics" } } },
              { "tags: expected a map with string keys, found a key of type integer" })
    end)

    it("an empty table is an empty list or map where one is expected", function()
      local req = prepared("TagResource", { resourceArn = "arn:aws:omics:x", tags = {} })
      assert.are.equal('{"tags":{}}', req.body)
      req = prepared("CreateWorkflow", { requestId = "r", containerRegistryMap = { registryMappings = {}, imageMappings = {} } })
      assert.matches('"registryMappings":%[%]', req.body)
      assert.matches('"imageMappings":%[%]', req.body)
      req = prepared("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = {} })
      assert.are.equal("", req.query)
      -- but the list's own minimum still holds
      refused("StartReadSetImportJob", import_job {}, { "sources: length 0 items is below the minimum of 1" })
    end)

    it("an empty table is not a structure with required members, nor a union", function()
      refused("StartReadSetImportJob", import_job { source { sourceFiles = {} } },
              { "sources[1].sourceFiles.source1: required parameter is missing" })
      local err = refused("StartRunBatch", { defaultRunSetting = {}, batchRunSettings = {} }, {
        "defaultRunSetting.workflowId: required parameter is missing",
        "defaultRunSetting.roleArn: required parameter is missing",
        "batchRunSettings: a union (BatchRunSettings) takes exactly one member, 0 are set" })
      assert.is_nil(err.message:find("requestId", 1, true), "an idempotency token is filled in, not required")
      refused("CreateMultipartReadSetUpload", {}, {
        "sequenceStoreId: required parameter is missing", "sourceFileType: required parameter is missing",
        "subjectId: required parameter is missing", "sampleId: required parameter is missing",
        "name: required parameter is missing" })
    end)

    it("omics.null: absent for a member, refused in lists and maps that are not sparse", function()
      refused("CreateReferenceStore", { name = omics.null }, { "name: required parameter is missing" })
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { omics.null } },
              { "tagKeys[1]: expected a string, got null" })
      refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { a = omics.null } },
              { "tags.a: null is not allowed as a value in this map" })
      local req = prepared("StartRun", run { parameters = { x = omics.null } })
      assert.matches('"parameters":{"x":null}', req.body)
    end)

    it("metatables are not consulted: a table is read as it is", function()
      local trap = { __index = function() error("__index was called") end,
                     __pairs = function() error("__pairs was called") end,
                     __len = function() error("__len was called") end }
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = setmetatable({ "a", 5 }, trap) },
              { "tagKeys[2]: expected a string, got integer" })
      local req = prepared("TagResource", { resourceArn = "arn:aws:omics:x", tags = setmetatable({ a = "b" }, trap) })
      assert.are.equal('{"tags":{"a":"b"}}', req.body)
    end)
  end)

  ---------------------------------------------------- unsendable values

  describe("values Lua cannot send", function()
    it("functions, at any depth", function()
      refused("GetReferenceMetadata", { referenceStoreId = STORE, id = print },
              { "params.id: a function cannot be sent" })
      refused("StartReadSetImportJob", import_job { source { tags = { k = function() end } } },
              { "params.sources[1].tags.k: a function cannot be sent" })
      refused("StartRun", run { parameters = { steps = { 1, 2, print } } },
              { "params.parameters.steps[3]: a function cannot be sent" })
    end)

    it("coroutines", function()
      refused("CreateReferenceStore", { name = coroutine.create(print) }, { "params.name: a thread cannot be sent" })
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { coroutine.running() or coroutine.create(print) } },
              { "params.tagKeys[1]: a thread cannot be sent" })
    end)

    it("open files where no streaming payload is", function()
      local f = io.tmpfile()
      refused("CreateReferenceStore", { name = f }, { "name: expected a string, got file" })
      refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { f } },
              { "tagKeys[1]: expected a string, got file" })
      refused("CreateWorkflow", { definitionZip = f }, { "definitionZip: expected a string of bytes, got file" })
      refused("StartRun", run { parameters = { out = f } }, { "parameters: not a JSON document" })
      f:close()
      -- io.stdout is a file too; when it is a pipe (as under tools/run_tests.sh)
      -- it is refused earlier, as a file without a length
      local expect = io.stdout:seek("cur") and "name: expected a string, got file"
                     or "params.name: a file that cannot seek (a pipe?) has no length to send"
      refused("CreateReferenceStore", { name = io.stdout }, { expect })
    end)

    it("closed files, and a pipe as the streaming payload", function()
      local f = io.tmpfile()
      f:close()
      refused("CreateReferenceStore", { name = f }, { "params.name: a userdata cannot be sent" })
      refused("UploadReadSetPart", { sequenceStoreId = STORE, uploadId = STORE, partSource = "SOURCE1",
                                     partNumber = 1, payload = f }, { "params.payload: a userdata cannot be sent" })
      local pipe = io.popen("exec 2>/dev/null; echo reads") -- (its echo may meet a closed pipe)
      refused("UploadReadSetPart", { sequenceStoreId = STORE, uploadId = STORE, partSource = "SOURCE1",
                                     partNumber = 1, payload = pipe },
              { "params.payload: a file that cannot seek (a pipe?) has no length to send" })
      pipe:close()
    end)

    it("light userdata other than omics.null", function()
      local light = debug.upvalueid(refused, 1)
      assert.are.equal("userdata", type(light))
      refused("CreateReferenceStore", { name = light }, { "params.name: a userdata cannot be sent" })
      refused("StartRun", run { parameters = { light } }, { "params.parameters[1]: a userdata cannot be sent" })
    end)

    it("keys Lua cannot send are named by their type", function()
      do
        refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { [true] = "v" } },
                { "params.tags: a table key of type boolean" })
        refused("CreateReferenceStore", { name = "store", [false] = 1 }, { "params: a table key of type boolean" })
        refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = { [1.5] = "v" } },
                { "params.tags: a table key of type number" })
        refused("StartRun", run { parameters = { [print] = 1 } }, { "params.parameters: a table key of type function" })
      end
    end)

    it("a bad value under a large integer key names that key", function()
      do
        refused("UntagResource", { resourceArn = "arn:aws:omics:x", tagKeys = { [1099511627776] = print } },
                { "params.tagKeys[1099511627776]: a function cannot be sent" })
      end
    end)
  end)

  ---------------------------------------------- params and call options

  describe("params and call options", function()
    it("params that are not a table", function()
      refused("GetReferenceMetadata", "1234567890", { "params: expected a table, got string" })
      refused("list_runs", 5, { "params: expected a table, got number" })
      refused("ListRuns", true, { "params: expected a table, got boolean" })
      refused("ListRuns", print, { "params: expected a table, got function" })
      refused_by(function() return client:prepare("ListRuns", "x") end, { "params: expected a table, got string" })
      -- nil is no parameters at all
      assert.are.equal("GET", prepared("ListRuns", nil).method)
    end)

    it("call options that are not a table", function()
      refused("ListRuns", {}, { "call options: expected a table, got string" }, "sink")
      refused("get_reference", { referenceStoreId = STORE, id = STORE, partNumber = 1 },
              { "call options: expected a table, got number" }, 1)
    end)

    it("unknown call options are refused", function()
      refused("ListRuns", {}, { "call options: unknown option snik (options: sink)" }, { snik = "/tmp/x" })
      refused("ListRuns", {}, { "call options: unknown option a key of type number (options: sink)" }, { "sink" })
    end)

    it("unknown call options are named", function()
      do
        refused("ListRuns", {}, { "snik" }, { snik = "/tmp/x" })
      end
    end)

    it("a sink of the wrong type is named by its type", function()
      do
        refused("GetReference", { referenceStoreId = STORE, id = STORE, partNumber = 1 },
                { "sink: expected a function, an open file or a path, got number" }, { sink = 5 })
      end
    end)

    it("the same through a Lua transport: it is never called", function()
      local calls = 0
      local c = helper.client(emu, { transport = function()
        calls = calls + 1
        return 200, {}, "{}"
      end })
      refused_by(function() return c:list_runs("x") end, { "params: expected a table, got string" })
      refused_by(function() return c:list_runs({}, "sink") end, { "call options: expected a table" })
      refused_by(function() return c:list_runs({}, { snik = 1 }) end, { "call options: unknown option" })
      refused_by(function() return c:list_runs { maxResults = NAN } end, { pat "maxResults: expected an integer, got NaN" })
      local t = {}
      t[1] = t
      refused_by(function() return c:untag_resource { resourceArn = "arn:aws:omics:x", tagKeys = t } end,
                 { "params.tagKeys[1]: a cyclic table" })
      assert.are.equal(0, calls)
      c:close()
    end)

    it("paginators raise the validation error, having sent nothing", function()
      local before = emu:stats().requests
      local ok, err = pcall(function()
        for _ in client:paginate("ListRuns", { maxResults = 1.5 }) do end
      end)
      assert.is_false(ok)
      assert.are.equal("ParamValidationError", err.code)
      check_message(err.message, { "maxResults: expected an integer, got 1.5" })
      ok, err = pcall(function()
        for _ in client:paginate("ListRuns", {}, { page_size = "ten" }) do end
      end)
      assert.is_false(ok)
      assert.are.equal("ParamValidationError", err.code)
      check_message(err.message, { "maxResults: expected an integer, got string" })
      assert.are.equal(before, emu:stats().requests)
    end)

    it("paginators given params that are not a table", function()
      do
        local ok, err = pcall(function()
          for _ in client:paginate("ListRuns", "x") do end
        end)
        assert.is_false(ok)
        assert.is_table(err, "the error is the err table, not " .. short(err))
        assert.are.equal("ParamValidationError", err.code)
        check_message(err.message, { "params: expected a table, got string" })
      end
    end)
  end)

  ------------------------------------------------------- many errors

  describe("many errors at once", function()
    it("the first several are reported, then how many more", function()
      local err = refused("ListReadSets", {
        sequenceStoreId = 1, maxResults = "x", nextToken = 2,
        filter = { name = 1, status = 2, referenceArn = 3, sampleId = 4, subjectId = 5, generatedFrom = 6,
                   creationType = 7 } }, {
        "sequenceStoreId: expected a string, got integer", "maxResults: expected an integer, got string",
        "nextToken: expected a string, got integer", "filter.name: expected a string, got integer",
        pat "; and 2 more$" })
      local _, n = err.message:gsub("; ", "")
      assert.are.equal(8, n, "eight problems, then the count of the rest")
    end)

    it("a hundred thousand bad values: a short message, quickly", function()
      local tags = {}
      for i = 1, 100000 do tags["k" .. i] = i end
      local err = refused("TagResource", { resourceArn = "arn:aws:omics:x", tags = tags },
                          { "tags: length 100000 entries is above the maximum of 50", "; and 99993 more" }, nil, 5)
      assert.is_true(#err.message < 2000, ("the message is %d bytes"):format(#err.message))
    end)

    it("problems at several depths and of several kinds together", function()
      refused("StartReadSetImportJob", {
        sequenceStoreId = "short", roleArn = ROLE, bogus = 1,
        sources = { source { subjectId = 5 }, source { sourceFiles = {} }, source { tags = { k = 1 } } } }, {
        "sequenceStoreId: length 5 characters is below the minimum of 10",
        "bogus: unknown parameter", "sources[1].subjectId: expected a string, got integer",
        "sources[2].sourceFiles.source1: required parameter is missing", "sources[3].tags.k: expected a string" })
    end)
  end)
end)
