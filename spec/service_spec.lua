-- omics.service(model, opts): a client for any botocore-format rest-json
-- model, given as JSON text or as a Lua table, with its own paginators and
-- waiters; checked against the emulator.
local helper = require "helper"
local omics = require "omics"

local MODEL = {
  version = "2.0",
  metadata = { protocol = "rest-json", endpointPrefix = "omics", signingName = "omics",
               serviceId = "Omics", apiVersion = "2022-11-28" },
  operations = {
    GetReferenceStore = {
      name = "GetReferenceStore",
      http = { method = "GET", requestUri = "/referencestore/{id}", responseCode = 200 },
      input = { shape = "GetIn" }, output = { shape = "Store" },
      errors = { { shape = "ResourceNotFoundException" } },
    },
    CreateReferenceStore = {
      name = "CreateReferenceStore",
      http = { method = "POST", requestUri = "/referencestore", responseCode = 200 },
      input = { shape = "CreateIn" }, output = { shape = "Store" },
    },
    ListReferenceStores = {
      name = "ListReferenceStores",
      http = { method = "POST", requestUri = "/referencestores", responseCode = 200 },
      input = { shape = "ListIn" }, output = { shape = "ListOut" },
    },
  },
  shapes = {
    Id = { type = "string", min = 10, max = 36 },
    Name = { type = "string", min = 1, max = 127 },
    Time = { type = "timestamp", timestampFormat = "iso8601" },
    Max = { type = "integer", min = 1, max = 100 },
    GetIn = { type = "structure", required = { "id" },
              members = { id = { shape = "Id", location = "uri", locationName = "id" } } },
    CreateIn = { type = "structure", required = { "name" }, members = { name = { shape = "Name" } } },
    Store = { type = "structure", members = { id = { shape = "Id" }, name = { shape = "Name" },
                                              creationTime = { shape = "Time" } } },
    ListIn = { type = "structure", members = {
      maxResults = { shape = "Max", location = "querystring", locationName = "maxResults" },
      nextToken = { shape = "Name", location = "querystring", locationName = "nextToken" } } },
    StoreList = { type = "list", member = { shape = "Store" } },
    ListOut = { type = "structure", members = { referenceStores = { shape = "StoreList" },
                                                nextToken = { shape = "Name" } } },
    ResourceNotFoundException = { type = "structure", exception = true,
                                  error = { httpStatusCode = 404, senderFault = true },
                                  members = { message = { shape = "Name" } } },
  },
}

local PAGINATORS = { pagination = { ListReferenceStores = {
  input_token = "nextToken", output_token = "nextToken", limit_key = "maxResults",
  result_key = "referenceStores" } } }

local WAITERS = { version = 2, waiters = { StoreNamed = {
  operation = "GetReferenceStore", delay = 1, maxAttempts = 3,
  acceptors = {
    { matcher = "path", argument = "name", expected = "wanted", state = "success" },
    { matcher = "error", expected = "ResourceNotFoundException", state = "retry" },
  } } } }

describe("omics.service", function()
  local emu
  setup(function() emu = helper.emulator() end)
  teardown(function() if emu then emu:stop() end end)

  local function opts(extra)
    local o = { region = "us-east-1", endpoint = emu.url, credentials = helper.CREDS }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  it("takes a model as a Lua table, with its own operations and methods", function()
    local svc = assert(omics.service(MODEL, opts()))
    local ops = svc:operations()
    assert.are.equal(3, #ops)
    local store = assert(svc:create_reference_store { name = "from-a-table" })
    assert.matches("^%d+$", store.id)
    assert.are.equal("number", type(store.creationTime))
    local got = assert(svc:get_reference_store { id = store.id })
    assert.are.equal("from-a-table", got.name)
    local _, err = svc:get_reference_store { id = "0000000000" }
    assert.are.equal("ResourceNotFoundException", err.code)
    assert.is_string(err.data.message)
    -- only the model's operations: another is no method of this client
    local ok, msg = pcall(function() return svc.start_run end)
    assert.is_false(ok)
    assert.matches("omics.client has no method start_run", tostring(msg))
  end)

  it("takes a model as JSON text", function()
    local svc = assert(omics.service(helper.json.encode(MODEL), opts()))
    assert(svc:list_reference_stores {})
    local _, err = svc:get_reference_store { id = "short" }
    assert.are.equal("ParamValidationError", err.code)
  end)

  it("uses the paginators and waiters it is given", function()
    local svc = assert(omics.service(MODEL, opts { paginators = PAGINATORS, waiters = WAITERS }))
    for i = 1, 7 do assert(svc:create_reference_store { name = "p" .. i }) end
    local pages = 0
    for _ in svc:paginate("ListReferenceStores", {}, { page_size = 3 }) do pages = pages + 1 end
    assert.is_true(pages >= 3)
    assert.are.same({ "StoreNamed" }, svc:waiters())
    local wanted = assert(svc:create_reference_store { name = "wanted" })
    local res = assert(svc:wait("StoreNamed", { id = wanted.id }, { sleep = function() end }))
    assert.are.equal(wanted.id, res.id)
    local _, err = svc:wait("StoreNamed", { id = "0000000000" }, { sleep = function() end })
    assert.are.equal("max_attempts", err.reason)
    assert.are.equal(3, err.attempts)
  end)

  it("has no paginators or waiters unless given", function()
    local svc = assert(omics.service(MODEL, opts()))
    assert.are.same({}, svc:paginators())
    assert.are.same({}, svc:waiters())
  end)

  it("refuses models it cannot use, saying why", function()
    local bad = { metadata = { protocol = "json" }, operations = {}, shapes = {} }
    local svc, err = omics.service(bad, opts())
    assert.is_nil(svc)
    assert.are.equal("InvalidModel", err.code)
    assert.matches("rest%-json", err.message)
    local broken = helper.json.decode(helper.json.encode(MODEL))
    broken.shapes.GetIn = nil
    svc, err = omics.service(broken, opts())
    assert.is_nil(svc)
    assert.matches("GetIn", err.message)
    svc, err = omics.service("{not json", opts())
    assert.is_nil(svc)
    assert.are.equal("InvalidModel", err.code)
    svc, err = omics.service(42, opts())
    assert.is_nil(svc)
    assert.are.equal("InvalidModel", err.code)
  end)
end)
