-- omics.ngx: the cosocket driver, for calls made inside nginx (OpenResty,
-- or Debian's nginx with its Lua module), where a blocking transfer would
-- stall every request of the worker.  It only moves bytes: the engine gives
-- the request's bytes and reads the answer from the bytes fed back
-- (x:receive), under the client's limits and deadlines; through a proxy
-- it opens a CONNECT tunnel for https.
--
-- TLS is verified (certificate and host name, with SNI) against the CA file
-- nginx is given by lua_ssl_trusted_certificate.  Connections are kept in a
-- keepalive pool per endpoint: pool_size connections, each kept idle for
-- keepalive_timeout seconds (the client's options, defaults applied by the
-- core).
local M = {}

local ngx = ngx
local CHUNK = 65536

-- Phases where cosockets work; in init and init_worker the client uses
-- libcurl instead (blocking is harmless before requests are served).
local COSOCKET_PHASES = { rewrite = true, access = true, content = true, timer = true,
                          ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true }
local CURL_PHASES = { init = true, init_worker = true, exit_worker = true }

-- "cosocket", "curl" or nil (with the phase) where neither may run.
function M.mode()
  if type(ngx) ~= "table" or not ngx.get_phase then return "curl" end
  local phase = ngx.get_phase()
  if COSOCKET_PHASES[phase] then return "cosocket", phase end
  if CURL_PHASES[phase] then return "curl", phase end
  return nil, phase
end

-- The keepalive pool of an endpoint (through a proxy: of the endpoint by
-- that proxy), and connect's options for it.
local pools = {}
local function pool_options(host, port, https, size, via)
  local key = via and (host .. ":" .. port .. "@" .. via) or host
  local by_port = pools[key]
  if not by_port then
    by_port = { [true] = {}, [false] = {} }
    pools[key] = by_port
  end
  local o = by_port[https][port]
  if not o or o.pool_size ~= size then
    o = { pool = ("omics:%s:%s:%d%s"):format(https and "https" or "http", host, port,
                                             via and ("@" .. via) or ""),
          pool_size = size }
    by_port[https][port] = o
  end
  return o
end

-- A tunnel through the proxy to host:port (for https): CONNECT, and its
-- answer read up to the blank line; true, or nil and why.
local function tunnel(sock, host, port)
  local ok, err = sock:send(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n"):format(host, port, host, port))
  if not ok then return nil, err end
  local line
  line, err = sock:receive("*l")
  if not line then return nil, err end
  local status = tonumber(line:match("^HTTP/1%.%d (%d%d%d)"))
  local size = #line
  repeat
    local more
    more, err = sock:receive("*l")
    if not more then return nil, err end
    size = size + #more
    if size > 16384 then return nil, "an endless answer to CONNECT" end
  until more == ""
  if status ~= 200 then return nil, "it answered " .. line:sub(1, 60):gsub("[%c]", "?") end
  return true
end

local function sock_error(err)
  return err == "timeout" and "TimeoutError" or "ConnectionError"
end

-- One attempt of the engine's exchange x over a cosocket: the engine gave
-- the request's bytes and where they go (x:next's "send" values); this
-- moves them, feeds the answer's bytes back (x:receive: the engine parses
-- them, under the client's limits and deadlines) and hands a streamed
-- payload to sink.  s: the client's settings (connect_timeout,
-- keepalive_pool_size, keepalive_timeout).  Returns the engine's next step.
function M.attempt(x, bytes, host, port, https, wait, has_body, proxy_host, proxy_port, s, sink)
  local sock = ngx.socket.tcp()
  local ms = math.ceil(wait * 1000)
  local cms = math.floor(s.connect_timeout * 1000)
  sock:settimeouts(cms < ms and cms or ms, ms, ms)
  local via = proxy_host and (proxy_host .. ":" .. proxy_port)
  local o = pool_options(host, port, https, s.keepalive_pool_size, via)
  local ok, err = sock:connect(proxy_host or host, proxy_port or port, o)
  if not ok then
    return x:failed(sock_error(err), ("connecting to %s: %s"):format(via or (host .. ":" .. port), tostring(err)))
  end
  if via and https and sock:getreusedtimes() == 0 then
    ok, err = tunnel(sock, host, port)
    if not ok then
      sock:close()
      return x:failed(sock_error(err), ("the proxy %s opened no tunnel to %s:%d: %s")
        :format(via, host, port, tostring(err)))
    end
  end
  if https and sock:getreusedtimes() == 0 then
    ok, err = sock:sslhandshake(nil, host, true)
    if not ok then
      sock:close()
      return x:failed("TLSError", ("TLS with %s: %s (the CA file is lua_ssl_trusted_certificate)")
        :format(host, tostring(err)))
    end
  end
  local sent
  sent, err = sock:send(bytes)
  while sent and has_body do -- a payload read from a file, in pieces
    local piece, rerr = x:body(CHUNK)
    if not piece then
      if rerr then
        sock:close()
        return x:failed("StreamReadError", rerr)
      end
      break
    end
    sent, err = sock:send(piece)
  end
  if not sent then
    sock:close()
    return x:failed(sock_error(err), "sending: " .. tostring(err))
  end
  local delivered = 0
  while true do
    local step, v, extra
    local data, rerr = sock:receiveany(CHUNK)
    if data then
      step, v, extra = x:receive(data)
    else
      step, v, extra = x:receive(nil, rerr)
    end
    if step == "recv" and extra then -- a streamed payload's bytes
      local wrote, werr = sink(extra)
      if not wrote then
        sock:close()
        return x:failed("StreamWriteError", werr, delivered)
      end
      delivered = delivered + #extra
      if v == 0 then step, v, extra = x:receive("") end -- (they were the last)
    end
    if step ~= "recv" then
      if extra then
        local kept, kerr = sock:setkeepalive(math.floor(s.keepalive_timeout * 1000),
                                             s.keepalive_pool_size)
        if not kept then ngx.log(ngx.INFO, "omics: keepalive refused: ", kerr) end
      else
        sock:close()
      end
      return step, v
    end
    sock:settimeout(math.ceil(v * 1000))
  end
end

----------------------------------------------------------- credentials
-- The provider's fetches made here: HTTP over cosockets (through M.attempt,
-- as a call's), credential_process through ngx.pipe; the core decides what
-- to fetch, whether credentials are due, and reads the answers.  With a
-- lua_shared_dict the workers share the credentials: one refreshes, under
-- a lock that expires (a worker that dies while refreshing wedges nobody),
-- the others use theirs until the mandatory window, then wait for its.
local core = require "omics.core"
local creds_next, creds_receive, creds_failed = core.creds_next, core.creds_receive, core.creds_failed
local LOCK_TTL = 90   -- seconds: longer than any fetch's own limit (credential_process: 60)
local POLL = 0.02     -- seconds between looks at the lock's holder

-- one coroutine of a worker fetches for a provider (fetching[p], its mark:
-- { coroutine, until when }); the others wait for it.  A coroutine killed
-- mid-fetch (its request aborted) leaves the mark: once it is past, the next
-- one takes the pending fetch over.
local fetching = setmetatable({}, { __mode = "k" })

-- what M.attempt drives: the provider's pending fetch.  A fetch taken over
-- by another coroutine is no longer this one's: its late bytes are dropped.
local Fetch = {}
Fetch.__index = Fetch
function Fetch:receive(data, why)
  if fetching[self.p] ~= self.mark then return "fetched", nil, false end
  return creds_receive(self.p, data, why)
end
function Fetch:failed(code, message)
  if fetching[self.p] ~= self.mark then return "fetched" end
  return creds_failed(self.p, code, message)
end
function Fetch:body() return nil end

local DRIVER = { connect_timeout = 10, keepalive_pool_size = 4, keepalive_timeout = 10 }

-- credential_process without blocking: 0-255 (128 + signal), stdout,
-- stderr; or nil, an error code, why
local function run(command, timeout, max)
  local ok, pipe = pcall(require, "ngx.pipe")
  if not ok then -- (Debian's nginx module is built without it)
    return nil, "CredentialProcessRefused",
      ("credential_process would block an nginx worker serving requests (the %s phase), and this " ..
       "nginx has no ngx.pipe to run it without blocking: make the client where blocking is harmless " ..
       "(init_worker_by_lua; it keeps the credentials), or use another credential source")
      :format(ngx.get_phase())
  end
  local proc, err = pipe.spawn({ "/bin/sh", "-c", command })
  if not proc then return nil, "CredentialProcessError", "credential_process could not be run: " .. tostring(err) end
  local ms = math.max(1, math.floor(timeout * 1000))
  proc:set_timeouts(ms, ms, ms, ms)
  local function drain(read)
    local parts, size = {}, 0
    while true do
      local data, rerr = read(proc, 65536)
      if not data then
        if rerr == "closed" then return table.concat(parts) end
        return nil, rerr
      end
      size = size + #data
      if size > max then return nil, "more than " .. max .. " bytes" end
      parts[#parts + 1] = data
    end
  end
  local errs
  local deadline = ngx.now() + timeout -- (for all of it, however slowly it writes)
  local function drain_until(read)
    return drain(function(pr, n)
      if ngx.now() >= deadline then return nil, "timeout" end
      return read(pr, n)
    end)
  end
  local th = ngx.thread.spawn(function() errs = { drain_until(proc.stderr_read_any) } end)
  local out, oerr = drain_until(proc.stdout_read_any)
  ngx.thread.wait(th)
  if not out or not errs[1] then
    proc:kill(9)
    proc:wait()
    return nil, "CredentialProcessError", "credential_process: " .. tostring(oerr or errs[2])
  end
  local _, reason, status = proc:wait()
  if reason == "signal" then status = 128 + (status or 0) end
  return status or 255, out, errs[1]
end

-- The pending fetch made under the mark: a fetch's own time limit bounds
-- connect, handshake, send and the answer each (a command: its output, then
-- its exit), so 4 of them and a second pass before another takes it over.
local function step_fetch(p, co, step, a, b, c, d, e, f, g)
  local mark = { co, ngx.now() + 4 * (step == "send" and e or b) + 1 }
  fetching[p] = mark
  if step == "send" then
    M.attempt(setmetatable({ p = p, mark = mark }, Fetch), a, b, c, d, e, false, f, g, DRIVER)
  else -- "run"
    local status, out, errout = run(a, b, c)
    if fetching[p] == mark then core.creds_ran(p, status, out, errout) end
  end
end

-- another coroutine of this worker fetches for p (and has not overrun)
local function other_fetching(p, co)
  local mark = fetching[p]
  return mark and mark[1] ~= co and ngx.now() < mark[2]
end

-- true once the provider p has current credentials; nil, err.
function M.credentials(p, dict_name)
  local co = coroutine.running()
  -- (the usual case: nothing to do; while another coroutine fetches, its
  -- pending fetch is left alone and the cached ones serve if they may)
  local step = creds_next(p, other_fetching(p, co) and "busy" or dict_name and "shared" or "alone")
  if step == "ready" then return true end
  local dict
  if dict_name then
    dict = ngx.shared[dict_name]
    if not dict then
      return nil, core.error({ code = "InvalidOption", kind = "config",
        message = ("shared_dict: nginx has no lua_shared_dict %s"):format(tostring(dict_name)) })
    end
  end
  local key, lock, locked, offered
  local mode = dict and "shared" or "alone"
  local token = ("%d:%s:%.3f"):format(ngx.worker.pid(), tostring(co), ngx.now()) -- (this holder's)
  local function release() -- what this coroutine holds
    local mark = fetching[p]
    if mark and mark[1] == co then fetching[p] = nil end
    if locked and dict:get(lock) == token then dict:delete(lock) end -- (not one taken since it expired)
  end
  while true do
    if other_fetching(p, co) then -- another request of this worker is fetching them
      if creds_next(p, "busy") == "ready" then
        release()
        return true
      end
      ngx.sleep(POLL)
      step = nil
    else
      local a, b, c, d, e, f, g
      step, a, b, c, d, e, f, g = creds_next(p, locked and "alone" or mode)
      if step == "ready" then
        if locked then
          local text, expires = core.creds_export(p)
          if text then
            local ttl = expires > 0 and math.max(1, expires - ngx.time()) or 0
            dict:set(key, text, ttl)
          end
        end
        release()
        return true
      elseif step == "refresh" then -- (a shared cache: what does it hold?)
        key = key or core.creds_key(p)
        lock = lock or (key .. ":lock")
        if not offered then
          offered = true
          local text = dict:get(key)
          if text then core.creds_offer(p, text) end
        else
          local added, aerr = dict:add(lock, token, LOCK_TTL)
          if added then
            locked = true
          elseif aerr == "exists" then
            mode = "busy"
          else
            release()
            return nil, core.error({ code = "SharedCredentialsError", kind = "credentials",
              message = ("shared_dict %s: the lock could not be taken: %s"):format(dict_name, tostring(aerr)) })
          end
        end
      elseif step == "wait" then -- another worker refreshes them
        ngx.sleep(POLL)
        offered, mode = false, "shared"
      elseif step == "send" or step == "run" then
        step_fetch(p, co, step, a, b, c, d, e, f, g)
      else
        release()
        return nil, a
      end
    end
  end
end

return M
