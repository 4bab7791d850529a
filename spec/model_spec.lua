-- The built-in model: generated faithfully, every operation reachable by
-- botocore's method name, and a minimal request for each of the 107
-- operations checked against the botocore model itself (read here with an
-- independent JSON reader), then sent to the emulator.
local helper = require "helper"
local omics = require "omics"
local json = helper.json

local MODEL_DIR = helper.model_dir
local have_model = helper.exists(MODEL_DIR .. "/service-2.json")

-- The committed model (tools/model) is part of the repository: without it
-- the checks fail.
local function need_model()
  assert(have_model, MODEL_DIR .. "/service-2.json is missing: the model is part of the repository")
  return true
end

local service = have_model and json.decode(helper.read(MODEL_DIR .. "/service-2.json")) or nil

------------------------------------------------- minimal valid parameters

-- A value that satisfies the shape's constraints (patterns are not checked
-- by the client, as by the AWS SDKs, so any characters do).
local function minimal(shape_name, depth)
  local s = service.shapes[shape_name]
  local t = s.type
  if t == "structure" then
    if s.document then return {} end
    local v = {}
    if s.union then
      local name, ref = next(s.members)
      v[name] = minimal(ref.shape, depth + 1)
      return v
    end
    for _, name in ipairs(s.required or {}) do
      v[name] = minimal(s.members[name].shape, depth + 1)
    end
    return v
  elseif t == "list" then
    local v = {}
    for i = 1, math.max(s.min or 0, 1) do v[i] = minimal(s.member.shape, depth + 1) end
    return v
  elseif t == "map" then
    return {}
  elseif t == "string" then
    if s.enum then return s.enum[1] end
    return ("1"):rep(math.max(s.min or 1, 1))
  elseif t == "integer" or t == "long" then
    return math.max(math.floor(s.min or 1), 1)
  elseif t == "float" or t == "double" then
    return math.max(s.min or 1, 1) + 0.5
  elseif t == "boolean" then
    return true
  elseif t == "timestamp" then
    return 1700000000
  elseif t == "blob" then
    return "x"
  end
  error("no minimal value for " .. t)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

describe("the built-in model", function()
  it("is committed without prose: tools/strip_model.py finds nothing left to take out", function()
    need_model()
    local dir = helper.tmpdir()
    assert.is_true(helper.succeeded(("LD_PRELOAD= python3 %s/tools/strip_model.py %s %s"):format(
      helper.root, helper.shq(MODEL_DIR), helper.shq(dir))))
    for _, name in ipairs { "service-2.json", "paginators-1.json", "waiters-2.json",
                            "endpoint-rule-set-1.json", "endpoint-tests-1.json" } do
      local committed = helper.read(MODEL_DIR .. "/" .. name)
      assert.is_true(committed == helper.read(dir .. "/" .. name), name .. " still holds prose")
      assert.is_nil(committed:find('"documentation"', 1, true), name)
    end
    helper.rmdir(dir)
    local n = 0
    for _ in pairs(service.operations) do n = n + 1 end
    assert.are.equal(107, n)
  end)

  it("is what tools/gen_model.py writes from tools/model, without documentation", function()
    if not need_model() then return end
    local dir = helper.tmpdir()
    local out = dir .. "/model_omics.c"
    local cmd = ("LD_PRELOAD= python3 %s/tools/gen_model.py %s %s"):format(
      helper.root, helper.shq(MODEL_DIR), helper.shq(out))
    assert.is_true(helper.succeeded(cmd))
    local generated = helper.read(out)
    helper.rmdir(dir)
    local committed = helper.read(helper.root .. "/src/model_omics.c")
    assert.is_true(generated == committed, "src/model_omics.c differs from the generator's output: run make model")
    assert.is_nil(committed:find('\\"documentation\\"', 1, true), "a documentation key in the model")
  end)

  local client = assert(omics.new { region = "us-east-1", credentials = helper.CREDS })
  local ops = client:operations()

  it("has every operation of the service", function()
    assert.are.equal(107, #ops)
    if not need_model() then return end
    local names = {}
    for name in pairs(service.operations) do names[#names + 1] = name end
    table.sort(names)
    local ours = {}
    for i, o in ipairs(ops) do ours[i] = o.name end
    assert.are.same(names, ours)
  end)

  it("names each method as botocore does", function()
    local list = {}
    for _, o in ipairs(ops) do list[#list + 1] = o.name end
    local script = "import sys\nfrom botocore import xform_name\n" ..
      "for n in sys.argv[1:]: print(n, xform_name(n))\n"
    local p = io.popen("LD_PRELOAD= python3 -c " .. helper.shq(script) .. " " .. table.concat(list, " ") .. " 2>&1")
    local out = p:read("a")
    p:close()
    if not out:match("^%u") then
      print("model_spec: botocore is not importable (" .. out:sub(1, 80) .. "); method names are checked against a few known ones only")
    end
    local botocore = {}
    for name, snake in out:gmatch("(%S+) (%S+)\n") do botocore[name] = snake end
    for _, o in ipairs(ops) do
      if next(botocore) then assert.are.equal(botocore[o.name], o.method, o.name) end
      assert.is_function(client[o.method], o.method)
    end
    local by = {}
    for _, o in ipairs(ops) do by[o.name] = o.method end
    assert.are.equal("list_read_set_upload_parts", by.ListReadSetUploadParts)
    assert.are.equal("get_s3_access_policy", by.GetS3AccessPolicy)
    assert.are.equal("start_run", by.StartRun)
  end)

  describe("a minimal request for each operation", function()
    if not have_model then
      it("needs the botocore model", function() need_model() end)
      return
    end
    local names = {}
    for name in pairs(service.operations) do names[#names + 1] = name end
    table.sort(names)
    for _, name in ipairs(names) do
      local op = service.operations[name]
      it(name, function()
        local input = op.input and service.shapes[op.input.shape]
        local params = input and minimal(op.input.shape, 0) or {}
        local req, err = client:prepare(name, params)
        assert(req, tostring(err))
        assert.are.equal(op.http.method, req.method)
        -- the path: the URI template with each label's value encoded
        local template = op.http.requestUri:match("^[^?]*")
        local want = template:gsub("{([%w_]+)(%+?)}", function(label, greedy)
          for mname, m in pairs(input.members) do
            if m.location == "uri" and (m.locationName or mname) == label then
              local v = tostring(params[mname])
              return greedy == "+" and v or urlencode(v)
            end
          end
          error("no member for label " .. label)
        end)
        assert.are.equal(want, req.path)
        assert.are.equal(op.endpoint.hostPrefix .. "omics.us-east-1.amazonaws.com", req.host)
        -- required query and header members are sent, body members in the JSON body
        local body = req.body and req.body ~= "" and json.decode(req.body) or {}
        for _, mname in ipairs(input and input.required or {}) do
          local m = input.members[mname]
          local wire = m.locationName or mname
          if m.location == "querystring" then
            assert.matches("[?&]?" .. wire .. "=", req.query, mname)
          elseif m.location == "header" then
            assert.is_not_nil(req.headers[wire], mname)
          elseif not m.location and input.payload ~= mname then
            assert.is_not_nil(body[wire], mname)
          end
        end
        if op.authtype == "v4-unsigned-body" then
          assert.is_true(req.unsigned_payload)
        end
      end)
    end
  end)

  describe("every operation against the emulator", function()
    if not have_model then
      it("needs the botocore model", function() need_model() end)
      return
    end
    local emu, eclient
    setup(function()
      emu = helper.emulator()
      eclient = helper.client(emu)
    end)
    teardown(function()
      if emu then emu:stop() end
    end)

    it("answers each one with a result or one of the operation's modeled errors", function()
      local missing, count = {}, 0
      local names = {}
      for name in pairs(service.operations) do names[#names + 1] = name end
      table.sort(names)
      for _, name in ipairs(names) do
        local op = service.operations[name]
        local params = op.input and minimal(op.input.shape, 0) or {}
        local res, err = eclient:call(name, params)
        if not res and err.code == "UnknownOperationException" then
          missing[#missing + 1] = name
        else
          count = count + 1
          if not res then
            local modeled = {}
            for _, e in ipairs(op.errors or {}) do modeled[e.shape] = true end
            assert.is_true(modeled[err.code] == true, name .. ": " .. tostring(err))
          end
        end
      end
      if #missing > 0 then
        print(("model_spec: the emulator implements %d of 107 operations; not yet: %s"):format(
          count, table.concat(missing, ", ")))
      end
      assert.are.equal(107, count, "the emulator implements every operation")
    end)
  end)
end)
