-- omics.jmespath: the part of JMESPath that service models use in waiters and
-- paginators, evaluated over results as lua-omics returns them (tables with
-- keys 1..n are lists, other tables objects).
--
-- Supported: identifiers (bare and "quoted"), sub-expressions a.b, indexes
-- [0] and [-1], list projections [*] and flatten [], object projections *,
-- filters [?expr], comparisons == != < <= > >=, && || ! and ( ), the current
-- node @, literals `json` and 'raw', pipes |, and the functions length() and
-- contains().  Anything else is a parse error naming the position.
local M = {}

local NULL = {} -- a JSON null inside expressions and literals

------------------------------------------------------------------- lexer

local function lex(expr)
  local toks, i, n = {}, 1, #expr
  local function push(t, v) toks[#toks + 1] = { t = t, v = v, pos = i } end
  while i <= n do
    local c = expr:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif c:match("[%a_]") then
      local id = expr:match("^[%w_]+", i)
      push("id", id)
      i = i + #id
    elseif c:match("%d") or (c == "-" and expr:sub(i + 1, i + 1):match("%d")) then
      local num = expr:match("^%-?%d+", i)
      push("num", tonumber(num))
      i = i + #num
    elseif c == '"' then
      local j, s = i + 1, {}
      while j <= n and expr:sub(j, j) ~= '"' do
        local ch = expr:sub(j, j)
        if ch == "\\" then
          j = j + 1
          ch = expr:sub(j, j)
        end
        s[#s + 1] = ch
        j = j + 1
      end
      if j > n then error(("unterminated \" at %d"):format(i), 0) end
      push("id", table.concat(s))
      i = j + 1
    elseif c == "'" then
      local j, s = i + 1, {}
      while j <= n and expr:sub(j, j) ~= "'" do
        if expr:sub(j, j + 1) == "\\'" then j = j + 1 end
        s[#s + 1] = expr:sub(j, j)
        j = j + 1
      end
      if j > n then error(("unterminated ' at %d"):format(i), 0) end
      push("lit", table.concat(s))
      i = j + 1
    elseif c == "`" then
      local j = expr:find("`", i + 1, true)
      if not j then error(("unterminated ` at %d"):format(i), 0) end
      push("lit", M.decode_literal(expr:sub(i + 1, j - 1)))
      i = j + 1
    else
      local two = expr:sub(i, i + 1)
      if two == "==" or two == "!=" or two == "<=" or two == ">=" or two == "&&" or two == "||"
        or two == "[]" or two == "[?" then
        push(two)
        i = i + 2
      elseif c:match("[%.%[%]%(%),%*@|<>!]") then
        push(c)
        i = i + 1
      else
        error(("unexpected %q at %d"):format(c, i), 0)
      end
    end
  end
  push("eof")
  return toks
end

-- The JSON literals service models use: strings, numbers, true, false, null.
function M.decode_literal(text)
  local s = text:match("^%s*(.-)%s*$")
  if s == "true" then return true end
  if s == "false" then return false end
  if s == "null" then return NULL end
  if s:match('^".*"$') then return (s:sub(2, -2):gsub('\\(.)', "%1")) end
  local num = tonumber(s)
  if num then return num end
  return s -- a bare word in backticks: JMESPath's legacy raw string
end

------------------------------------------------------------------ parser

-- Binding powers, as in the JMESPath grammar.
local BP = { eof = 0, ["|"] = 1, ["||"] = 2, ["&&"] = 3, ["=="] = 5, ["!="] = 5, ["<"] = 5,
             ["<="] = 5, [">"] = 5, [">="] = 5, ["!"] = 7, ["*"] = 20, ["[]"] = 9,
             ["."] = 40, ["[?"] = 44, ["["] = 55, ["("] = 60 }
local PROJECTION_STOP = 10

local Parser = {}
Parser.__index = Parser

function Parser:peek() return self.toks[self.i].t end
function Parser:next() local t = self.toks[self.i]; self.i = self.i + 1; return t end
function Parser:expect(t)
  local tok = self:next()
  if tok.t ~= t then error(("expected %s at %d, found %s"):format(t, tok.pos, tok.t), 0) end
  return tok
end

function Parser:expression(rbp)
  local left = self:nud(self:next())
  while rbp < (BP[self:peek()] or 0) do
    left = self:led(self:next(), left)
  end
  return left
end

-- What may follow a projection: .x, [..], [?..], or nothing.
function Parser:projection_rhs(bp)
  local t = self:peek()
  if (BP[t] or 0) < PROJECTION_STOP then return { "current" } end
  if t == "[" or t == "[?" or t == "[]" then return self:expression(bp) end
  if t == "." then
    self:next()
    return self:dot_rhs(bp)
  end
  error(("unexpected %s after a projection"):format(t), 0)
end

function Parser:dot_rhs(bp)
  local t = self:peek()
  if t == "id" or t == "*" then return self:expression(bp) end
  error(("expected a name after '.' at %d"):format(self.toks[self.i].pos), 0)
end

function Parser:nud(tok)
  local t = tok.t
  if t == "id" then return { "field", tok.v } end
  if t == "lit" then return { "literal", tok.v } end
  if t == "@" then return { "current" } end
  if t == "!" then return { "not", self:expression(BP["!"]) } end
  if t == "(" then
    local e = self:expression(0)
    self:expect(")")
    return e
  end
  if t == "*" then return { "values", { "current" }, self:projection_rhs(BP["*"]) } end
  if t == "[]" then return { "flatten", { "current" }, self:projection_rhs(BP["[]"]) } end
  if t == "[?" then return self:filter({ "current" }) end
  if t == "[" then
    if self:peek() == "num" then
      local idx = self:next().v
      self:expect("]")
      return { "index", { "current" }, idx }
    end
    self:expect("*")
    self:expect("]")
    return { "project", { "current" }, self:projection_rhs(BP["*"]) }
  end
  error(("unexpected %s at %d"):format(t, tok.pos), 0)
end

function Parser:filter(left)
  local cond = self:expression(0)
  self:expect("]")
  return { "filter", left, cond, self:projection_rhs(BP["[?"]) }
end

function Parser:led(tok, left)
  local t = tok.t
  if t == "." then
    if self:peek() == "*" then
      self:next()
      return { "values", left, self:projection_rhs(BP["*"]) }
    end
    return { "sub", left, self:dot_rhs(BP["."]) }
  end
  if t == "[" then
    if self:peek() == "num" then
      local idx = self:next().v
      self:expect("]")
      return { "index", left, idx }
    end
    self:expect("*")
    self:expect("]")
    return { "project", left, self:projection_rhs(BP["*"]) }
  end
  if t == "[]" then return { "flatten", left, self:projection_rhs(BP["[]"]) } end
  if t == "[?" then return self:filter(left) end
  if t == "|" then return { "pipe", left, self:expression(BP["|"]) } end
  if t == "||" then return { "or", left, self:expression(BP["||"]) } end
  if t == "&&" then return { "and", left, self:expression(BP["&&"]) } end
  if t == "==" or t == "!=" or t == "<" or t == "<=" or t == ">" or t == ">=" then
    return { "cmp", t, left, self:expression(BP[t]) }
  end
  if t == "(" then
    if left[1] ~= "field" then error("only a function name can be called", 0) end
    local args = {}
    if self:peek() ~= ")" then
      repeat
        args[#args + 1] = self:expression(0)
      until self:peek() ~= "," or not self:next()
    end
    self:expect(")")
    return { "call", left[2], args }
  end
  error(("unexpected %s at %d"):format(t, tok.pos), 0)
end

local cache = setmetatable({}, { __mode = "v" })

-- Parse an expression once; errors are raised as strings naming the problem.
function M.compile(expr)
  local ast = cache[expr]
  if ast then return ast end
  local p = setmetatable({ toks = lex(expr), i = 1 }, Parser)
  ast = p:expression(0)
  if p:peek() ~= "eof" then
    error(("unexpected %s at %d"):format(p:peek(), p.toks[p.i].pos), 0)
  end
  cache[expr] = ast
  return ast
end

--------------------------------------------------------------- evaluator

local function is_list(v)
  if type(v) ~= "table" then return false end
  local n = #v
  if n == 0 then return next(v) == nil end
  for k in pairs(v) do
    if type(k) ~= "number" or k % 1 ~= 0 or k < 1 or k > n then return false end
  end
  return true
end
M.is_list = is_list

local function is_object(v) return type(v) == "table" and not is_list(v) end

local function truthy(v)
  if v == nil or v == NULL or v == false or v == "" then return false end
  if type(v) == "table" then return next(v) ~= nil end
  return true
end

local function equal(a, b)
  if a == NULL then a = nil end
  if b == NULL then b = nil end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
M.equal = equal

local eval

local function project(list, rhs)
  local out = {}
  for _, item in ipairs(list) do
    local v = eval(rhs, item)
    if v ~= nil and v ~= NULL then out[#out + 1] = v end
  end
  return out
end

local functions = {
  length = function(args)
    local v = args[1]
    if type(v) == "string" then -- characters, not bytes (LuaJIT has no utf8 library)
      local _, continuation = v:gsub("[\128-\191]", "")
      return #v - continuation
    end
    if type(v) == "table" then
      if is_list(v) then return #v end
      local n = 0
      for _ in pairs(v) do n = n + 1 end
      return n
    end
    error("length() takes a string, a list or an object", 0)
  end,
  contains = function(args)
    local subject, search = args[1], args[2]
    if type(subject) == "string" then
      return type(search) == "string" and subject:find(search, 1, true) ~= nil
    end
    if is_list(subject) then
      for _, v in ipairs(subject) do if equal(v, search) then return true end end
      return false
    end
    error("contains() takes a string or a list", 0)
  end,
}

eval = function(node, v)
  local k = node[1]
  if k == "current" then return v
  elseif k == "literal" then return node[2]
  elseif k == "field" then
    if is_object(v) then return v[node[2]] end
    return nil
  elseif k == "sub" then
    local l = eval(node[2], v)
    if l == nil then return nil end
    return eval(node[3], l)
  elseif k == "index" then
    local l = eval(node[2], v)
    if not is_list(l) then return nil end
    local i = node[3]
    if i < 0 then i = #l + i end
    return l[i + 1]
  elseif k == "project" then
    local l = eval(node[2], v)
    if not is_list(l) then return nil end
    return project(l, node[3])
  elseif k == "values" then
    local l = eval(node[2], v)
    if not is_object(l) then return nil end
    local vals = {}
    for _, x in pairs(l) do vals[#vals + 1] = x end
    return project(vals, node[3])
  elseif k == "flatten" then
    local l = eval(node[2], v)
    if not is_list(l) then return nil end
    local flat = {}
    for _, x in ipairs(l) do
      if is_list(x) then
        for _, y in ipairs(x) do flat[#flat + 1] = y end
      elseif x ~= nil then
        flat[#flat + 1] = x
      end
    end
    return project(flat, node[3])
  elseif k == "filter" then
    local l = eval(node[2], v)
    if not is_list(l) then return nil end
    local kept = {}
    for _, x in ipairs(l) do
      if truthy(eval(node[3], x)) then kept[#kept + 1] = x end
    end
    return project(kept, node[4])
  elseif k == "pipe" then
    return eval(node[3], eval(node[2], v))
  elseif k == "or" then
    local l = eval(node[2], v)
    if truthy(l) then return l end
    return eval(node[3], v)
  elseif k == "and" then
    local l = eval(node[2], v)
    if not truthy(l) then return l end
    return eval(node[3], v)
  elseif k == "not" then
    return not truthy(eval(node[2], v))
  elseif k == "cmp" then
    local op, a, b = node[2], eval(node[3], v), eval(node[4], v)
    if op == "==" then return equal(a, b) end
    if op == "!=" then return not equal(a, b) end
    if type(a) ~= "number" or type(b) ~= "number" then return nil end
    if op == "<" then return a < b end
    if op == "<=" then return a <= b end
    if op == ">" then return a > b end
    return a >= b
  elseif k == "call" then
    local fn = functions[node[2]]
    if not fn then error("unknown function " .. node[2] .. "()", 0) end
    local args = {}
    for i, a in ipairs(node[3]) do args[i] = eval(a, v) end
    return fn(args)
  end
  error("cannot evaluate " .. tostring(k), 0)
end

-- The value of expr over data (nil when the path leads nowhere).
function M.search(expr, data)
  local v = eval(M.compile(expr), data)
  if v == NULL then return nil end
  return v
end

M.null = NULL
return M
