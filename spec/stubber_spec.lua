-- omics.stubber, used as a user testing their own code would: queued
-- answers instead of the service, nothing sent (the clients here point at a
-- port nothing listens on, or at a transport that fails the spec when
-- called), the model's checks on both sides, and the module's machinery
-- (paginators, waiters, call_many, downloads, retries, events) on top.
local helper = require "helper"
local omics = require "omics"

local NOWHERE = "http://127.0.0.1:9" -- (discard: a call that went out would fail)

local function new_client(opts)
  local o = { region = "us-east-1", endpoint = NOWHERE, credentials = helper.CREDS }
  for k, v in pairs(opts or {}) do o[k] = v end
  return assert(omics.new(o))
end

-- What a stub raised: the error table (its code and message).
local function raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  assert.are.equal("table", type(err), tostring(err))
  return err
end

local RUN_ID = "1234567"

-- The code under test: a user's glue function.  The runs of a workflow
-- that completed, with their output locations, across every page.
local function completed_outputs(client, workflow_id)
  local out = {}
  for run in client:paginate_items("ListRuns", { name = workflow_id }) do
    if run.status == "COMPLETED" then
      local full, err = client:get_run { id = run.id }
      if not full then return nil, err end
      out[#out + 1] = { id = run.id, uri = full.runOutputUri, stopped = full.stopTime }
    end
  end
  return out
end

describe("omics.stubber, as a user's test uses it", function()
  local client, stub
  before_each(function()
    client = new_client()
    stub = omics.stubber(client)
  end)

  it("answers a glue function's calls in order, across pages, with the params checked", function()
    stub:add_response("list_runs", { items = { { id = "1111111", status = "COMPLETED" },
                                               { id = "2222222", status = "FAILED" } },
                                     nextToken = "page-2" }, { name = "wf" })
    stub:add_response("get_run", { id = "1111111", runOutputUri = "s3://out/1111111/",
                                   stopTime = 1700000000 }, { id = "1111111" })
    stub:add_response("ListRuns", { items = { { id = "3333333", status = "COMPLETED" } } },
                      { name = "wf", startingToken = "page-2" })
    stub:add_response("GetRun", { id = "3333333", runOutputUri = "s3://out/3333333/",
                                  stopTime = 1700000500.25 })
    stub:activate()
    local got = assert(completed_outputs(client, "wf"))
    stub:assert_no_pending()
    assert.are.same({ { id = "1111111", uri = "s3://out/1111111/", stopped = 1700000000 },
                      { id = "3333333", uri = "s3://out/3333333/", stopped = 1700000500.25 } }, got)
  end)

  it("gives a stubbed error back as nil, err, exactly as the service's", function()
    stub:add_response("list_runs", { items = { { id = "1111111", status = "COMPLETED" } } })
    stub:add_error("get_run", { code = "AccessDeniedException", message = "not yours" })
    stub:activate()
    local got, err = completed_outputs(client, "wf")
    assert.is_nil(got)
    assert.are.equal("AccessDeniedException", err.code)
    assert.are.equal("service", err.kind)
    assert.are.equal(403, err.status) -- the model's status for the error
    assert.are.equal("not yours", err.message)
    assert.are.equal("stub-request", err.request_id)
    assert.are.equal("AccessDeniedException: not yours (HTTP 403, request id stub-request)", tostring(err))
  end)

  it("results come back as the parser makes them: ResponseMetadata, epoch numbers, integers", function()
    stub:add_response("get_run", { id = RUN_ID, creationTime = 1700000000, priority = 5,
                                   tags = { team = "genomics" }, status = "RUNNING" })
    stub:activate()
    local run = assert(client:get_run { id = RUN_ID })
    assert.are.equal(200, run.ResponseMetadata.HTTPStatusCode)
    assert.are.equal(0, run.ResponseMetadata.RetryAttempts)
    assert.are.equal(1700000000, run.creationTime)
    assert.is_true(helper.is_integer(run.priority))
    assert.are.same({ team = "genomics" }, run.tags)
  end)

  it("strings with control bytes and non-ASCII come back byte for byte", function()
    local name = "a\1b\27[31m\r\n\t\"\\ é 🧬\127"
    stub:add_response("get_run", { id = RUN_ID, name = name, parameters = { k = { "x\31", 1, false } } })
    stub:activate()
    local run = assert(client:get_run { id = RUN_ID })
    assert.are.equal(name, run.name)
    assert.are.same({ k = { "x\31", 1, false } }, run.parameters)
  end)

  it("accepts a result with the ResponseMetadata of a real one", function()
    stub:add_response("get_run", { id = RUN_ID, ResponseMetadata = { HTTPStatusCode = 200 } })
    stub:activate()
    assert.are.equal(RUN_ID, assert(client:get_run { id = RUN_ID }).id)
  end)

  it("sends nothing: a client whose transport would fail the test is never called", function()
    local sent = 0
    local c = new_client { transport = function() sent = sent + 1; return 500, {}, "" end }
    local s = omics.stubber(c)
    s:add_response("get_run", { id = RUN_ID })
    s:activate()
    assert(c:get_run { id = RUN_ID })
    assert.are.equal(0, sent)
    s:deactivate() -- the client's own transport again
    local _, err = c:get_run { id = RUN_ID }
    assert.are.equal(1 * 3, sent) -- (500: retried)
    assert.are.equal(500, err.status)
  end)

  it("stubs a client whose C methods were made before activate", function()
    local _, err = client:get_run { id = RUN_ID } -- libcurl: nothing listens
    assert.are.equal("transport", err.kind)
    stub:add_response("get_run", { id = RUN_ID })
    stub:activate()
    assert.are.equal(RUN_ID, assert(client:get_run { id = RUN_ID }).id)
  end)

  it("still validates parameters by the model, and leaves the queue alone", function()
    stub:add_response("get_run", { id = RUN_ID })
    stub:activate()
    local res, err = client:get_run { id = 1234567 }
    assert.is_nil(res)
    assert.are.equal("ParamValidationError", err.code)
    assert.matches("id: expected a string", err.message)
    assert.are.equal(1, stub:pending())
    assert(client:get_run { id = RUN_ID })
    stub:assert_no_pending()
  end)

  it("raises for a call with nothing queued or another operation's answer next", function()
    stub:activate()
    local err = raised(client.get_run, client, { id = RUN_ID })
    assert.are.equal("StubError", err.code)
    assert.matches("GetRun was called, but nothing is queued", err.message)
    stub:add_response("list_runs", {})
    err = raised(client.get_run, client, { id = RUN_ID })
    assert.matches("GetRun was called, but the next stub is for ListRuns", err.message)
    assert.are.equal(1, stub:pending())
  end)

  it("raises when the parameters differ from the expected ones, naming the member", function()
    stub:activate()
    local cases = {
      { { id = "7654321" }, { id = RUN_ID }, 'params.id: expected "7654321", got "1234567"' },
      { { id = RUN_ID }, { id = RUN_ID, export = { "DEFINITION" } }, "params.export: not expected" },
      { { id = RUN_ID, export = { "DEFINITION" } }, { id = RUN_ID }, 'params.export: expected a table, got nothing' },
      { { id = RUN_ID, export = { "DEFINITION" } }, { id = RUN_ID, export = { "OTHER" } },
        'params.export%[1%]: expected "DEFINITION", got "OTHER"' },
    }
    for _, c in ipairs(cases) do
      stub:add_response("get_run", { id = RUN_ID }, c[1])
      local err = raised(client.get_run, client, c[2])
      assert.are.equal("StubError", err.code)
      assert.matches(c[3], err.message)
      stub.queue = {}
    end
    -- numbers by value: 5 and 5.0 are the same parameter
    stub:add_response("list_runs", {}, { maxResults = 5 })
    assert(client:list_runs { maxResults = 5.0 })
  end)

  it("takes the operation by its service or snake_case name; raises for neither", function()
    stub:add_response("GetRun", { id = RUN_ID })
    stub:add_response("get_run", { id = RUN_ID })
    stub:activate()
    assert(client:call("get_run", { id = RUN_ID }))
    assert(client:call("GetRun", { id = RUN_ID }))
    local err = raised(stub.add_response, stub, "get_runs", {})
    assert.matches('no operation "get_runs"', err.message)
    raised(stub.add_response, stub, 42, {})
  end)

  it("assert_no_pending names the answers the code did not ask for", function()
    stub:add_response("get_run", { id = RUN_ID })
    stub:add_error("list_runs", { code = "ThrottlingException" })
    local err = raised(stub.assert_no_pending, stub)
    assert.are.equal("2 stubbed answers were not used: GetRun, ListRuns", err.message)
    assert.are.equal(2, err.pending)
  end)

  it("retries as for real, on virtual time: each queued answer answers one attempt", function()
    local attempts = {}
    client:on("after_attempt", function(ev) attempts[#attempts + 1] = ev.status end)
    stub:add_error("get_run", { code = "ThrottlingException", message = "slow" })
    stub:add_error("get_run", { code = "InternalServerException" })
    stub:add_response("get_run", { id = RUN_ID })
    stub:activate()
    local t0 = omics.now()
    local run = assert(client:get_run { id = RUN_ID })
    assert.are.equal(2, run.ResponseMetadata.RetryAttempts)
    assert.are.same({ 429, 500, 200 }, attempts)
    assert.is_true(omics.now() - t0 < 5) -- (max_backoff is 20 s: it did not sleep)
    -- a retryable error with nothing more queued: the stub says what to do
    stub:add_error("get_run", { code = "ThrottlingException" })
    local err = raised(client.get_run, client, { id = RUN_ID })
    assert.matches("attempt 2: each queued answer answers one attempt", err.message)
    -- one attempt per call: a client with max_attempts = 1
    local once = new_client { max_attempts = 1 }
    local s1 = omics.stubber(once):add_error("get_run", { code = "ThrottlingException" }):activate()
    local _, e1 = once:get_run { id = RUN_ID }
    assert.are.equal("ThrottlingException", e1.code)
    assert.is_true(e1.retryable)
    s1:assert_no_pending()
  end)

  it("a waiter does not sleep on a stubbed client", function()
    for _, status in ipairs { "PENDING", "RUNNING", "RUNNING", "COMPLETED" } do
      stub:add_response("get_run", { id = RUN_ID, status = status }, { id = RUN_ID })
    end
    stub:activate()
    local t0 = omics.now()
    local run = assert(client:wait("RunCompleted", { id = RUN_ID })) -- (30 s between attempts)
    assert.is_true(omics.now() - t0 < 5)
    assert.are.equal("COMPLETED", run.status)
    stub:assert_no_pending()
    stub:add_response("get_run", { id = RUN_ID, status = "FAILED" })
    local _, err = client:wait("RunCompleted", { id = RUN_ID })
    assert.are.equal("failure", err.reason)
  end)

  it("call_many goes through the stubs in order", function()
    stub:add_response("get_run", { id = "1111111" }, { id = "1111111" })
    stub:add_error("get_run", { code = "ResourceNotFoundException", message = "gone" }, { id = "2222222" })
    stub:activate()
    local r = assert(client:call_many { { "GetRun", { id = "1111111" } }, { "get_run", { id = "2222222" } } })
    assert.are.equal("1111111", r[1][1].id)
    assert.are.equal("ResourceNotFoundException", r[2][2].code)
  end)

  it("streams a stubbed payload to a sink", function()
    local bytes = ("ACGT"):rep(1000) .. "\0\255"
    stub:add_response("get_read_set", { payload = bytes },
                      { sequenceStoreId = "1234567890", id = "1234567890", partNumber = 1 })
    stub:activate()
    local got = {}
    local res = assert(client:get_read_set({ sequenceStoreId = "1234567890", id = "1234567890", partNumber = 1 },
                                           { sink = function(chunk) got[#got + 1] = chunk end }))
    assert.are.equal(bytes, table.concat(got))
    assert.is_nil(res.payload)
  end)

  it("downloads a read set through the transfer manager from stubbed parts", function()
    local part = 1024 * 1024 -- (the service's parts; the last one shorter)
    local content = ("ACGT"):rep(part / 2) -- two parts
    stub:add_response("get_read_set_metadata", {
      id = "1234567890", arn = "arn:aws:omics:us-east-1:123456789012:sequenceStore/1234567890/readSet/1234567890",
      sequenceStoreId = "1234567890", status = "ACTIVE", fileType = "FASTQ", creationTime = 1700000000,
      files = { source1 = { totalParts = 2, partSize = part, contentLength = #content } },
    })
    for i = 1, 2 do
      stub:add_response("get_read_set", { payload = content:sub((i - 1) * part + 1, i * part) },
                        { sequenceStoreId = "1234567890", id = "1234567890", file = "SOURCE1", partNumber = i })
    end
    stub:activate()
    local dir = helper.tmpdir()
    local res, err = client:download_read_set({ sequenceStoreId = "1234567890", id = "1234567890" }, { to = dir })
    assert.is_nil(err)
    assert.are.equal(content, helper.read(res.files.SOURCE1))
    helper.rmdir(dir)
    stub:assert_no_pending()
  end)

  it("uploads a read set from stubbed answers, and its wait for ACTIVE does not sleep", function()
    local dir = helper.tmpdir()
    local path = dir .. "/r1.fastq"
    helper.write(path, helper.fastq(2500))
    local store = "1234567890"
    stub:add_response("create_multipart_read_set_upload", {
      sequenceStoreId = store, uploadId = "1111111111", sourceFileType = "FASTQ", subjectId = "s",
      sampleId = "x", referenceArn = "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890/reference/9876543210",
      creationTime = 1700000000 })
    for i = 1, 3 do
      stub:add_response("upload_read_set_part", { checksum = "c" .. i }, nil)
    end
    stub:add_response("complete_multipart_read_set_upload", { readSetId = "2222222222" }, {
      sequenceStoreId = store, uploadId = "1111111111",
      parts = { { partNumber = 1, partSource = "SOURCE1", checksum = "c1" },
                { partNumber = 2, partSource = "SOURCE1", checksum = "c2" },
                { partNumber = 3, partSource = "SOURCE1", checksum = "c3" } } })
    for _, status in ipairs { "PROCESSING_UPLOAD", "ACTIVATING", "ACTIVE" } do
      stub:add_response("get_read_set_metadata", {
        id = "2222222222", arn = "arn:aws:omics:us-east-1:123456789012:sequenceStore/1234567890/readSet/2222222222",
        sequenceStoreId = store, status = status, fileType = "FASTQ", creationTime = 1700000000 })
    end
    stub:activate()
    local t0 = omics.now()
    local res, err = client:upload_read_set({ sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s",
      sampleId = "x", name = "r1", files = { SOURCE1 = path } }, { part_size = 1000 })
    helper.rmdir(dir)
    assert.is_nil(err)
    assert.are.equal("2222222222", res.readSetId)
    assert.are.equal("ACTIVE", res.status)
    assert.are.equal(3, res.parts)
    assert.is_true(omics.now() - t0 < 5) -- (1 s, then 2 s between the checks otherwise)
    stub:assert_no_pending()
  end)

  it("an upload whose read set fails, or stays in processing past wait_seconds, is an error naming it", function()
    local dir = helper.tmpdir()
    local path = dir .. "/r1.fastq"
    helper.write(path, helper.fastq(500))
    local store = "1234567890"
    local function upload(statuses, opts)
      stub:add_response("create_multipart_read_set_upload", {
        sequenceStoreId = store, uploadId = "1111111111", sourceFileType = "FASTQ", subjectId = "s",
        sampleId = "x", creationTime = 1700000000,
        referenceArn = "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890/reference/9876543210" })
      stub:add_response("upload_read_set_part", { checksum = "c1" })
      stub:add_response("complete_multipart_read_set_upload", { readSetId = "2222222222" })
      for _, status in ipairs(statuses) do
        stub:add_response("get_read_set_metadata", {
          id = "2222222222", arn = "arn:aws:omics:us-east-1:123456789012:sequenceStore/1234567890/readSet/2222222222",
          sequenceStoreId = store, status = status, fileType = "FASTQ", creationTime = 1700000000,
          statusMessage = status == "UPLOAD_FAILED" and "the file is not FASTQ" or nil })
      end
      return client:upload_read_set({ sequenceStoreId = store, sourceFileType = "FASTQ", subjectId = "s",
        sampleId = "x", name = "r1", files = { SOURCE1 = path } }, opts)
    end
    stub:activate()
    local res, err = upload({ "PROCESSING_UPLOAD", "UPLOAD_FAILED" })
    assert.is_nil(res)
    assert.are.equal("UploadFailed", err.code)
    assert.are.equal("read set 2222222222 is UPLOAD_FAILED: the file is not FASTQ", err.message)
    assert.are.equal("2222222222", err.readSetId)
    assert.are.equal("1111111111", err.upload_id)
    stub:assert_no_pending()
    -- four looks: at once, then after 1, 2 and 4 s (7 s >= 5 s: no fifth)
    res, err = upload({ "PROCESSING_UPLOAD", "ACTIVATING", "ACTIVATING", "ACTIVATING" }, { wait_seconds = 5 })
    assert.is_nil(res)
    assert.are.equal("WaiterTimeout", err.code)
    assert.are.equal("waiter", err.kind)
    assert.are.equal("read set 2222222222 is still ACTIVATING after 5 s (opts.wait_seconds)", err.message)
    stub:assert_no_pending()
    -- wait = false: no look at all, and no status
    res, err = upload({}, { wait = false })
    assert.is_nil(err)
    assert.are.equal("2222222222", res.readSetId)
    assert.is_nil(res.status)
    stub:assert_no_pending()
    helper.rmdir(dir)
  end)

  it("tells the events of stubbed calls as of real ones", function()
    local seen = {}
    client:on("after_call", function(ev) seen[#seen + 1] = ("%s %d %s %s"):format(ev.op, ev.attempts,
      tostring(ev.status), tostring(ev.code)) end)
    stub:add_response("get_run", { id = RUN_ID })
    stub:add_error("get_run", { code = "ConflictException", message = "busy" })
    stub:activate()
    client:get_run { id = RUN_ID }
    client:get_run { id = RUN_ID }
    assert.are.same({ "GetRun 1 200 nil", "GetRun 1 409 ConflictException" }, seen)
  end)

  it("one active stubber per client; a second one is refused until the first lets go", function()
    stub:activate()
    local other = omics.stubber(client)
    raised(other.activate, other)
    stub:deactivate()
    other:activate()
    other:deactivate()
  end)
end)

describe("omics.stubber refuses stubs the service could never send", function()
  local stub
  before_each(function() stub = omics.stubber(new_client()) end)

  local function refused(pattern, op, result)
    local err = raised(stub.add_response, stub, op, result)
    assert.are.equal("StubError", err.code)
    assert.are.equal("usage", err.kind)
    assert.matches(pattern, err.message)
    assert.are.equal(0, stub:pending())
  end

  it("names the member of a result that does not fit the output shape", function()
    refused("result%.id: expected a string, got integer", "get_run", { id = 5 })
    refused("result%.bogus: unknown member %(valid: arn, id,", "get_run", { bogus = 1 })
    refused("result%.creationTime: expected a timestamp as epoch seconds %(a number%), got a string",
            "get_run", { creationTime = "2024-01-01T00:00:00Z" })
    refused("result%.tags: expected a map", "get_run", { tags = "x" })
    refused("result%.items%[2%]%.id: expected a string", "list_runs", { items = { { id = "1" }, { id = true } } })
    refused("result%.priority: expected an integer", "get_run", { priority = 1.5 })
    refused("result%.sequenceStoreId: required member is missing", "get_read_set_metadata",
            { id = "1234567890", arn = "a", status = "ACTIVE", fileType = "FASTQ", creationTime = 0 })
    refused("result%.id: length 0 characters is below the minimum of 1", "get_run", { id = "" })
    refused("a stubbed result for GetRun is a table, got string", "get_run", "COMPLETED")
    refused("result%.f: ", "get_run", { f = print })
    refused("result%.x: unknown member %(this has no members%)", "cancel_run", { x = 1 }) -- (no output)
  end)

  it("checks an error's code, status and members", function()
    local function bad(pattern, spec)
      local err = raised(stub.add_error, stub, "get_run", spec)
      assert.are.equal("StubError", err.code)
      assert.matches(pattern, err.message)
    end
    bad("code: a string is needed", { message = "no code" })
    bad("code is 1 to 95 letters", { code = "Bad\r\nX-Injected: 1" })
    bad("code is 1 to 95 letters", { code = ("X"):rep(96) })
    bad("status is from 400 to 599, got 200", { code = "ThrottlingException", status = 200 })
    bad("status: an integer", { code = "ThrottlingException", status = 429.5 })
    bad("takes code, message, status and data only", { code = "ThrottlingException", mesage = "typo" })
    bad("data: NotAnError is not an error of the model", { code = "NotAnError", data = { x = 1 } })
    bad("data%.bogus: unknown member", { code = "ConflictException", data = { bogus = 1 } })
    bad("message: no NUL bytes", { code = "ConflictException", message = "a\0b" })
    bad("is a table", "ThrottlingException")
  end)

  it("an error the model does not know still answers, with the status given", function()
    local client = new_client { max_attempts = 1 }
    local s = omics.stubber(client)
    s:add_error("get_run", { code = "ExpiredTokenException", message = "old\nline", status = 400 })
    s:activate()
    local _, err = client:get_run { id = RUN_ID }
    assert.are.equal("ExpiredTokenException", err.code)
    assert.are.equal(400, err.status)
  end)

  it("refuses what is not a client, and expected params that are not a table", function()
    raised(omics.stubber, "client")
    raised(omics.stubber, nil)
    raised(stub.add_response, stub, "get_run", { id = RUN_ID }, "id=1")
  end)
end)
