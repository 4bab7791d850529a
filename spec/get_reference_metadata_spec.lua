-- GetReferenceMetadata end to end: real HTTP over loopback to the emulator,
-- which checks every signature independently.
local helper = require "helper"
local omics = require "omics"

local STORE, REF = "1234567890", "9876543210"
local PARAMS = { referenceStoreId = STORE, id = REF }

describe("get_reference_metadata against the emulator", function()
  local emu, client

  setup(function()
    emu = helper.emulator("--seed-demo")
    client = helper.client(emu)
  end)

  teardown(function()
    if client then client:close() end
    if emu then emu:stop() end
  end)

  before_each(function()
    emu:control("DELETE", "faults")
  end)

  it("returns the reference with the API's member names and types", function()
    local ref = assert(client:get_reference_metadata(PARAMS))
    assert.are.equal(REF, ref.id)
    assert.are.equal(STORE, ref.referenceStoreId)
    assert.are.equal("demo-genome", ref.name)
    assert.are.equal("ACTIVE", ref.status)
    assert.are.equal("IMPORT", ref.creationType)
    assert.matches("^arn:aws:omics:us%-east%-1:%d+:referenceStore/" .. STORE .. "/reference/" .. REF .. "$", ref.arn)
    assert.matches("^%x+$", ref.md5)
    assert.are.equal("number", type(ref.creationTime))
    assert.are.equal("number", type(ref.updateTime))
    -- the emulator writes milliseconds: they survive as a fraction
    assert.is_true(ref.creationTime > 1.7e9 and ref.creationTime < 4.1e9)
    local src = ref.files.source
    assert.is_true(helper.is_integer(src.contentLength))
    assert.is_true(helper.is_integer(src.totalParts))
    assert.is_true(helper.is_integer(src.partSize))
    assert.is_true(src.contentLength > 12000)
    assert.is_true(helper.is_integer(ref.files.index.contentLength))
  end)

  it("has ResponseMetadata as boto3 users know it", function()
    local ref = assert(client:get_reference_metadata(PARAMS))
    local md = ref.ResponseMetadata
    assert.are.equal(200, md.HTTPStatusCode)
    assert.is_true(helper.is_integer(md.HTTPStatusCode))
    assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", md.RequestId)
    assert.are.equal(0, md.RetryAttempts)
    assert.are.equal("application/json", md.HTTPHeaders["content-type"])
    assert.are.equal(md.RequestId, md.HTTPHeaders["x-amzn-requestid"])
    for name in pairs(md.HTTPHeaders) do
      assert.are.equal(name:lower(), name)
    end
  end)

  it("call() is the same operation by its API name", function()
    local a = assert(client:call("GetReferenceMetadata", PARAMS))
    local b = assert(client:get_reference_metadata(PARAMS))
    assert.are.equal(a.md5, b.md5)
    assert.are.equal(a.creationTime, b.creationTime)
  end)

  it("keeps one connection alive across calls", function()
    local before = emu:stats()
    for _ = 1, 20 do assert(client:get_reference_metadata(PARAMS)) end
    local after = emu:stats()
    assert.are.equal(20, after.requests - before.requests)
    assert.is_true(after.connections - before.connections <= 1)
  end)

  it("sends the User-Agent lua-omics/<version> lua/<version> curl/<version>", function()
    assert(client:get_reference_metadata(PARAMS))
    local req = emu:requests(1)[1]
    local ua
    for _, h in ipairs(req.headers) do
      if h[1]:lower() == "user-agent" then ua = h[2] end
    end
    assert.matches("^lua%-omics/" .. omics.VERSION:gsub("%.", "%%.") .. " lua(j?i?t?)/%d%.%d+[%.%d]* curl/%d+%.%d+", ua)
  end)

  it("puts app/<id> in the User-Agent: the app_id option, AWS_SDK_UA_APP_ID, the profile's sdk_ua_app_id", function()
    local function last_ua()
      for _, h in ipairs(emu:requests(1)[1].headers) do
        if h[1]:lower() == "user-agent" then return h[2] end
      end
    end
    local c = helper.client(emu, { app_id = "genome-pipeline_2" })
    assert(c:get_reference_metadata(PARAMS))
    assert.matches(" app/genome%-pipeline_2 curl/", last_ua())
    -- from the environment, else the profile (a child with exactly that environment)
    local dir = helper.tmpdir()
    helper.write(dir .. "/config", "[default]\nsdk_ua_app_id = from-profile\n")
    local code = ([[
      local omics = require "omics"
      local c = assert(omics.new { region = "us-east-1", endpoint = %q,
        credentials = { access_key_id = "AKIDEXAMPLE", secret_access_key = "secret" } })
      local _, err = c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
      print(err and err.code or "ok")
    ]]):format(emu.url)
    helper.run_lua(code, { AWS_CONFIG_FILE = dir .. "/config", AWS_SDK_UA_APP_ID = "from-env" })
    assert.matches(" app/from%-env curl/", last_ua())
    helper.run_lua(code, { AWS_CONFIG_FILE = dir .. "/config" })
    assert.matches(" app/from%-profile curl/", last_ua())
    helper.rmdir(dir)
    -- what cannot go into a header: refused, naming where it came from
    for _, bad in ipairs { "two words", "line\nbreak", ("x"):rep(51), "caf\195\169" } do
      local none, err = omics.new { region = "us-east-1", endpoint = emu.url, credentials = helper.CREDS,
                                    app_id = bad }
      assert.is_nil(none)
      assert.are.equal("InvalidOption", err.code)
      assert.matches("^the app_id option: expected at most 50 letters", err.message)
    end
    local none, err = omics.new { region = "us-east-1", endpoint = emu.url, credentials = helper.CREDS, app_id = 7 }
    assert.is_nil(none)
    assert.matches("app_id", err.message)
  end)

  it("a closed client says so when any of its methods is called", function()
    local c = helper.client(emu)
    assert(c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" })
    c:close()
    c:close() -- closing twice is fine
    for _, call in ipairs {
      function() return c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" } end,
      function() return c:list_reference_stores {} end, -- a method it never looked up before
      function() return c:call("GetReferenceMetadata", {}) end,
      function() return c:prepare("GetReferenceMetadata", {}) end,
    } do
      local ok, msg = pcall(call)
      assert.is_false(ok)
      assert.matches("this omics client is closed", tostring(msg))
    end
    local _, msg = pcall(function() return c:list_runs {} end)
    assert.matches("client:list_runs cannot be called after client:close%(%)", tostring(msg))
    assert.are.equal("omics.client (closed)", tostring(c))
  end)

  describe("errors", function()
    -- one attempt: the retries have spec/faults_spec.lua
    local client
    setup(function() client = helper.client(emu, { max_attempts = 1 }) end)
    -- every error the model lists for this operation, as the service sends it
    local cases = {
      { "InternalServerException", 500, true },
      { "ThrottlingException", 429, true },
      { "ValidationException", 400, false },
      { "ResourceNotFoundException", 404, false },
      { "AccessDeniedException", 403, false },
      { "RequestTimeoutException", 408, true },
    }
    for _, c in ipairs(cases) do
      local code, status, retryable = c[1], c[2], c[3]
      it(code .. " comes back as nil, err", function()
        emu:faults { { status = status, code = code, message = "fault: " .. code } }
        local res, err = client:get_reference_metadata(PARAMS)
        assert.is_nil(res)
        assert.are.equal(code, err.code)
        assert.are.equal(status, err.status)
        assert.are.equal("fault: " .. code, err.message)
        assert.are.equal(retryable, err.retryable)
        assert.are.equal("service", err.kind)
        assert.matches("^%x+%-", err.request_id)
        assert.are.same({ message = "fault: " .. code }, err.data)
        local line = tostring(err)
        assert.matches("^" .. code .. ": fault: " .. code .. " %(HTTP " .. status .. ", request id ", line)
        assert.is_nil(line:find("\n"))
      end)
    end

    it("a real not-found from the service", function()
      local res, err = client:get_reference_metadata { referenceStoreId = "1111111111", id = REF }
      assert.is_nil(res)
      assert.are.equal("ResourceNotFoundException", err.code)
      assert.are.equal(404, err.status)
      assert.is_false(err.retryable)
    end)

    it("an HTML 502 from a proxy is still a structured error", function()
      emu:faults { { mode = "html", status = 502 } }
      local res, err = client:get_reference_metadata(PARAMS)
      assert.is_nil(res)
      assert.are.equal(502, err.status)
      assert.are.equal("BadGateway", err.code)
      assert.is_true(err.retryable)
      assert.matches("502 Bad Gateway", err.message)
      assert.is_nil(err.data)
    end)

    it("reads the code from the body when there is no X-Amzn-ErrorType", function()
      emu:faults { { mode = "body", status = 400,
                     body = '{"__type":"com.amazonaws.omics#ValidationException","message":"bad"}' } }
      local _, err = client:get_reference_metadata(PARAMS)
      assert.are.equal("ValidationException", err.code)
      assert.are.equal("bad", err.message)
      emu:faults { { mode = "body", status = 404,
                     body = '{"code":"ResourceNotFoundException:http://internal.amazon.com/x","message":"m"}' } }
      _, err = client:get_reference_metadata(PARAMS)
      assert.are.equal("ResourceNotFoundException", err.code)
    end)

    it("assert() of a failed call raises the one-line message", function()
      emu:faults { { status = 404, code = "ResourceNotFoundException", message = "gone" } }
      local ok, msg = pcall(function() return assert(client:get_reference_metadata(PARAMS)) end)
      assert.is_false(ok)
      assert.matches("ResourceNotFoundException: gone", tostring(msg))
    end)

    it("a wrong secret is rejected by the emulator's own signature check", function()
      local bad = helper.client(emu, { credentials = { access_key_id = helper.AKID,
                                                       secret_access_key = "not-the-secret" } })
      local res, err = bad:get_reference_metadata(PARAMS)
      assert.is_nil(res)
      assert.are.equal(403, err.status)
      assert.are.equal("InvalidSignatureException", err.code)
      assert.is_nil(tostring(err):find("not-the-secret", 1, true))
    end)

    it("a refused connection is a retryable transport error with no status", function()
      local dead = helper.client({ url = "http://127.0.0.1:9" })
      local res, err = dead:get_reference_metadata(PARAMS)
      assert.is_nil(res)
      assert.are.equal("ConnectionError", err.code)
      assert.are.equal("transport", err.kind)
      assert.is_nil(err.status)
      assert.is_true(err.retryable)
    end)
  end)

  describe("session tokens", function()
    it("are sent and signed", function()
      emu:control("POST", "credentials", { access_key_id = "ASIATEMP", secret_access_key = "s3cr3t",
                                            session_token = "token/with+chars==" })
      local c = helper.client(emu, { credentials = { access_key_id = "ASIATEMP",
        secret_access_key = "s3cr3t", session_token = "token/with+chars==" } })
      assert(c:get_reference_metadata(PARAMS))
      local req = emu:requests(1)[1]
      local token
      for _, h in ipairs(req.headers) do
        if h[1]:lower() == "x-amz-security-token" then token = h[2] end
      end
      assert.are.equal("token/with+chars==", token)
    end)
  end)

  describe("validation", function()
    local function rejected(params, pattern)
      local before = emu:stats().requests
      local res, err = client:get_reference_metadata(params)
      assert.is_nil(res)
      assert.are.equal("ParamValidationError", err.code)
      assert.are.equal("validation", err.kind)
      assert.matches(pattern, err.message)
      assert.are.equal(before, emu:stats().requests, "nothing may be sent")
      return err
    end

    it("a missing required member", function()
      rejected({ referenceStoreId = STORE }, "id: required parameter is missing")
    end)

    it("a number where the model says string (no coercion)", function()
      rejected({ referenceStoreId = 1234567890, id = REF },
               "referenceStoreId: expected a string, got integer")
    end)

    it("strings shorter or longer than the model allows", function()
      rejected({ referenceStoreId = "123", id = REF }, "referenceStoreId: length 3 .*minimum of 10")
      rejected({ referenceStoreId = STORE, id = string.rep("1", 37) }, "id: length 37 .*maximum of 36")
    end)

    it("a member the shape does not have", function()
      rejected({ referenceStoreId = STORE, id = REF, Id = "x" }, "Id: unknown parameter %(valid: id, referenceStoreId%)")
    end)

    it("all problems at once", function()
      local err = rejected({ referenceStoreId = 5, bogus = true }, "referenceStoreId")
      assert.matches("bogus", err.message)
      assert.matches("id: required", err.message)
    end)

    it("params that are not a table", function()
      rejected("1234567890", "params: expected a table, got string")
    end)

    it("values Lua cannot send", function()
      rejected({ referenceStoreId = STORE, id = function() end }, "params.id: a function cannot be sent")
      local t = {}
      t.self = t
      rejected({ referenceStoreId = STORE, id = REF, x = t }, "cyclic")
    end)
  end)

  describe("path labels", function()
    it("are percent-encoded and cannot change the path", function()
      local odd = "../x y?a=b#c%2F/"
      local res, err = client:get_reference_metadata { referenceStoreId = STORE, id = odd .. "0123456789" }
      assert.is_nil(res) -- the emulator rejects the id's pattern, after routing it
      assert.are.equal("ValidationException", err.code)
      local req = emu:requests(1)[1]
      assert.are.equal("GetReferenceMetadata", req.operation)
      assert.are.equal(odd .. "0123456789", req.labels.id)
      assert.are.equal("/referencestore/1234567890/reference/..%2Fx%20y%3Fa%3Db%23c%252F%2F0123456789/metadata",
                       req.raw_path)
    end)

    it("prepare shows the encoded path", function()
      local r = assert(client:prepare("GetReferenceMetadata",
        { referenceStoreId = STORE, id = "../x y?0123456" }))
      assert.are.equal("/referencestore/1234567890/reference/..%2Fx%20y%3F0123456/metadata", r.path)
      assert.are.equal("GET", r.method)
      assert.are.equal("", r.query)
      assert.is_nil(r.body)
    end)
  end)
end)

describe("parsing GetReferenceMetadata answers", function()
  local client = assert(omics.new { region = "us-east-1", credentials = helper.CREDS })

  local function parse(body)
    return client:parse("GetReferenceMetadata", { status = 200,
      headers = { ["Content-Type"] = "application/json", ["X-Amzn-RequestId"] = "rid-1" }, body = body })
  end

  it("takes a float with an integral value as a status, as parameters and options take it", function()
    local r = assert(client:parse("GetReferenceMetadata", { status = 200.0, body = '{"name":"n"}' }))
    assert.are.equal(200, r.ResponseMetadata.HTTPStatusCode)
    assert(omics.new { region = "us-east-1", credentials = helper.CREDS, max_attempts = 2.0,
                       max_response_bytes = 4096.0 })
    for _, bad in ipairs { 200.5, "200", 0 / 0 } do
      local res, err = client:parse("GetReferenceMetadata", { status = bad, body = "{}" })
      assert.is_nil(res)
      assert.matches("status must be an HTTP status code", err.message)
    end
    local _, err = omics.new { region = "us-east-1", credentials = helper.CREDS, max_attempts = 2.5 }
    assert.matches("max_attempts: an integer from 1 to 100", err.message)
  end)

  it("gives a long beyond 2^53 exactly on Lua 5.4, the nearest double on LuaJIT", function()
    local r = assert(parse('{"files":{"source":{"contentLength":9007199254740993,' ..
      '"partSize":-9223372036854775808,"totalParts":9223372036854775807}},"name":"n"}'))
    local source = r.files.source
    if helper.luajit then
      assert.are.equal(9007199254740992, source.contentLength) -- (LuaJIT has doubles only)
    else
      assert.are.equal("integer", math.type(source.contentLength))
      assert.are.equal("9007199254740993", tostring(source.contentLength))
      assert.are.equal(math.mininteger, source.partSize)
      assert.are.equal(math.maxinteger, source.totalParts)
    end
    -- beyond 64 bits: refused, not wrapped
    local res, err = parse('{"files":{"source":{"contentLength":92233720368547758070}}}')
    assert.is_nil(res)
    assert.matches("expected an integer", err.message)
  end)

  it("converts ISO-8601 with offsets and fractions to epoch seconds", function()
    local r = assert(parse('{"creationTime":"2024-03-01T01:00:00.5+01:00","updateTime":"2024-03-01T00:00:00Z"}'))
    assert.are.equal(1709251200.5, r.creationTime)
    assert.are.equal(1709251200, r.updateTime)
  end)

  it("keeps large integers exact and as integers", function()
    local r = assert(parse('{"files":{"source":{"contentLength":5497558138880,"partSize":5368709120,"totalParts":10000}}}'))
    assert.are.equal(5497558138880, r.files.source.contentLength)
    assert.is_true(helper.is_integer(r.files.source.contentLength))
    assert.are.equal(5368709120, r.files.source.partSize)
  end)

  it("decodes JSON escapes and surrogate pairs to UTF-8", function()
    local r = assert(parse('{"name":"a\\u00e9\\ud83d\\ude00\\n\\"b\\""}'))
    assert.are.equal('a\195\169\240\159\152\128\n"b"', r.name) -- a, U+00E9, U+1F600
  end)

  it("ignores members it does not know", function()
    local r = assert(parse('{"name":"n","futureMember":{"deep":[1,2,{"x":null}]},"alsoNew":7}'))
    assert.are.equal("n", r.name)
    assert.is_nil(r.futureMember)
  end)

  it("reports a body that is not JSON", function()
    local r, err = parse('{"name": "trunc')
    assert.is_nil(r)
    assert.are.equal("ResponseParseError", err.code)
  end)

  it("names the member whose value has the wrong type", function()
    local r, err = parse('{"files":{"source":{"contentLength":"big"}}}')
    assert.is_nil(r)
    assert.matches("files%.source%.contentLength", err.message)
  end)

  it("puts request id and headers in ResponseMetadata", function()
    local r = assert(parse('{}'))
    assert.are.equal("rid-1", r.ResponseMetadata.RequestId)
    assert.are.equal("application/json", r.ResponseMetadata.HTTPHeaders["content-type"])
  end)

  it("joins a header sent twice in ResponseMetadata, each name once", function()
    local r = assert(client:parse("GetReferenceMetadata", { status = 200, body = "{}",
      headers = { ["X-Seen"] = "a", ["x-seen"] = "b", ["X-Amzn-RequestId"] = "rid-2" } }))
    local h = r.ResponseMetadata.HTTPHeaders
    assert.is_true(h["x-seen"] == "a, b" or h["x-seen"] == "b, a", tostring(h["x-seen"]))
    assert.are.equal("rid-2", h["x-amzn-requestid"])
    local names = 0
    for _ in pairs(h) do names = names + 1 end
    assert.are.equal(2, names)
  end)
end)

describe("a client's methods and requests", function()
  local client = assert(omics.new { region = "us-east-1", credentials = helper.CREDS })

  it("a mistyped method names the closest one instead of 'attempt to call a nil value'", function()
    local cases = {
      { function() return client:get_reference_metadat {} end, "no method get_reference_metadat %(did you mean get_reference_metadata%?%)" },
      { function() return client:GetReferenceMetadata {} end, "no method GetReferenceMetadata %(did you mean get_reference_metadata%?%)" },
      { function() return client:paginat("ListReferences") end, "did you mean paginate%?" },
      { function() return client:xyzzy() end, "no method xyzzy %(client:operations%(%) lists the operations%)" },
    }
    for _, c in ipairs(cases) do
      local ok, msg = pcall(c[1])
      assert.is_false(ok)
      assert.matches(c[2], tostring(msg))
    end
  end)

  it("one set of parameters always gives one URL: query members in the model's order", function()
    local a = { name = "a", runGroupId = "1234", maxResults = 5, status = "RUNNING", startingToken = "t" }
    local b = { startingToken = "t", status = "RUNNING", maxResults = 5, runGroupId = "1234", name = "a" }
    local ua = assert(client:prepare("ListRuns", a)).url
    assert.are.equal(ua, assert(client:prepare("ListRuns", b)).url)
    assert.matches("/run%?name=a&runGroupId=1234&startingToken=t&maxResults=5&status=RUNNING$", ua)
  end)
end)
