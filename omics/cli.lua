-- omics.cli: the `omics` command (bin/omics), for shell scripts: every
-- operation of the model as the AWS CLI names it, waiters, paginators,
-- whole-file transfers, and the AWS CLI's outputs and exit codes.
--
-- Everything about the service comes from the model as the C half tells it
-- (core.describe_model, core.model_extra); the calls are the module's.
-- Exit codes (those of AWS CLI v2): 0 success, 252 a command line or
-- parameter error, 253 configuration or credentials, 254 an error answer
-- from the service, 255 anything else, 130 an interrupt.
local core = require "omics.core"

local M = {}

local EXIT_USAGE, EXIT_CONFIG, EXIT_SERVICE, EXIT_OTHER, EXIT_INTERRUPT = 252, 253, 254, 255, 130

local concat, sort, insert = table.concat, table.sort, table.insert
local format, byte, char, sub, find, gsub, rep = string.format, string.byte, string.char,
  string.sub, string.find, string.gsub, string.rep
local floor = math.floor
local unpack = table.unpack or unpack

-- A failure of the command: raised, caught by main, printed on stderr.
local Failure = {}
Failure.__index = Failure
local function failure(exit, message) return setmetatable({ exit = exit, message = message }, Failure) end
local function usage_error(fmt, ...) error(failure(EXIT_USAGE, format(fmt, ...)), 0) end

local USAGE = [[
usage: omics [options] <command> [parameters]
To see help text, you can run:

  omics help
  omics <command> help
  omics <command> <subcommand> help
]]

------------------------------------------------------------------ model

local model = {}   -- cached reads of the model
local function operations()
  if not model.ops then
    model.ops = core.describe_model(nil)
    model.by_cli = {}
    for _, o in ipairs(model.ops) do
      o.cli = o.method:gsub("_", "-")
      model.by_cli[o.cli] = o
    end
  end
  return model.ops
end
local function describe(name) return core.describe_model(nil, name) end
local function extra(which)
  model[which] = model[which] or assert(core.model_extra(nil, which))
  return model[which]
end

-- RunCompleted -> run-completed (waiter names, as the AWS CLI writes them)
local function kebab(name)
  local s = name:gsub("(.)(%u%l+)", "%1-%2"):gsub("([%l%d])(%u)", "%1-%2")
  return s:lower()
end

------------------------------------------------------------------ JSON

local OBJECT = { __jsontype = "object" }
local ARRAY = { __jsontype = "array" }
local order = setmetatable({}, { __mode = "k" }) -- object -> its keys in order

local function new_object(keys)
  local t = setmetatable({}, OBJECT)
  order[t] = keys or {}
  return t
end
local function new_array() return setmetatable({}, ARRAY) end

local jmespath -- loaded when needed (start-up time)
local function jp()
  jmespath = jmespath or require "omics.jmespath"
  return jmespath
end

local function is_null(v) return v == nil or (jmespath and v == jmespath.null) or type(v) == "userdata" end

local function is_array(v)
  local mt = getmetatable(v)
  if mt and mt.__jsontype then return mt.__jsontype == "array" end
  return v[1] ~= nil or next(v) == nil
end

-- The keys of an object: in the order recorded, then any others sorted.
local function keys_of(t)
  local known = order[t]
  local out, have = {}, {}
  if known then
    for _, k in ipairs(known) do
      if t[k] ~= nil then out[#out + 1] = k; have[k] = true end
    end
  end
  local rest = {}
  for k in pairs(t) do
    if not have[k] then rest[#rest + 1] = tostring(k) end
  end
  sort(rest)
  for _, k in ipairs(rest) do out[#out + 1] = k end
  return out
end

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
              ["\r"] = "\\r", ["\t"] = "\\t" }
local function json_string(s)
  return '"' .. gsub(s, '[%c"\\]', function(c)
    return ESC[c] or (byte(c) < 32 and format("\\u%04x", byte(c))) or c
  end) .. '"'
end

-- A number as Python's json module writes it (floats: the shortest text
-- that reads back the same, "1.0" for an integral one).
local function json_number(x)
  if x ~= x or x == math.huge or x == -math.huge then return x ~= x and "NaN" or (x > 0 and "Infinity" or "-Infinity") end
  if math.type and math.type(x) == "integer" then return format("%d", x) end
  if not math.type and x == floor(x) and x > -2 ^ 53 and x < 2 ^ 53 then return format("%d", x) end
  local s
  for digits = 1, 17 do
    s = format("%." .. digits .. "g", x)
    if tonumber(s) == x then break end
  end
  if not find(s, "[%.eni]") then s = s .. ".0" end
  return s
end

-- JSON text as the AWS CLI prints it: four-space indent, ": " and ",",
-- non-ASCII as is.
local function encode(v, indent, out)
  out = out or {}
  indent = indent or ""
  local t = type(v)
  if is_null(v) then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then out[#out + 1] = json_number(v)
  elseif t == "string" then out[#out + 1] = json_string(v)
  elseif t == "table" then
    local inner = indent .. "    "
    if is_array(v) then
      if #v == 0 then out[#out + 1] = "[]" return out end
      out[#out + 1] = "[\n"
      for i = 1, #v do
        out[#out + 1] = inner
        encode(v[i], inner, out)
        out[#out + 1] = i < #v and ",\n" or "\n"
      end
      out[#out + 1] = indent .. "]"
    else
      local keys = keys_of(v)
      if #keys == 0 then out[#out + 1] = "{}" return out end
      out[#out + 1] = "{\n"
      for i, k in ipairs(keys) do
        out[#out + 1] = inner .. json_string(k) .. ": "
        encode(v[k], inner, out)
        out[#out + 1] = i < #keys and ",\n" or "\n"
      end
      out[#out + 1] = indent .. "}"
    end
  else
    out[#out + 1] = json_string(tostring(v))
  end
  return out
end
local function to_json(v) return concat(encode(v)) end

-- One-line JSON (pagination tokens), as Python's json.dumps writes it.
local function compact_json(v)
  local t = type(v)
  if is_null(v) then return "null" end
  if t == "table" then
    local parts = {}
    if is_array(v) then
      for i = 1, #v do parts[i] = compact_json(v[i]) end
      return "[" .. concat(parts, ", ") .. "]"
    end
    for _, k in ipairs(keys_of(v)) do parts[#parts + 1] = json_string(k) .. ": " .. compact_json(v[k]) end
    return "{" .. concat(parts, ", ") .. "}"
  elseif t == "string" then return json_string(v)
  elseif t == "number" then return json_number(v)
  elseif t == "boolean" then return tostring(v) end
  return "null"
end

local function decode_json(text, what)
  local ok, v = pcall(function() return jp().decode_literal(text) end)
  if not ok then usage_error("%s: invalid JSON: %s", what, (tostring(v):gsub("^syntax: ", ""))) end
  return v
end

------------------------------------------------------------------ base64

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local q = { floor(n / 262144) % 64, floor(n / 4096) % 64, floor(n / 64) % 64, n % 64 }
    out[#out + 1] = sub(B64, q[1] + 1, q[1] + 1) .. sub(B64, q[2] + 1, q[2] + 1) ..
      (b and sub(B64, q[3] + 1, q[3] + 1) or "=") .. (c and sub(B64, q[4] + 1, q[4] + 1) or "=")
  end
  return concat(out)
end

local function b64decode(s)
  s = s:gsub("%s", "")
  if #s % 4 ~= 0 or s:find("[^%w%+/=]") then return nil end
  local out = {}
  for i = 1, #s, 4 do
    local n, pad = 0, 0
    for k = 0, 3 do
      local ch = sub(s, i + k, i + k)
      local v = ch == "=" and 0 or (B64:find(ch, 1, true) - 1)
      if ch == "=" then pad = pad + 1 end
      n = n * 64 + v
    end
    local bytes = char(floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
    out[#out + 1] = sub(bytes, 1, 3 - pad)
  end
  return concat(out)
end

------------------------------------------------------------ timestamps

-- Epoch seconds as AWS CLI v2 prints a timestamp by default (Python's
-- isoformat in UTC): 2024-02-29T23:59:59.999000+00:00, no fraction when
-- it is zero.
local function iso8601(t)
  local sec = floor(t)
  local us = floor((t - sec) * 1e6 + 0.5)
  if us >= 1000000 then sec, us = sec + 1, us - 1000000 end
  local s = os.date("!%Y-%m-%dT%H:%M:%S", sec)
  if us > 0 then s = s .. format(".%06d", us) end
  return s .. "+00:00"
end

------------------------------------------------- results through the model

-- The result, made ready to print: objects that keep the model's order,
-- lists that stay lists when empty, timestamps as text (fmt "iso8601") or
-- epoch seconds ("wire", "none"), blobs in base64.
local function shape_out(v, name, shapes, fmt)
  local s = name and shapes[name]
  if v == nil or is_null(v) then return nil end
  if not s then
    if type(v) ~= "table" then return v end
    if is_array(v) then
      local a = new_array()
      for i = 1, #v do a[i] = shape_out(v[i], nil, shapes, fmt) end
      return a
    end
    local o = new_object()
    for k, x in pairs(v) do o[k] = shape_out(x, nil, shapes, fmt) end
    return o
  end
  local ty = s.type
  if ty == "structure" then
    if type(v) ~= "table" then return v end
    local keys, o = {}, nil
    -- as botocore fills a rest-json result: header and status members, then the body's
    for pass = 1, 2 do
      for _, m in ipairs(s.members or {}) do
        local body = m.location == "body"
        if (pass == 1) ~= body then keys[#keys + 1] = m.name end
      end
    end
    o = new_object(keys)
    local by_name = {}
    for _, m in ipairs(s.members or {}) do by_name[m.name] = m end
    for k, x in pairs(v) do
      if k ~= "ResponseMetadata" then
        local m = by_name[k]
        o[k] = shape_out(x, m and m.shape, shapes, fmt)
      end
    end
    return o
  elseif ty == "list" then
    local a = new_array()
    if type(v) == "table" then
      for i = 1, #v do a[i] = shape_out(v[i], s.member, shapes, fmt) end
    end
    return a
  elseif ty == "map" then
    local o = new_object()
    if type(v) == "table" then
      for k, x in pairs(v) do o[k] = shape_out(x, s.value, shapes, fmt) end
    end
    return o
  elseif ty == "timestamp" and type(v) == "number" then
    if fmt == "iso8601" then return iso8601(v) end
    return v
  elseif ty == "blob" and type(v) == "string" then
    return b64encode(v)
  end
  return v
end

------------------------------------------------------------ formatters

local function text_scalar(v)
  if v == true then return "True" elseif v == false then return "False" end
  if is_null(v) then return "None" end
  if type(v) == "number" then return json_number(v) end
  return tostring(v)
end

local function is_scalar(v) return type(v) ~= "table" or v == (jmespath and jmespath.null) end

-- text: tab-separated, as the AWS CLI's text output lays a result out
local format_text
local function text_list(items, ident, out)
  if #items == 0 then return end
  local any_object, any_list = false, false
  for _, e in ipairs(items) do
    if type(e) == "table" and not is_scalar(e) then
      if is_array(e) then any_list = true else any_object = true end
    end
  end
  local function scalar_list(list)
    if ident then
      for _, e in ipairs(list) do out[#out + 1] = ident:upper() .. "\t" .. text_scalar(e) end
    else
      local parts = {}
      for i, e in ipairs(list) do parts[i] = text_scalar(e) end
      out[#out + 1] = concat(parts, "\t")
    end
  end
  if any_object then
    local seen, keys = {}, {}
    for _, e in ipairs(items) do
      if type(e) == "table" and not is_array(e) then
        for k, x in pairs(e) do
          if is_scalar(x) and not seen[k] then seen[k] = true; keys[#keys + 1] = k end
        end
      end
    end
    sort(keys)
    for _, e in ipairs(items) do format_text(e, out, ident, keys) end
  elseif any_list then
    local scalars, others = {}, {}
    for _, e in ipairs(items) do
      if is_scalar(e) then scalars[#scalars + 1] = e else others[#others + 1] = e end
    end
    if #scalars > 0 then scalar_list(scalars) end
    for _, e in ipairs(others) do format_text(e, out, ident) end
  else
    scalar_list(items)
  end
end

function format_text(v, out, ident, scalar_keys)
  if type(v) == "table" and not is_scalar(v) then
    if is_array(v) then return text_list(v, ident, out) end
    local scalars, nested = {}, {}
    if scalar_keys then
      local in_keys = {}
      for _, k in ipairs(scalar_keys) do
        in_keys[k] = true
        local x = v[k]
        scalars[#scalars + 1] = x == nil and "" or text_scalar(x)
      end
      local rest = {}
      for k in pairs(v) do if not in_keys[k] then rest[#rest + 1] = k end end
      sort(rest)
      for _, k in ipairs(rest) do nested[#nested + 1] = k end
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      sort(keys)
      for _, k in ipairs(keys) do
        if is_scalar(v[k]) then scalars[#scalars + 1] = text_scalar(v[k]) else nested[#nested + 1] = k end
      end
    end
    if #scalars > 0 then
      if ident then insert(scalars, 1, ident:upper()) end
      out[#out + 1] = concat(scalars, "\t")
    end
    for _, k in ipairs(nested) do format_text(v[k], out, k) end
    return
  end
  out[#out + 1] = text_scalar(v)
end

-- table: boxed sections, a title per structure, columns for lists of them
local function utf8_len(s)
  local _, n = gsub(s, "[^\128-\191]", "")
  return n
end
local function pad(s, w) return s .. rep(" ", w - utf8_len(s)) end
local function center(s, w)
  local left = floor((w - utf8_len(s)) / 2)
  return rep(" ", left) .. s .. rep(" ", w - utf8_len(s) - left)
end

local function table_section(title, v, out, width)
  local rows, subs = {}, {}
  if type(v) == "table" and not is_scalar(v) and is_array(v) then
    local objects = #v > 0
    for _, e in ipairs(v) do if is_scalar(e) or is_array(e) then objects = false end end
    if objects then
      local seen, cols = {}, {}
      for _, e in ipairs(v) do
        for _, k in ipairs(keys_of(e)) do
          if is_scalar(e[k]) and not seen[k] then seen[k] = true; cols[#cols + 1] = k end
        end
      end
      local header = cols
      rows[#rows + 1] = { header = true, cells = header }
      for _, e in ipairs(v) do
        local cells = {}
        for i, k in ipairs(cols) do cells[i] = e[k] == nil and "" or text_scalar(e[k]) end
        rows[#rows + 1] = { cells = cells }
        for _, k in ipairs(keys_of(e)) do
          if not is_scalar(e[k]) then subs[#subs + 1] = { k, e[k] } end
        end
      end
    else
      for _, e in ipairs(v) do
        if is_scalar(e) then rows[#rows + 1] = { cells = { text_scalar(e) } }
        else subs[#subs + 1] = { title, e } end
      end
    end
  elseif type(v) == "table" and not is_scalar(v) then
    for _, k in ipairs(keys_of(v)) do
      if is_scalar(v[k]) then rows[#rows + 1] = { cells = { k, text_scalar(v[k]) } }
      else subs[#subs + 1] = { k, v[k] } end
    end
  else
    rows[#rows + 1] = { cells = { text_scalar(v) } }
  end
  -- column widths
  local ncols = 0
  for _, r in ipairs(rows) do ncols = math.max(ncols, #r.cells) end
  local widths = {}
  for c = 1, ncols do
    widths[c] = 0
    for _, r in ipairs(rows) do
      if r.cells[c] then widths[c] = math.max(widths[c], utf8_len(r.cells[c]) + 2) end
    end
  end
  local inner = ncols > 0 and (ncols - 1) or 0
  for c = 1, ncols do inner = inner + widths[c] end
  inner = math.max(inner, utf8_len(title) + 2, width or 0)
  if ncols > 0 then widths[ncols] = widths[ncols] + inner - (function()
    local sum = ncols - 1
    for c = 1, ncols do sum = sum + widths[c] end
    return sum
  end)() end
  out[#out + 1] = "-" .. rep("-", inner) .. "-"
  out[#out + 1] = "|" .. center(title, inner) .. "|"
  if #rows > 0 then
    local line = {}
    for c = 1, ncols do line[c] = rep("-", widths[c]) end
    out[#out + 1] = "+" .. concat(line, "+") .. "+"
    for _, r in ipairs(rows) do
      local cells = {}
      for c = 1, ncols do
        local cell = r.cells[c] or ""
        cells[c] = r.header and center(cell, widths[c]) or pad(" " .. cell, widths[c])
      end
      out[#out + 1] = "|" .. concat(cells, "|") .. "|"
      if r.header then out[#out + 1] = "+" .. concat(line, "+") .. "+" end
    end
    out[#out + 1] = "+" .. concat(line, "+") .. "+"
  end
  for _, s in ipairs(subs) do table_section(s[1], s[2], out, nil) end
end

local function format_table(v, title)
  local out = {}
  table_section(title, v, out, nil)
  return concat(out, "\n")
end

-- Print a result: nothing for an empty one (no --query), as the AWS CLI.
local function print_result(v, ctx, title)
  if ctx.query then
    local ok, r = pcall(jp().search, ctx.query, v)
    if not ok then usage_error("--query: %s", tostring(r)) end
    v = r
  elseif type(v) == "table" and next(v) == nil and not is_array(v) then
    return
  end
  local out = ctx.output
  if out == "text" then
    if v == nil then return end
    local lines = {}
    format_text(v, lines)
    if #lines > 0 then io.stdout:write(concat(lines, "\n"), "\n") end
  elseif out == "table" then
    if v == nil then return end
    io.stdout:write(format_table(v, title), "\n")
  else
    io.stdout:write(to_json(v), "\n")
  end
end

------------------------------------------------------------ files

local function read_file(path, binary, what)
  local f, err = io.open(path, binary and "rb" or "r")
  if not f then usage_error("%s: cannot read %s: %s", what, path, tostring(err)) end
  local s = f:read("a")
  f:close()
  return s
end

-- file://path (text) and fileb://path (bytes), as the AWS CLI reads them
local function param_file(value, what)
  if type(value) ~= "string" then return value end
  local p = value:match("^file://(.*)$")
  if p then return read_file(p, false, what), "file" end
  p = value:match("^fileb://(.*)$")
  if p then return read_file(p, true, what), "fileb" end
  return value
end

------------------------------------------------------------ shorthand

-- The AWS CLI's shorthand: Key=a,Value=b; lists [a,b] or a,b; nested {..};
-- values quoted with ' or ".  Returns strings, tables (objects and lists).
local function parse_shorthand(s, what)
  local i, n = 1, #s
  local function bad(msg) usage_error("%s: cannot parse the shorthand %q: %s at character %d", what, s, msg, i) end
  local function ws() while i <= n and find(sub(s, i, i), "%s") do i = i + 1 end end
  local value
  local function quoted(q)
    i = i + 1
    local out = {}
    while true do
      if i > n then bad("an unterminated quote") end
      local c = sub(s, i, i)
      if c == "\\" and sub(s, i + 1, i + 1) == q then out[#out + 1] = q; i = i + 2
      elseif c == q then i = i + 1 break
      else out[#out + 1] = c; i = i + 1 end
    end
    return concat(out)
  end
  -- a bare word: up to a stop character (a comma, a closing bracket)
  local function word(stops)
    local start = i
    while i <= n do
      local c = sub(s, i, i)
      if find(stops, c, 1, true) then break end
      if c == "\\" then i = i + 1 end
      i = i + 1
    end
    return (sub(s, start, i - 1):gsub("\\(.)", "%1"):gsub("^%s+", ""):gsub("%s+$", ""))
  end
  local function explicit_list()
    i = i + 1
    local list = new_array()
    ws()
    if sub(s, i, i) == "]" then i = i + 1 return list end
    while true do
      ws()
      list[#list + 1] = value(",]")
      ws()
      local c = sub(s, i, i)
      if c == "]" then i = i + 1 return list end
      if c ~= "," then bad("expected , or ]") end
      i = i + 1
    end
  end
  local keyvals
  local function hash()
    i = i + 1
    ws()
    if sub(s, i, i) == "}" then i = i + 1 return new_object() end
    local o = keyvals("}")
    if sub(s, i, i) ~= "}" then bad("expected }") end
    i = i + 1
    return o
  end
  function value(stops)
    ws()
    local c = sub(s, i, i)
    if c == "[" then return explicit_list()
    elseif c == "{" then return hash()
    elseif c == "'" or c == '"' then return quoted(c) end
    return word(stops)
  end
  -- key=value pairs to the end or to a closing brace; a,b after key= is a list
  function keyvals(close)
    local o = new_object()
    while true do
      ws()
      local start = i
      local key = word("=" .. close .. ",")
      if sub(s, i, i) ~= "=" or key == "" then i = start bad("expected key=value") end
      i = i + 1
      local v = value("," .. close)
      local csv = nil -- Key=a,b,c: a list
      -- more values for this key: a, b, c up to the next key=
      while sub(s, i, i) == "," do
        local save = i
        i = i + 1
        ws()
        local probe = i
        local w = word("=," .. close)
        if sub(s, i, i) == "=" and w:match("^[%w_%-%.:/]+$") then i = save break end
        i = probe
        local more = value("," .. close)
        if not csv then
          csv = new_array()
          csv[1] = v
          v = csv
        end
        v[#v + 1] = more
      end
      o[key] = v
      order[o][#order[o] + 1] = key
      ws()
      if sub(s, i, i) ~= "," then return o end
      i = i + 1
    end
  end
  local o = keyvals("")
  if i <= n then bad("unexpected " .. sub(s, i, i)) end
  return o
end

-- A structure or map from shorthand; a list from a,b,c or [a,b,c]
local function shorthand(s, shape, what)
  if shape.type == "list" then
    local v = parse_shorthand("x=" .. s, what).x
    if type(v) == "table" and getmetatable(v) == ARRAY then return v end
    local list = new_array()
    list[1] = v
    return list
  end
  return parse_shorthand(s, what)
end

------------------------------------------------------ values from text

local function integer_text(s)
  if type(s) ~= "string" then return nil end
  if not s:match("^%s*[-+]?%d+%s*$") then return nil end
  return math.tointeger and math.tointeger(tonumber(s)) or tonumber(s)
end

-- Text and decoded JSON made into what the member's shape takes: numbers,
-- booleans and timestamps from their text, objects and lists checked.
local function coerce(v, name, shapes, what)
  local s = shapes[name]
  if not s or v == nil then return v end
  if is_null(v) then return nil end
  local ty = s.type
  if ty == "structure" or ty == "map" then
    if type(v) ~= "table" or (is_array(v) and next(v) ~= nil) then
      usage_error("%s: expected a %s (JSON or shorthand Key=Value,...), got %s", what,
        ty == "map" and "map" or "structure", type(v) == "table" and "a list" or format("%q", tostring(v)))
    end
    local out = {}
    if ty == "map" then
      for k, x in pairs(v) do out[k] = coerce(x, s.value, shapes, what .. "." .. tostring(k)) end
      return out
    end
    local by_name = {}
    for _, m in ipairs(s.members) do by_name[m.name] = m end
    for k, x in pairs(v) do
      local m = by_name[k]
      if not m then
        local names = {}
        for _, mm in ipairs(s.members) do names[#names + 1] = mm.name end
        usage_error("%s: unknown member %q (members: %s)", what, tostring(k), concat(names, ", "))
      end
      out[k] = coerce(x, m.shape, shapes, what .. "." .. k)
    end
    return out
  elseif ty == "list" then
    if type(v) ~= "table" or (not is_array(v)) then v = { v } end
    local out = {}
    for i = 1, #v do out[i] = coerce(v[i], s.member, shapes, format("%s[%d]", what, i - 1)) end
    return out
  elseif ty == "integer" or ty == "long" or ty == "short" or ty == "byte" then
    if type(v) == "string" then
      local x = integer_text(v)
      if not x then usage_error("%s: expected an integer, got %q", what, v) end
      return x
    end
    return v
  elseif ty == "float" or ty == "double" then
    if type(v) == "string" then
      local x = tonumber(v)
      if not x then usage_error("%s: expected a number, got %q", what, v) end
      return x
    end
    return v
  elseif ty == "boolean" then
    if type(v) == "string" then
      local l = v:lower()
      if l == "true" then return true elseif l == "false" then return false end
      usage_error("%s: expected true or false, got %q", what, v)
    end
    return v
  elseif ty == "timestamp" then
    if type(v) == "string" and v:match("^%s*%d+%.?%d*%s*$") then return tonumber(v) end
    return v
  end
  return v
end

------------------------------------------------------------ client

local function read_profile_setting(profile, key)
  local path = os.getenv("AWS_CONFIG_FILE")
  if not path then
    local home = os.getenv("HOME")
    if not home then return nil end
    path = home .. "/.aws/config"
  end
  local f = io.open(path, "r")
  if not f then return nil end
  local want = (profile == nil or profile == "default") and "default" or ("profile " .. profile)
  local section, value
  for line in f:lines() do
    local name = line:match("^%s*%[%s*(.-)%s*%]")
    if name then
      section = name:gsub("%s+", " ")
    elseif section == want then
      local k, v = line:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
      if k == key then value = v end
    end
  end
  f:close()
  return value
end

local function client_for(ctx)
  local omics = require "omics"
  local opts = { region = ctx.region, profile = ctx.profile, endpoint = ctx.endpoint_url }
  if ctx.read_timeout then opts.stall_timeout = ctx.read_timeout end
  if ctx.connect_timeout then opts.connect_timeout = ctx.connect_timeout end
  if ctx.debug then
    opts.log = function(level, message)
      io.stderr:write(format("%s omics %s: %s\n", os.date("!%Y-%m-%d %H:%M:%S"), tostring(level), tostring(message)))
    end
  end
  local client, err = omics.new(opts)
  if not client then error(err, 0) end
  return client
end

------------------------------------------------------------ global options

local GLOBAL = {
  ["--profile"] = "profile", ["--region"] = "region", ["--endpoint-url"] = "endpoint_url",
  ["--output"] = "output", ["--query"] = "query", ["--cli-read-timeout"] = "read_timeout",
  ["--cli-connect-timeout"] = "connect_timeout", ["--color"] = "color",
  ["--ca-bundle"] = "ca_bundle",
}
local GLOBAL_FLAGS = { ["--debug"] = "debug", ["--no-paginate"] = "no_paginate",
                       ["--no-cli-pager"] = "no_pager", ["--no-sign-request"] = "no_sign" }

local function take_globals(argv)
  local ctx, rest = {}, {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, inline = a:match("^(%-%-[%w%-]+)=(.*)$")
    name = name or a
    if GLOBAL[name] then
      local v = inline
      if not v then
        i = i + 1
        v = argv[i]
        if v == nil then usage_error("argument %s: expected one argument", name) end
      end
      ctx[GLOBAL[name]] = v
    elseif GLOBAL_FLAGS[a] then
      ctx[GLOBAL_FLAGS[a]] = true
    elseif a == "--no-verify-ssl" then
      usage_error("--no-verify-ssl: omics always verifies TLS certificates and cannot turn " ..
                  "verification off (for a private CA, point AWS_CA_BUNDLE or the profile's ca_bundle at it)")
    else
      rest[#rest + 1] = a
    end
    i = i + 1
  end
  if ctx.no_sign then usage_error("--no-sign-request: HealthOmics needs signed requests") end
  if ctx.ca_bundle then usage_error("--ca-bundle: set AWS_CA_BUNDLE or the profile's ca_bundle instead") end
  for _, k in ipairs { "read_timeout", "connect_timeout" } do
    if ctx[k] then
      local x = tonumber(ctx[k])
      if not x or x < 0 then usage_error("--cli-%s: expected a number of seconds, got %q", k:gsub("_", "-"), ctx[k]) end
      ctx[k] = x > 0 and x or nil -- 0: no limit (the module's own defaults)
    end
  end
  ctx.output = ctx.output or os.getenv("AWS_DEFAULT_OUTPUT") or read_profile_setting(ctx.profile or os.getenv("AWS_PROFILE"), "output") or "json"
  if ctx.output ~= "json" and ctx.output ~= "text" and ctx.output ~= "table" then
    usage_error("argument --output: invalid choice: %q (choose from json, text, table)", ctx.output)
  end
  ctx.ts_format = read_profile_setting(ctx.profile or os.getenv("AWS_PROFILE"), "cli_timestamp_format") or "iso8601"
  if ctx.ts_format ~= "iso8601" and ctx.ts_format ~= "wire" and ctx.ts_format ~= "none" then
    error(failure(EXIT_CONFIG, format("cli_timestamp_format: expected iso8601, wire or none, got %q", ctx.ts_format)), 0)
  end
  if ctx.query then
    local ok, err = pcall(jp().compile, ctx.query)
    if not ok then usage_error("argument --query: bad value for --query %s: %s", ctx.query, tostring(err)) end
  end
  return ctx, rest
end

------------------------------------------------------------ op arguments

local function type_label(s, shapes, depth)
  depth = depth or 0
  if not s then return "?" end
  if s.type == "list" then
    local m = shapes[s.member]
    return "list of " .. (depth > 2 and m.type or type_label(m, shapes, depth + 1))
  elseif s.type == "map" then
    return "map"
  end
  return s.type
end

-- The options of an operation's input: by --name, each { member, shape }.
local function op_options(d)
  local opts, list = {}, {}
  local input = d.input and d.shapes[d.input]
  for _, m in ipairs(input and input.members or {}) do
    local s = d.shapes[m.shape]
    local o = { member = m, shape = s, flag = "--" .. m.cli }
    if s.streaming then o.streaming = true end
    opts[o.flag] = o
    list[#list + 1] = o
    if s.type == "boolean" then opts["--no-" .. m.cli] = { member = m, shape = s, negated = true, flag = o.flag } end
  end
  return opts, list
end

-- the value of one option from its words (several for a list)
local function option_value(o, words, shapes)
  local what = o.flag
  local s = o.shape
  if o.streaming then
    local path = words[1]:match("^fileb://(.*)$") or words[1]:match("^file://(.*)$") or words[1]
    local f, err = io.open(path, "rb")
    if not f then usage_error("%s: cannot read %s: %s", what, path, tostring(err)) end
    return f
  end
  if s.type == "list" then
    local member = shapes[s.member]
    local items = new_array()
    for _, w in ipairs(words) do
      local text = param_file(w, what)
      if text:match("^%s*%[") then
        local v = decode_json(text, what)
        for _, x in ipairs(v) do items[#items + 1] = x end
      elseif member.type == "structure" or member.type == "map" then
        items[#items + 1] = text:match("^%s*{") and decode_json(text, what) or shorthand(text, member, what)
      elseif #words == 1 and (text:find(",", 1, true) or text:match("^%s*%[")) then
        for _, x in ipairs(shorthand(text, s, what)) do items[#items + 1] = x end
      else
        items[#items + 1] = text
      end
    end
    return coerce(items, o.member.shape, shapes, what)
  end
  if #words > 1 then usage_error("%s: expected one value, got %d (%s)", what, #words, concat(words, " ")) end
  local text, kind = param_file(words[1], what)
  if s.type == "structure" or s.type == "map" or s.type == "document" then
    local v = text:match("^%s*[{%[]") and decode_json(text, what) or shorthand(text, s, what)
    return coerce(v, o.member.shape, shapes, what)
  elseif s.type == "blob" then
    if kind ~= "fileb" and kind ~= "file" then return text end
    return text
  end
  return coerce(text, o.member.shape, shapes, what)
end

-- Split words: --name value... groups and positionals
local function parse_words(words, opts, known_flags)
  local groups, positionals = {}, {}
  local i = 1
  while i <= #words do
    local w = words[i]
    if w:match("^%-%-") then
      local name, inline = w:match("^(%-%-[^=]+)=(.*)$")
      name = name or w
      local o = opts[name]
      local kf = known_flags and known_flags[name]
      if not o and not kf then
        local unknown = { w }
        local j = i + 1
        while j <= #words and not words[j]:match("^%-%-") do unknown[#unknown + 1] = words[j]; j = j + 1 end
        usage_error("Unknown options: %s", concat(unknown, ", "))
      end
      local g = { name = name, values = {} }
      if inline then g.values[1] = inline end
      local takes = kf and kf ~= "flag" or (o and o.shape and o.shape.type ~= "boolean")
      if kf == "flag" then takes = false end
      if o and o.shape and o.shape.type == "boolean" then takes = false end
      if takes and not inline then
        local j = i + 1
        local many = o and o.shape and o.shape.type == "list" and not o.streaming
        while j <= #words and (not words[j]:match("^%-%-") or (#g.values == 0 and words[j]:match("^%-%-?%d"))) do
          g.values[#g.values + 1] = words[j]
          j = j + 1
          if not many then break end
        end
        if #g.values == 0 then usage_error("argument %s: expected one argument", name) end
        i = j
      else
        i = i + 1
      end
      groups[#groups + 1] = g
    else
      positionals[#positionals + 1] = w
      i = i + 1
    end
  end
  return groups, positionals
end

------------------------------------------------------------ errors

local function exit_for(err)
  local kind = err.kind
  if kind == "validation" or kind == "usage" then return EXIT_USAGE end
  if kind == "config" or kind == "credentials" then return EXIT_CONFIG end
  if kind == "service" and err.status then return EXIT_SERVICE end
  return EXIT_OTHER
end

-- The module's ParamValidationError, its members named as options
local function validation_message(err, d)
  local cli = {}
  local input = d and d.input and d.shapes[d.input]
  for _, m in ipairs(input and input.members or {}) do cli[m.name] = "--" .. m.cli end
  local msg = tostring(err.message):gsub("^invalid parameters for [%w]+: ", "")
  local lines = {}
  for part in (msg .. "; "):gmatch("(.-); ") do
    part = part:gsub("^([%w_]+)", function(name) return cli[name] or name end)
    lines[#lines + 1] = part
  end
  return "Parameter validation failed:\n" .. concat(lines, "\n")
end

local function call_error(err, d)
  if err.code == "ParamValidationError" then
    return failure(EXIT_USAGE, validation_message(err, d))
  end
  if err.kind == "service" and err.status then
    return failure(EXIT_SERVICE, format("An error occurred (%s) when calling the %s operation: %s",
      tostring(err.code), d and d.name or "?", tostring(err.message)))
  end
  return failure(exit_for(err), tostring(err.message))
end

------------------------------------------------------------ pagination

local function as_list(v) if v == nil then return {} end if type(v) == "table" then return v end return { v } end

local function encode_token(t) return b64encode(compact_json(t)) end
local function decode_token(s, input_tokens)
  local text = b64decode(s)
  local ok, v = pcall(function() return text and jp().decode_literal(text) end)
  if ok and type(v) == "table" and not is_array(v) then return v end
  return { [input_tokens[1]] = s } -- a token of the service itself
end

-- Every page merged (the paginator's result keys), or cut at max_items
-- with NextToken to resume from.
local function paginate(client, d, p, params, ctx)
  local input_tokens, output_tokens = as_list(p.input_token), as_list(p.output_token)
  local result_keys = as_list(p.result_key)
  local request = {}
  for k, v in pairs(params) do request[k] = v end
  local truncate = 0
  local current = {}
  if ctx.starting_token then
    local t = decode_token(ctx.starting_token, input_tokens)
    truncate = tonumber(t.boto_truncate_amount) or 0
    for _, name in ipairs(input_tokens) do
      if t[name] ~= nil and not is_null(t[name]) then request[name] = t[name]; current[name] = t[name] end
    end
  end
  if ctx.page_size then request[p.limit_key] = ctx.page_size end
  local max_items = ctx.max_items
  local merged = {}
  local total, resume, seen = 0, nil, {}
  local first = true
  while true do
    local page, err = client:call(d.name, request)
    if not page then error(call_error(err, d), 0) end
    local items = {}
    for _, key in ipairs(result_keys) do
      local v = jp().search(key, page)
      items[key] = type(v) == "table" and v or nil
    end
    local primary = items[result_keys[1]] or {}
    if first and truncate > 0 then
      for _, key in ipairs(result_keys) do
        local list = items[key]
        if list then
          local kept = {}
          for i = truncate + 1, #list do kept[#kept + 1] = list[i] end
          items[key] = kept
        end
      end
      primary = items[result_keys[1]] or {}
    end
    local next_token, more = {}, false
    for i, out in ipairs(output_tokens) do
      local token = jp().search(out, page)
      if token ~= nil and token ~= "" and not is_null(token) then
        next_token[input_tokens[i] or input_tokens[1]] = token
        more = true
      end
    end
    if p.more_results and not jp().search(p.more_results, page) then more = false end
    local stop = false
    if max_items and total + #primary >= max_items then
      local keep = max_items - total
      local cut = #primary > keep
      for _, key in ipairs(result_keys) do
        local list = items[key]
        if list and #list > keep then
          for i = #list, keep + 1, -1 do list[i] = nil end
        end
      end
      if cut then
        local t = new_object()
        for _, name in ipairs(input_tokens) do -- (null for the first page, as botocore)
          t[name] = current[name] == nil and jp().null or current[name]
          order[t][#order[t] + 1] = name
        end
        t.boto_truncate_amount = keep + (first and truncate or 0)
        order[t][#order[t] + 1] = "boto_truncate_amount"
        resume = encode_token(t)
      elseif more then
        local t = new_object()
        for _, name in ipairs(input_tokens) do
          if next_token[name] ~= nil then t[name] = next_token[name]; order[t][#order[t] + 1] = name end
        end
        resume = encode_token(t)
      end
      stop = true
    end
    for _, key in ipairs(result_keys) do
      local list = items[key]
      if list then
        merged[key] = merged[key] or {}
        for _, x in ipairs(list) do merged[key][#merged[key] + 1] = x end
      end
    end
    total = total + #primary
    first = false
    if stop or not more then break end
    for name, token in pairs(next_token) do
      if seen[name .. "\0" .. tostring(token)] then
        error(failure(EXIT_OTHER, format("%s returned the next token %q a second time; stopping instead of looping",
          d.name, tostring(token))), 0)
      end
      seen[name .. "\0" .. tostring(token)] = true
    end
    current = next_token
    for _, name in ipairs(input_tokens) do request[name] = next_token[name] end
  end
  return merged, resume
end

------------------------------------------------------------ skeletons

local function skeleton(name, shapes, depth, stack)
  local s = shapes[name]
  stack = stack or {}
  if stack[name] or depth > 8 then return nil end
  local ty = s.type
  if ty == "structure" then
    stack[name] = true
    local keys = {}
    for _, m in ipairs(s.members or {}) do keys[#keys + 1] = m.name end
    local o = new_object(keys)
    for _, m in ipairs(s.members or {}) do
      local v = skeleton(m.shape, shapes, depth + 1, stack)
      if v == nil then v = new_object() end
      o[m.name] = v
    end
    stack[name] = nil
    return o
  elseif ty == "list" then
    local a = new_array()
    a[1] = skeleton(s.member, shapes, depth + 1, stack)
    return a
  elseif ty == "map" then
    local o = new_object({ "KeyName" })
    o.KeyName = skeleton(s.value, shapes, depth + 1, stack) or new_object()
    return o
  elseif ty == "string" then
    return s.enum and s.enum[1] or ""
  elseif ty == "boolean" then return true
  elseif ty == "integer" or ty == "long" or ty == "short" or ty == "byte" then return 0
  elseif ty == "float" or ty == "double" then return 0.0
  elseif ty == "timestamp" then return "1970-01-01T00:00:00"
  elseif ty == "blob" then return ""
  end
  return new_object()
end

------------------------------------------------------------ help

local function limit(x)
  if x == floor(x) and x < 2 ^ 63 then return format("%d", x) end
  return format("%g", x)
end

local function limits_text(s)
  local parts = {}
  local unit = (s.type == "string" or s.type == "blob") and " characters" or
    ((s.type == "list" or s.type == "map") and " items" or "")
  if s.type == "blob" then unit = " bytes" end
  if s.min and s.max then parts[#parts + 1] = format("%s to %s%s", limit(s.min), limit(s.max), unit)
  elseif s.min then parts[#parts + 1] = format("at least %s%s", limit(s.min), unit)
  elseif s.max then parts[#parts + 1] = format("at most %s%s", limit(s.max), unit) end
  return concat(parts)
end

local function shape_lines(name, shapes, indent, out, stack)
  local s = shapes[name]
  if not s then return end
  if s.type == "list" then
    local m = shapes[s.member]
    if m.type == "structure" or m.type == "list" or m.type == "map" then
      return shape_lines(s.member, shapes, indent, out, stack)
    end
    return
  elseif s.type == "map" then
    out[#out + 1] = indent .. "key -> (" .. shapes[s.key].type .. ")"
    local v = shapes[s.value]
    out[#out + 1] = indent .. "value -> (" .. type_label(v, shapes) .. ")"
    return shape_lines(s.value, shapes, indent .. "   ", out, stack)
  elseif s.type ~= "structure" then
    return
  end
  if stack[name] then out[#out + 1] = indent .. "(" .. name .. ", as above)" return end
  stack[name] = true
  for _, m in ipairs(s.members or {}) do
    local ms = shapes[m.shape]
    local notes = {}
    if m.required then notes[#notes + 1] = "required" end
    local lim = limits_text(ms)
    if lim ~= "" then notes[#notes + 1] = lim end
    if ms.streaming then notes[#notes + 1] = "streaming" end
    if ms.sensitive then notes[#notes + 1] = "sensitive" end
    out[#out + 1] = format("%s%s -> (%s)%s", indent, m.name, type_label(ms, shapes),
      #notes > 0 and ("  " .. concat(notes, ", ")) or "")
    if ms.enum then out[#out + 1] = indent .. "   one of: " .. concat(ms.enum, " | ") end
    shape_lines(m.shape, shapes, indent .. "   ", out, stack)
  end
  stack[name] = nil
end

local LOCATIONS = { uri = "in the path", querystring = "in the query string", header = "a header",
                    headers = "headers", body = "in the body" }

local function waiters_of(opname)
  local names = {}
  for wname, w in pairs(extra("waiters")) do
    if w.operation == opname then names[#names + 1] = wname end
  end
  sort(names)
  return names
end

local function op_help(d)
  local out = {}
  local function add(s) out[#out + 1] = s or "" end
  add(d.cli)
  add()
  add("NAME")
  add("  omics " .. d.cli .. " -- the " .. d.name .. " operation (" .. d.http_method .. " " .. d.uri .. ")" ..
      (d.deprecated and " (deprecated)" or ""))
  add()
  local _, list = op_options(d)
  local p = extra("paginators")[d.name]
  add("SYNOPSIS")
  add("  omics " .. d.cli)
  for _, o in ipairs(list) do
    local s = o.shape
    local arg = s.type == "boolean" and ("--" .. o.member.cli .. " | --no-" .. o.member.cli)
      or ((o.streaming and "fileb://" or "") .. "--" .. o.member.cli .. " <" .. type_label(s, d.shapes) .. ">")
    if o.streaming then arg = o.flag .. " <fileb://path>" end
    add("    " .. (o.member.required and arg or "[" .. arg .. "]"))
  end
  local output = d.output and d.shapes[d.output]
  local streaming_out
  for _, m in ipairs(output and output.members or {}) do
    if d.shapes[m.shape].streaming then streaming_out = m.name end
  end
  if streaming_out then add("    <outfile>") end
  add("    [--cli-input-json <value>] [--generate-cli-skeleton <value>]")
  if p then add("    [--starting-token <value>] [--page-size <value>] [--max-items <value>]") end
  add()
  add("OPTIONS")
  if #list == 0 then add("  (none)") end
  for _, o in ipairs(list) do
    local s, m = o.shape, o.member
    local notes = { type_label(s, d.shapes) }
    notes[#notes + 1] = m.required and "required" or "optional"
    if m.location ~= "body" then notes[#notes + 1] = LOCATIONS[m.location] .. (m.wire and m.location ~= "uri" and (" " .. m.wire) or "") end
    local lim = limits_text(s)
    if lim ~= "" then notes[#notes + 1] = lim end
    if m.idempotency_token then notes[#notes + 1] = "idempotency token: made up when absent" end
    if o.streaming then notes[#notes + 1] = "streaming: a file, fileb://path" end
    if s.type == "blob" and not o.streaming then notes[#notes + 1] = "bytes: fileb://path" end
    add(format("  --%s (%s)", m.cli, concat(notes, ", ")))
    add(format("      member %s", m.name))
    if s.enum then add("      one of: " .. concat(s.enum, " | ")) end
    if s.type == "structure" or s.type == "list" or s.type == "map" then
      local sub_lines = {}
      shape_lines(m.shape, d.shapes, "      ", sub_lines, {})
      for _, l in ipairs(sub_lines) do add(l) end
      if s.type ~= "list" or d.shapes[s.member].type == "structure" or d.shapes[s.member].type == "map" then
        add("      as JSON, or shorthand: " .. (s.type == "list" and "Key=value,... Key=value,..." or "Key=value,Key=value"))
      else
        add("      as values one after another, a,b,c or JSON")
      end
    end
  end
  if streaming_out then
    add("  <outfile> (string, required): where " .. streaming_out .. " is written; the file is complete or absent")
  end
  add()
  add("OUTPUT")
  if output and #(output.members or {}) > 0 then
    local lines = {}
    shape_lines(d.output, d.shapes, "  ", lines, {})
    for _, l in ipairs(lines) do add(l) end
  else
    add("  (nothing)")
  end
  add()
  add("ERRORS")
  for _, e in ipairs(d.errors) do add("  " .. e.code .. (e.status and format(" (HTTP %d)", e.status) or "")) end
  if p then
    add()
    add("PAGINATION")
    add(format("  pages merged by default: %s, from %s to %s%s", concat(as_list(p.result_key), ", "),
      concat(as_list(p.output_token), ", "), concat(as_list(p.input_token), ", "),
      p.limit_key and (", page size in " .. p.limit_key) or ""))
    add("  --max-items N stops after N items and prints NextToken; --starting-token resumes;")
    add("  --page-size N asks for N a page; --no-paginate makes one call")
  end
  local ws = waiters_of(d.name)
  if #ws > 0 then
    add()
    add("WAITERS")
    for _, w in ipairs(ws) do
      local def = extra("waiters")[w]
      add(format("  omics wait %s (every %s s, at most %s attempts)", kebab(w), tostring(def.delay), tostring(def.maxAttempts)))
    end
  end
  return concat(out, "\n") .. "\n"
end

local function main_help()
  local out = { "omics", "", "NAME", "  omics -- a command line for AWS HealthOmics (lua-omics " .. core.VERSION .. ")", "",
    "SYNOPSIS", "  omics [options] <command> [parameters]", "  omics <command> help", "", "GLOBAL OPTIONS" }
  local globals = {
    { "--profile <name>", "the profile of the shared config and credentials files" },
    { "--region <region>", "the region (else AWS_REGION, AWS_DEFAULT_REGION, the profile)" },
    { "--endpoint-url <url>", "the service's URL, in place of the region's" },
    { "--output json|text|table", "the output format (else AWS_DEFAULT_OUTPUT, the profile's output)" },
    { "--query <jmespath>", "a JMESPath expression applied to the result" },
    { "--debug", "the module's log on stderr (credentials never shown)" },
    { "--no-paginate", "one call, not every page" },
    { "--cli-read-timeout <s>", "the longest wait for bytes of an answer (0: the default)" },
    { "--cli-connect-timeout <s>", "the longest wait for a connection (0: the default)" },
    { "--no-cli-pager", "accepted: the output never goes through a pager" },
    { "--no-verify-ssl", "refused: TLS verification cannot be turned off" },
  }
  for _, g in ipairs(globals) do out[#out + 1] = format("  %-28s %s", g[1], g[2]) end
  out[#out + 1] = ""
  out[#out + 1] = "COMMANDS"
  for _, o in ipairs(operations()) do out[#out + 1] = "  " .. o.cli end
  out[#out + 1] = ""
  out[#out + 1] = "  wait <waiter>               call until the waiter's state is reached (omics wait help)"
  out[#out + 1] = "  download read-set|reference whole files, part by part (omics download help)"
  out[#out + 1] = "  upload read-set             a read set from files, part by part (omics upload help)"
  out[#out + 1] = ""
  out[#out + 1] = "EXIT STATUS"
  out[#out + 1] = "  0 success, 252 command line or parameters, 253 configuration or credentials,"
  out[#out + 1] = "  254 an error from the service, 255 anything else, 130 interrupted"
  return concat(out, "\n") .. "\n"
end

local function wait_help(name)
  local waiters = extra("waiters")
  local out = {}
  if not name then
    out[#out + 1] = "omics wait <waiter> [--member value ...] [--delay s] [--max-attempts n]"
    out[#out + 1] = ""
    out[#out + 1] = "WAITERS"
    local names = {}
    for w in pairs(waiters) do names[#names + 1] = w end
    sort(names)
    for _, w in ipairs(names) do
      out[#out + 1] = format("  %-36s %s, every %s s, at most %s attempts", kebab(w), waiters[w].operation,
        tostring(waiters[w].delay), tostring(waiters[w].maxAttempts))
    end
    out[#out + 1] = ""
    out[#out + 1] = "Exit status 255 with the reason when the waiter fails or gives up."
    return concat(out, "\n") .. "\n"
  end
  local w = waiters[name]
  local d = describe(w.operation)
  out[#out + 1] = "omics wait " .. kebab(name)
  out[#out + 1] = ""
  out[#out + 1] = format("  calls %s (omics %s) every %s s (--delay), at most %s times (--max-attempts)",
    d.name, d.cli, tostring(w.delay), tostring(w.maxAttempts))
  out[#out + 1] = ""
  out[#out + 1] = "ACCEPTORS"
  for _, a in ipairs(w.acceptors) do
    out[#out + 1] = format("  %s when %s%s is %s", a.state, a.matcher, a.argument and (" " .. a.argument) or "",
      compact_json(a.expected))
  end
  out[#out + 1] = ""
  out[#out + 1] = "OPTIONS"
  local _, list = op_options(d)
  for _, o in ipairs(list) do
    out[#out + 1] = format("  --%s (%s, %s)", o.member.cli, type_label(o.shape, d.shapes),
      o.member.required and "required" or "optional")
  end
  return concat(out, "\n") .. "\n"
end

------------------------------------------------------------ commands

-- Params from --cli-input-json and the options; nil, positionals.
local function read_params(d, words, ctx, extra_flags)
  local opts = op_options(d)
  local known = { ["--cli-input-json"] = "value", ["--generate-cli-skeleton"] = "optional" }
  local p = extra("paginators")[d.name]
  if p then
    known["--starting-token"], known["--page-size"], known["--max-items"] = "value", "value", "value"
  end
  for k, v in pairs(extra_flags or {}) do known[k] = v end
  -- the paginator's own names mean pagination (AWS CLI): --starting-token of ListBatch
  local paging = {}
  if p and not ctx.no_paginate then
    for _, flag in ipairs { "--starting-token", "--page-size", "--max-items" } do
      if opts[flag] then paging[flag] = opts[flag]; opts[flag] = nil end
    end
  end
  -- --generate-cli-skeleton takes an optional word
  local filtered = {}
  local i = 1
  while i <= #words do
    local w = words[i]
    if w == "--generate-cli-skeleton" then
      local nxt = words[i + 1]
      if nxt == "input" or nxt == "output" then ctx.skeleton = nxt; i = i + 1 else ctx.skeleton = "input" end
    elseif w:match("^%-%-generate%-cli%-skeleton=") then
      ctx.skeleton = w:match("=(.*)$")
    else
      filtered[#filtered + 1] = w
    end
    i = i + 1
  end
  local groups, positionals = parse_words(filtered, opts, known)
  local params, given = {}, {}
  for _, g in ipairs(groups) do
    if g.name == "--cli-input-json" then
      local src = g.values[1]
      local text
      if src == "-" then text = io.stdin:read("a")
      else text = param_file(src, "--cli-input-json") end
      local v = decode_json(text, "--cli-input-json")
      if type(v) ~= "table" or (is_array(v) and next(v) ~= nil) then usage_error("--cli-input-json: expected a JSON object") end
      local input = d.input and d.shapes[d.input]
      local by_name = {}
      for _, m in ipairs(input and input.members or {}) do by_name[m.name] = m end
      for k, x in pairs(v) do
        local m = by_name[k]
        if not m then usage_error("--cli-input-json: %s has no member %q", d.name, tostring(k)) end
        if params[k] == nil then params[k] = coerce(x, m.shape, d.shapes, "--cli-input-json: " .. k) end
      end
    elseif g.name == "--starting-token" then ctx.starting_token = g.values[1]
    elseif g.name == "--page-size" or g.name == "--max-items" then
      local x = integer_text(g.values[1])
      if not x or x < 1 then usage_error("%s: expected a positive integer, got %q", g.name, g.values[1]) end
      ctx[g.name == "--page-size" and "page_size" or "max_items"] = x
    elseif known[g.name] and not opts[g.name] then
      ctx.extra = ctx.extra or {}
      ctx.extra[g.name] = known[g.name] == "flag" and true or g.values
    else
      local o = opts[g.name]
      if o.negated then
        params[o.member.name] = false
      elseif o.shape.type == "boolean" then
        params[o.member.name] = true
      else
        params[o.member.name] = option_value(o, g.values, d.shapes)
      end
      given[o.member.name] = true
    end
  end
  if ctx.page_size and p and not p.limit_key then usage_error("--page-size: %s has no page size", d.name) end
  return params, positionals, given
end

local function check_required(d, params, skip)
  local input = d.input and d.shapes[d.input]
  local missing = {}
  for _, m in ipairs(input and input.members or {}) do
    -- (an idempotency token is made up by the module when absent)
    if m.required and not m.idempotency_token and params[m.name] == nil and not (skip and skip[m.name]) then
      missing[#missing + 1] = "--" .. m.cli
    end
  end
  if #missing > 0 then usage_error("the following arguments are required: %s", concat(missing, ", ")) end
end

local function run_operation(d, words, ctx)
  if words[1] == "help" then io.stdout:write(op_help(d)) return 0 end
  local params, positionals = read_params(d, words, ctx)
  if ctx.skeleton then
    if ctx.skeleton == "output" then
      io.stdout:write(to_json(d.output and skeleton(d.output, d.shapes, 0) or new_object()), "\n")
    elseif ctx.skeleton == "input" then
      io.stdout:write(to_json(d.input and skeleton(d.input, d.shapes, 0) or new_object()), "\n")
    else
      usage_error("--generate-cli-skeleton: expected input or output, got %q", ctx.skeleton)
    end
    return 0
  end
  local output = d.output and d.shapes[d.output]
  local streaming
  for _, m in ipairs(output and output.members or {}) do
    if d.shapes[m.shape].streaming then streaming = m end
  end
  local outfile
  if streaming then
    if #positionals == 0 then usage_error("the following arguments are required: outfile") end
    outfile = table.remove(positionals, 1)
  end
  if #positionals > 0 then usage_error("Unknown options: %s", concat(positionals, ", ")) end
  check_required(d, params)
  local client = client_for(ctx)
  local p = extra("paginators")[d.name]
  local result
  -- pagination unless asked not to, or a token/page member given by hand
  local paginating = p and not ctx.no_paginate
  if paginating then
    for _, name in ipairs(as_list(p.input_token)) do if params[name] ~= nil then paginating = false end end
    if p.limit_key and params[p.limit_key] ~= nil then paginating = false end
  end
  if paginating then
    local merged, resume = paginate(client, d, p, params, ctx)
    local keys = {}
    for _, k in ipairs(as_list(p.result_key)) do keys[#keys + 1] = k end
    -- the result keys typed as the output shape says
    local shaped = shape_out(merged, d.output, d.shapes, ctx.ts_format)
    for _, k in ipairs(as_list(p.result_key)) do
      if merged[k] == nil then shaped[k] = nil end
    end
    order[shaped] = keys
    if resume then
      shaped.NextToken = resume
      keys[#keys + 1] = "NextToken"
    end
    result = shaped
  else
    -- one page: --page-size and --starting-token still say which
    if p and ctx.page_size and p.limit_key then params[p.limit_key] = ctx.page_size end
    if p and ctx.starting_token then
      local input_tokens = as_list(p.input_token)
      local t = decode_token(ctx.starting_token, input_tokens)
      for _, name in ipairs(input_tokens) do
        if t[name] ~= nil and not is_null(t[name]) then params[name] = t[name] end
      end
    end
    local opts = outfile and { sink = outfile } or nil
    local res, err = client:call(d.name, params, opts)
    if not res then error(call_error(err, d), 0) end
    result = shape_out(res, d.output, d.shapes, ctx.ts_format)
  end
  print_result(result, ctx, d.name)
  return 0
end

local function run_wait(words, ctx)
  local name = words[1]
  if name == nil or name == "help" then io.stdout:write(wait_help()) return 0 end
  local waiters = extra("waiters")
  local wname
  for w in pairs(waiters) do if kebab(w) == name then wname = w end end
  if not wname then
    usage_error("wait: invalid choice: %q (omics wait help lists the waiters)", name)
  end
  local rest = { unpack(words, 2) }
  if rest[1] == "help" then io.stdout:write(wait_help(wname)) return 0 end
  local w = waiters[wname]
  local d = describe(w.operation)
  local params, positionals = read_params(d, rest, ctx, { ["--delay"] = "value", ["--max-attempts"] = "value" })
  if #positionals > 0 then usage_error("Unknown options: %s", concat(positionals, ", ")) end
  local opts = {}
  local ex = ctx.extra or {}
  if ex["--delay"] then
    local x = tonumber(ex["--delay"][1])
    if not x or x < 0 then usage_error("--delay: expected a number of seconds, got %q", ex["--delay"][1]) end
    opts.delay = x
  end
  if ex["--max-attempts"] then
    local x = integer_text(ex["--max-attempts"][1])
    if not x or x < 1 then usage_error("--max-attempts: expected a positive integer, got %q", ex["--max-attempts"][1]) end
    opts.max_attempts = x
  end
  check_required(d, params)
  local client = client_for(ctx)
  -- slept in slices: an interrupt (Ctrl-C) is seen within 0.1 s
  opts.sleep = function(seconds)
    local until_t = core.now() + seconds
    while true do
      local left = until_t - core.now()
      if left <= 0 then return end
      core.sleep(math.min(left, 0.1))
    end
  end
  local res, err = client:wait(wname, params, opts)
  if res then return 0 end
  if err.reason == "error" and err.last_error then
    local le = err.last_error
    if le.code == "ParamValidationError" then error(call_error(le, d), 0) end
    if le.kind ~= "service" then error(failure(exit_for(le), tostring(le.message)), 0) end
  end
  local why
  if err.reason == "failure" then why = "the waiter reached a failure state"
    if err.last_response then
      for _, a in ipairs(w.acceptors) do
        if a.state == "failure" and a.argument then
          local v = jp().search(a.argument, err.last_response)
          if v ~= nil then why = why .. format(" (%s is %s)", a.argument, compact_json(v)) break end
        end
      end
    elseif err.last_error then
      why = why .. format(" (%s)", tostring(err.last_error.code))
    end
  elseif err.reason == "max_attempts" then why = format("gave up after %d attempts", err.attempts or 0)
  elseif err.reason == "error" then
    local le = err.last_error
    why = format("an error no acceptor expects: An error occurred (%s) when calling the %s operation: %s",
      tostring(le and le.code), d.name, tostring(le and le.message))
  else why = tostring(err.message) end
  error(failure(EXIT_OTHER, format("Waiter %s failed: %s", wname, why)), 0)
end

------------------------------------------------------------ transfers

-- (test -t: the shell inherits the descriptor; os.execute says true on
-- Lua 5.2+, 0 on LuaJIT)
local function is_terminal(fd)
  local r = os.execute("test -t " .. fd)
  return r == true or r == 0
end

local function human(n)
  local units = { "B", "KiB", "MiB", "GiB", "TiB" }
  local u = 1
  while n >= 1024 and u < #units do n = n / 1024; u = u + 1 end
  return u == 1 and format("%d %s", n, units[u]) or format("%.1f %s", n, units[u])
end

-- A progress bar on stderr: bytes, a bar, the rate and the time left.
local function progress_bar(label)
  local started = core.now()
  local last_len = 0
  local bar = {}
  function bar.update(done, total)
    local elapsed = math.max(core.now() - started, 1e-3)
    local rate = done / elapsed
    local frac = total > 0 and done / total or 1
    local width = 24
    local filled = floor(frac * width + 0.5)
    local eta = rate > 0 and (total - done) / rate or 0
    local line = format("%s %s / %s [%s%s] %3d%% %s/s ETA %d:%02d", label, human(done), human(total),
      rep("#", filled), rep(".", width - filled), floor(frac * 100 + 0.5), human(rate), floor(eta / 60), floor(eta % 60))
    io.stderr:write("\r", line, rep(" ", math.max(0, last_len - #line)))
    last_len = #line
    io.stderr:flush()
  end
  function bar.finish() if last_len > 0 then io.stderr:write("\n") end end
  return bar
end

local TRANSFER_FLAGS = { ["--to"] = "value", ["--concurrency"] = "value", ["--no-progress"] = "flag",
                         ["--files"] = "many", ["--overwrite"] = "flag", ["--no-resume"] = "flag" }

local function transfer_opts(ctx, label)
  local ex = ctx.extra or {}
  local opts = {}
  if ex["--concurrency"] then
    local x = integer_text(ex["--concurrency"][1])
    if not x or x < 1 then usage_error("--concurrency: expected a positive integer, got %q", ex["--concurrency"][1]) end
    opts.concurrency = x
  end
  local bar
  if not ex["--no-progress"] and is_terminal(2) then
    bar = progress_bar(label)
    opts.progress = function(done, total) bar.update(done, total) end
  end
  return opts, bar
end

-- A pseudo-operation: the options of op's input that name the resource,
-- with the transfer's own flags.
local function run_download(words, ctx)
  local what = words[1]
  if what == nil or what == "help" then
    io.stdout:write([[
omics download read-set --sequence-store-id <id> --id <id> [--files SOURCE1 SOURCE2 INDEX]
omics download reference --reference-store-id <id> --id <id> [--files SOURCE INDEX]
    [--to <dir or file>] [--concurrency <n>] [--overwrite] [--no-resume] [--no-progress]

Every file of the resource (or those --files names), part by part, --concurrency parts at
a time (default 8), into --to (default "."); each file is complete or absent. A progress
bar (bytes, rate, time left) on a terminal, nothing on a pipe. Prints the result as JSON:
the files written, bytes, parts, seconds.
]])
    return 0
  end
  local op, method, store
  if what == "read-set" then op, method, store = "GetReadSetMetadata", "download_read_set", "sequenceStoreId"
  elseif what == "reference" then op, method, store = "GetReferenceMetadata", "download_reference", "referenceStoreId"
  else usage_error("download: invalid choice: %q (choose from read-set, reference)", tostring(what)) end
  local d = describe(op)
  local rest = { unpack(words, 2) }
  if rest[1] == "help" then return run_download({ "help" }, ctx) end
  local params, positionals = read_params(d, rest, ctx, TRANSFER_FLAGS)
  if #positionals > 0 then usage_error("Unknown options: %s", concat(positionals, ", ")) end
  check_required(d, params)
  local ex = ctx.extra or {}
  local opts, bar = transfer_opts(ctx, "download")
  opts.to = ex["--to"] and ex["--to"][1] or nil
  if ex["--overwrite"] then opts.overwrite = true end
  if ex["--no-resume"] then opts.resume = false end
  local p = { [store] = params[store], id = params.id, files = ex["--files"] }
  local client = client_for(ctx)
  local res, err = client[method](client, p, opts)
  if bar then bar.finish() end
  if not res then
    if err.code == "ParamValidationError" then error(failure(EXIT_USAGE, validation_message(err, d)), 0) end
    error(call_error(err, d), 0)
  end
  local o = new_object({ "files", "bytes", "parts", "resumed", "seconds" })
  local files = new_object()
  for k, v in pairs(res.files or {}) do files[k] = v end
  o.files, o.bytes, o.parts, o.resumed, o.seconds = files, res.bytes, res.parts, res.resumed, res.seconds
  print_result(o, ctx, "Download")
  return 0
end

local function run_upload(words, ctx)
  local what = words[1]
  if what == nil or what == "help" or (what == "read-set" and words[2] == "help") then
    local d = describe("CreateMultipartReadSetUpload")
    local _, list = op_options(d)
    local out = { "omics upload read-set <options> SOURCE1 [SOURCE2]", "",
      "A read set from one file (two for paired FASTQ), part by part, then waits until it is ACTIVE.",
      "A progress bar on a terminal, nothing on a pipe. Prints readSetId, uploadId, parts, bytes,",
      "seconds and status as JSON.", "", "OPTIONS (CreateMultipartReadSetUpload's)" }
    for _, o in ipairs(list) do
      out[#out + 1] = format("  --%s (%s, %s)%s", o.member.cli, type_label(o.shape, d.shapes),
        o.member.required and "required" or "optional", o.shape.enum and (" one of: " .. concat(o.shape.enum, " | ")) or "")
    end
    out[#out + 1] = "  --part-size <bytes> (at most 100 MiB, the default)"
    out[#out + 1] = "  --concurrency <n> (parts at once, default 8)"
    out[#out + 1] = "  --no-wait (return once the upload is complete, before the read set is ACTIVE)"
    out[#out + 1] = "  --no-progress"
    io.stdout:write(concat(out, "\n"), "\n")
    return 0
  end
  if what ~= "read-set" then usage_error("upload: invalid choice: %q (choose from read-set)", what) end
  local d = describe("CreateMultipartReadSetUpload")
  local flags = { ["--concurrency"] = "value", ["--no-progress"] = "flag", ["--part-size"] = "value",
                  ["--no-wait"] = "flag" }
  local params, positionals = read_params(d, { unpack(words, 2) }, ctx, flags)
  if #positionals == 0 then usage_error("the following arguments are required: SOURCE1") end
  if #positionals > 2 then usage_error("Unknown options: %s", concat(positionals, ", ", 3)) end
  check_required(d, params)
  local opts, bar = transfer_opts(ctx, "upload")
  local ex = ctx.extra or {}
  if ex["--part-size"] then
    local x = integer_text(ex["--part-size"][1])
    if not x then usage_error("--part-size: expected a number of bytes, got %q", ex["--part-size"][1]) end
    opts.part_size = x
  end
  if ex["--no-wait"] then opts.wait = false end
  params.files = { SOURCE1 = positionals[1], SOURCE2 = positionals[2] }
  local client = client_for(ctx)
  local res, err = client:upload_read_set(params, opts)
  if bar then bar.finish() end
  if not res then
    if err.code == "ParamValidationError" then error(failure(EXIT_USAGE, validation_message(err, d)), 0) end
    error(call_error(err, d), 0)
  end
  local o = new_object({ "readSetId", "uploadId", "status", "parts", "bytes", "seconds" })
  for k, v in pairs(res) do o[k] = v end
  print_result(o, ctx, "Upload")
  return 0
end

------------------------------------------------------------ main

local function dispatch(argv)
  local ctx, words = take_globals(argv)
  local cmd = words[1]
  if cmd == nil then
    io.stderr:write(USAGE, "omics: error: the following arguments are required: command\n")
    return EXIT_USAGE
  end
  local rest = { unpack(words, 2) }
  if cmd == "help" then io.stdout:write(main_help()) return 0 end
  if cmd == "--version" or cmd == "version" then
    io.stdout:write(format("lua-omics/%s %s\n", core.VERSION, (type(jit) == "table" and jit.version) or _VERSION))
    return 0
  end
  if cmd == "wait" then return run_wait(rest, ctx) end
  if cmd == "download" then return run_download(rest, ctx) end
  if cmd == "upload" then return run_upload(rest, ctx) end
  if cmd:match("^%-") then usage_error("Unknown options: %s", cmd) end
  operations()
  local o = model.by_cli[cmd]
  if not o then
    io.stderr:write(USAGE)
    usage_error("argument command: invalid choice: %q (omics help lists the commands)", cmd)
  end
  return run_operation(describe(o.name), rest, ctx)
end

-- Run the command line argv; returns the exit status.
function M.main(argv)
  local ok, status = xpcall(dispatch, function(e)
    if type(e) == "string" and e:find("interrupted!", 1, true) then return { interrupt = true } end
    if getmetatable(e) == Failure or type(e) == "table" then return e end
    return { bug = debug.traceback(tostring(e), 2) }
  end, argv)
  io.stdout:flush()
  if ok then return status or 0 end
  local e = status
  if e.interrupt then io.stderr:write("\n") return EXIT_INTERRUPT end
  if getmetatable(e) == Failure then
    io.stderr:write(e.message, "\n")
    return e.exit
  end
  if e.bug then
    io.stderr:write("omics: internal error: ", e.bug, "\n")
    return EXIT_OTHER
  end
  if e.code == "ParamValidationError" then
    io.stderr:write(validation_message(e, nil), "\n")
    return EXIT_USAGE
  end
  -- an err table of the module (client creation: config, credentials)
  io.stderr:write(tostring(e.message or e), "\n")
  return exit_for(e)
end

-- A command line of an operation split by the parser run_operation uses,
-- without reading the values or calling: the operation's description, the
-- option groups ({ name, values }) and the positionals; or nil and the
-- message the command would print.  (For the specs: a reference page's
-- command line is one the command takes.)
function M.parse_command(argv)
  local ok, d, groups, positionals = pcall(function()
    operations()
    local o = model.by_cli[argv[1] or ""]
    if not o then usage_error("argument command: invalid choice: %q", tostring(argv[1])) end
    local d = describe(o.name)
    return d, parse_words({ unpack(argv, 2) }, (op_options(d)))
  end)
  if ok then return d, groups, positionals end
  return nil, getmetatable(d) == Failure and d.message or tostring(d)
end

-- for the specs
M.iso8601, M.to_json, M.kebab, M.b64encode, M.b64decode = iso8601, to_json, kebab, b64encode, b64decode

return M
