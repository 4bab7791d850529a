-- omics: a client for AWS HealthOmics.
--
-- The C half (omics.core) resolves configuration, validates, signs, sends and
-- parses.  This Lua half holds what has to be able to wait, because waiting
-- must be able to yield and a C function cannot yield under LuaJIT: the
-- choice of transport (libcurl, nginx cosockets, or the caller's function),
-- paginators and waiters, driven by the model's own paginators and waiters.
local core = require "omics.core"
local jmespath = require "omics.jmespath"

local M = {}
M.VERSION, M.null, M.sigv4, M.now, M.sleep = core.VERSION, core.null, core.sigv4, core.now, core.sleep
M.jmespath = jmespath

local methods = core.methods
local new_error = core.error

-- The model's paginators or waiters, read once per client.
local extras = setmetatable({}, { __mode = "k" })
local function model_extra(client, which)
  local per = extras[client]
  if not per then
    per = {}
    extras[client] = per
  end
  if per[which] == nil then
    per[which] = assert(core.model_extra(client, which))
  end
  return per[which]
end

local function shallow_copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

-- An error table like the C half's (one line under tostring).
local function lua_error(code, kind, message, fields)
  local e = shallow_copy(fields)
  e.code, e.kind, e.message, e.retryable = code, kind, message, false
  return new_error(e)
end

local function as_list(v)
  if v == nil then return {} end
  if type(v) == "table" then return v end
  return { v }
end

-------------------------------------------------------------- transports

-- Per client: the transport and the settings the Lua transports need.
local settings = setmetatable({}, { __mode = "k" })

local function in_nginx()
  return type(ngx) == "table" and type(ngx.get_phase) == "function"
end

-- Inside nginx, once a worker serves requests (cosockets run), what would
-- block it for long (credential_process) is refused by the core: init and
-- init_worker still run it, where blocking is harmless.
local refusing
local function refuse_blocking_in_nginx()
  if refusing or not in_nginx() then return end
  local mode = require("omics.ngx").mode()
  if mode == "cosocket" then
    core.refuse_blocking("an nginx worker serving requests")
    refusing = true
  end
end

-- omics.new / omics.service: the C half checks every option (the core's
-- table) and makes the client; the Lua drivers' settings come back from it.
-- Where cosockets run, the credentials of a client or provider are fetched
-- by the nginx driver (omics/ngx.lua), never blocking the worker; with
-- shared_dict, shared by the workers.
local function cosockets_here()
  return in_nginx() and require("omics.ngx").mode() == "cosocket"
end
local shared_dicts = setmetatable({}, { __mode = "k" }) -- provider -> lua_shared_dict name

local function ngx_credentials(p, dict)
  return require("omics.ngx").credentials(p, dict or shared_dicts[p])
end

-- (a shared dict in init_by_lua or init_worker_by_lua: the first request
-- fetches them, for every worker)
local function defer_to_requests(opts)
  return in_nginx() and type(opts) == "table" and opts.shared_dict ~= nil
end

function M.provider(opts)
  local here = cosockets_here()
  if here then refuse_blocking_in_nginx() end
  local p, err = core.provider(opts, here or defer_to_requests(opts))
  if not p then return nil, err end
  if type(opts) == "table" and opts.shared_dict ~= nil then shared_dicts[p] = opts.shared_dict end
  if here then
    local ok, cerr = ngx_credentials(p)
    if not ok then return nil, cerr end
  end
  return p
end

local function make_client(maker, model, opts)
  refuse_blocking_in_nginx()
  local t = type(opts) == "table" and opts.transport or nil
  local lua_driver = t == nil or t == "auto" or t == "ngx"
  local defer = lua_driver and cosockets_here()
  local client, err = maker(model, opts, defer or (lua_driver and defer_to_requests(opts)))
  if not client then return nil, err end
  local dict = type(opts) == "table" and opts.shared_dict or nil
  if defer then
    local ok, cerr = ngx_credentials(core.creds_provider(client), dict)
    if not ok then return nil, cerr end
  end
  -- the limits of an attempt and the driver options, defaults applied
  local s = core.limits(client)
  if s.transport == "function" then s.transport = opts.transport end
  s.sleep = opts and opts.sleep
  -- ResponseTooLarge as the core words it (headers, streaming) -> message
  s.too_large = function(headers, streaming) return core.too_large(client, headers, streaming) end
  s.shared_dict = dict
  settings[client] = s
  local t = s.transport
  -- methods that may yield are Lua functions; plain Lua keeps the C ones
  if type(t) == "function" or t == "ngx" or (t == "auto" and in_nginx()) then
    core.use_lua_methods(client)
  end
  return client
end

function M.new(opts)
  return make_client(function(_, o, defer) return core.new(o, defer) end, nil, opts)
end

function M.service(model, opts)
  return make_client(core.service, model, opts)
end

-- A sink for the Lua transports: a function of chunks, writing to opts.sink
-- (a function, an open file, or a path completed by rename on success).
local function open_sink(sink)
  if sink == nil then return nil end
  if type(sink) == "function" then
    return function(chunk)
      local ok, r = pcall(sink, chunk)
      if not ok or r == false then return nil, core.sink_refusal(ok, r) end -- (the core's words)
      return true
    end
  end
  if type(sink) == "userdata" and core.is_part_sink(sink) then
    -- a part of a download: written at its offset, started over by the engine
    return function(chunk) return sink:write(chunk) end, nil, sink
  end
  if io.type(sink) == "file" then
    return function(chunk)
      local ok, err = sink:write(chunk)
      if not ok then return nil, tostring(err) end
      return true
    end
  end
  -- a path: the core's path sink, created exclusively, complete or absent;
  -- the engine starts it over for a retry
  local ps, err = core.path_sink(sink)
  if not ps then return nil, nil, err end
  local write = function(chunk) return ps:write(chunk) end
  local finish = function(ok)
    local done, ferr = ps:finish(ok)
    if done then return true end
    return nil, ferr
  end
  return write, finish, ps
end

-- One attempt through a transport function: status, headers, body,
-- streamed; or nil, error code, message.  (Moving bytes only: what to send,
-- when and how often is the engine's, core.exchange.)
local function send_once(req, transport, s, sink)
  local ok, status, headers, body = pcall(transport, req)
  if not ok and s.stub and getmetatable(status) and status.code == "StubError" then
    error(status, 0) -- (omics.stubber: a call the test did not stub is the test's error)
  end
  if not ok or not status then
    return nil, "ConnectionError", "the transport function failed: " .. tostring(not ok and status or headers)
  end
  if type(status) ~= "number" or (body ~= nil and type(body) ~= "string")
    or (headers ~= nil and type(headers) ~= "table") then
    return nil, "ConnectionError", "the transport function must return status (a number), " ..
      "headers (a table) and body (a string)"
  end
  body = body or ""
  local streamed = false
  if sink and req.streaming_output and status >= 200 and status < 300 then
    local wrote, werr = sink(body)
    if not wrote then return nil, "StreamWriteError", werr end
    streamed = true
  elseif s.max_response_bytes > 0 and #body > s.max_response_bytes then
    return nil, "ResponseTooLarge", s.too_large(false, req.streaming_output)
  end
  return status, headers or {}, body, streamed
end

local function lua_sleep(seconds)
  if seconds <= 0 then return end
  if in_nginx() and require("omics.ngx").mode() == "cosocket" then
    ngx.sleep(seconds)
  else
    core.sleep(seconds)
  end
end

-- A wait the engine asked for: in the client's sleep option when given (a
-- test's clock), not at all for a stubbed client, else for real.
local function driver_sleep(s, seconds)
  if s and s.sleep then
    s.sleep(seconds)
  elseif not (s and s.stub) then
    lua_sleep(seconds)
  end
end

local ngx_driver, ngx_agent
local function ngx_attempt(...)
  ngx_driver = ngx_driver or require("omics.ngx")
  return ngx_driver.attempt(...)
end

-- A call through a Lua transport: the engine (core.exchange) says what to
-- do, this loop only moves bytes and waits.
local function lua_call(client, op, params, opts, transport, s)
  if opts ~= nil then -- (none: nothing to check; core.exchange checks op)
    local ok, cerr = core.check_call_options(client, op, opts)
    if not ok then return nil, cerr end
  end
  local sink_opt = opts and opts.sink
  local write, finish, path_sink = open_sink(sink_opt)
  if not write and sink_opt ~= nil then return nil, path_sink end
  local agent = nil
  if transport == "ngx" then
    ngx_agent = ngx_agent or ("ngx_lua/" .. tostring(ngx.config and ngx.config.ngx_lua_version or "?"))
    agent = ngx_agent
  end
  local wire = transport == "ngx" -- (the engine reads the answer's bytes)
  if wire then
    if not refusing then refuse_blocking_in_nginx() end
    local p = s.creds_provider or core.creds_provider(client)
    s.creds_provider = p
    local ok, cerr = ngx_credentials(p, s.shared_dict)
    if not ok then return nil, cerr end
  end
  -- an exchange whose call is over is used again (its memory kept)
  local pool = s.exchanges
  if not pool then
    pool = {}
    s.exchanges = pool
  end
  local n = #pool
  local again = pool[n]
  pool[n] = nil
  local x, err = core.exchange(client, op, params, path_sink, agent, wire, write ~= nil, again)
  if not x then
    if finish then finish(false) end
    return nil, err
  end
  local function done_with(...)
    if #pool < 8 then pool[#pool + 1] = x end
    return ...
  end
  local delivered = 0
  local sink = write and function(chunk)
    local ok, werr = write(chunk)
    if ok then delivered = delivered + #chunk end
    return ok, werr
  end
  local function fail_read(message)
    if finish then finish(false) end
    return nil, lua_error("StreamReadError", "transport", message)
  end
  local step, v, a, b, c, d, e, ph, pp = x:next()
  while true do
    if step == "send" and wire then
      step, v = ngx_attempt(x, v, a, b, c, d, e, ph, pp, s, write)
    elseif step == "send" then
      delivered = 0
      if v.body == nil and v.body_length then
        -- a payload read from a file: a transport function gets it as a string
        local pieces = {}
        while true do
          local piece, rerr = x:body(1048576)
          if not piece then
            if rerr then return fail_read(rerr) end
            break
          end
          pieces[#pieces + 1] = piece
        end
        v.body = table.concat(pieces)
      end
      local status, headers, body, streamed = send_once(v, transport, s, sink)
      if status then
        step, v = x:answered({ status = status, headers = headers, body = body,
                               body_streamed = streamed }, delivered)
      else
        step, v = x:failed(headers, body, delivered)
      end
    elseif step == "wait" then
      if v > 0 then driver_sleep(s, v) end
      -- in virtual time (a sleep option, a stub) the client's clock moves on by as much
      step, v, a, b, c, d, e, ph, pp = x:next((s.sleep or s.stub) and v > 0 and v or nil)
    elseif step == "done" then
      if finish then
        local done, ferr = finish(true)
        if not done then return done_with(nil, ferr) end
      end
      return done_with(v)
    else
      if finish then finish(false) end
      return done_with(nil, v)
    end
  end
end

local core_call = core.call

-- client:call(op, params, opts), and every operation method of a client whose
-- calls may go through a Lua transport.
-- The driver of a client's calls here and now: "curl", "ngx" or the
-- transport function; nil, err where none can run.
local function driver(client)
  local s = settings[client]
  if s and s.stub then return s.stub.transport, s end -- (omics.stubber: nothing is sent)
  local t = s and s.transport or "curl"
  if t == "auto" or t == "ngx" then
    local mode, phase = "curl", nil
    if in_nginx() then
      ngx_driver = ngx_driver or require("omics.ngx")
      mode, phase = ngx_driver.mode()
    end
    if mode == nil or (t == "ngx" and mode ~= "cosocket") then
      return nil, lua_error("TransportUnavailable", "transport",
        ("nginx cannot use cosockets in the %s phase, and blocking there would stall the worker: " ..
         "call from rewrite, access, content or a timer"):format(tostring(phase)))
    end
    t = mode == "cosocket" and "ngx" or "curl"
  end
  return t, s
end

function methods.call(client, op, params, opts)
  local t, s = driver(client)
  if not t then return nil, s end
  if t == "curl" then return core_call(client, op, params, opts) end
  local stub = s.stub
  if not stub then return lua_call(client, op, params, opts, t, s) end
  stub:_before_call(op, params)
  local res, err = lua_call(client, op, params, opts, t, s) -- (raises for a call not stubbed)
  stub:_after_call()
  return res, err
end

-- client:credentials() (never the secret): inside nginx, fetched by the
-- cosocket driver first
local c_credentials = methods.credentials
function methods.credentials(client)
  local s = settings[client]
  if s and cosockets_here() then
    local ok, err = ngx_credentials(core.creds_provider(client), s.shared_dict)
    if not ok then return nil, err end
  end
  return c_credentials(client)
end

core.set_method_factory(function(op)
  return function(client, params, opts) return methods.call(client, op, params, opts) end
end)

-- omics.stubber(client): the client's calls answered from a queue, for
-- tests (omics/stubber.lua)
function M.stubber(client)
  return require("omics.stubber").new(client, function(c)
    local s = settings[c]
    if not s then error("omics.stubber: not a client of omics.new or omics.service", 3) end
    return s
  end)
end

-------------------------------------------------------------- many calls

-- One call of a list, through client:call (the Lua drivers).
local function one_of_many(client, calls, i)
  local name, err = core.check_call(client, i, calls[i])
  if not name then return { nil, err } end
  local result, cerr = methods.call(client, name, calls[i][2])
  if result == nil then return { nil, cerr } end
  return { result }
end

-- client:call_many(calls, opts): calls = { { op, params }, ... }; a list in
-- the same order of { result } or { nil, err }.  At most opts.concurrency
-- (default 16) in flight: curl multi in plain Lua, cosockets in nginx; a
-- transport function takes them one after another.
function methods.call_many(client, calls, opts)
  local concurrency, oerr = core.many_options(opts)
  if not concurrency then return nil, oerr end
  if type(calls) ~= "table" then
    return nil, lua_error("ParamValidationError", "validation",
                          "calls: expected a list of { operation, params }, got " .. type(calls))
  end
  local t, derr = driver(client)
  if not t then return nil, derr end
  if t == "curl" then return core.call_many(client, calls, concurrency) end
  local results, n, next_i = {}, #calls, 1
  local function worker()
    while next_i <= n do
      local i = next_i
      next_i = i + 1
      results[i] = one_of_many(client, calls, i)
    end
  end
  if type(t) == "function" then
    worker()
    return results
  end
  local threads = {}
  for k = 1, math.min(concurrency, n) do
    threads[k] = ngx.thread.spawn(worker)
  end
  for k = 1, #threads do
    local ok, err = ngx.thread.wait(threads[k])
    if not ok then error(err, 0) end
  end
  return results
end

-------------------------------------------------------------- whole files

-- The part calls of a download or an upload through a Lua driver (nginx
-- cosockets, a transport function), at most `concurrency` at once inside
-- nginx; call(i) makes part i's call and reports it to the core.
local function lua_each_part(n, concurrency, call)
  local next_i, failed = 1, nil
  local function worker()
    while next_i <= n and not failed do
      local i = next_i
      next_i = i + 1
      local ok, err = call(i)
      if not ok and not failed then failed = err end
    end
  end
  if in_nginx() and require("omics.ngx").mode() == "cosocket" then
    local threads = {}
    for k = 1, math.min(concurrency, n) do threads[k] = ngx.thread.spawn(worker) end
    for k = 1, #threads do
      local ok, err = ngx.thread.wait(threads[k])
      if not ok then error(err, 0) end
    end
  else
    worker()
  end
  if failed then return nil, failed end
  return true
end


-- The parts of a download through a Lua driver (nginx cosockets, a
-- transport function): each part a call with the part's own sink; the
-- core checks and records each part (d:part_done).
local function lua_parts(client, d)
  local n, concurrency = d:parts()
  return lua_each_part(n, concurrency, function(i)
    local op, p = d:part(i)
    local _, err = methods.call(client, op, p, { sink = d:sink(i) })
    return d:part_done(i, err)
  end)
end

-- A download: the metadata call, then the parts (curl multi, or a Lua
-- driver), then the files checked and put in place by the core.
local function download(client, kind, params, opts)
  if type(params) ~= "table" then
    return nil, lua_error("ParamValidationError", "validation",
                          "params: expected a table, got " .. type(params))
  end
  local ok, oerr = core.download(client, kind, params, nil, opts) -- (before anything is sent)
  if not ok then return nil, oerr end
  local op, store = "GetReferenceMetadata", "referenceStoreId"
  if kind == "read_set" then op, store = "GetReadSetMetadata", "sequenceStoreId" end
  local meta, err = methods.call(client, op, { [store] = params[store], id = params.id })
  if not meta then return nil, err end
  local d, derr = core.download(client, kind, params, meta, opts)
  if not d then return nil, derr end
  local t, terr = driver(client)
  local ok, rerr
  if not t then
    ok, rerr = nil, terr
  elseif t == "curl" then
    ok, rerr = d:run()
  else
    ok, rerr = lua_parts(client, d)
  end
  local res, ferr
  if ok then res, ferr = d:finish() else ferr = rerr end
  d:close()
  return res, ferr
end

-- client:upload_read_set(params, opts): CreateMultipartReadSetUpload (or
-- the upload of opts.upload_id, resumed from the parts it has), the parts
-- (the core reads them from the files), CompleteMultipartReadSetUpload,
-- then (opts.wait, default true) the read set until ACTIVE.  A failure
-- aborts the upload unless opts.keep_upload; err.upload_id names it.
function methods.upload_read_set(client, params, opts)
  local u, err = core.upload(client, params, opts)
  if not u then return nil, err end
  opts = opts or {}
  local started = core.now()
  local store, upload_id = params.sequenceStoreId, opts.upload_id
  local function failed(e)
    if upload_id then
      e.upload_id = upload_id
      if opts.keep_upload then
        e.message = e.message .. (" (upload %s kept: opts.upload_id resumes it)"):format(upload_id)
      else
        local _, aerr = methods.call(client, "AbortMultipartReadSetUpload",
                                     { sequenceStoreId = store, uploadId = upload_id })
        e.message = e.message .. (aerr and (" (upload %s could not be aborted: %s)"):format(upload_id, aerr.message)
                                  or (" (upload %s aborted)"):format(upload_id))
      end
    end
    u:close()
    return nil, e
  end
  if upload_id then -- resumed: the parts the upload has are not sent again
    for _, source in ipairs { "SOURCE1", "SOURCE2" } do
      if params.files and params.files[source] then
        local listed, lerr = pcall(function()
          for page in methods.paginate(client, "ListReadSetUploadParts",
              { sequenceStoreId = store, uploadId = upload_id, partSource = source }) do
            for _, p in ipairs(page.parts or {}) do u:have(source, p.partNumber, p.partSize, p.checksum) end
          end
        end)
        if not listed then
          if type(lerr) ~= "table" then error(lerr, 0) end -- (a bug, not a failure)
          opts = setmetatable({ keep_upload = true }, { __index = opts }) -- (never abort what it could not read)
          return failed(lerr)
        end
      end
    end
  else
    local create = {}
    for k, v in pairs(params) do if k ~= "files" then create[k] = v end end
    local created, cerr = methods.call(client, "CreateMultipartReadSetUpload", create)
    if not created then return failed(cerr) end
    upload_id = created.uploadId
  end
  local ok, perr = u:started(upload_id)
  if not ok then return failed(perr) end
  local t, terr = driver(client)
  if not t then return failed(terr) end
  if t == "curl" then
    ok, perr = u:run()
  else
    local n, concurrency = u:parts()
    ok, perr = lua_each_part(n, concurrency, function(i)
      local op, p = u:part(i)
      local res, cerr = methods.call(client, op, p)
      return u:part_done(i, cerr, res and res.checksum)
    end)
  end
  if not ok then return failed(perr) end
  local complete, xerr = u:complete_params()
  if not complete then return failed(xerr) end
  local done, derr = methods.call(client, "CompleteMultipartReadSetUpload", complete)
  if not done then return failed(derr) end
  local bytes, parts = u:sent()
  local result = { readSetId = done.readSetId, uploadId = upload_id, parts = parts, bytes = bytes }
  -- (opts.wait) the core polls the read set until ACTIVE: this makes its
  -- calls and sleeps
  local completed, cerr = u:completed(done.readSetId)
  if not completed then
    u:close()
    return nil, cerr
  end
  local step, v, p = u:next()
  while step == "call" or step == "wait" do
    if step == "call" then
      u:looked(methods.call(client, v, p))
    else
      driver_sleep(settings[client], v)
    end
    step, v, p = u:next()
  end
  u:close()
  if step ~= "done" then return nil, v end
  if v ~= "" then result.status = v end
  result.seconds = core.now() - started
  return result
end

-- client:download_read_set{ sequenceStoreId, id, files = { "SOURCE1", ... } }
function methods.download_read_set(client, params, opts)
  return download(client, "read_set", params, opts)
end

-- client:download_reference{ referenceStoreId, id, files = { "SOURCE", "INDEX" } }
function methods.download_reference(client, params, opts)
  return download(client, "reference", params, opts)
end

-------------------------------------------------------------- paginators

-- The paginator of an operation, by API name or snake_case method name.
local function paginator_for(client, op)
  local config = model_extra(client, "paginators")
  if config[op] then return op, config[op] end
  for _, o in ipairs(client:operations()) do
    if o.method == op and config[o.name] then return o.name, config[o.name] end
  end
  error(("%s has no paginator (paginated operations: see client:paginators())"):format(tostring(op)), 3)
end

local function sorted_names(client, which)
  local names = {}
  for name in pairs(model_extra(client, which)) do names[#names + 1] = name end
  table.sort(names)
  return names
end

function methods.paginators(client)
  return sorted_names(client, "paginators")
end

-- for page in client:paginate("ListReferences", params, { page_size = 50, max_items = 500 })
--
-- Pages are what the operation returns.  page_size sets the operation's
-- limit member; max_items stops after that many items in all (the last page
-- is cut to fit).  An error part way raises the err table (one line under
-- tostring; catch it with pcall).  A next token the service already gave is
-- a PaginationError: the loop never runs forever.
function methods.paginate(client, op, params, opts)
  local name, p = paginator_for(client, op)
  if params ~= nil and type(params) ~= "table" then
    error(lua_error("ParamValidationError", "validation",
                    "params: expected a table, got " .. type(params)), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(lua_error("ParamValidationError", "validation",
                    "paginate options: expected a table, got " .. type(opts)), 2)
  end
  opts = opts or {}
  local input_tokens = as_list(p.input_token)
  local output_tokens = as_list(p.output_token)
  local result_keys = as_list(p.result_key)
  local request = shallow_copy(params)
  if opts.page_size ~= nil then
    if not p.limit_key then
      error(name .. " has no page size member", 2)
    end
    request[p.limit_key] = opts.page_size
  end
  local max_items = opts.max_items
  local seen, done, count = {}, false, 0
  return function()
    if done then return nil end
    local page, err = client:call(name, request)
    if not page then
      done = true
      error(err, 0)
    end
    -- the items of this page, cut to what max_items still allows
    for _, key in ipairs(result_keys) do
      local items = jmespath.search(key, page)
      if type(items) == "table" then
        if max_items and count + #items > max_items then
          for i = #items, max_items - count + 1, -1 do items[i] = nil end
          done = true
        end
        count = count + #items
      end
    end
    if max_items and count >= max_items then done = true end
    local more = false
    for i, out in ipairs(output_tokens) do
      local token = jmespath.search(out, page)
      if token ~= nil and token ~= "" then
        if seen[token] then
          done = true
          error(lua_error("PaginationError", "service",
            ("%s returned the next token %q a second time; stopping instead of looping"):format(name, tostring(token)),
            { token = token }), 0)
        end
        seen[token] = true
        request[input_tokens[i] or input_tokens[1]] = token
        more = true
      end
    end
    if p.more_results then more = more and jmespath.search(p.more_results, page) and true end
    if not more then done = true end
    return page
  end
end

-- for item in client:paginate_items("ListReferences", params, opts)
-- The items of the paginator's result key, across pages.
function methods.paginate_items(client, op, params, opts)
  local name, p = paginator_for(client, op)
  local key = as_list(p.result_key)[1]
  local pages = methods.paginate(client, name, params, opts)
  local items, i = nil, 0
  return function()
    while true do
      if items and i < #items then
        i = i + 1
        return items[i]
      end
      local page = pages()
      if not page then return nil end
      items, i = jmespath.search(key, page) or {}, 0
    end
  end
end

----------------------------------------------------------------- waiters

local WAIT_DEFAULTS = core.option_defaults("wait") -- delay, max_attempts

function methods.waiters(client)
  return sorted_names(client, "waiters")
end

-- Does acceptor a match this outcome (res or err)?
local function matches(a, res, err)
  local m, expected = a.matcher, a.expected
  if m == "error" then
    if type(expected) == "boolean" then return (err ~= nil) == expected end
    return err ~= nil and err.code == expected
  end
  if m == "status" then
    local status = res and res.ResponseMetadata and res.ResponseMetadata.HTTPStatusCode
      or err and err.status
    return status == expected
  end
  if not res then return false end
  local value = jmespath.search(a.argument, res)
  if m == "path" then return jmespath.equal(value, expected) end
  if m == "pathAll" or m == "pathAny" then
    if type(value) ~= "table" or not jmespath.is_list(value) or #value == 0 then return false end
    for _, v in ipairs(value) do
      local eq = jmespath.equal(v, expected)
      if m == "pathAny" and eq then return true end
      if m == "pathAll" and not eq then return false end
    end
    return m == "pathAll"
  end
  error("waiter acceptor with an unknown matcher " .. tostring(m), 0)
end

local function waiter_error(name, reason, message, fields)
  local e = lua_error("WaiterError", "waiter", ("waiter %s: %s"):format(name, message), fields)
  e.reason, e.waiter = reason, name
  return e
end

-- client:wait("ReferenceImportJobCompleted", params, { delay = 30, max_attempts = 20, sleep = fn })
--
-- Calls the waiter's operation until an acceptor says success (returns the
-- last result, or for a waiter that succeeds on an error, such as the
-- *Deleted ones, that error) or failure (nil, WaiterError with reason
-- "failure"), an error no acceptor expects (reason "error"), or max_attempts
-- calls (reason "max_attempts").  Between calls it sleeps `delay` seconds
-- with opts.sleep (default: ngx.sleep where cosockets run, else a blocking
-- sleep).
function methods.wait(client, name, params, opts)
  local w = model_extra(client, "waiters")[name]
  if not w then
    return nil, waiter_error(tostring(name), "unknown", "no such waiter (see client:waiters())", {})
  end
  local ok, oerr = core.check_options("wait", opts)
  if not ok then error(oerr, 2) end
  opts = opts or {}
  local delay = opts.delay or w.delay or WAIT_DEFAULTS.delay
  local max_attempts = opts.max_attempts or w.maxAttempts or WAIT_DEFAULTS.max_attempts
  local sleep = opts.sleep or lua_sleep -- (inside nginx, ngx.sleep: the worker goes on)
  local s = settings[client]
  if not opts.sleep and s and s.stub then sleep = function() end end -- (stubbed: no waiting)
  local res, err
  for attempt = 1, max_attempts do
    res, err = client:call(w.operation, params)
    local state
    for _, a in ipairs(w.acceptors) do
      if matches(a, res, err) then
        state = a.state
        break
      end
    end
    if state == "success" then
      return res or err
    elseif state == "failure" then
      return nil, waiter_error(name, "failure", "reached a failure state", {
        attempts = attempt, last_response = res, last_error = err })
    elseif err and state ~= "retry" then
      return nil, waiter_error(name, "error", "unexpected error: " .. tostring(err), {
        attempts = attempt, last_error = err })
    end
    if attempt < max_attempts then sleep(delay) end
  end
  return nil, waiter_error(name, "max_attempts", ("gave up after %d attempts"):format(max_attempts), {
    attempts = max_attempts, last_response = res, last_error = err })
end

return M
