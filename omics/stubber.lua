-- omics.stubber: a client's calls answered from a queue, for users' tests,
-- with nothing sent.
--
--   local stub = omics.stubber(client)
--   stub:add_response("get_run", { id = "1234567", status = "COMPLETED" }, { id = "1234567" })
--   stub:add_error("GetRun", { code = "ResourceNotFoundException", message = "no run" })
--   stub:activate()
--   ... the code under test calls client:get_run{ id = "1234567" } ...
--   stub:assert_no_pending()
--
-- The core checks each stub when it is added (omics_stub_result: the
-- operation's output shape, timestamps as epoch numbers; omics_stub_error)
-- and writes it as the service's HTTP answer; the calls still go through
-- the engine, as with a transport function: parameters are validated by
-- the model, the answer is parsed, retries and events are the real ones.
-- Each queued answer answers one attempt.  Here: the queue, and the order
-- of the calls (omics_stub_expect compares the parameters).
local core = require "omics.core"

local M = {}

local Stubber = {}
Stubber.__index = Stubber

local function stub_error(message, fields)
  local e = { code = "StubError", kind = "usage", message = message, retryable = false }
  for k, v in pairs(fields or {}) do e[k] = v end
  return core.error(e)
end

-- The operation's API name, from either spelling; raises for none.
local function op_name(self, op)
  if type(op) ~= "string" then
    error(stub_error("the operation is a string (GetRun or get_run), got " .. type(op)), 3)
  end
  local name = self.names[op]
  if not name then
    error(stub_error(("the service has no operation %q (client:operations() lists them)"):format(op)), 3)
  end
  return name
end

local function queue(self, op, answer, expected, level)
  if expected ~= nil and type(expected) ~= "table" then
    error(stub_error("expected_params is a table of the call's parameters, or nil; got " .. type(expected)), level)
  end
  self.queue[#self.queue + 1] = { op = op, answer = answer, expected = expected }
end

-- stub:add_response(op, result, expected_params): the next call (or
-- attempt) of op answers result; expected_params (optional) must equal the
-- call's parameters.
function Stubber:add_response(op, result, expected)
  local name = op_name(self, op)
  local answer, err = core.stub_result(self.client, name, result)
  if not answer then error(err, 2) end
  queue(self, name, answer, expected, 3)
  return self
end

-- stub:add_error(op, { code, message, status, data }, expected_params)
function Stubber:add_error(op, spec, expected)
  local name = op_name(self, op)
  local answer, err = core.stub_error(self.client, name, spec)
  if not answer then error(err, 2) end
  queue(self, name, answer, expected, 3)
  return self
end

-- The next answer for an attempt of op with params; raises when there is
-- none, or it is another operation's, or its expected parameters differ.
function Stubber:_next(op, params, attempt)
  local e = self.queue[1]
  local what = attempt > 1 and (" (attempt %d: each queued answer answers one attempt; " ..
    "a client with max_attempts = 1 makes one attempt per call)"):format(attempt) or ""
  if not e then
    return nil, stub_error(("%s was called, but nothing is queued%s"):format(op, what), { operation = op })
  end
  if e.op ~= op then
    return nil, stub_error(("%s was called, but the next stub is for %s%s"):format(op, e.op, what),
      { operation = op, expected_operation = e.op })
  end
  if e.expected ~= nil then
    local ok, err = core.stub_expect(self.client, op, e.expected, params)
    if not ok then return nil, err end
  end
  table.remove(self.queue, 1)
  return e.answer
end

-- The driver's side (omics.lua): the call about to go to the engine (which
-- validates its parameters: refused ones never reach the queue), and the
-- transport function that answers its attempts from the queue; a call the
-- test did not stub raises its StubError out of the call.
function Stubber:_before_call(op, params)
  self.current = { op = self.names[op] or op, params = params, attempt = 0 }
end

function Stubber:_after_call()
  self.current = nil
end

local function transport_of(self)
  return function()
    local cur = self.current
    if not cur then error(stub_error("an attempt reached the stub outside a call"), 0) end
    cur.attempt = cur.attempt + 1
    local answer, err = self:_next(cur.op, cur.params, cur.attempt)
    if not answer then error(err, 0) end
    -- (a copy: the driver may add to it)
    local headers = {}
    for k, v in pairs(answer.headers) do headers[k] = v end
    return answer.status, headers, answer.body
  end
end

-- stub:activate(): the client's calls are answered from the queue (and
-- nothing is sent) until stub:deactivate().
function Stubber:activate()
  local s = self.settings(self.client)
  if s.stub and s.stub ~= self then
    error(stub_error("another stubber is active on this client: deactivate it first"), 2)
  end
  s.stub = self
  core.use_lua_methods(self.client) -- (the operation methods go through omics.lua's driver)
  return self
end

function Stubber:deactivate()
  local s = self.settings(self.client)
  if s.stub == self then s.stub = nil end
  return self
end

-- How many queued answers were not used yet.
function Stubber:pending()
  return #self.queue
end

-- Raises when a queued answer was not used (a call the code under test
-- did not make).
function Stubber:assert_no_pending()
  local n = #self.queue
  if n == 0 then return true end
  local ops = {}
  for i = 1, math.min(n, 5) do ops[i] = self.queue[i].op end
  error(stub_error(("%d stubbed answer%s not used: %s%s"):format(n, n == 1 and " was" or "s were",
    table.concat(ops, ", "), n > 5 and ", ..." or ""), { pending = n }), 2)
end

-- omics.stubber(client); settings(client) is omics.lua's table of the
-- client's driver settings.
function M.new(client, settings)
  if type(client) ~= "userdata" or not pcall(function() return client.operations end) then
    error(stub_error("omics.stubber takes a client (omics.new or omics.service), got " .. type(client)), 3)
  end
  local names = {}
  for _, o in ipairs(client:operations()) do
    names[o.name], names[o.method] = o.name, o.name
  end
  local self = setmetatable({ client = client, queue = {}, names = names, settings = settings }, Stubber)
  self.transport = transport_of(self)
  return self
end

return M
