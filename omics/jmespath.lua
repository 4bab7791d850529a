-- omics.jmespath: JMESPath (https://jmespath.org/specification.html) in pure
-- Lua, for Lua 5.1/LuaJIT and 5.2-5.4 alike.  The waiters and paginators of
-- omics.lua use it; it is the whole language: identifiers, sub-expressions,
-- indexes and slices, list and object projections, flatten, filters,
-- comparisons, multi-select lists and hashes, pipes, || && !, literals, @,
-- expression references and every built-in function.
--
-- JSON in Lua, as this module reads it:
--   null     nil (a missing value), M.null, or any userdata (omics.null and
--            cjson.null are the light userdata NULL)
--   array    a table whose metatable says __jsontype = "array" (dkjson's
--            convention), else a table with t[1] ~= nil, or an empty table
--   object   a table whose metatable says __jsontype = "object", else a
--            non-empty table without t[1]
-- What the module builds follows the same rules: nulls inside the lists and
-- objects it returns are M.null, and the objects it builds carry a
-- metatable with __jsontype = "object", so that an empty one stays an object.
-- search() returns nil for a null result.
--
-- Errors are raised as strings "<kind>: <message>", kind being one of the
-- JMESPath error types: syntax, invalid-arity, unknown-function (all three
-- when compiling), invalid-value, invalid-type (when evaluating).
local M = {}

local type, pairs, next, select, error, tonumber, tostring =
  type, pairs, next, select, error, tonumber, tostring
local getmetatable, setmetatable, rawget = getmetatable, setmetatable, rawget
local byte, char, sub, find, match, format, gsub =
  string.byte, string.char, string.sub, string.find, string.match, string.format, string.gsub
local concat, sort = table.concat, table.sort
local floor, huge = math.floor, math.huge
local unpack = table.unpack or unpack

local NULL = setmetatable({}, { __tostring = function() return "null" end })
local OBJECT_MT = { __jsontype = "object" }
local EXPREF_MT = {} -- an expression reference: { fn }

local function fail(kind, msg, ...)
  error(kind .. ": " .. format(msg, ...), 0)
end

------------------------------------------------------------------- values

-- The JMESPath type of a Lua value.
local function kind(v)
  local t = type(v)
  if t == "table" then
    if v == NULL then return "null" end
    local mt = getmetatable(v)
    if mt ~= nil then
      if mt == EXPREF_MT then return "expref" end
      local jt = type(mt) == "table" and rawget(mt, "__jsontype")
      if jt == "object" or jt == "array" then return jt end
    end
    if rawget(v, 1) ~= nil or next(v) == nil then return "array" end
    return "object"
  elseif t == "string" or t == "number" or t == "boolean" then
    return t
  end
  return "null"
end
M.type = kind

function M.is_list(v) return kind(v) == "array" end

-- A value read from the data: every null becomes nil.
local function value(x)
  if x == NULL or type(x) == "userdata" then return nil end
  return x
end

-- A value stored into a list or object the module builds: nil becomes M.null.
local function stored(x)
  if x == nil then return NULL end
  return x
end

local function truthy(v)
  if v == nil or v == false or v == "" or v == NULL then return false end
  local t = type(v)
  if t == "table" then return next(v) ~= nil or getmetatable(v) == EXPREF_MT end
  return t ~= "userdata"
end

-- JMESPath equality: deep, 1 == 1.0, null == missing, [] ~= {}.
local function equal(a, b)
  local ka = kind(a)
  if ka ~= kind(b) then return false end
  if ka == "array" then
    local n = #a
    if #b ~= n then return false end
    for i = 1, n do
      if not equal(a[i], b[i]) then return false end
    end
    return true
  elseif ka == "object" then
    for k, x in pairs(a) do
      local y = b[k]
      if y == nil or not equal(x, y) then return false end
    end
    for k in pairs(b) do
      if a[k] == nil then return false end
    end
    return true
  elseif ka == "null" then
    return true
  end
  return a == b
end
M.equal = equal

-- Strings order by code point, which for UTF-8 is byte order (Lua's own <
-- on strings follows the C locale's collation under Lua 5.4).
local function string_less(a, b)
  if a == b then return false end
  local n = #a < #b and #a or #b
  for i = 1, n do
    local x, y = byte(a, i), byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function less(a, b)
  if type(a) == "string" then return string_less(a, b) end
  return a < b
end

-- A stable merge sort into a new list; lt(a, b) says a goes first.
local function stable_sort(list, lt)
  local n = #list
  local src, dst = {}, {}
  for i = 1, n do src[i] = list[i] end
  local width = 1
  while width < n do
    local lo = 1
    while lo <= n do
      local mid = lo + width
      if mid > n + 1 then mid = n + 1 end
      local hi = mid + width
      if hi > n + 1 then hi = n + 1 end
      local l, r, k = lo, mid, lo
      while l < mid and r < hi do
        if lt(src[r], src[l]) then
          dst[k], r = src[r], r + 1
        else
          dst[k], l = src[l], l + 1
        end
        k = k + 1
      end
      while l < mid do dst[k], l, k = src[l], l + 1, k + 1 end
      while r < hi do dst[k], r, k = src[r], r + 1, k + 1 end
      lo = hi
    end
    src, dst = dst, src
    width = width * 2
  end
  return src
end

-- The number of code points of a UTF-8 string (LuaJIT has no utf8 library).
local function utf8_length(s)
  local _, continuation = gsub(s, "[\128-\191]", "")
  return #s - continuation
end

local function utf8_char(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 64), 0x80 + cp % 64) end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
    0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

-------------------------------------------------------------------- JSON

-- Where the JSON number starting at s[i] ends (the index after it), or nil.
local function number_end(s, i)
  local j = i
  if sub(s, j, j) == "-" then j = j + 1 end
  local c = sub(s, j, j)
  if c == "0" then
    j = j + 1
  elseif find(c, "^[1-9]") then
    j = match(s, "^[0-9]+()", j)
  else
    return nil
  end
  if sub(s, j, j) == "." then
    j = match(s, "^%.[0-9]+()", j)
    if not j then return nil end
  end
  if find(s, "^[eE]", j) then
    j = match(s, "^[eE][+-]?[0-9]+()", j)
    if not j then return nil end
  end
  return j
end

local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n",
                  r = "\r", t = "\t" }

-- The JSON string whose opening quote is s[i]: its text and the index after it.
local function json_string(s, i)
  local parts, j = {}, i + 1
  while true do
    local k = find(s, '["\\]', j)
    if not k then fail("syntax", "unterminated string at %d", i) end
    parts[#parts + 1] = sub(s, j, k - 1)
    if sub(s, k, k) == '"' then return concat(parts), k + 1 end
    local e = sub(s, k + 1, k + 1)
    if ESCAPES[e] then
      parts[#parts + 1] = ESCAPES[e]
      j = k + 2
    elseif e == "u" then
      local hex = match(s, "^%x%x%x%x", k + 2)
      if not hex then fail("syntax", "bad \\u escape at %d", k) end
      local cp = tonumber(hex, 16)
      j = k + 6
      if cp >= 0xD800 and cp < 0xDC00 then -- a surrogate pair
        local low = match(s, "^\\u(%x%x%x%x)", j)
        low = low and tonumber(low, 16)
        if low and low >= 0xDC00 and low < 0xE000 then
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (low - 0xDC00)
          j = j + 6
        end
      end
      parts[#parts + 1] = utf8_char(cp)
    else
      fail("syntax", "bad escape \\%s at %d", e, k)
    end
  end
end

local function skip_space(s, i)
  return match(s, "^[ \t\r\n]*()", i)
end

-- The JSON value at s[i] (after blanks): the value (null as M.null) and the
-- index after it.
local function json_value(s, i)
  i = skip_space(s, i)
  local c = sub(s, i, i)
  if c == "{" then
    local obj = setmetatable({}, OBJECT_MT)
    i = skip_space(s, i + 1)
    if sub(s, i, i) == "}" then return obj, i + 1 end
    while true do
      if sub(s, i, i) ~= '"' then fail("syntax", "expected a key in JSON at %d", i) end
      local key
      key, i = json_string(s, i)
      i = skip_space(s, i)
      if sub(s, i, i) ~= ":" then fail("syntax", "expected ':' in JSON at %d", i) end
      obj[key], i = json_value(s, i + 1)
      i = skip_space(s, i)
      c = sub(s, i, i)
      if c == "}" then return obj, i + 1 end
      if c ~= "," then fail("syntax", "expected ',' or '}' in JSON at %d", i) end
      i = skip_space(s, i + 1)
    end
  elseif c == "[" then
    local arr = {}
    i = skip_space(s, i + 1)
    if sub(s, i, i) == "]" then return arr, i + 1 end
    while true do
      arr[#arr + 1], i = json_value(s, i)
      i = skip_space(s, i)
      c = sub(s, i, i)
      if c == "]" then return arr, i + 1 end
      if c ~= "," then fail("syntax", "expected ',' or ']' in JSON at %d", i) end
      i = i + 1
    end
  elseif c == '"' then
    return json_string(s, i)
  elseif sub(s, i, i + 3) == "true" then
    return true, i + 4
  elseif sub(s, i, i + 4) == "false" then
    return false, i + 5
  elseif sub(s, i, i + 3) == "null" then
    return NULL, i + 4
  end
  local e = number_end(s, i)
  if not e then fail("syntax", "invalid JSON at %d", i) end
  return tonumber(sub(s, i, e - 1)), e
end

-- A whole JSON text (a literal's): its value, null as M.null.
function M.decode_literal(text)
  local v, i = json_value(text, 1)
  i = skip_space(text, i)
  if i <= #text then fail("syntax", "unexpected %q after JSON at %d", sub(text, i, i), i) end
  return v
end

local function number_text(x)
  if x ~= x or x == huge or x == -huge then return "null" end
  if x == floor(x) and x > -2 ^ 53 and x < 2 ^ 53 then return format("%d", x) end
  for digits = 15, 17 do
    local s = format("%." .. digits .. "g", x)
    if tonumber(s) == x then return s end
  end
end

local function quote(s)
  return '"' .. gsub(s, '[%c"\\]', function(c)
    if c == '"' or c == "\\" then return "\\" .. c end
    if c == "\n" then return "\\n" end
    if c == "\t" then return "\\t" end
    if c == "\r" then return "\\r" end
    return format("\\u%04x", byte(c))
  end) .. '"'
end

-- JSON text, compact, object keys sorted.
local function encode(v)
  local k = kind(v)
  if k == "string" then return quote(v) end
  if k == "number" then return number_text(v) end
  if k == "boolean" then return tostring(v) end
  if k == "array" then
    local parts = {}
    for i = 1, #v do parts[i] = encode(v[i]) end
    return "[" .. concat(parts, ",") .. "]"
  end
  if k == "object" then
    local keys = {}
    for key in pairs(v) do keys[#keys + 1] = key end
    sort(keys, string_less)
    for i, key in ipairs(keys) do keys[i] = quote(key) .. ":" .. encode(v[key]) end
    return "{" .. concat(keys, ",") .. "}"
  end
  return "null"
end

------------------------------------------------------------------- lexer

local SINGLE = { ["."] = true, ["*"] = true, ["]"] = true, ["{"] = true, ["}"] = true,
                 ["("] = true, [")"] = true, [","] = true, [":"] = true, ["@"] = true }

-- Tokens { t = type, v = value, pos = offset }: id (bare name), qid ("quoted"
-- name), num, lit (a literal or raw string), operators by their text, eof.
local function lex(expr)
  local toks, i, n = {}, 1, #expr
  local function push(t, v, len)
    toks[#toks + 1] = { t = t, v = v, pos = i }
    i = i + len
  end
  while i <= n do
    local c = sub(expr, i, i)
    local two = sub(expr, i, i + 1)
    if find(c, "^[ \t\r\n]") then
      i = i + 1
    elseif find(c, "^[A-Za-z_]") then
      local name = match(expr, "^[A-Za-z0-9_]+", i)
      push("id", name, #name)
    elseif find(c, "^[0-9]") or find(two, "^%-[0-9]") then
      local digits = match(expr, "^%-?[0-9]+", i)
      push("num", tonumber(digits), #digits)
    elseif c == '"' then
      local name, after = json_string(expr, i)
      push("qid", name, after - i)
    elseif c == "'" then -- a raw string: only \' is an escape
      local parts, j = {}, i + 1
      while true do
        local k = find(expr, "['\\]", j)
        if not k then fail("syntax", "unterminated raw string at %d", i) end
        parts[#parts + 1] = sub(expr, j, k - 1)
        if sub(expr, k, k) == "'" then
          j = k + 1
          break
        end
        local e = sub(expr, k + 1, k + 1)
        parts[#parts + 1] = e == "'" and "'" or "\\" .. e
        j = k + 2
      end
      push("lit", concat(parts), j - i)
    elseif c == "`" then -- a JSON literal: \` is a backtick
      local parts, j = {}, i + 1
      while true do
        local k = find(expr, "[`\\]", j)
        if not k then fail("syntax", "unterminated literal at %d", i) end
        parts[#parts + 1] = sub(expr, j, k - 1)
        if sub(expr, k, k) == "`" then
          j = k + 1
          break
        end
        local e = sub(expr, k + 1, k + 1)
        parts[#parts + 1] = e == "`" and "`" or "\\" .. e
        j = k + 2
      end
      local text = concat(parts)
      local ok, v = pcall(M.decode_literal, text)
      if not ok then fail("syntax", "invalid JSON literal at %d", i) end
      push("lit", v, j - i)
    elseif two == "[]" or two == "[?" or two == "||" or two == "&&" or two == "==" or two == "!="
      or two == "<=" or two == ">=" then
      push(two, nil, 2)
    elseif SINGLE[c] or c == "[" or c == "|" or c == "&" or c == "!" or c == "<" or c == ">" then
      push(c, nil, 1)
    else
      fail("syntax", "unexpected %q at %d", c, i)
    end
  end
  push("eof", nil, 0)
  return toks
end

--------------------------------------------------------------- evaluators

-- The parser builds each expression as a function of the current node
-- (nil for null) returning its value (nil for null).

local function identity(v) return v end

local function constant(x)
  return function() return x end
end

local function field(name)
  return function(v)
    if type(v) == "table" and kind(v) == "object" then return value(v[name]) end
    return nil
  end
end

-- left, then right over its result: sub-expressions and pipes.
local function chain(left, right)
  return function(v) return right(left(v)) end
end

local function index(left, i)
  return function(v)
    local list = left(v)
    if kind(list) ~= "array" then return nil end
    local n = #list
    local j = i < 0 and n + i or i
    if j < 0 or j >= n then return nil end
    return value(list[j + 1])
  end
end

-- Python's slice bounds, as the specification has them.
local function slice(left, start, stop, step)
  step = step or 1
  return function(v)
    local list = left(v)
    if kind(list) ~= "array" then return nil end
    local n = #list
    local a, b
    if step > 0 then
      a, b = start or 0, stop or n
      if a < 0 then a = a + n; if a < 0 then a = 0 end elseif a > n then a = n end
      if b < 0 then b = b + n; if b < 0 then b = 0 end elseif b > n then b = n end
    else
      a, b = start or n - 1, stop or -1
      if start then
        if a < 0 then a = a + n; if a < 0 then a = -1 end elseif a >= n then a = n - 1 end
      end
      if stop then
        if b < 0 then b = b + n; if b < 0 then b = -1 end elseif b >= n then b = n - 1 end
      end
    end
    local out = {}
    if step > 0 then
      for k = a, b - 1, step do out[#out + 1] = list[k + 1] end
    else
      for k = a, b + 1, step do out[#out + 1] = list[k + 1] end
    end
    return out
  end
end

-- right over each element of the list left gives, the nulls left out.
local function project(left, right)
  return function(v)
    local list = left(v)
    if kind(list) ~= "array" then return nil end
    local out = {}
    for i = 1, #list do
      local x = right(value(list[i]))
      if x ~= nil then out[#out + 1] = x end
    end
    return out
  end
end

-- The same over the values of an object (in pairs() order).
local function project_values(left, right)
  return function(v)
    local obj = left(v)
    if kind(obj) ~= "object" then return nil end
    local out = {}
    for _, x in pairs(obj) do
      x = right(value(x))
      if x ~= nil then out[#out + 1] = x end
    end
    return out
  end
end

-- left's list with its lists merged in one level.
local function flatten(left)
  return function(v)
    local list = left(v)
    if kind(list) ~= "array" then return nil end
    local out = {}
    for i = 1, #list do
      local x = list[i]
      if kind(x) == "array" then
        for j = 1, #x do out[#out + 1] = x[j] end
      else
        out[#out + 1] = x
      end
    end
    return out
  end
end

local function filter(left, cond, right)
  return function(v)
    local list = left(v)
    if kind(list) ~= "array" then return nil end
    local out = {}
    for i = 1, #list do
      local x = value(list[i])
      if truthy(cond(x)) then
        x = right(x)
        if x ~= nil then out[#out + 1] = x end
      end
    end
    return out
  end
end

local function multi_list(items)
  return function(v)
    if v == nil then return nil end
    local out = {}
    for i = 1, #items do out[i] = stored(items[i](v)) end
    return out
  end
end

local function multi_hash(keys, items)
  return function(v)
    if v == nil then return nil end
    local out = setmetatable({}, OBJECT_MT)
    for i = 1, #keys do out[keys[i]] = stored(items[i](v)) end
    return out
  end
end

local function compare(op, left, right)
  if op == "==" then return function(v) return equal(left(v), right(v)) end end
  if op == "!=" then return function(v) return not equal(left(v), right(v)) end end
  return function(v)
    local a, b = left(v), right(v)
    if type(a) ~= "number" or type(b) ~= "number" then return nil end
    if op == "<" then return a < b end
    if op == "<=" then return a <= b end
    if op == ">" then return a > b end
    return a >= b
  end
end

---------------------------------------------------------------- functions

-- Each function: its parameters' types ("a|b" for either; "array[number]"
-- for a list of numbers; "expref"; "any" for any JSON value), whether the
-- last one repeats, and its body, called with nil for null.
local FUNCTIONS = {}

local function def(name, params, body, variadic)
  local types = {}
  for i, p in ipairs(params) do
    types[i] = {}
    for alt in p:gmatch("[^|]+") do types[i][#types[i] + 1] = alt end
  end
  FUNCTIONS[name] = { params = params, types = types, body = body, variadic = variadic }
end

local function conforms(alts, v)
  local k = kind(v)
  for _, t in ipairs(alts) do
    if t == k or (t == "any" and k ~= "expref") then return true end
    local of = k == "array" and match(t, "^array%[(%a+)%]$")
    if of then
      local ok = true
      for i = 1, #v do
        if kind(v[i]) ~= of then
          ok = false
          break
        end
      end
      if ok then return true end
    end
  end
  return false
end

local function numbers_or_strings(name, keys)
  local first = kind(keys[1])
  if first ~= "number" and first ~= "string" then
    fail("invalid-type", "%s() compares numbers or strings, not %s", name, first)
  end
  for i = 2, #keys do
    if kind(keys[i]) ~= first then
      fail("invalid-type", "%s() got %s and %s to compare", name, first, kind(keys[i]))
    end
  end
end

-- The keys ref gives for each element of list, checked for by().
local function keys_of(name, list, ref)
  local keys = {}
  for i = 1, #list do keys[i] = stored(ref[1](value(list[i]))) end
  if #keys > 0 then numbers_or_strings(name, keys) end
  return keys
end

local function extreme(list, better)
  local best = list[1]
  for i = 2, #list do
    if better(list[i], best) then best = list[i] end
  end
  return best
end

local function extreme_by(name, list, ref, better)
  if #list == 0 then return nil end
  local keys = keys_of(name, list, ref)
  local best = 1
  for i = 2, #list do
    if better(keys[i], keys[best]) then best = i end
  end
  return value(list[best])
end

local function greater(a, b) return less(b, a) end

def("abs", { "number" }, function(n) return n < 0 and -n or n end)
def("avg", { "array[number]" }, function(list)
  if #list == 0 then return nil end
  local sum = 0
  for i = 1, #list do sum = sum + list[i] end
  return sum / #list
end)
def("ceil", { "number" }, function(n) return math.ceil(n) end)
def("floor", { "number" }, function(n) return floor(n) end)
def("contains", { "array|string", "any" }, function(subject, search)
  if type(subject) == "string" then
    return type(search) == "string" and find(subject, search, 1, true) ~= nil
  end
  for i = 1, #subject do
    if equal(subject[i], search) then return true end
  end
  return false
end)
def("ends_with", { "string", "string" }, function(s, suffix)
  return suffix == "" or sub(s, -#suffix) == suffix
end)
def("starts_with", { "string", "string" }, function(s, prefix)
  return sub(s, 1, #prefix) == prefix
end)
def("join", { "string", "array[string]" }, function(glue, list) return concat(list, glue) end)
def("keys", { "object" }, function(obj)
  local out = {}
  for k in pairs(obj) do out[#out + 1] = k end
  return out
end)
def("values", { "object" }, function(obj)
  local out = {}
  for _, x in pairs(obj) do out[#out + 1] = stored(value(x)) end
  return out
end)
def("length", { "string|array|object" }, function(v)
  if type(v) == "string" then return utf8_length(v) end
  if kind(v) == "array" then return #v end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n
end)
def("map", { "expref", "array" }, function(ref, list)
  local out = {}
  for i = 1, #list do out[i] = stored(ref[1](value(list[i]))) end
  return out
end)
def("max", { "array[number]|array[string]" }, function(list)
  if #list > 0 then return extreme(list, greater) end
end)
def("min", { "array[number]|array[string]" }, function(list)
  if #list > 0 then return extreme(list, less) end
end)
def("max_by", { "array", "expref" }, function(list, ref)
  return extreme_by("max_by", list, ref, greater)
end)
def("min_by", { "array", "expref" }, function(list, ref)
  return extreme_by("min_by", list, ref, less)
end)
def("merge", { "object" }, function(...)
  local out = setmetatable({}, OBJECT_MT)
  for i = 1, select("#", ...) do
    for k, x in pairs((select(i, ...))) do out[k] = x end
  end
  return out
end, true)
def("not_null", { "any" }, function(...)
  for i = 1, select("#", ...) do
    local x = select(i, ...)
    if x ~= nil then return x end
  end
  return nil
end, true)
def("reverse", { "string|array" }, function(v)
  local out = {}
  if type(v) == "string" then
    for ch in v:gmatch("[^\128-\191][\128-\191]*") do out[#out + 1] = ch end
  else
    for i = 1, #v do out[i] = v[i] end
  end
  local n = #out
  for i = 1, floor(n / 2) do out[i], out[n + 1 - i] = out[n + 1 - i], out[i] end
  if type(v) == "string" then return concat(out) end
  return out
end)
def("sort", { "array[number]|array[string]" }, function(list)
  return stable_sort(list, less)
end)
def("sort_by", { "array", "expref" }, function(list, ref)
  local keys = keys_of("sort_by", list, ref)
  local order = {}
  for i = 1, #list do order[i] = i end
  order = stable_sort(order, function(a, b) return less(keys[a], keys[b]) end)
  for i = 1, #order do order[i] = list[order[i]] end
  return order
end)
def("sum", { "array[number]" }, function(list)
  local sum = 0
  for i = 1, #list do sum = sum + list[i] end
  return sum
end)
def("to_array", { "any" }, function(v)
  if kind(v) == "array" then return v end
  return { stored(v) }
end)
def("to_string", { "any" }, function(v)
  if type(v) == "string" then return v end
  return encode(v)
end)
def("to_number", { "any" }, function(v)
  if type(v) == "number" then return v end
  if type(v) == "string" and number_end(v, 1) == #v + 1 then return tonumber(v) end
  return nil
end)
def("type", { "any" }, function(v) return kind(v) end)

local function call(name, args, pos)
  local f = FUNCTIONS[name]
  if not f then fail("unknown-function", "no function %s() at %d", name, pos) end
  local nparams, nargs = #f.params, #args
  if nargs < nparams or (nargs > nparams and not f.variadic) then
    fail("invalid-arity", "%s() takes %s%d argument%s, not %d (at %d)", name,
      f.variadic and "at least " or "", nparams, nparams == 1 and "" or "s", nargs, pos)
  end
  local types, body = f.types, f.body
  return function(v)
    local vals = {}
    for i = 1, nargs do
      local x = args[i](v)
      local alts = types[i] or types[nparams]
      if not conforms(alts, x) then
        fail("invalid-type", "%s() argument %d must be %s, not %s", name, i,
          f.params[i] or f.params[nparams], kind(x))
      end
      vals[i] = x
    end
    return body(unpack(vals, 1, nargs))
  end
end

------------------------------------------------------------------ parser

-- Left binding powers; every other token has 0.  Projections take in what
-- binds tighter than PROJECTION_STOP.
local LBP = { ["|"] = 1, ["||"] = 2, ["&&"] = 3, ["=="] = 5, ["!="] = 5, ["<"] = 5, ["<="] = 5,
              [">"] = 5, [">="] = 5, ["[]"] = 9, ["[?"] = 21, ["."] = 40, ["["] = 55 }
local PROJECTION_STOP, BP_STAR, BP_FILTER, BP_NOT = 10, 20, 21, 45
local COMPARATORS = { ["=="] = true, ["!="] = true, ["<"] = true, ["<="] = true, [">"] = true,
                      [">="] = true }

local Parser = {}
Parser.__index = Parser

function Parser:peek(ahead) return self.toks[self.i + (ahead or 0)] or self.toks[#self.toks] end

function Parser:advance()
  local tok = self.toks[self.i]
  if tok.t ~= "eof" then self.i = self.i + 1 end
  return tok
end

local function describe(tok)
  local t = tok.t
  if t == "id" or t == "qid" then return format("name %q", tok.v) end
  if t == "num" then return "number " .. tok.v end
  if t == "lit" then return "literal" end
  return "'" .. t .. "'"
end

function Parser:unexpected(tok)
  if tok.t == "eof" then fail("syntax", "unexpected end of expression") end
  fail("syntax", "unexpected %s at %d", describe(tok), tok.pos)
end

function Parser:expect(t)
  local tok = self:advance()
  if tok.t ~= t then
    if tok.t == "eof" then fail("syntax", "expected '%s' at the end of the expression", t) end
    fail("syntax", "expected '%s' at %d, found %s", t, tok.pos, describe(tok))
  end
  return tok
end

function Parser:expression(rbp)
  local left = self:nud(self:advance())
  while rbp < (LBP[self:peek().t] or 0) do
    left = self:led(self:advance(), left)
  end
  return left
end

-- What a projection applies to each element: nothing, [..], [?..] or .rhs.
function Parser:projection_rhs(bp)
  local t = self:peek().t
  if (LBP[t] or 0) < PROJECTION_STOP then return identity end
  if t == "[" or t == "[?" then return self:expression(bp) end
  if t == "." then
    self:advance()
    return self:dot_rhs(bp)
  end
  self:unexpected(self:peek())
end

function Parser:dot_rhs(bp)
  local tok = self:peek()
  local t = tok.t
  if t == "id" or t == "qid" or t == "*" then return self:expression(bp) end
  if t == "[" then
    self:advance()
    return self:multi_list()
  end
  if t == "{" then
    self:advance()
    return self:multi_hash()
  end
  self:unexpected(tok)
end

function Parser:multi_list()
  local items = {}
  repeat
    items[#items + 1] = self:expression(0)
  until self:peek().t ~= "," or not self:advance()
  self:expect("]")
  return multi_list(items)
end

function Parser:multi_hash()
  local keys, items = {}, {}
  repeat
    local tok = self:advance()
    if tok.t ~= "id" and tok.t ~= "qid" then self:unexpected(tok) end
    self:expect(":")
    keys[#keys + 1] = tok.v
    items[#items + 1] = self:expression(0)
  until self:peek().t ~= "," or not self:advance()
  self:expect("}")
  return multi_hash(keys, items)
end

-- After '[' with a number or ':' next: an index, or a slice and its projection.
function Parser:index_or_slice(left)
  local parts, n = {}, 1
  while self:peek().t ~= "]" do
    local tok = self:advance()
    if tok.t == ":" and n < 3 then
      n = n + 1
    elseif tok.t == "num" and parts[n] == nil then
      parts[n] = tok.v
    else
      self:unexpected(tok)
    end
  end
  self:advance()
  if n == 1 then return index(left, parts[1]) end
  if parts[3] == 0 then fail("invalid-value", "a slice's step cannot be 0") end
  return project(slice(left, parts[1], parts[2], parts[3]), self:projection_rhs(BP_STAR))
end

-- After '[' of a projection, an index or a slice.
function Parser:bracket(left)
  local t = self:peek().t
  if t == "num" or t == ":" then return self:index_or_slice(left) end
  if t ~= "*" then self:unexpected(self:peek()) end
  self:advance()
  self:expect("]")
  return project(left, self:projection_rhs(BP_STAR))
end

function Parser:filter(left)
  local cond = self:expression(0)
  self:expect("]")
  return filter(left, cond, self:projection_rhs(BP_FILTER))
end

function Parser:call(tok)
  self:advance() -- (
  local args = {}
  if self:peek().t ~= ")" then
    repeat
      args[#args + 1] = self:expression(0)
    until self:peek().t ~= "," or not self:advance()
  end
  self:expect(")")
  return call(tok.v, args, tok.pos)
end

function Parser:nud(tok)
  local t = tok.t
  if t == "id" then
    if self:peek().t == "(" then return self:call(tok) end
    return field(tok.v)
  elseif t == "qid" then
    return field(tok.v)
  elseif t == "lit" then
    return constant(value(tok.v))
  elseif t == "@" then
    return identity
  elseif t == "&" then
    local ref = setmetatable({ self:expression(0) }, EXPREF_MT)
    return constant(ref)
  elseif t == "!" then
    local operand = self:expression(BP_NOT)
    return function(v) return not truthy(operand(v)) end
  elseif t == "(" then
    local inner = self:expression(0)
    self:expect(")")
    return inner
  elseif t == "*" then
    return project_values(identity, self:projection_rhs(BP_STAR))
  elseif t == "[]" then
    return project(flatten(identity), self:projection_rhs(LBP["[]"]))
  elseif t == "[?" then
    return self:filter(identity)
  elseif t == "{" then
    return self:multi_hash()
  elseif t == "[" then
    local next_t = self:peek().t
    if next_t == "num" or next_t == ":" then return self:index_or_slice(identity) end
    if next_t == "*" and self:peek(1).t == "]" then return self:bracket(identity) end
    return self:multi_list()
  end
  self:unexpected(tok)
end

function Parser:led(tok, left)
  local t = tok.t
  if t == "." then
    if self:peek().t == "*" then
      self:advance()
      return project_values(left, self:projection_rhs(BP_STAR))
    end
    return chain(left, self:dot_rhs(LBP["."]))
  elseif t == "[" then
    return self:bracket(left)
  elseif t == "[]" then
    return project(flatten(left), self:projection_rhs(LBP["[]"]))
  elseif t == "[?" then
    return self:filter(left)
  elseif t == "|" then
    return chain(left, self:expression(LBP["|"]))
  elseif t == "||" then
    local right = self:expression(LBP["||"])
    return function(v)
      local a = left(v)
      if truthy(a) then return a end
      return right(v)
    end
  elseif t == "&&" then
    local right = self:expression(LBP["&&"])
    return function(v)
      local a = left(v)
      if not truthy(a) then return a end
      return right(v)
    end
  elseif COMPARATORS[t] then
    return compare(t, left, self:expression(LBP[t]))
  end
  self:unexpected(tok)
end

--------------------------------------------------------------------- API

local Compiled = {}
Compiled.__index = Compiled

-- compiled:search(data): as M.search.
function Compiled:search(data)
  return value(self.fn(value(data)))
end

local cache = setmetatable({}, { __mode = "v" })

-- Parse an expression once (compiled expressions are cached by text);
-- syntax, unknown-function and invalid-arity errors are raised here.
function M.compile(expr)
  if getmetatable(expr) == Compiled then return expr end
  local compiled = cache[expr]
  if compiled then return compiled end
  if type(expr) ~= "string" then fail("syntax", "an expression is a string, not %s", type(expr)) end
  local p = setmetatable({ toks = lex(expr), i = 1 }, Parser)
  local fn = p:expression(0)
  if p:peek().t ~= "eof" then p:unexpected(p:peek()) end
  compiled = setmetatable({ expression = expr, fn = fn }, Compiled)
  cache[expr] = compiled
  return compiled
end

-- The value of expr (text or compiled) over data; nil when it is null.
function M.search(expr, data)
  return M.compile(expr):search(data)
end

M.null = NULL
return M
