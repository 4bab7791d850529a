-- omics.ngx: the HTTP/1.1 transport over nginx cosockets, for calls made
-- inside nginx (OpenResty, or Debian's nginx with its Lua module), where a
-- blocking transfer would stall every request of the worker.
--
-- TLS is verified (certificate and host name, with SNI) against the CA file
-- nginx is given by lua_ssl_trusted_certificate.  Connections are kept in a
-- keepalive pool per endpoint: pool_size connections (default 32), each kept
-- idle for keepalive_timeout seconds (default 60).
local M = {}

local ngx = ngx
local CHUNK = 65536

M.DEFAULT_POOL_SIZE = 32
M.DEFAULT_KEEPALIVE = 60

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

local function split_url(url)
  local scheme, authority, rest = url:match("^(https?)://([^/]+)(.*)$")
  if not scheme then return nil end
  local host, port = authority:match("^%[(.+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  return scheme, host, port, rest ~= "" and rest or "/"
end

local function receive_headers(sock)
  local line, err = sock:receive("*l")
  if not line then return nil, "reading the status line: " .. tostring(err) end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then return nil, "not an HTTP answer: " .. line:sub(1, 60) end
  local headers = {}
  while true do
    line, err = sock:receive("*l")
    if not line then return nil, "reading the headers: " .. tostring(err) end
    if line == "" then break end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      name = name:lower()
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
    end
  end
  return status, headers
end

-- Read a body of n bytes, or chunked, or to the end; each piece goes to emit.
local function receive_body(sock, headers, emit)
  local te = headers["transfer-encoding"]
  if te and te:lower():find("chunked", 1, true) then
    while true do
      local line, err = sock:receive("*l")
      if not line then return nil, "reading a chunk size: " .. tostring(err) end
      local size = tonumber(line:match("^%s*(%x+)"), 16)
      if not size then return nil, "a bad chunk size: " .. line:sub(1, 40) end
      if size == 0 then
        repeat -- trailers, up to the blank line
          line, err = sock:receive("*l")
          if not line then return nil, "reading the trailers: " .. tostring(err) end
        until line == ""
        return true
      end
      while size > 0 do
        local piece, perr = sock:receive(math.min(size, CHUNK))
        if not piece then return nil, "reading a chunk: " .. tostring(perr) end
        local ok, serr = emit(piece)
        if not ok then return nil, serr, "sink" end
        size = size - #piece
      end
      local crlf, cerr = sock:receive(2)
      if not crlf then return nil, "reading a chunk end: " .. tostring(cerr) end
    end
  end
  local length = tonumber(headers["content-length"])
  if length then
    while length > 0 do
      local piece, err, partial = sock:receive(math.min(length, CHUNK))
      if not piece then
        return nil, ("the answer ended %d bytes short (%s)"):format(length - #(partial or ""), tostring(err))
      end
      local ok, serr = emit(piece)
      if not ok then return nil, serr, "sink" end
      length = length - #piece
    end
    return true
  end
  -- neither: the body runs to the end of the connection
  while true do
    local piece, err, partial = sock:receive(CHUNK)
    local data = piece or partial
    if data and #data > 0 then
      local ok, serr = emit(data)
      if not ok then return nil, serr, "sink" end
    end
    if not piece then
      if err == "closed" then return true, nil, "closed" end
      return nil, "reading the body: " .. tostring(err)
    end
  end
end

-- Send one prepared, signed request.  ctx: connect_timeout, timeout (s),
-- pool_size, keepalive_timeout, body_file, sink (a function of chunks, used
-- for a 2xx answer when the request's output streams).  Returns status,
-- headers, body, streamed; or nil, code, message.
function M.send(req, ctx)
  local scheme, host, port, target = split_url(req.url)
  if not scheme then return nil, "InvalidEndpoint", "cannot read the URL " .. tostring(req.url) end
  local sock = ngx.socket.tcp()
  local connect_ms = math.floor((ctx.connect_timeout or 10) * 1000)
  local io_ms = math.floor(((ctx.timeout and ctx.timeout > 0) and ctx.timeout or 3600) * 1000)
  sock:settimeouts(connect_ms, io_ms, io_ms)
  local pool_size = ctx.pool_size or M.DEFAULT_POOL_SIZE
  local pool = ("omics:%s:%s:%d"):format(scheme, host, port)
  local ok, err = sock:connect(host, port, { pool = pool, pool_size = pool_size })
  if not ok then
    return nil, err == "timeout" and "TimeoutError" or "ConnectionError",
           ("connecting to %s:%d: %s"):format(host, port, tostring(err))
  end
  if scheme == "https" and sock:getreusedtimes() == 0 then
    ok, err = sock:sslhandshake(nil, host, true)
    if not ok then
      sock:close()
      return nil, "TLSError", ("TLS with %s: %s (the CA file is lua_ssl_trusted_certificate)"):format(host, tostring(err))
    end
  end

  local lines = { req.method, " ", target, " HTTP/1.1\r\n" }
  for name, value in pairs(req.headers) do
    lines[#lines + 1] = name .. ": " .. value .. "\r\n"
  end
  lines[#lines + 1] = "\r\n"
  local sent
  sent, err = sock:send(table.concat(lines))
  if sent and req.body and #req.body > 0 then sent, err = sock:send(req.body) end
  if sent and ctx.body_file then
    local left = req.body_length or 0
    while sent and left > 0 do
      local piece = ctx.body_file:read(math.min(left, CHUNK))
      if not piece then
        sock:close()
        return nil, "StreamReadError", ("the file ended %d bytes early"):format(left)
      end
      sent, err = sock:send(piece)
      left = left - #piece
    end
  end
  if not sent then
    sock:close()
    return nil, err == "timeout" and "TimeoutError" or "ConnectionError", "sending: " .. tostring(err)
  end

  local status, headers = receive_headers(sock)
  if status and ctx.stall_timeout and ctx.stall_timeout > 0 then
    -- the answer started: from here, no byte for stall_timeout is a failure
    local stall_ms = math.floor(ctx.stall_timeout * 1000)
    sock:settimeouts(connect_ms, io_ms, math.min(io_ms, stall_ms))
  end
  if not status then
    sock:close()
    return nil, tostring(headers):find("timeout") and "TimeoutError" or "ConnectionError", headers
  end
  local parts, streamed = {}, false
  local emit = function(piece) parts[#parts + 1] = piece; return true end
  if ctx.sink and req.streaming_output and status >= 200 and status < 300 then
    streamed, emit = true, ctx.sink
  end
  local body_ok, berr, how = true, nil, nil
  if req.method ~= "HEAD" and status ~= 204 and status ~= 304 and status >= 200 then
    body_ok, berr, how = receive_body(sock, headers, emit)
  end
  if not body_ok then
    sock:close()
    if how == "sink" then return nil, "StreamWriteError", berr end
    return nil, tostring(berr):find("timeout") and "TimeoutError" or "ConnectionError", berr
  end
  local conn = headers.connection and headers.connection:lower() or ""
  if how == "closed" or conn:find("close", 1, true) then
    sock:close()
  else
    local kept, kerr = sock:setkeepalive(math.floor((ctx.keepalive_timeout or M.DEFAULT_KEEPALIVE) * 1000),
                                         pool_size)
    if not kept then ngx.log(ngx.INFO, "omics: keepalive refused: ", kerr) end
  end
  return status, headers, table.concat(parts), streamed
end

return M
