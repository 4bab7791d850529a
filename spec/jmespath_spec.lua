-- The JMESPath evaluator that waiters and paginators use.
local helper = require "helper"
local jmespath = require "omics.jmespath"

local search = jmespath.search

describe("omics.jmespath", function()
  local data = {
    status = "ACTIVE",
    nextToken = "t1",
    a = { b = { c = 42 } },
    items = {
      { id = "1", status = "COMPLETED", size = 10, tags = { "x", "y" } },
      { id = "2", status = "FAILED", size = 20, tags = { "z" } },
      { id = "3", status = "COMPLETED", size = 30, tags = {} },
    },
    ["odd-name"] = "quoted",
    empty = {},
  }

  it("reads fields and nested fields", function()
    assert.are.equal("ACTIVE", search("status", data))
    assert.are.equal(42, search("a.b.c", data))
    assert.is_nil(search("a.x.c", data))
    assert.is_nil(search("missing", data))
    assert.are.equal("quoted", search('"odd-name"', data))
  end)

  it("indexes lists, from either end", function()
    assert.are.equal("1", search("items[0].id", data))
    assert.are.equal("3", search("items[-1].id", data))
    assert.is_nil(search("items[5]", data))
    assert.is_nil(search("status[0]", data))
  end)

  it("projects lists with [*] and flattens with []", function()
    assert.are.same({ "1", "2", "3" }, search("items[*].id", data))
    assert.are.same({ "COMPLETED", "FAILED", "COMPLETED" }, search("items[].status", data))
    assert.are.same({ "x", "y", "z" }, search("items[].tags[]", data))
    assert.are.same({}, search("empty[*].id", data))
  end)

  it("projects object values with *", function()
    local v = search("a.*.c", data)
    assert.are.same({ 42 }, v)
  end)

  it("filters", function()
    assert.are.same({ "1", "3" }, search("items[?status == 'COMPLETED'].id", data))
    assert.are.same({ "2", "3" }, search("items[?size > `15`].id", data))
    assert.are.same({ "3" }, search("items[?size >= `20` && status != 'FAILED'].id", data))
    assert.are.same({ "1", "2" }, search("items[?!(size == `30`)].id", data))
  end)

  it("compares, with JSON literals", function()
    assert.is_true(search("status == 'ACTIVE'", data))
    assert.is_true(search("status == `\"ACTIVE\"`", data))
    assert.is_false(search("a.b.c == `41`", data))
    assert.is_true(search("a.b.c < `43`", data))
    assert.is_nil(search("status < `1`", data))
    assert.is_true(search("missing == `null`", data))
  end)

  it("has length() and contains()", function()
    assert.are.equal(3, search("length(items)", data))
    assert.are.equal(6, search("length(status)", data))
    assert.is_true(search("length(items[?status == 'COMPLETED']) > `1`", data))
    assert.is_true(search("contains(items[].status, 'FAILED')", data))
    assert.is_false(search("contains(status, 'X')", data))
  end)

  it("pipes and || &&", function()
    assert.are.equal("1", search("items[*].id | [0]", data))
    assert.are.equal("ACTIVE", search("missing || status", data))
    assert.is_nil(search("missing && status", data))
  end)

  it("reports a malformed expression with its position", function()
    for _, bad in ipairs { "items[", "a.", "a ==", "`unterminated", "nope(x)", "a $ b" } do
      local ok, msg = pcall(search, bad, data)
      assert.is_false(ok, bad)
      assert.is_string(msg)
    end
  end)

  it("evaluates every expression of the model's waiters and paginators", function()
    local dir = helper.model_dir
    local waiters = helper.json.decode(helper.read(dir .. "/waiters-2.json")).waiters
    local count = 0
    for _, w in pairs(waiters) do
      for _, a in ipairs(w.acceptors) do
        if a.argument then
          assert(jmespath.compile(a.argument))
          -- each path matcher, given a result holding its expected value, matches
          local result = {}
          result[a.argument] = a.expected
          assert.is_true(jmespath.equal(search(a.argument, result), a.expected))
          count = count + 1
        end
      end
    end
    local pag = helper.json.decode(helper.read(dir .. "/paginators-1.json")).pagination
    for _, p in pairs(pag) do
      for _, key in ipairs { "input_token", "output_token", "result_key", "limit_key" } do
        local v = p[key]
        for _, e in ipairs(type(v) == "table" and v or { v }) do
          assert(jmespath.compile(e))
          count = count + 1
        end
      end
    end
    assert.is_true(count > 100)
  end)

  it("tells JSON null from missing and {} from []", function()
    local null = jmespath.null
    local obj = setmetatable({}, { __jsontype = "object" })
    assert.are.equal("object", search("type(@)", obj))
    assert.are.equal("array", search("type(@)", {}))
    assert.is_false(jmespath.equal(obj, {}))
    assert.are.equal("null", search("type(a)", { a = null }))
    assert.is_true(search("a == b", { a = null }))
    assert.are.same({ null, 1 }, search("[a, b]", { b = 1 }))
    assert.are.same({ "b" }, search("[?a == `null`].b", { { a = null, b = "b" }, { a = 1 } }))
    -- omics.null, the light userdata NULL of results, is null too
    local omics_null = require("omics").null
    assert.are.equal("null", search("type(a)", { a = omics_null }))
    assert.is_true(search("a == `null`", { a = omics_null }))
  end)

  it("names the kind of each error", function()
    local function kind(expr, data)
      local ok, msg = pcall(search, expr, data)
      assert.is_false(ok, expr)
      return msg:match("^([%w-]+):")
    end
    assert.are.equal("syntax", kind("a.", {}))
    assert.are.equal("unknown-function", kind("nope(@)", {}))
    assert.are.equal("invalid-arity", kind("abs(`1`, `2`)", {}))
    assert.are.equal("invalid-type", kind("abs(a)", { a = "x" }))
    assert.are.equal("invalid-value", kind("a[::0]", {}))
  end)

  it("compiles once and searches many times", function()
    local c = jmespath.compile("items[?size > `15`].id")
    assert.are.equal(c, jmespath.compile("items[?size > `15`].id"))
    assert.are.same({ "2", "3" }, c:search(data))
    assert.are.same({ "2", "3" }, search(c, data))
  end)
end)

-- The JMESPath compliance suite (spec/fixtures/README.md): one case per
-- given document and expression, with its result or the kind of its error.
describe("JMESPath compliance", function()
  local files = { "basic", "boolean", "current", "escape", "filters", "functions", "identifiers",
                  "indices", "literal", "multiselect", "pipe", "slice", "syntax", "unicode",
                  "wildcard", "benchmarks" }
  local json, null = helper.json, jmespath.null

  -- Lists compared as multisets, where the order is the one of an object's
  -- members (keys(), values(), object projections), which JSON leaves open.
  local function unordered_equal(a, b)
    local ka = jmespath.type(a)
    if ka ~= jmespath.type(b) then return false end
    if ka == "object" then
      for k, x in pairs(a) do
        if b[k] == nil or not unordered_equal(x, b[k]) then return false end
      end
      for k in pairs(b) do if a[k] == nil then return false end end
      return true
    end
    if ka ~= "array" then return jmespath.equal(a, b) end
    if #a ~= #b then return false end
    local used = {}
    for i = 1, #a do
      local found = false
      for j = 1, #b do
        if not used[j] and unordered_equal(a[i], b[j]) then
          used[j], found = true, true
          break
        end
      end
      if not found then return false end
    end
    return true
  end

  local function member_order(expr)
    return expr:find("keys(", 1, true) or expr:find("values(", 1, true)
      or expr:gsub("%[%*%]", ""):find("*", 1, true)
  end

  for _, name in ipairs(files) do
    local ok, path = pcall(helper.fixture, "jmespath-compliance/" .. name .. ".json")
    if not ok then
      it(name .. ".json is there", function() error(path, 0) end)
    else
      local suites = assert(json.decode(helper.read(path), 1, null))
      for s, suite in ipairs(suites) do
        for c, case in ipairs(suite.cases) do
          local expr = case.expression
          it(("%s %d.%d: %s"):format(name, s, c, expr), function()
            if case.bench then
              jmespath.search(jmespath.compile(expr), suite.given)
            elseif case.error then
              local ok2, msg = pcall(jmespath.search, expr, suite.given)
              assert.is_false(ok2, "no error")
              assert.are.equal(case.error, msg:match("^([%w-]+):"), msg)
            else
              local got = jmespath.search(expr, suite.given)
              local same = jmespath.equal(got, case.result)
                or member_order(expr) and unordered_equal(got, case.result)
              if not same then
                error(("expected %s, got %s"):format(json.encode(case.result),
                  json.encode(got)), 0)
              end
            end
          end)
        end
      end
    end
  end
end)
