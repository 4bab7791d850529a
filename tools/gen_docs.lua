-- gen_docs.lua: a reference page per operation, in Lua terms, from the
-- model the module itself carries (core.describe_model, the description the
-- command line reads too, its paginators and waiters): docs/operations/<method>.md and docs/operations/README.md.
--
--   lua5.4 tools/gen_docs.lua [dir]        (make docs; dir: docs/operations)
--
-- As a module (spec/docs_spec.lua): require returns { generate = fn },
-- generate(client) -> { ["get_run.md"] = text, ..., ["README.md"] = text }.
-- Every fact on a page comes from the model; the words around them are
-- this file's.
local M = {}

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

-- The areas of the index, in order, and how an operation's name says which.
local AREAS = {
  { "tags", "Tags", function(n) return n == "TagResource" or n == "UntagResource" or n == "ListTagsForResource" end },
  { "shares", "Shares", function(n) return n:find("Share") ~= nil end },
  { "analytics", "Analytics: annotation and variant stores", function(n)
      return n:find("Annotation") ~= nil or n:find("Variant") ~= nil end },
  { "stores", "Stores: sequence and reference stores", function(n)
      return n:find("SequenceStore") ~= nil or n:find("ReferenceStore") ~= nil or n:find("S3AccessPolicy") ~= nil end },
  { "references", "References", function(n) return n:find("Reference") ~= nil end },
  { "read_sets", "Read sets", function(n) return n:find("ReadSet") ~= nil end },
  { "workflows", "Workflows and runs", function() return true end },
}

-- the order of the index
local ORDER = { "stores", "read_sets", "references", "workflows", "analytics", "shares", "tags" }
for _, a in ipairs(AREAS) do AREAS[a[1]] = a end

local function area_of(name)
  for _, a in ipairs(AREAS) do
    if a[3](name) then return a end
  end
end

local function key_text(name)
  if name:match("^[%a_][%w_]*$") and not KEYWORDS[name] then return name end
  return ("[%q]"):format(name)
end

local function cell(s) -- text inside a table cell
  return (tostring(s):gsub("|", "\\|"):gsub("\n", " "))
end

local function code(s) -- a code span that survives backticks inside
  s = tostring(s)
  if s:find("`") then return "`` " .. s .. " ``" end
  return "`" .. s .. "`"
end

local function num_text(x)
  if x == math.floor(x) and math.abs(x) < 2^53 then return ("%d"):format(x) end
  return ("%.17g"):format(x)
end

local INTEGERS = { byte = true, short = true, integer = true, long = true, bigInteger = true }
local NUMBERS = { float = true, double = true, bigDecimal = true }

-------------------------------------------------------------- one page

local Page = {}
Page.__index = Page

-- (self.shapes: those of the operation on the page)
function Page:shape(name) return assert(self.shapes[name], name) end

-- The type of a shape, in Lua terms.
function Page:type_text(name, output)
  local s = self:shape(name)
  local t = s.type
  if t == "string" then return s.enum and "string (enum)" or "string" end
  if t == "blob" then
    if s.streaming then return output and "string (bytes; opts.sink takes them instead)" or "string or open file (streamed)" end
    return "string (bytes)"
  end
  if t == "boolean" then return "boolean" end
  if INTEGERS[t] then return "integer" end
  if NUMBERS[t] then return "number" end
  if t == "timestamp" then return "number (epoch seconds)" end
  if t == "document" then return "any JSON value (table, string, number, boolean)" end
  if t == "list" then return "list of " .. self:type_text(s.member, output) end
  if t == "map" then return ("map of %s to %s"):format(self:type_text(s.key, output), self:type_text(s.value, output)) end
  if t == "structure" then return s.union and "table (one member of)" or "table" end
  return t
end

-- Limits and values of a shape: lengths, ranges, enum, pattern.
function Page:limits(name)
  local s = self:shape(name)
  local out = {}
  local unit = ({ string = "characters", blob = "bytes", list = "items", map = "entries" })[s.type]
  if s.min or s.max then
    local lo, hi = s.min and num_text(s.min), s.max and num_text(s.max)
    local range
    if lo and hi then range = lo == hi and lo or (lo .. " to " .. hi)
    elseif lo then range = "at least " .. lo
    else range = "at most " .. hi end
    out[#out + 1] = unit and (range .. " " .. unit) or range
  end
  if s.enum then
    local vals = {}
    for i, v in ipairs(s.enum) do vals[i] = code(v) end
    out[#out + 1] = "one of " .. table.concat(vals, ", ")
  end
  if s.pattern then out[#out + 1] = "pattern " .. code(s.pattern) end
  if s.sensitive then out[#out + 1] = "sensitive" end
  if s.type == "list" then
    local inner = self:limits(s.member)
    if inner ~= "" then out[#out + 1] = "each: " .. inner end
  elseif s.type == "map" then
    local k, v = self:limits(s.key), self:limits(s.value)
    if k ~= "" then out[#out + 1] = "keys: " .. k end
    if v ~= "" then out[#out + 1] = "values: " .. v end
  end
  return table.concat(out, "; ")
end

-- A sample value of a shape as Lua source, indented by ind.
function Page:sample(name, ind, depth, output)
  local s = self:shape(name)
  local t = s.type
  if t == "string" then return ("%q"):format(s.enum and s.enum[1] or "string") end
  if t == "blob" then return '"bytes"' end
  if t == "boolean" then return "false" end
  if INTEGERS[t] then return num_text(s.min and s.min > 0 and s.min or 1) end
  if NUMBERS[t] then return "1.5" end
  if t == "timestamp" then return "1700000000" end
  if t == "document" then return "{}" end
  if depth > 8 then return "{ ... }" end
  if t == "list" then
    local inner = self:sample(s.member, ind, depth + 1, output)
    if inner:find("\n") then return "{\n" .. ind .. "  " .. inner:gsub("\n", "\n  ") .. ",\n" .. ind .. "}" end
    return "{ " .. inner .. " }"
  end
  if t == "map" then
    local inner = self:sample(s.value, ind .. "  ", depth + 1, output)
    return "{\n" .. ind .. "  key = " .. inner .. ",\n" .. ind .. "}"
  end
  -- a structure: one line per member
  local lines = { "{" }
  for _, m in ipairs(s.members or {}) do
    do
      local v = self:sample(m.shape, ind .. "  ", depth + 1, output)
      local notes = {}
      if not output and m.required then notes[#notes + 1] = "required" end
      if not output and m.idempotency_token then notes[#notes + 1] = "filled in when absent" end
      if self:shape(m.shape).type == "timestamp" then notes[#notes + 1] = "epoch seconds" end
      local comment = #notes > 0 and (" -- " .. table.concat(notes, "; ")) or ""
      if v:find("\n") then -- (on the member's first line)
        lines[#lines + 1] = ("%s  %s = %s,"):format(ind, key_text(m.name), v:gsub("\n", comment .. "\n", 1))
      else
        lines[#lines + 1] = ("%s  %s = %s,%s"):format(ind, key_text(m.name), v, comment)
      end
    end
  end
  if s.union then lines[#lines + 1] = ind .. "  -- (one of these members)" end
  lines[#lines + 1] = ind .. "}"
  if #lines == 2 then return "{}" end
  return table.concat(lines, "\n")
end

-- Rows of the members table: every member, nested ones by path.
function Page:rows(name, prefix, depth, output, rows)
  local s = self:shape(name)
  if depth > 8 then return rows end
  if s.type == "structure" then
    for _, m in ipairs(s.members or {}) do
      local path = prefix == "" and m.name or (prefix .. "." .. m.name)
      local where = m.location ~= "body" and m.location or ""
      if m.wire and m.location ~= "body" and m.wire ~= m.name then where = where .. " " .. code(m.wire) end
      local req = ""
      if not output then
        req = m.required and "yes" or ""
        if m.idempotency_token then req = "filled in" end
      end
      rows[#rows + 1] = { path, self:type_text(m.shape, output), req, where, self:limits(m.shape) }
      self:rows(m.shape, path, depth + 1, output, rows)
    end
  elseif s.type == "list" then
    local ms = self:shape(s.member)
    if ms.type == "structure" or ms.type == "list" or ms.type == "map" then
      self:rows(s.member, prefix .. "[i]", depth + 1, output, rows)
    end
  elseif s.type == "map" then
    local vs = self:shape(s.value)
    if vs.type == "structure" or vs.type == "list" or vs.type == "map" then
      self:rows(s.value, prefix .. "[key]", depth + 1, output, rows)
    end
  end
  return rows
end

local function table_text(header, rows, pick)
  local out = { "| " .. table.concat(header, " | ") .. " |",
                "|" .. ("---|"):rep(#header) }
  for _, r in ipairs(rows) do
    local cells = {}
    for i, v in ipairs(pick(r)) do cells[i] = cell(v) end
    out[#out + 1] = "| " .. table.concat(cells, " | ") .. " |"
  end
  return table.concat(out, "\n")
end

local function member_table(rows, output)
  if #rows == 0 then return nil end
  if output then
    return table_text({ "Member", "Type", "Limits and values" }, rows, function(r)
      return { code(r[1]), r[2], r[5] } end)
  end
  return table_text({ "Member", "Type", "Required", "Sent in", "Limits and values" }, rows, function(r)
    return { code(r[1]), r[2], r[3], r[4], r[5] } end)
end

-- The command line: omics <op> --<member> <value> ..., in the command's
-- own names (the description's cli, as omics.cli reads them).
function Page:cli(op)
  local parts = { "omics " .. op.cli }
  local input = op.input and self:shape(op.input)
  local opt = {}
  for _, m in ipairs(input and input.members or {}) do
    local flag = "--" .. m.cli
    local t = self:shape(m.shape).type
    local arg = t == "boolean" and (flag .. " | --no-" .. flag:sub(3)) or (flag .. " <value>")
    if m.required and not m.idempotency_token then parts[#parts + 1] = arg
    else opt[#opt + 1] = "[" .. arg .. "]" end
  end
  for _, o in ipairs(opt) do parts[#parts + 1] = o end
  local output = op.output and self:shape(op.output)
  if output and output.payload then
    for _, m in ipairs(output.members) do
      if m.name == output.payload and self:shape(m.shape).streaming then parts[#parts + 1] = "<outfile>" end
    end
  end
  return table.concat(parts, " ")
end

function Page:errors(op)
  local rows = {}
  for _, e in ipairs(op.errors) do
    local status = e.status
    local retried = (e.throttling and "yes (throttling)") or (e.retryable and "yes")
      or ((status or 0) >= 500 and "yes (5xx)") or "no"
    rows[#rows + 1] = { e.code, status and tostring(status) or "", retried }
  end
  table.sort(rows, function(a, b) return a[1] < b[1] end)
  return rows
end

local function acceptor_text(a)
  local what
  if a.matcher == "error" then
    what = "error " .. code(a.expected)
  elseif a.matcher == "status" then
    what = "HTTP status " .. tostring(a.expected)
  else
    local exp = type(a.expected) == "string" and ("%q"):format(a.expected) or tostring(a.expected)
    local how = ({ path = "", pathAll = "every ", pathAny = "any " })[a.matcher] or (a.matcher .. " ")
    what = ("%s%s = %s"):format(how, code(a.argument), exp)
  end
  return what .. " → " .. a.state
end

function Page:render(op, area)
  self.shapes = op.shapes
  local out = {}
  local function add(s) out[#out + 1] = s end
  add("# " .. op.method)
  add("")
  add(("`%s` · %s `%s` · %s · [index](README.md)"):format(op.name, op.http_method, op.uri, area[2]))
  if op.deprecated then add(""); add("**Deprecated** in the model.") end
  if op.host_prefix then add(""); add(("Host prefix: %s (the endpoint's host gets it in front)"):format(code(op.host_prefix))) end
  add("")
  add("## Call")
  add("")
  add("```lua")
  local params = op.input and self:sample(op.input, "", 0, false) or "{}"
  add(params == "{}" and ("local result, err = client:%s()"):format(op.method)
      or ("local result, err = client:%s %s"):format(op.method, params))
  add(("-- or: client:call(%q, params)"):format(op.name))
  add("```")
  add("")
  add("Command line:")
  add("")
  add("```sh")
  add(self:cli(op))
  add("```")
  add("")
  add("## Parameters")
  add("")
  local prow = op.input and self:rows(op.input, "", 0, false, {}) or {}
  add(member_table(prow, false) or "None.")
  add("")
  add("## Result")
  add("")
  add("```lua")
  local sample = op.output and self:sample(op.output, "", 0, true) or "{}"
  local meta = ("ResponseMetadata = { HTTPStatusCode = %d, RequestId = \"...\", RetryAttempts = 0 },")
    :format(op.response_code or 200)
  if sample == "{}" then
    add("{\n  " .. meta .. "\n}")
  else
    add((sample:gsub("\n}$", "\n  " .. meta .. "\n}")))
  end
  add("```")
  add("")
  local rrow = op.output and self:rows(op.output, "", 0, true, {}) or {}
  if #rrow > 0 then add(member_table(rrow, true)); add("") end
  add("## Errors")
  add("")
  add("`nil, err` with `err.code`:")
  add("")
  add(table_text({ "`err.code`", "HTTP status", "Retried" }, self:errors(op), function(r)
    return { code(r[1]), r[2], r[3] } end))
  add("")
  add("and, as for every call: `ParamValidationError` (refused before sending), the transport's codes " ..
      "([README: Errors](../../README.md#errors)).")
  local p = self.paginators[op.name]
  if p then
    add("")
    add("## Paginator")
    add("")
    local function list(v) return type(v) == "table" and table.concat(v, ", ") or tostring(v) end
    add(("`client:paginate(%q, params, opts)` (pages) and `client:paginate_items(%q, params, opts)` (items):"):format(op.name, op.name))
    add("")
    add(("- next token: %s in the result, sent back as %s"):format(code(list(p.output_token)), code(list(p.input_token))))
    if p.limit_key then add(("- page size (`opts.page_size`): %s"):format(code(p.limit_key))) end
    if p.result_key then add(("- items: %s"):format(code(list(p.result_key)))) end
  end
  local ws = self.waiters_of[op.name]
  if ws then
    add("")
    add("## Waiters")
    add("")
    add(table_text({ "Waiter", "Delay (s)", "Attempts", "Acceptors" }, ws, function(w)
      local acc = {}
      for i, a in ipairs(w.def.acceptors) do acc[i] = acceptor_text(a) end
      return { ("`client:wait(%q, params)`"):format(w.name), tostring(w.def.delay), tostring(w.def.maxAttempts),
               table.concat(acc, "; ") }
    end))
  end
  add("")
  return table.concat(out, "\n")
end

-------------------------------------------------------------- the index

local function index(ops, pages_by_area)
  local out = {
    "# Operations",
    "",
    ("One page per operation of %s %s (%d operations), made by `make docs` (tools/gen_docs.lua) from the "
     .. "committed model (tools/model) as the module loads it; spec/docs_spec.lua fails when a page and the model disagree."):format(
      ops[1].service_id, ops[1].api_version, #ops),
    "",
    "Each page: the call as a Lua table literal, its parameters (type, required, limits, values), the "
      .. "result, the `err.code` values, its paginator and waiters, and the command line.",
  }
  for _, key in ipairs(ORDER) do
    local a = AREAS[key]
    local ops = pages_by_area[a[1]]
    if ops and #ops > 0 then
      out[#out + 1] = ""
      out[#out + 1] = "## " .. a[2]
      out[#out + 1] = ""
      for _, op in ipairs(ops) do
        out[#out + 1] = ("- [`%s`](%s.md) · %s"):format(op.method, op.method, op.name)
      end
    end
  end
  out[#out + 1] = ""
  return table.concat(out, "\n")
end

-- generate(client) -> { [file] = text }
function M.generate(client)
  local core = require "omics.core"
  local paginators = core.model_extra(client, "paginators")
  local waiters = core.model_extra(client, "waiters")
  local waiters_of = {}
  local wnames = {}
  for name in pairs(waiters) do wnames[#wnames + 1] = name end
  table.sort(wnames)
  for _, name in ipairs(wnames) do
    local w = waiters[name]
    waiters_of[w.operation] = waiters_of[w.operation] or {}
    table.insert(waiters_of[w.operation], { name = name, def = w })
  end
  local page = setmetatable({ paginators = paginators, waiters_of = waiters_of }, Page)
  local files, by_area = {}, {}
  local ops = {}
  for i, o in ipairs(core.describe_model(client)) do ops[i] = core.describe_model(client, o.name) end
  table.sort(ops, function(a, b) return a.method < b.method end)
  for _, op in ipairs(ops) do
    local area = area_of(op.name)
    by_area[area[1]] = by_area[area[1]] or {}
    table.insert(by_area[area[1]], op)
    files[op.method .. ".md"] = page:render(op, area)
  end
  files["README.md"] = index(ops, by_area)
  return files
end

M.AREAS = AREAS

-- A client of the committed model (tools/model), loaded by the module
-- itself: the built-in copy leaves out what the client does not enforce
-- (enums, patterns), which the pages show.
function M.client(root)
  local function read(name)
    local f = assert(io.open(root .. "/tools/model/2022-11-28/" .. name, "rb"))
    local s = f:read("a")
    f:close()
    return s
  end
  return require("omics").service(read("service-2.json"), {
    paginators = read("paginators-1.json"), waiters = read("waiters-2.json"),
    region = "us-east-1", endpoint = "https://omics.us-east-1.amazonaws.com",
    credentials = { access_key_id = "docs", secret_access_key = "docs" } })
end

-- As a script: write the pages (and remove pages of operations gone).
if not pcall(debug.getlocal, 4, 1) then
  local here = (arg and arg[0] or ""):match("^(.*)/tools/[^/]*$") or "."
  package.path = here .. "/?.lua;" .. package.path
  package.cpath = here .. "/?.so;" .. package.cpath
  local dir = arg[1] or (here .. "/docs/operations")
  local client = assert(M.client(here))
  os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'")
  local files = M.generate(client)
  local p = io.popen("ls '" .. dir:gsub("'", "'\\''") .. "'")
  for name in p:lines() do
    if name:match("%.md$") and not files[name] then os.remove(dir .. "/" .. name) end
  end
  p:close()
  local n = 0
  for name, text in pairs(files) do
    local f = assert(io.open(dir .. "/" .. name, "wb"))
    f:write(text)
    f:close()
    n = n + 1
  end
  print(("gen_docs: %d pages in %s"):format(n, dir))
end

return M
