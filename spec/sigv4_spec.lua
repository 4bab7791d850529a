-- omics.sigv4.sign against the AWS SigV4 test suite (spec/fixtures/aws4_testsuite)
-- and the signer's own options: the key cache, path normalisation, the
-- payload hash, replaced headers, header maps and argument errors.
local helper = require "helper"
local omics = require "omics"

local SUITE = helper.fixtures .. "/aws4_testsuite"
local TIME = 1440938160 -- 20150830T123600Z
local AKID, SECRET = helper.AKID, helper.SECRET

------------------------------------------------------------ file parsing

-- Split text into lines on "\n" (the suite's files use LF, no final newline).
local function lines(text)
  local out = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do out[#out + 1] = line end
  return out
end

-- Header lines "Name:value"; a line that starts with whitespace continues
-- the previous header (an obsolete line folding: RFC 9110 reads it as a
-- space, so it is joined with one; the signer refuses a raw CR or LF in a
-- value, which would split the request, and collapses the spaces).
local function parse_headers(hlines, first)
  local headers = {}
  for i = first, #hlines do
    local line = hlines[i]
    if line == "" then
      assert(i == #hlines, "a blank line inside the headers")
    elseif line:match("^%s") and #headers > 0 then
      local h = headers[#headers]
      h[2] = h[2] .. " " .. line
    else
      local name, value = line:match("^([^:]+):(.*)$")
      assert(name, "bad header line: " .. line)
      headers[#headers + 1] = { name, value }
    end
  end
  return headers
end

-- A .req or .sreq file: request line, headers, blank line, body.
local function parse_request(text)
  local head, body = text:match("^(.-)\n\n(.*)$")
  if not head then head, body = text, "" end
  local hl = lines(head)
  local method, target = hl[1]:match("^(%S+) (.*) HTTP/1%.1$")
  assert(method, "bad request line: " .. hl[1])
  local path, query = target:match("^([^?]*)%??(.*)$")
  return { method = method, path = path, query = query,
           headers = parse_headers(hl, 2), body = body }
end

-- The cases of the suite (a directory NAME holding NAME.req), nested groups
-- such as normalize-path/* and post-sts-token/* included, sorted.
local has_lfs, lfs = pcall(require, "lfs")

local function subdirs(dir)
  local names = {}
  if has_lfs then
    for name in lfs.dir(dir) do
      if name ~= "." and name ~= ".." and lfs.attributes(dir .. "/" .. name, "mode") == "directory" then
        names[#names + 1] = name
      end
    end
  else
    local p = io.popen("find " .. helper.shq(dir) .. " -mindepth 1 -maxdepth 1 -type d")
    for path in p:lines() do names[#names + 1] = path:match("([^/]+)$") end
    p:close()
  end
  table.sort(names)
  return names
end

local function find_cases(dir, rel, out)
  for _, name in ipairs(subdirs(dir)) do
    local sub = dir .. "/" .. name
    local subrel = rel and (rel .. "/" .. name) or name
    if helper.exists(sub .. "/" .. name .. ".req") then
      out[#out + 1] = { name = name, rel = subrel, dir = sub }
    end
    find_cases(sub, subrel, out)
  end
  return out
end

local function case_file(c, ext)
  return helper.read(c.dir .. "/" .. c.name .. "." .. ext)
end

local function lower_pairs(headers)
  local out = {}
  for _, h in ipairs(headers) do
    out[#out + 1] = h[1]:lower() .. ":" .. h[2]:gsub("^%s+", "")
  end
  table.sort(out)
  return out
end

local function find_header(headers, name)
  local found = {}
  for _, h in ipairs(headers) do
    if h[1]:lower() == name:lower() then found[#found + 1] = h[2] end
  end
  return found
end

-- Every string in a result or an error, to look for the secret.
local function all_strings(v, out)
  out = out or {}
  if type(v) == "string" then
    out[#out + 1] = v
  elseif type(v) == "table" then
    for k, x in pairs(v) do
      all_strings(k, out)
      all_strings(x, out)
    end
  end
  if type(v) == "table" and getmetatable(v) and getmetatable(v).__tostring then
    out[#out + 1] = tostring(v)
  end
  return out
end

local function assert_no_secret(...)
  for _, v in ipairs { ... } do
    for _, s in ipairs(all_strings(v)) do
      assert.is_nil(s:find(SECRET, 1, true), "the secret access key leaked: " .. s)
    end
  end
end

---------------------------------------------------------- the suite

local function sign_case(c)
  local req = parse_request(case_file(c, "req"))
  -- the session token: the one the .creq signs, or (post-sts-header-after)
  -- the one the .sreq adds after signing
  local token = case_file(c, "creq"):match("\nx%-amz%-security%-token:([^\n]*)")
  if not token then
    token = find_header(parse_request(case_file(c, "sreq")).headers, "X-Amz-Security-Token")[1]
  end
  return omics.sigv4.sign {
    method = req.method, path = req.path, query = req.query,
    headers = req.headers, body = req.body,
    region = "us-east-1", service = "service",
    credentials = { access_key_id = AKID, secret_access_key = SECRET,
                    session_token = token },
    time = TIME,
    -- post-sts-header-after: the token is added after signing
    omit_session_token = c.name == "post-sts-header-after",
  }
end

describe("omics.sigv4.sign: the AWS SigV4 test suite", function()
  if not helper.exists(SUITE .. "/get-vanilla/get-vanilla.req") then
    it("has its fixture", function() helper.fixture("aws4_testsuite/get-vanilla/get-vanilla.req") end)
    return
  end

  local cases = find_cases(SUITE, nil, {})

  it("finds every case, nested ones included", function()
    assert.is_true(#cases >= 30, "only " .. #cases .. " cases found")
    local rels = {}
    for _, c in ipairs(cases) do rels[c.rel] = true end
    assert.is_true(rels["normalize-path/get-slashes"])
    assert.is_true(rels["post-sts-token/post-sts-header-after"])
    assert.is_true(rels["post-sts-token/post-sts-header-before"])
  end)

  for _, c in ipairs(cases) do
    it(c.rel, function()
      local r, err = sign_case(c)
      assert.is_nil(err)
      assert.are.equal(case_file(c, "creq"), r.canonical_request)
      assert.are.equal(case_file(c, "sts"), r.string_to_sign)
      local authz = case_file(c, "authz")
      assert.are.equal(authz, r.authorization)
      assert.are.equal(authz:match("Signature=(%x+)$"), r.signature)

      -- the headers to send are the .sreq's headers
      local sreq = parse_request(case_file(c, "sreq"))
      local want = sreq.headers
      -- get-vanilla-with-session-token: the suite's .sreq carries a
      -- placeholder signature that disagrees with its own .authz; the
      -- .authz (checked above, and consistent with .creq/.sts) is the truth.
      for _, h in ipairs(want) do
        if h[1]:lower() == "authorization" then h[2] = authz end
      end
      assert.are.same(lower_pairs(want), lower_pairs(r.headers))
      for _, name in ipairs { "X-Amz-Date", "Authorization", "X-Amz-Security-Token" } do
        local w = find_header(want, name)
        local got = find_header(r.headers, name)
        assert.are.equal(#w, #got, name .. " appears " .. #got .. " times")
      end
      assert.are.same({ "20150830T123600Z" }, find_header(r.headers, "x-amz-date"))
      assert_no_secret(r)
    end)
  end
end)

-------------------------------------------------------- signer options

local function base(extra)
  local req = {
    method = "GET", path = "/", query = "",
    headers = { { "Host", "example.amazonaws.com" } },
    region = "us-east-1", service = "service",
    credentials = { access_key_id = AKID, secret_access_key = SECRET },
    time = TIME,
  }
  for k, v in pairs(extra or {}) do req[k] = v end
  return req
end

local VANILLA_SIG = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

describe("omics.sigv4.sign", function()
  it("signs get-vanilla without the suite files", function()
    local r = assert(omics.sigv4.sign(base()))
    assert.are.equal(VANILLA_SIG, r.signature)
    assert.are.equal("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
      .. "aws4_request, SignedHeaders=host;x-amz-date, Signature=" .. VANILLA_SIG,
      r.authorization)
  end)

  it("gives the same signature twice (the signing-key cache)", function()
    local a = assert(omics.sigv4.sign(base()))
    local b = assert(omics.sigv4.sign(base()))
    assert.are.equal(a.signature, b.signature)
    assert.are.equal(VANILLA_SIG, b.signature)
    -- another region in between, then back: the cached key is still right
    assert(omics.sigv4.sign(base { region = "eu-west-1" }))
    local c = assert(omics.sigv4.sign(base()))
    assert.are.equal(VANILLA_SIG, c.signature)
  end)

  it("changes the signature on another day", function()
    local a = assert(omics.sigv4.sign(base()))
    local b = assert(omics.sigv4.sign(base { time = TIME + 86400 }))
    assert.are_not.equal(a.signature, b.signature)
    assert.truthy(b.authorization:find("/20150831/us-east-1/service/aws4_request", 1, true))
    assert.are.same({ "20150831T123600Z" }, find_header(b.headers, "X-Amz-Date"))
    -- and the first day again gives the first signature
    local c = assert(omics.sigv4.sign(base()))
    assert.are.equal(a.signature, c.signature)
  end)

  -- normalizing and encoding are separate steps (aws-c-auth's
  -- get-space-unnormalized case): a space is encoded either way
  it("encodes the path even when it is not normalized; encode_path = false signs it as given", function()
    local r = assert(omics.sigv4.sign(base { path = "/example space/", normalize_path = false }))
    assert.are.equal("/example%20space/", r.canonical_request:match("^GET\n([^\n]*)\n"))
    r = assert(omics.sigv4.sign(base { path = "/example space/" }))
    assert.are.equal("/example%20space/", r.canonical_request:match("^GET\n([^\n]*)\n"))
    r = assert(omics.sigv4.sign(base { path = "/a%20b//c", normalize_path = false, encode_path = false }))
    assert.are.equal("/a%20b//c", r.canonical_request:match("^GET\n([^\n]*)\n"))
    r = assert(omics.sigv4.sign(base { path = "/a%20b//c" }))
    assert.are.equal("/a%2520b/c", r.canonical_request:match("^GET\n([^\n]*)\n"))
  end)

  it("keeps the path as it is with normalize_path = false", function()
    local r = assert(omics.sigv4.sign(base { path = "//a/./b", normalize_path = false }))
    assert.are.equal("//a/./b", lines(r.canonical_request)[2])
    local n = assert(omics.sigv4.sign(base { path = "//a/./b" }))
    assert.are.equal("/a/b", lines(n.canonical_request)[2])
  end)

  it("adds a signed X-Amz-Content-Sha256 with content_sha256_header", function()
    local body = "Param1=value1"
    local hash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
    local r = assert(omics.sigv4.sign(base { method = "POST", body = body,
                                             content_sha256_header = true }))
    assert.are.same({ hash }, find_header(r.headers, "X-Amz-Content-Sha256"))
    local cl = lines(r.canonical_request)
    assert.are.equal("x-amz-content-sha256:" .. hash, cl[5])
    assert.are.equal("host;x-amz-content-sha256;x-amz-date", cl[8])
    assert.are.equal(hash, cl[#cl])
    assert.truthy(r.authorization:find("SignedHeaders=host;x-amz-content-sha256;x-amz-date,",
                                       1, true))
  end)

  it("uses payload_hash = UNSIGNED-PAYLOAD in the canonical request", function()
    local r = assert(omics.sigv4.sign(base { method = "PUT", body = "data",
                                             payload_hash = "UNSIGNED-PAYLOAD",
                                             content_sha256_header = true }))
    local cl = lines(r.canonical_request)
    assert.are.equal("UNSIGNED-PAYLOAD", cl[#cl])
    assert.are.same({ "UNSIGNED-PAYLOAD" }, find_header(r.headers, "x-amz-content-sha256"))
    -- without the header option the hash is still the last line
    local s = assert(omics.sigv4.sign(base { payload_hash = "UNSIGNED-PAYLOAD" }))
    cl = lines(s.canonical_request)
    assert.are.equal("UNSIGNED-PAYLOAD", cl[#cl])
    assert.are.same({}, find_header(s.headers, "x-amz-content-sha256"))
  end)

  it("replaces X-Amz-Date, X-Amz-Security-Token and Authorization given as input", function()
    local req = base {
      headers = {
        { "Host", "example.amazonaws.com" },
        { "x-amz-date", "19990101T000000Z" },
        { "X-Amz-Security-Token", "stale-token" },
        { "Authorization", "AWS4-HMAC-SHA256 stale" },
      },
    }
    req.credentials.session_token = "fresh-token"
    local r = assert(omics.sigv4.sign(req))
    assert.are.same({ "20150830T123600Z" }, find_header(r.headers, "X-Amz-Date"))
    assert.are.same({ "fresh-token" }, find_header(r.headers, "X-Amz-Security-Token"))
    assert.are.same({ r.authorization }, find_header(r.headers, "Authorization"))
    assert.are.equal(4, #r.headers)
    assert.is_nil(r.canonical_request:find("19990101", 1, true))
    assert.is_nil(r.canonical_request:find("stale", 1, true))
    assert.truthy(r.canonical_request:find("\nx-amz-security-token:fresh-token\n", 1, true))
  end)

  it("accepts a header map like pairs", function()
    local m = assert(omics.sigv4.sign(base {
      headers = { Host = "example.amazonaws.com", ["X-Foo"] = "bar" } }))
    local p = assert(omics.sigv4.sign(base {
      headers = { { "X-Foo", "bar" }, { "Host", "example.amazonaws.com" } } }))
    assert.are.equal(p.canonical_request, m.canonical_request)
    assert.are.equal(p.signature, m.signature)
    assert.are.same({ "bar" }, find_header(m.headers, "x-foo"))
    assert.truthy(m.authorization:find("SignedHeaders=host;x-amz-date;x-foo,", 1, true))
  end)

  it("keeps the session token out of the signature with omit_session_token", function()
    local req = base { omit_session_token = true }
    req.credentials.session_token = "tok"
    local r = assert(omics.sigv4.sign(req))
    assert.are.equal(VANILLA_SIG, r.signature)
    assert.are.same({ "tok" }, find_header(r.headers, "X-Amz-Security-Token"))
  end)

  it("never returns the secret access key", function()
    local req = base { method = "POST", body = "Param1=value1", content_sha256_header = true }
    req.credentials.session_token = "tok"
    local r = assert(omics.sigv4.sign(req))
    assert_no_secret(r)
  end)

  describe("errors", function()
    local function expect_error(req, pattern)
      local r, err = omics.sigv4.sign(req)
      assert.is_nil(r)
      assert.is_table(err)
      local text = tostring(err)
      assert.truthy(text:find(pattern), "unexpected message: " .. text)
      assert.is_string(err.code)
      assert_no_secret(err, text)
      return err
    end

    it("says when Host is missing", function()
      expect_error(base { headers = { { "X-Foo", "bar" } } }, "Host")
      expect_error(base { headers = {} }, "Host")
    end)

    it("says when credentials are missing", function()
      local req = base()
      req.credentials = nil
      local err = expect_error(req, "credentials")
      assert.are.equal("NoCredentialsError", err.code)
    end)

    it("says when the access key id is missing, without the secret", function()
      local req = base()
      req.credentials = { secret_access_key = SECRET }
      expect_error(req, "access_key_id")
      req.credentials = { access_key_id = AKID }
      expect_error(req, "secret_access_key")
    end)

    it("says when the path does not start with /", function()
      expect_error(base { path = "a/b" }, "path")
    end)

    -- A line feed in any of these would add a line to the canonical request
    -- (and could smuggle a header onto the wire): refused, never signed.
    it("refuses a method or header name that is not an HTTP token", function()
      expect_error(base { method = "GET\nX-Evil: 1" }, "method is not an HTTP token")
      expect_error(base { method = "GET /" }, "method is not an HTTP token")
      local err = expect_error(base { headers = { { "Host", "example.amazonaws.com" }, { "X-Foo\n", "v" } } },
        "header 2: its name is not an HTTP token")
      assert.are.equal("InvalidSignParams", err.code)
      expect_error(base { headers = { { "Host", "example.amazonaws.com" }, { "X:Foo", "v" } } },
        "not an HTTP token")
    end)

    it("refuses a path holding a control byte, normalized or not", function()
      expect_error(base { path = "/a\nb" }, "control character")
      expect_error(base { path = "/a\rb", normalize_path = false }, "control character")
      expect_error(base { path = "/a\127" }, "control character")
    end)

    it("refuses a header value or a credential holding CR, LF or another control byte", function()
      for _, v in ipairs { "a\r\nX-Inj: 1", "a\nb", "a\rb", "a\127b", "a\1b" } do
        local err = expect_error(base { headers = { { "Host", "example.amazonaws.com" }, { "X-Foo", v } } },
          "header 2: its value holds a control character")
        assert.are.equal("InvalidSignParams", err.code)
      end
      -- a NUL is refused too (never cut short); so in the path and the other fields
      expect_error(base { headers = { { "Host", "example.amazonaws.com" }, { "X-Foo", "a\0b" } } },
        "header 2: its name or value holds a control character")
      expect_error(base { path = "/a\0b" }, "req.path holds a control character")
      expect_error(base { method = "GET\0POST" }, "req.method holds a control character")
      assert(omics.sigv4.sign(base { headers = { { "Host", "example.amazonaws.com" }, { "X-Foo", "a\tb" } } }),
             "a tab is allowed in a header value")
      for _, field in ipairs { "access_key_id", "secret_access_key", "session_token" } do
        local req = base()
        req.credentials = { access_key_id = AKID, secret_access_key = SECRET }
        req.credentials[field] = "tok\r\n\r\nGET /smuggled HTTP/1.1"
        local err = expect_error(req, "control character")
        assert.are.equal("InvalidCredentials", err.code)
        assert.is_nil(tostring(err):find("smuggled", 1, true), "the value is echoed")
      end
    end)

    it("signs a query made only of separators", function()
      local r = assert(omics.sigv4.sign(base { query = "&&&" }))
      assert.truthy(r.canonical_request:find("\n\n", 1, true))
    end)

    it("says when region or service are missing", function()
      expect_error(base { region = false }, "region")
    end)

    -- Calling sign with something that is not a request table is a mistake
    -- in the use of the API, not a runtime failure: it raises, as Lua's own
    -- functions do (the brief: only misuse of the API raises).
    it("raises a clear error for a non-table argument (no crash)", function()
      for _, arg in ipairs { "x", 42, true } do
        local ok, msg = pcall(omics.sigv4.sign, arg)
        assert.is_false(ok)
        assert.truthy(tostring(msg):find("table expected", 1, true), tostring(msg))
      end
      assert.is_false((pcall(omics.sigv4.sign)))
    end)
  end)
end)
