-- Paginators and waiters against the emulator, driven by the model's own
-- paginators-1.json and waiters-2.json (compiled into the module).
local helper = require "helper"

describe("paginators", function()
  local emu, client
  local STORES = 23

  setup(function()
    emu = helper.emulator()
    client = helper.client(emu)
    for i = 1, STORES do
      assert(client:create_reference_store { name = ("store-%02d"):format(i) })
    end
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  before_each(function()
    emu:control("DELETE", "faults")
  end)

  it("walks every page with the page size asked for", function()
    local pages, names = 0, {}
    for page in client:paginate("ListReferenceStores", {}, { page_size = 5 }) do
      pages = pages + 1
      assert.is_true(#page.referenceStores <= 5)
      for _, s in ipairs(page.referenceStores) do
        assert.is_nil(names[s.name], "no store twice")
        names[s.name] = true
      end
    end
    assert.are.equal(5, pages)
    local count = 0
    for _ in pairs(names) do count = count + 1 end
    assert.are.equal(STORES, count)
  end)

  it("sends the token it was given, with the operation's input token name", function()
    local it = client:paginate("list_reference_stores", { maxResults = 10 })
    local first = it()
    assert.is_string(first.nextToken)
    it()
    local req = emu:requests(1)[1]
    -- ListReferenceStores takes maxResults and nextToken in the query string
    local sent = req.query:match("nextToken=([^&]*)")
    assert.is_string(sent)
    assert.are.equal(first.nextToken, (sent:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)))
    assert.matches("maxResults=10", req.query)
  end)

  it("yields items across pages, and stops at max_items", function()
    local n = 0
    for store in client:paginate_items("ListReferenceStores", {}, { page_size = 4 }) do
      assert.matches("^store%-%d%d$", store.name)
      n = n + 1
    end
    assert.are.equal(STORES, n)
    n = 0
    local before = emu:stats().requests
    for _ in client:paginate_items("ListReferenceStores", {}, { page_size = 4, max_items = 10 }) do
      n = n + 1
    end
    assert.are.equal(10, n)
    assert.are.equal(3, emu:stats().requests - before, "no page is fetched past max_items")
  end)

  it("cuts the last page to max_items", function()
    local total, pages = 0, 0
    for page in client:paginate("ListReferenceStores", {}, { page_size = 4, max_items = 6 }) do
      total = total + #page.referenceStores
      pages = pages + 1
    end
    assert.are.equal(6, total)
    assert.are.equal(2, pages)
  end)

  it("stops with PaginationError when the service repeats a token", function()
    local body = '{"referenceStores":[],"nextToken":"same"}'
    emu:faults { { mode = "body", status = 200, body = body, count = 3,
                   headers = { ["Content-Type"] = "application/json" } } }
    local ok, err = pcall(function()
      for _ in client:paginate("ListReferenceStores", {}) do end
    end)
    assert.is_false(ok)
    assert.are.equal("PaginationError", err.code)
    assert.matches('"same" a second time', tostring(err))
  end)

  it("raises the error of a failed page (catch it with pcall)", function()
    local seen = 0
    local ok, err = pcall(function()
      for _ in client:paginate("ListReferenceStores", {}, { page_size = 5 }) do
        seen = seen + 1
        if seen == 1 then
          emu:faults { { status = 400, code = "ValidationException", message = "bad token" } }
        end
      end
    end)
    assert.is_false(ok)
    assert.are.equal(1, seen)
    assert.are.equal("ValidationException", err.code)
    assert.matches("^ValidationException: bad token", tostring(err))
  end)

  it("sends startingToken where the operation takes it (ListWorkflows)", function()
    for i = 1, 12 do
      assert(client:create_workflow { name = "wf" .. i, definitionUri = "s3://b/wf.zip", engine = "WDL" })
    end
    local pages, ids = 0, {}
    for page in client:paginate("ListWorkflows", {}, { page_size = 5 }) do
      pages = pages + 1
      for _, w in ipairs(page.items) do ids[#ids + 1] = w.id end
      if pages == 2 then
        assert.matches("startingToken=", emu:requests(1)[1].query)
      end
    end
    assert.are.equal(3, pages)
    assert.are.equal(12, #ids)
  end)

  it("lists the paginated operations, and refuses others", function()
    local names = client:paginators()
    assert.are.equal(25, #names)
    assert.has_error(function() client:paginate("GetReferenceStore", {}) end)
  end)
end)

describe("waiters", function()
  local emu, client, store

  setup(function()
    emu = helper.emulator()
    client = helper.client(emu)
    store = assert(client:create_reference_store { name = "waiting" }).id
    emu:control("POST", "s3", { uri = "s3://bucket/genome.fa", content = ">chr1\nACGTACGTAC\n" })
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  before_each(function()
    emu:control("DELETE", "faults")
  end)

  -- a sleep that moves the emulator's job clock instead of waiting
  local slept
  local function fake_sleep(seconds)
    slept[#slept + 1] = seconds
    emu:control("POST", "clock", { advance = 1 })
  end

  local function start_import(file)
    return assert(client:start_reference_import_job {
      referenceStoreId = store, roleArn = "arn:aws:iam::123456789012:role/import",
      sources = { { sourceFile = "s3://bucket/" .. file, name = "ref-" .. file:gsub("%W", "") } },
    }).id
  end

  it("waits until success and returns the last result", function()
    slept = {}
    local job = start_import("genome.fa")
    local res = assert(client:wait("ReferenceImportJobCompleted",
      { referenceStoreId = store, id = job }, { sleep = fake_sleep }))
    assert.are.equal("COMPLETED", res.status)
    assert.is_true(#slept >= 1)
    assert.are.equal(30, slept[1], "the model's delay")
  end)

  it("stops at a failure state with WaiterError", function()
    slept = {}
    local job = start_import("missing.fa")
    local res, err = client:wait("ReferenceImportJobCompleted",
      { referenceStoreId = store, id = job }, { sleep = fake_sleep, delay = 2 })
    assert.is_nil(res)
    assert.are.equal("WaiterError", err.code)
    assert.are.equal("failure", err.reason)
    assert.are.equal("FAILED", err.last_response.status)
    assert.are.equal(2, slept[1])
    assert.matches("^WaiterError: waiter ReferenceImportJobCompleted: reached a failure state", tostring(err))
  end)

  it("gives up after max_attempts", function()
    local job = start_import("genome.fa")
    local calls = 0
    local res, err = client:wait("ReferenceImportJobCompleted", { referenceStoreId = store, id = job },
      { max_attempts = 2, sleep = function() calls = calls + 1 end })
    assert.is_nil(res)
    assert.are.equal("max_attempts", err.reason)
    assert.are.equal(2, err.attempts)
    assert.are.equal(1, calls, "no sleep after the last attempt")
  end)

  it("ends on an error no acceptor expects", function()
    emu:faults { { status = 403, code = "AccessDeniedException", message = "no" } }
    local res, err = client:wait("ReferenceImportJobCompleted",
      { referenceStoreId = store, id = "1111111111" }, { sleep = function() end })
    assert.is_nil(res)
    assert.are.equal("error", err.reason)
    assert.are.equal("AccessDeniedException", err.last_error.code)
  end)

  it("knows the model's 18 waiters, and says so for others", function()
    assert.are.equal(18, #client:waiters())
    local res, err = client:wait("NoSuchWaiter", {})
    assert.is_nil(res)
    assert.are.equal("WaiterError", err.code)
    assert.are.equal("unknown", err.reason)
  end)
end)
