-- omics.ngx: the HTTP/1.1 transport over nginx cosockets, for calls made
-- inside nginx (OpenResty, or Debian's nginx with its Lua module), where a
-- blocking transfer would stall every request of the worker.
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

local function split_url(url)
  local scheme, authority, rest = url:match("^(https?)://([^/]+)(.*)$")
  if not scheme then return nil end
  local host, port = authority:match("^%[(.+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  return scheme, host, port, rest ~= "" and rest or "/"
end

-- The answer is read through a small buffered reader over receiveany, so
-- that every read is bounded: in time (each read waits at most until the
-- attempt's deadline, and once the answer started at most stall_timeout) and
-- in size (a header line, the header section, a chunk-size line, and a body
-- read into memory, at most max_response_bytes).
local MAX_LINE = 16384

local Reader = {}
Reader.__index = Reader

local function new_reader(sock, ctx, deadline)
  return setmetatable({
    sock = sock, buf = "", pos = 1, ctx = ctx, deadline = deadline,
    wait_ms = 3600000, -- until the answer starts (without a deadline, an hour)
  }, Reader)
end

-- Once the status line arrived, a wait longer than stall_timeout is a stall.
function Reader:answering()
  local stall = self.ctx.stall_timeout
  if stall > 0 then self.wait_ms, self.stall = math.floor(stall * 1000), stall end
end

-- Read more into the buffer; nil, code, message on a timeout, a close or an error.
function Reader:fill()
  local ms, by_deadline = self.wait_ms, false
  if self.deadline then
    local left = math.ceil((self.deadline - ngx.now()) * 1000)
    if left <= 0 then
      return nil, "TimeoutError", ("the attempt took longer than timeout (%g s)"):format(self.ctx.timeout)
    end
    if left <= ms then ms, by_deadline = left, true end
  end
  self.sock:settimeout(ms)
  local data, err = self.sock:receiveany(CHUNK)
  if not data then
    if err == "timeout" then
      if by_deadline or not self.stall then
        return nil, "TimeoutError", ("the attempt took longer than timeout (%g s)"):format(self.ctx.timeout)
      end
      return nil, "TimeoutError", ("the answer stalled: no byte for %g s (stall_timeout)"):format(self.stall)
    end
    return nil, "ConnectionError", tostring(err)
  end
  if self.pos > #self.buf then
    self.buf = data
  else
    self.buf = self.buf:sub(self.pos) .. data
  end
  self.pos = 1
  return true
end

-- One line without its CR LF, at most MAX_LINE bytes.
function Reader:line(what)
  while true do
    local nl = self.buf:find("\n", self.pos, true)
    if nl then
      local line = self.buf:sub(self.pos, nl - 1)
      self.pos = nl + 1
      if line:byte(-1) == 13 then line = line:sub(1, -2) end
      return line
    end
    if #self.buf - self.pos + 1 > MAX_LINE then
      return nil, "ConnectionError", ("%s is longer than %d bytes"):format(what, MAX_LINE)
    end
    local ok, code, message = self:fill()
    if not ok then
      return nil, code, (code == "ConnectionError" and ("reading %s: %s"):format(what, message) or message)
    end
  end
end

-- Up to n bytes (at least one), from the buffer or the socket.
function Reader:some(n)
  if self.pos > #self.buf then
    local ok, code, message = self:fill()
    if not ok then return nil, code, message end
  end
  local take = math.min(n, #self.buf - self.pos + 1)
  local piece = self.buf:sub(self.pos, self.pos + take - 1)
  self.pos = self.pos + take
  return piece
end

-- Bytes are left over beyond the answer: the connection cannot be reused.
function Reader:leftover()
  return self.pos <= #self.buf
end

local function receive_headers(r)
  local line, code, message = r:line("the status line")
  if not line then return nil, code, message end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then return nil, "ConnectionError", "not an HTTP answer: " .. line:sub(1, 60) end
  r:answering()
  local headers, size = {}, #line
  while true do
    line, code, message = r:line("a header line")
    if not line then return nil, code, message end
    if line == "" then break end
    size = size + #line + 2
    if size > r.ctx.max_header_bytes then
      return nil, "ResponseTooLarge", r.ctx.too_large(true)
    end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      name = name:lower()
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
    end
  end
  return status, headers
end

-- Read a body of n bytes, or chunked, or to the end; each piece goes to
-- emit, which returns true or nil, code, message.  Returns true (and
-- "closed" when the body ran to the end of the connection) or nil, code,
-- message.
local function receive_body(r, headers, emit)
  local te = headers["transfer-encoding"]
  if te and te:lower():find("chunked", 1, true) then
    while true do
      local line, code, message = r:line("a chunk size")
      if not line then return nil, code, message end
      local size = tonumber(line:match("^%s*(%x+)"), 16)
      if not size then return nil, "ConnectionError", "a bad chunk size: " .. line:sub(1, 40) end
      if size == 0 then
        local trailers = 0
        repeat -- trailers, up to the blank line
          line, code, message = r:line("the trailers")
          if not line then return nil, code, message end
          trailers = trailers + #line + 2
          if trailers > r.ctx.max_header_bytes then
            return nil, "ResponseTooLarge", r.ctx.too_large(true)
          end
        until line == ""
        return true
      end
      while size > 0 do
        local piece, pcode, pmessage = r:some(math.min(size, CHUNK))
        if not piece then return nil, pcode, pmessage end
        local ok, ecode, emessage = emit(piece)
        if not ok then return nil, ecode, emessage end
        size = size - #piece
      end
      line, code, message = r:line("a chunk end")
      if not line then return nil, code, message end
    end
  end
  local cl = headers["content-length"]
  local length = cl and cl:match("^%d+$") and tonumber(cl)
  if cl and not length then
    return nil, "ConnectionError", "a Content-Length that is not a number of bytes: " .. cl:sub(1, 40)
  end
  if length then
    while length > 0 do
      local piece, code, message = r:some(math.min(length, CHUNK))
      if not piece then
        if code == "ConnectionError" then
          message = ("the answer ended %d bytes short (%s)"):format(length, message)
        end
        return nil, code, message
      end
      local ok, ecode, emessage = emit(piece)
      if not ok then return nil, ecode, emessage end
      length = length - #piece
    end
    return true
  end
  -- neither: the body runs to the end of the connection
  while true do
    local piece, code, message = r:some(CHUNK)
    if not piece then
      if code == "ConnectionError" and message == "closed" then return true, "closed" end
      return nil, code, message
    end
    local ok, ecode, emessage = emit(piece)
    if not ok then return nil, ecode, emessage end
  end
end

-- Send one prepared, signed request.  ctx (every limit given, as the core
-- resolved it): connect_timeout, timeout, stall_timeout (s),
-- max_response_bytes, max_header_bytes, too_large, pool_size,
-- keepalive_timeout, body_file, sink (a function of chunks, used
-- for a 2xx answer when the request's output streams).  Returns status,
-- headers, body, streamed; or nil, code, message.
function M.send(req, ctx)
  local scheme, host, port, target = split_url(req.url)
  if not scheme then return nil, "InvalidEndpoint", "cannot read the URL " .. tostring(req.url) end
  local sock = ngx.socket.tcp()
  -- timeout bounds the whole attempt, connection to last byte
  local timeout = ctx.timeout
  local deadline = timeout > 0 and ngx.now() + timeout or nil
  local function left_ms(cap_ms)
    if not deadline then return cap_ms end
    return math.max(1, math.min(cap_ms, math.ceil((deadline - ngx.now()) * 1000)))
  end
  sock:settimeouts(left_ms(math.floor(ctx.connect_timeout * 1000)), left_ms(3600000),
                   left_ms(3600000))
  local pool_size = ctx.pool_size
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
      sock:settimeout(left_ms(3600000))
      sent, err = sock:send(piece)
      left = left - #piece
    end
  end
  if not sent then
    sock:close()
    return nil, err == "timeout" and "TimeoutError" or "ConnectionError", "sending: " .. tostring(err)
  end

  local r = new_reader(sock, ctx, deadline)
  local status, headers, message = receive_headers(r)
  if not status then
    sock:close()
    return nil, headers, message
  end
  local parts, streamed, size = {}, false, 0
  local max = ctx.max_response_bytes
  local emit = function(piece)
    size = size + #piece
    if max > 0 and size > max then
      return nil, "ResponseTooLarge", ctx.too_large(false, req.streaming_output)
    end
    parts[#parts + 1] = piece
    return true
  end
  if ctx.sink and req.streaming_output and status >= 200 and status < 300 then
    -- a 2xx streaming payload goes to the sink, the one answer not bounded
    streamed = true
    emit = function(piece)
      local ok, err = ctx.sink(piece)
      if not ok then return nil, "StreamWriteError", err end
      return true
    end
  end
  local body_ok, how = true, nil
  if req.method ~= "HEAD" and status ~= 204 and status ~= 304 and status >= 200 then
    body_ok, how, message = receive_body(r, headers, emit)
  end
  if not body_ok then
    sock:close()
    return nil, how, message
  end
  local conn = headers.connection and headers.connection:lower() or ""
  if how == "closed" or conn:find("close", 1, true) or r:leftover() then
    sock:close()
  else
    local kept, kerr = sock:setkeepalive(math.floor(ctx.keepalive_timeout * 1000), pool_size)
    if not kept then ngx.log(ngx.INFO, "omics: keepalive refused: ", kerr) end
  end
  return status, headers, table.concat(parts), streamed
end

return M
