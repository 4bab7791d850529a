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

return M
