-- docs/operations: a reference page per operation.  The pages on disk are
-- the generator's output for the committed model (make docs), and, read
-- against the model's own JSON (not through the module), each page states
-- the operation's members, required ones, values, errors, paginator,
-- waiters and command line.
local helper = require "helper"
local json = helper.json

local DIR = helper.root .. "/docs/operations"

local function listing(dir)
  local p = io.popen(helper.sh("ls " .. helper.shq(dir)))
  local names = {}
  for name in p:lines() do names[name] = true end
  p:close()
  return names
end

local function first_difference(a, b)
  local i = 1
  for la in (a .. "\n"):gmatch("([^\n]*)\n") do
    local lb = b:match(("[^\n]*\n"):rep(i - 1) .. "([^\n]*)")
    if la ~= lb then return ("line %d: %q on disk, %q from the model"):format(i, tostring(la), tostring(lb)) end
    i = i + 1
  end
  return "the pages differ in length"
end

-- camelCase -> kebab-case, as the AWS CLI spells an option
local function kebab(name)
  return (name:gsub("(%l)(%u)", "%1-%2"):gsub("(%d)(%u)", "%1-%2"):lower())
end

local function escape(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

describe("docs/operations", function()
  local gen = dofile(helper.root .. "/tools/gen_docs.lua")
  local client = assert(gen.client(helper.root))
  local files = gen.generate(client)
  local model = json.decode(helper.read(helper.model_dir .. "/service-2.json"))
  local paginators = json.decode(helper.read(helper.model_dir .. "/paginators-1.json")).pagination
  local waiters = json.decode(helper.read(helper.model_dir .. "/waiters-2.json")).waiters
  local method_of = {}
  for _, o in ipairs(client:operations()) do method_of[o.name] = o.method end

  it("are what make docs writes from the committed model, page for page", function()
    local on_disk = listing(DIR)
    local n = 0
    for name, text in pairs(files) do
      n = n + 1
      assert.is_true(on_disk[name] ~= nil, name .. " is missing: run make docs")
      local disk = helper.read(DIR .. "/" .. name)
      if disk ~= text then
        error(("%s disagrees with the model (run make docs): %s"):format(name, first_difference(disk, text)))
      end
    end
    for name in pairs(on_disk) do
      assert.is_true(files[name] ~= nil, name .. " is not an operation of the model: run make docs")
    end
    assert.are.equal(108, n) -- 107 operations and the index
  end)

  it("has a page for each of the model's operations, in the index under one area", function()
    local index = helper.read(DIR .. "/README.md")
    local count = 0
    for name in pairs(model.operations) do
      count = count + 1
      local method = assert(method_of[name], name)
      assert.is_true(helper.exists(DIR .. "/" .. method .. ".md"), method)
      local _, hits = index:gsub("%(" .. escape(method) .. "%.md%)", "")
      assert.are.equal(1, hits, method)
    end
    assert.are.equal(107, count)
    for _, area in ipairs { "Stores", "Read sets", "References", "Workflows and runs", "Analytics", "Shares", "Tags" } do
      assert.matches("\n## " .. area, index)
    end
  end)

  it("each page states what the model says of the operation", function()
    local checked = 0
    for name, op in pairs(model.operations) do
      local method = method_of[name]
      local page = helper.read(DIR .. "/" .. method .. ".md")
      assert.matches("^# " .. escape(method) .. "\n", page)
      assert.matches(("`%s` · %s `%s`"):format(name, op.http.method, escape(op.http.requestUri)), page)
      local cli = page:match("```sh\n([^\n]*)")
      assert.matches("^omics " .. escape(kebab(name)), cli, name)
      local input = op.input and model.shapes[op.input.shape]
      local required = {}
      for _, r in ipairs(input and input.required or {}) do required[r] = true end
      for member, ref in pairs(input and input.members or {}) do
        local shape = model.shapes[ref.shape]
        local row = page:match("\n| `" .. escape(member) .. "` |[^\n]*")
        assert(row, ("%s: no row for %s"):format(method, member))
        if required[member] and not ref.idempotencyToken then
          assert.matches("| yes |", row, method .. "." .. member)
          assert.matches(escape(member) .. " = [^\n]*%-%- required", page, method .. "." .. member)
          assert.matches(" %-%-" .. escape(kebab(member)) .. " ", cli, method .. "." .. member)
        else
          assert.is_nil(row:find("| yes |", 1, true), method .. "." .. member)
          assert.matches("%[%-%-" .. escape(kebab(member)), cli, method .. "." .. member)
        end
        for _, v in ipairs(shape.enum or {}) do
          assert.is_truthy(row:find("`" .. v .. "`", 1, true), method .. "." .. member .. " " .. v)
        end
        if shape.type == "timestamp" then assert.matches("epoch seconds", row) end
        if shape.min and shape.max and shape.type == "string" then
          assert.is_truthy(row:find(("%d to %d characters"):format(shape.min, shape.max), 1, true)
            or (shape.min == shape.max and row:find(("%d characters"):format(shape.min), 1, true)), row)
        end
      end
      local output = op.output and model.shapes[op.output.shape]
      for member in pairs(output and output.members or {}) do
        assert.is_truthy(page:find("\n| `" .. member .. "` |", 1, true), method .. " result " .. member)
      end
      for _, e in ipairs(op.errors or {}) do
        local shape = model.shapes[e.shape]
        local code = shape.error and shape.error.code or e.shape
        local status = shape.error and shape.error.httpStatusCode
        assert.matches("\n| `" .. escape(code) .. "` | " .. tostring(status or ""), page, method)
      end
      assert.are.equal(paginators[name] ~= nil, page:find("\n## Paginator\n", 1, true) ~= nil, method)
      if paginators[name] then
        assert.is_truthy(page:find("`" .. paginators[name].output_token .. "`", 1, true))
      end
      checked = checked + 1
    end
    assert.are.equal(107, checked)
    for wname, w in pairs(waiters) do
      local page = helper.read(DIR .. "/" .. method_of[w.operation] .. ".md")
      assert.is_truthy(page:find(('client:wait("%s", params)'):format(wname), 1, true), wname)
    end
  end)

  it("each page's command line is one the omics command takes", function()
    local cli = require "omics.cli"
    local checked = 0
    for name in pairs(model.operations) do
      local method = method_of[name]
      local line = helper.read(DIR .. "/" .. method .. ".md"):match("```sh\n([^\n]*)")
      -- the words a user types: a value for each <value>, a file for <outfile>,
      -- both spellings of a boolean
      local argv, outfile = {}, false
      for w in line:gmatch("%S+") do
        w = w:gsub("^%[", ""):gsub("%]$", "")
        if w == "<outfile>" then outfile = true; argv[#argv + 1] = "out.bin"
        elseif w == "<value>" then argv[#argv + 1] = "v"
        elseif w ~= "|" then argv[#argv + 1] = w end
      end
      assert.are.equal("omics", table.remove(argv, 1), method)
      local d, groups, positionals = cli.parse_command(argv)
      assert(d, ("%s: %s: %s"):format(method, line, tostring(groups)))
      assert.are.equal(name, d.name)
      assert.are.same(outfile and { "out.bin" } or {}, positionals, method)
      -- every member is on the line, once, a boolean with no value and the
      -- others with the one given
      local given = {}
      for _, g in ipairs(groups) do
        assert.is_nil(given[g.name], method .. " " .. g.name)
        given[g.name] = g.values
      end
      local input = d.input and d.shapes[d.input]
      local n = 0
      for _, m in ipairs(input and input.members or {}) do
        local boolean = d.shapes[m.shape].type == "boolean"
        assert.are.same(boolean and {} or { "v" }, given["--" .. m.cli], method .. " --" .. m.cli)
        if boolean then assert.are.same({}, given["--no-" .. m.cli], method .. " --no-" .. m.cli) end
        n = n + (boolean and 2 or 1)
      end
      assert.are.equal(n, #groups, method)
      -- and its help is there
      local out, real = {}, io.stdout
      io.stdout = { write = function(self, ...) for _, x in ipairs { ... } do out[#out + 1] = x end return self end,
                    flush = function() end }
      local ok, status = pcall(cli.main, { argv[1], "help" })
      io.stdout = real
      assert(ok, status)
      assert.are.equal(0, status, method)
      assert.matches("the " .. name .. " operation", table.concat(out), 1, true)
      checked = checked + 1
    end
    assert.are.equal(107, checked)
  end)

  it("each page's call runs as written: the literal is a table the model takes", function()
    -- (the sample values are placeholders; what matters is that the literal
    -- is Lua and names only members the model knows)
    local unknown = 0
    for name in pairs(model.operations) do
      local page = helper.read(DIR .. "/" .. method_of[name] .. ".md")
      local call = page:match("```lua\n(.-)\n%-%- or:")
      local chunk = assert((loadstring or load)("local client = ...\n" .. call .. "\nreturn result, err"))
      local got
      local fake = setmetatable({}, { __index = function(_, k)
        return function(_, params) got = { k, params } return {} end end })
      chunk(fake)
      assert.are.equal(method_of[name], got[1])
      local ok, err = client:prepare(name, got[2] or {})
      if not ok and err.message:find("unknown parameter", 1, true) then unknown = unknown + 1 end
    end
    assert.are.equal(0, unknown)
  end)
end)
