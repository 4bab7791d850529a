-- The AWS rest-json protocol compliance suites (spec/fixtures/protocol-tests):
-- every request case through client:prepare, every response case through
-- client:parse, each with a model made of its suite's shapes and the case's
-- operation.  How cases compare: a JSON
-- body as parsed JSON, headers by case-insensitive name (list values with and
-- without the space after each comma), `uri` as path plus "?query".
local helper = require "helper"
local omics = require "omics"
local json = helper.json

local DIR = helper.fixtures .. "/protocol-tests"
local INPUT = DIR .. "/rest-json-input.json"
local OUTPUT = DIR .. "/rest-json-output.json"
local IGNORE = DIR .. "/botocore-ignore-list.json"

-- Cases we do not pass, by id, each with the reason, e.g.
--   input = { SomeCaseId = "why it fails" }.
-- They are registered as pending with that reason (and the reason is
-- printed); none is counted as passed.  A pending case is still run, and a
-- note is printed when it passes.  Today every case passes.
local PENDING = {
  input = {},
  output = {},
}

-- The idempotency token the suites expect to be filled in.  The suites' SDKs
-- use a fixed generator; ours fills a random UUIDv4.  Where a case expects a
-- filled token (the params leave it out), the spec checks that the query
-- holds a v4 UUID (version nibble 4, variant 8, 9, a or b) and reads it as
-- this one before comparing.
local ZERO_UUID = "00000000-0000-4000-8000-000000000000"
local X = "%x"
local UUID4 = X:rep(8) .. "%-" .. X:rep(4) .. "%-4" .. X:rep(3) .. "%-[89ab]" .. X:rep(3) ..
  "%-" .. X:rep(12)

-- The query of these cases takes its order from a JSON object of the params
-- (several keys of a map bound to the query), an order Lua tables do not
-- keep: their query is compared as a multiset of name=value pairs.  Every
-- other query is compared exactly, including the order that the model's
-- member order decides (the model is handed over as the file's own text).
local QUERY_FROM_PARAMS_ORDER = {
  RestJsonQueryStringMap = true,
}

------------------------------------------------------------ JSON helpers

-- A sentinel for JSON null in bodies, which are compared as parsed JSON.
local JSON_NULL = setmetatable({}, { __tostring = function() return "null" end })

local function show(v)
  if v == omics.null then return "omics.null" end
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "number" then return (helper.is_integer(v) and "%d" or "%.17g"):format(v) end
  if type(v) ~= "table" or v == JSON_NULL then return tostring(v) end
  local ok, text = pcall(json.encode, v, { exception = function() return '"?"' end })
  return ok and text or tostring(v)
end

-- Where each value of a JSON text lies: { s = first byte, e = last byte,
-- keys = { name -> node } for objects, items = { node... } for arrays }.
-- With it a suite's metadata, shapes and operation reach the engine as the
-- file's own text, so that the order of members (which decides the order of
-- query parameters) is kept.
local function skip_ws(text, pos)
  return text:find("[^ \t\r\n]", pos)
end

local function string_end(text, pos) -- pos is at the opening quote
  local i = pos + 1
  while true do
    local q = assert(text:find('["\\]', i), "unterminated JSON string")
    if text:sub(q, q) == '"' then return q end
    i = q + 2
  end
end

local function scan(text, pos)
  pos = skip_ws(text, pos)
  local c = text:sub(pos, pos)
  local node = { s = pos }
  if c == '"' then
    node.e = string_end(text, pos)
    return node
  end
  if c ~= "{" and c ~= "[" then -- number, true, false, null
    node.e = (text:find("[,%]}%s]", pos) or #text + 1) - 1
    return node
  end
  local close = c == "{" and "}" or "]"
  if c == "{" then node.keys = {} else node.items = {} end
  local i = skip_ws(text, pos + 1)
  if text:sub(i, i) == close then
    node.e = i
    return node
  end
  while true do
    local key
    if c == "{" then
      local ke = string_end(text, i)
      key = json.decode(text:sub(i, ke))
      i = skip_ws(text, ke + 1)
      assert(text:sub(i, i) == ":", "a JSON object key without ':'")
      i = i + 1
    end
    local child = scan(text, i)
    if key then node.keys[key] = child else node.items[#node.items + 1] = child end
    i = skip_ws(text, child.e + 1)
    local ch = text:sub(i, i)
    if ch == close then
      node.e = i
      return node
    end
    assert(ch == ",", "a JSON value followed by " .. ch)
    i = skip_ws(text, i + 1)
  end
end

local function raw(text, node)
  return text:sub(node.s, node.e)
end

-- A suite file: its decoded form (JSON null as omics.null, as a caller
-- passes it) and where each suite's parts are in its text.
local function load_suites(path)
  local text = helper.read(path)
  local suites = json.decode(text, 1, omics.null)
  return suites, text, scan(text, 1)
end

-- The model of one case, as JSON text: the suite's metadata and shapes and
-- the case's operation, each exactly as the file writes it.
local function model_text(text, suite_node, case_node, name)
  return '{"metadata":' .. raw(text, suite_node.keys.metadata) ..
    ',"operations":{' .. json.encode(name) .. ":" .. raw(text, case_node.keys.given) ..
    '},"shapes":' .. raw(text, suite_node.keys.shapes) .. "}"
end

------------------------------------------------------------ values by shape

local SPECIAL = { NaN = 0 / 0, Infinity = math.huge, ["-Infinity"] = -math.huge }
local INTEGER_TYPES = { byte = true, short = true, integer = true, long = true, bigInteger = true }
local FLOAT_TYPES = { float = true, double = true, bigDecimal = true }

local function is_document(shape)
  return shape and shape.type == "structure" and shape.document == true
end

-- The file writes a float's NaN and infinities as the strings "NaN",
-- "Infinity" and "-Infinity" (JSON has no such numbers); a Lua caller passes
-- and receives numbers.  Everything else is already what Lua uses: blobs are
-- byte strings, timestamps epoch seconds, JSON null is omics.null.
local function by_shape(shapes, shape, v)
  if shape == nil or v == omics.null or is_document(shape) then return v end
  local t = shape.type
  if FLOAT_TYPES[t] and type(v) == "string" and SPECIAL[v] then return SPECIAL[v] end
  if type(v) ~= "table" then return v end
  local out = {}
  if t == "structure" then
    for k, x in pairs(v) do
      local m = shape.members[k]
      out[k] = by_shape(shapes, m and shapes[m.shape], x)
    end
  elseif t == "list" then
    for i, x in ipairs(v) do out[i] = by_shape(shapes, shapes[shape.member.shape], x) end
  elseif t == "map" then
    for k, x in pairs(v) do out[k] = by_shape(shapes, shapes[shape.value.shape], x) end
  else
    return v
  end
  return out
end

local function same_number(a, b)
  if a ~= a then return b ~= b end
  return a == b
end

-- Any two values (JSON bodies, documents): nil when equal, else where not.
local function deep_diff(exp, act, path)
  if type(exp) ~= type(act) then
    return ("%s: expected %s, got %s"):format(path, show(exp), show(act))
  end
  if type(exp) == "number" then
    if not same_number(exp, act) then
      return ("%s: expected %s, got %s"):format(path, show(exp), show(act))
    end
    return nil
  end
  if type(exp) ~= "table" or exp == JSON_NULL then
    if exp ~= act then return ("%s: expected %s, got %s"):format(path, show(exp), show(act)) end
    return nil
  end
  for k, v in pairs(exp) do
    local d = deep_diff(v, act[k], path .. "." .. tostring(k))
    if d then return d end
  end
  for k, v in pairs(act) do
    if exp[k] == nil then return ("%s.%s: not expected (%s)"):format(path, tostring(k), show(v)) end
  end
  return nil
end

-- A result against the expected one, member by member along the shape:
-- integers must be Lua integers, floats may be NaN, timestamps are epoch
-- seconds (fractions to the microsecond), sparse nulls are omics.null.
local function result_diff(shapes, shape, exp, act, path)
  local function bad(what)
    return ("%s: %s (expected %s, got %s)"):format(path, what, show(exp), show(act))
  end
  if shape == nil or is_document(shape) then return deep_diff(exp, act, path) end
  if exp == omics.null then
    return act ~= omics.null and bad("expected null") or nil
  end
  local t = shape.type
  if t == "structure" or t == "map" then
    if type(act) ~= "table" then return bad("not a table") end
    for k, v in pairs(exp) do
      local sub
      if t == "map" then
        sub = shapes[shape.value.shape]
      else
        local m = shape.members[k]
        if not m then return bad("the expected key " .. k .. " is not a member") end
        sub = shapes[m.shape]
      end
      if act[k] == nil then return ("%s.%s: missing (expected %s)"):format(path, k, show(v)) end
      local d = result_diff(shapes, sub, v, act[k], path .. "." .. k)
      if d then return d end
    end
    for k, v in pairs(act) do
      if exp[k] == nil then return ("%s.%s: not expected (%s)"):format(path, tostring(k), show(v)) end
    end
    return nil
  elseif t == "list" then
    if type(act) ~= "table" then return bad("not a table") end
    local n = 0
    for _ in pairs(act) do n = n + 1 end
    if n ~= #exp then return bad(("%d items instead of %d"):format(n, #exp)) end
    for i, v in ipairs(exp) do
      local d = result_diff(shapes, shapes[shape.member.shape], v, act[i], path .. "[" .. i .. "]")
      if d then return d end
    end
    return nil
  elseif INTEGER_TYPES[t] then
    if not helper.is_integer(act) or act ~= exp then return bad("not the same integer") end
  elseif FLOAT_TYPES[t] then
    if type(act) ~= "number" or not same_number(exp, act) then return bad("not the same number") end
  elseif t == "timestamp" then
    if type(act) ~= "number" or math.abs(act - exp) > 1e-6 then return bad("not the same time") end
  elseif act ~= exp then
    return bad("not equal")
  end
  return nil
end

------------------------------------------------------------ requests

local function header(headers, name)
  local lname = name:lower()
  for k, v in pairs(headers or {}) do
    if k:lower() == lname then return v end
  end
  return nil
end

local function same_header(exp, act)
  if exp == act then return true end
  return act ~= nil and exp:gsub(",%s*", ",") == act:gsub(",%s*", ",")
end

local function query_pairs(q)
  local out = {}
  for pair in (q or ""):gmatch("[^&]+") do out[#out + 1] = pair end
  table.sort(out)
  return table.concat(out, "&")
end

-- The text of a gzip body, read back with the system's gzip.
local function gunzip(data)
  local dir = helper.tmpdir()
  local path = dir .. "/body.gz"
  helper.write(path, data)
  local p = io.popen(helper.sh("gzip -dc " .. helper.shq(path) .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  helper.rmdir(dir)
  return ok and out or nil, out
end

local function input_shape(suite, case)
  local ref = case.given.input
  return ref and suite.shapes[ref.shape]
end

-- Whether the case leaves an idempotency token to be filled.
local function fills_token(suite, case)
  local shape = input_shape(suite, case)
  for name, m in pairs(shape and shape.members or {}) do
    if m.idempotencyToken and case.params[name] == nil then return true end
  end
  return false
end

local function check_input(suite, case, text, suite_node, case_node)
  local ser = case.serialized
  local host, base = (ser.host or "example.com"):match("^([^/]*)(.*)$")
  local client = assert(omics.service(model_text(text, suite_node, case_node, case.given.name), {
    region = "us-east-1", endpoint = "https://example.com" .. base, credentials = helper.CREDS,
  }))
  local params = by_shape(suite.shapes, input_shape(suite, case), case.params)
  local req, err = client:prepare(case.given.name, params)
  assert(req, "prepare failed: " .. tostring(err))

  assert.are.equal(ser.method, req.method)
  local query = req.query
  if fills_token(suite, case) then
    local n
    query, n = query:gsub(UUID4, ZERO_UUID)
    assert(n == 1, "no v4 UUID filled in for the idempotency token: " .. req.query)
  end
  local exp_path, exp_query = ser.uri:match("^([^?]*)%??(.*)$")
  assert.are.equal(exp_path, req.path)
  if QUERY_FROM_PARAMS_ORDER[case.id] then
    assert.are.equal(query_pairs(exp_query), query_pairs(query))
  else
    assert.are.equal(ser.uri, req.path .. (query ~= "" and "?" .. query or ""))
  end
  if ser.host then
    assert.are.equal(host, req.host)
  end

  for name, value in pairs(ser.headers or {}) do
    local got = header(req.headers, name)
    assert(same_header(value, got), ("header %s: expected %s, got %s"):format(name, show(value),
      show(got)))
  end
  for _, name in ipairs(ser.forbidHeaders or {}) do
    assert(header(req.headers, name) == nil, "header " .. name .. " must not be sent, got " ..
      show(header(req.headers, name)))
  end
  for _, name in ipairs(ser.requireHeaders or {}) do
    assert(header(req.headers, name) ~= nil, "header " .. name .. " is required")
  end

  local body = req.body or ""
  local encoding = header(req.headers, "Content-Encoding") or ""
  if encoding:find("gzip") then -- compressed: compare what it decompresses to
    local plain, why = gunzip(body)
    assert(plain, "the body is not gzip: " .. tostring(why))
    body = plain
  end
  local exp_body = ser.body
  if exp_body == nil and case.given.requestcompression then
    -- the suite gives no body for compressed requests: it is the JSON of the
    -- params bound to the body
    local members, shape = {}, input_shape(suite, case)
    for name, v in pairs(case.params) do
      if not shape.members[name].location then members[name] = v end
    end
    exp_body = json.encode(members)
  end
  if exp_body == nil then return end
  if exp_body == "" then
    assert.are.equal("", body)
    return
  end
  local ctype = header(req.headers, "Content-Type") or ""
  if ctype:find("json") then
    local exp_v = json.decode(exp_body, 1, JSON_NULL)
    local act_v, _, jerr = json.decode(body, 1, JSON_NULL)
    assert(act_v ~= nil, "the body is not JSON (" .. tostring(jerr) .. "): " .. body)
    local d = deep_diff(exp_v, act_v, "body")
    assert(not d, d)
  else
    assert.are.equal(exp_body, body)
  end
end

------------------------------------------------------------ responses

local function check_output(suite, case, text, suite_node, case_node)
  local client = assert(omics.service(model_text(text, suite_node, case_node, case.given.name), {
    region = "us-east-1", endpoint = "https://example.com", credentials = helper.CREDS,
  }))
  local r = case.response
  local result, err = client:parse(case.given.name, {
    status = r.status_code, headers = r.headers or {}, body = r.body or "",
  })
  local shapes = suite.shapes
  if case.errorCode then
    assert(result == nil, "expected the error " .. case.errorCode .. ", got a result")
    assert.are.equal(case.errorCode, err.code)
    if case.errorMessage then assert.are.equal(case.errorMessage, err.message) end
    if case.error then
      local shape = shapes[case.errorCode]
      assert(type(err.data) == "table", "the modeled error has no data")
      local d = result_diff(shapes, shape, by_shape(shapes, shape, case.error), err.data, "error")
      assert(not d, d)
    end
    return
  end
  assert(result, "parse failed: " .. tostring(err))
  assert(type(result.ResponseMetadata) == "table", "no ResponseMetadata")
  local got = {}
  for k, v in pairs(result) do
    if k ~= "ResponseMetadata" then got[k] = v end
  end
  local ref = case.given.output
  local shape = ref and shapes[ref.shape] or { type = "structure", members = {} }
  local d = result_diff(shapes, shape, by_shape(shapes, shape, case.result or {}), got, "result")
  assert(not d, d)
end

------------------------------------------------------------ the suites

local function ignored_by_botocore()
  local list = json.decode(helper.read(IGNORE))
  local rj = list.protocols["rest-json"]
  local out = { input = {}, output = {}, suites = {} }
  for _, id in ipairs(rj.input.cases) do out.input[id] = true end
  for _, id in ipairs(rj.output.cases) do out.output[id] = true end
  for _, name in ipairs(list.general.input.suites) do out.suites[name] = true end
  return out
end

local function run_suites(kind, path, check)
  if not helper.exists(path) or not helper.exists(IGNORE) then
    it("has its fixtures", function()
      helper.fixture("protocol-tests/" .. path:match("[^/]+$"))
      helper.fixture("protocol-tests/botocore-ignore-list.json")
    end)
    return
  end
  local ignored = ignored_by_botocore()
  local beaten, skipped = {}, 0
  local suites, text, root = load_suites(path)
  for si, suite in ipairs(suites) do
    local suite_node = root.items[si]
    describe(suite.description, function()
      for ci, case in ipairs(suite.cases) do
        local case_node = suite_node.keys.cases.items[ci]
        local botocore_skips = ignored[kind][case.id] or (kind == "input" and
          ignored.suites[suite.description])
        if botocore_skips then skipped = skipped + 1 end
        local reason = PENDING[kind][case.id]
        if reason then
          print(("protocol_spec: pending %s case %s: %s"):format(kind, case.id, reason))
          local ok = pcall(check, suite, case, text, suite_node, case_node)
          if ok then
            print(("protocol_spec: note: pending %s case %s passes now"):format(kind, case.id))
          end
          pending(case.id .. ": " .. reason)
        else
          it(case.id, function()
            check(suite, case, text, suite_node, case_node)
            if botocore_skips then beaten[#beaten + 1] = case.id end
          end)
        end
      end
    end)
  end
  teardown(function()
    table.sort(beaten)
    print(("protocol_spec: botocore skips %d rest-json %s cases; we pass %d of them: %s"):format(
      skipped, kind, #beaten, table.concat(beaten, ", ")))
  end)
end

describe("rest-json protocol input (client:prepare)", function()
  run_suites("input", INPUT, check_input)
end)

describe("rest-json protocol output (client:parse)", function()
  run_suites("output", OUTPUT, check_output)
end)

------------------------------------------------------------ beyond the suites

-- What the suites leave open, on a small model of its own.
describe("rest-json beyond the suites", function()
  local model = {
    metadata = { protocol = "rest-json", apiVersion = "2019-12-16" },
    operations = {
      Json = { name = "Json", http = { method = "GET", requestUri = "/json" },
               input = { shape = "JsonIO" }, output = { shape = "JsonIO" } },
      Union = { name = "Union", http = { method = "GET", requestUri = "/union" },
                output = { shape = "UnionOutput" } },
    },
    shapes = {
      JsonIO = { type = "structure", members = {
        json = { shape = "JsonValue", jsonvalue = true, location = "header", locationName = "X-Json" },
      } },
      JsonValue = { type = "string" },
      UnionOutput = { type = "structure", members = { value = { shape = "MyUnion" } } },
      MyUnion = { type = "structure", union = true, members = { known = { shape = "JsonValue" } } },
    },
  }
  local client = assert(omics.service(model, {
    region = "us-east-1", endpoint = "https://example.com", credentials = helper.CREDS,
  }))

  it("sends a table in a jsonvalue header as base64 JSON", function()
    local req = assert(client:prepare("Json", { json = { 1, 2 } }))
    assert.are.equal("WzEsMl0=", req.headers["X-Json"]) -- [1,2]
  end)

  it("sends a jsonvalue string as the JSON text it is, and refuses one that is not JSON", function()
    local text = ' {"a": [true]} '
    local req = assert(client:prepare("Json", { json = text }))
    local back = assert(client:parse("Json", { status = 200,
      headers = { ["X-Json"] = req.headers["X-Json"] } }))
    assert.are.equal(text, back.json)
    local nothing, err = client:prepare("Json", { json = "not json" })
    assert.is_nil(nothing)
    assert.are.equal("ParamValidationError", err.code)
    assert.truthy(err.message:find("not JSON text", 1, true))
    nothing, err = client:prepare("Json", { json = "true false" })
    assert.is_nil(nothing)
    assert.are.equal("ParamValidationError", err.code)
  end)

  it("shows a union member the model does not know as SDK_UNKNOWN_MEMBER (as botocore)", function()
    local r = assert(client:parse("Union", { status = 200,
      body = '{"value": {"__type": "ns#MyUnion", "newer": {"x": 1}}}' }))
    assert.are.same({ SDK_UNKNOWN_MEMBER = { name = "newer" } }, r.value)
    r = assert(client:parse("Union", { status = 200, body = '{"value": {"known": "k"}}' }))
    assert.are.same({ known = "k" }, r.value)
  end)
end)
