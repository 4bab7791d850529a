-- The credential chain, for real: every provider against the emulator's STS,
-- SSO portal, container endpoint and instance metadata (IMDSv2), with real
-- files and a real environment in child processes; the order of the
-- providers; role chains; refresh before expiry with a fake clock; and every
-- failure message.
local helper = require "helper"
local omics = require "omics"

local ROLE = "arn:aws:iam::123456789012:role/omics-role"
local OTHER_ROLE = "arn:aws:iam::123456789012:role/other"

-- Run a chunk that makes a client (opts as Lua text) and calls the emulator
-- with it; prints KEY value lines.
local PROBE = [[
local omics = require "omics"
local opts = %s
opts.endpoint = opts.endpoint or os.getenv("EMU")
local c, err = omics.new(opts)
if not c then
  print("ERR " .. err.code .. " " .. err.message)
  return
end
local ref, cerr = c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }
local cr = c:credentials()
print("PROVIDER " .. cr.provider)
print("AKID " .. cr.access_key_id)
print("EXPIRES " .. tostring(cr.expiration ~= nil))
print("CALL " .. (ref and ref.name or cerr.code))
print("REGION " .. tostring(c):match("region (%%S+),"))
print("CLIENT " .. tostring(c))
]]

describe("credentials", function()
  local emu, home

  setup(function()
    emu = helper.emulator("--seed-demo")
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  before_each(function()
    emu:control("POST", "reset", "{}")
    home = helper.tmpdir()
    os.execute(helper.sh("mkdir -p " .. helper.shq(home .. "/.aws/sso/cache")))
  end)

  after_each(function()
    helper.rmdir(home)
  end)

  local function identity(config)
    local _, status = emu:control("POST", "identity", config)
    assert.are.equal(200, status)
  end

  local function file(name, text)
    helper.write(home .. "/" .. name, text)
    return home .. "/" .. name
  end

  -- Run PROBE with opts (Lua text) and an environment; the emulator is the
  -- endpoint of every service, instance metadata is off unless asked for.
  local function probe(opts, env)
    local e = {
      HOME = home, EMU = emu.url, AWS_REGION = "us-east-1",
      AWS_ENDPOINT_URL_STS = emu.url, AWS_ENDPOINT_URL_SSO = emu.url,
      AWS_EC2_METADATA_DISABLED = "true",
    }
    for k, v in pairs(env or {}) do e[k] = v ~= false and v or nil end
    local out, status = helper.run_lua(PROBE:format(opts or "{}"), e)
    assert.are.equal(0, status, out)
    local r = {}
    for line in out:gmatch("[^\n]+") do
      local k, v = line:match("^(%u+) (.*)$")
      if k then r[k] = v end
    end
    assert(r.ERR or r.PROVIDER, "unexpected output: " .. out)
    return r, out
  end

  local function stats(op)
    return emu:stats().by_operation[op] or 0
  end

  -------------------------------------------------------------- sources

  it("from the environment", function()
    local r = probe(nil, { AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET })
    assert.are.equal("environment", r.PROVIDER)
    assert.are.equal("demo-genome", r.CALL)
  end)

  it("from a function of the caller's", function()
    local r = probe(([[{ credentials = function()
      return { access_key_id = %q, secret_access_key = %q } end }]]):format(helper.AKID, helper.SECRET))
    assert.are.equal("function", r.PROVIDER)
    assert.are.equal("demo-genome", r.CALL)
  end)

  it("refuses credentials asked for from inside the credentials function", function()
    -- credentials that expire within minutes are fetched again at each use
    local c, inner_err, shown
    c = assert(omics.new { region = "us-east-1", endpoint = emu.url, credentials = function()
      if c and not inner_err then
        local _, e = c:credentials()
        inner_err = e or { code = "none" }
        shown = tostring(c)
      end
      return { access_key_id = helper.AKID, secret_access_key = helper.SECRET, expiration = os.time() + 60 }
    end })
    local cr = assert(c:credentials())
    assert.are.equal(helper.AKID, cr.access_key_id)
    assert.are.equal("CredentialsBusy", inner_err.code)
    assert.matches("credentials were asked for while they were being fetched", inner_err.message)
    assert.matches("credentials from %(unavailable%)", shown)
    assert.matches("credentials from function", tostring(c))
  end)

  it("says so when the credentials function's table raises, and keeps nothing of it", function()
    local calls = 0
    local function raising()
      calls = calls + 1
      return setmetatable({ access_key_id = helper.AKID, secret_access_key = helper.SECRET },
        { __index = function(_, k) error("no " .. k, 0) end })
    end
    for _ = 1, 2 do
      local c, err = omics.new { region = "us-east-1", endpoint = emu.url, credentials = raising }
      assert.is_nil(c)
      assert.are.equal("CredentialsFunctionError", err.code)
      assert.matches("raised: no session_token", err.message)
    end
    assert.are.equal(2, calls)
  end)

  describe("web identity", function()
    it("from AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, through STS", function()
      local token = file("token", "eyJ.web.identity\n")
      local r = probe(nil, { AWS_WEB_IDENTITY_TOKEN_FILE = token, AWS_ROLE_ARN = ROLE,
                             AWS_ROLE_SESSION_NAME = "ci-session" })
      assert.are.equal("assume-role-with-web-identity", r.PROVIDER)
      assert.matches("^ASIA", r.AKID)
      assert.are.equal("true", r.EXPIRES)
      assert.are.equal("demo-genome", r.CALL)
      assert.are.equal(1, stats("AssumeRoleWithWebIdentity"))
    end)

    it("from the profile's web_identity_token_file and role_arn", function()
      local token = file("token", "eyJ.profile")
      file(".aws/config", ("[default]\nrole_arn = %s\nweb_identity_token_file = %s\n"):format(ROLE, token))
      local r = probe()
      assert.are.equal("assume-role-with-web-identity", r.PROVIDER)
      assert.are.equal("demo-genome", r.CALL)
    end)

    it("says why STS refused the token", function()
      local token = file("token", "an-invalid-token")
      local r = probe(nil, { AWS_WEB_IDENTITY_TOKEN_FILE = token, AWS_ROLE_ARN = ROLE })
      assert.matches("^InvalidIdentityToken STS AssumeRoleWithWebIdentity for " .. ROLE:gsub("%p", "%%%0"), r.ERR)
    end)

    it("needs both variables", function()
      local r = probe(nil, { AWS_ROLE_ARN = ROLE })
      assert.matches("^PartialCredentialsError .*AWS_WEB_IDENTITY_TOKEN_FILE", r.ERR)
    end)
  end)

  describe("profile roles", function()
    local keys = ("aws_access_key_id = %s\naws_secret_access_key = %s\n"):format(helper.AKID, helper.SECRET)

    it("role_arn with a source_profile: AssumeRole signed with its keys", function()
      file(".aws/config", ("[profile app]\nrole_arn = %s\nsource_profile = base\nrole_session_name = app-session\n"):format(ROLE))
      file(".aws/credentials", "[base]\n" .. keys)
      local r = probe('{ profile = "app" }')
      assert.are.equal("assume-role", r.PROVIDER)
      assert.matches("^ASIA", r.AKID)
      assert.are.equal("demo-genome", r.CALL)
      assert.are.equal(1, stats("AssumeRole"))
    end)

    it("a chain of roles, each signing the next AssumeRole", function()
      file(".aws/config", ("[profile outer]\nrole_arn = %s\nsource_profile = inner\n" ..
                            "[profile inner]\nrole_arn = %s\nsource_profile = base\n"):format(OTHER_ROLE, ROLE))
      file(".aws/credentials", "[base]\n" .. keys)
      local r = probe('{ profile = "outer" }')
      assert.are.equal("assume-role", r.PROVIDER)
      assert.are.equal("demo-genome", r.CALL)
      assert.are.equal(2, stats("AssumeRole"))
    end)

    it("finds loops in the chain", function()
      file(".aws/config", ("[profile a]\nrole_arn = %s\nsource_profile = b\n" ..
                            "[profile b]\nrole_arn = %s\nsource_profile = a\n"):format(ROLE, ROLE))
      local r = probe('{ profile = "a" }')
      assert.matches("^InfiniteLoopConfigError profile a is part of a loop", r.ERR)
    end)

    it("credential_source Environment, EcsContainer and Ec2InstanceMetadata", function()
      file(".aws/config", ("[profile env]\nrole_arn = %s\ncredential_source = Environment\n" ..
                            "[profile ecs]\nrole_arn = %s\ncredential_source = EcsContainer\n" ..
                            "[profile ec2]\nrole_arn = %s\ncredential_source = Ec2InstanceMetadata\n" ..
                            "[profile odd]\nrole_arn = %s\ncredential_source = Mainframe\n"):format(ROLE, ROLE, ROLE, ROLE))
      local r = probe('{ profile = "env" }', { AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET })
      assert.are.equal("assume-role", r.PROVIDER)
      assert.are.equal("demo-genome", r.CALL)
      r = probe('{ profile = "ecs" }', { AWS_CONTAINER_CREDENTIALS_FULL_URI = emu.url .. "/container/v2/creds" })
      assert.are.equal("assume-role", r.PROVIDER)
      assert.are.equal("demo-genome", r.CALL)
      assert.are.equal(1, stats("ContainerCredentials"))
      r = probe('{ profile = "ec2" }', { AWS_EC2_METADATA_DISABLED = false, AWS_EC2_METADATA_SERVICE_ENDPOINT = emu.url })
      assert.are.equal("assume-role", r.PROVIDER)
      assert.are.equal("demo-genome", r.CALL)
      assert.matches("^InvalidConfigError .*credential_source must be", probe('{ profile = "odd" }').ERR)
    end)

    it("external_id, duration_seconds; mfa_serial is refused clearly", function()
      identity { sts = { require_external_id = { [ROLE] = "secret-ext" } } }
      file(".aws/config", ("[profile good]\nrole_arn = %s\nsource_profile = base\nexternal_id = secret-ext\nduration_seconds = 900\n" ..
                            "[profile bad]\nrole_arn = %s\nsource_profile = base\nexternal_id = wrong\n" ..
                            "[profile mfa]\nrole_arn = %s\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n" ..
                            "[profile long]\nrole_arn = %s\nsource_profile = base\nduration_seconds = 99999\n"):format(ROLE, ROLE, ROLE, ROLE))
      file(".aws/credentials", "[base]\n" .. keys)
      assert.are.equal("demo-genome", probe('{ profile = "good" }').CALL)
      local sent = emu:requests(2)[1]
      assert.matches("DurationSeconds=900", sent.body)
      assert.matches("^AccessDenied ", probe('{ profile = "bad" }').ERR)
      assert.matches("^UnsupportedCredentialsError profile mfa has mfa_serial", probe('{ profile = "mfa" }').ERR)
      assert.matches("^InvalidConfigError .*duration_seconds", probe('{ profile = "long" }').ERR)
    end)

    it("a role without a source is an error naming the profile", function()
      file(".aws/config", ("[profile lone]\nrole_arn = %s\n"):format(ROLE))
      assert.matches("^InvalidConfigError profile lone has role_arn but no source_profile",
                     probe('{ profile = "lone" }').ERR)
    end)
  end)

  describe("credential_process", function()
    local function script(name, body)
      local path = file(name, "#!/bin/sh\n" .. body)
      os.execute(helper.sh("chmod +x " .. helper.shq(path)))
      return path
    end

    it("reads the JSON the command prints, with its expiration", function()
      local cmd = script("creds.sh", ([[
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "2099-01-01T00:00:00Z"}'
]]):format(helper.AKID, helper.SECRET))
      file(".aws/config", "[default]\ncredential_process = " .. cmd .. " --with 'an argument'\n")
      local r = probe()
      assert.are.equal("credential-process", r.PROVIDER)
      assert.are.equal("true", r.EXPIRES)
      assert.are.equal("demo-genome", r.CALL)
    end)

    it("says what went wrong: exit status, bad output, a timeout", function()
      local fails = script("fails.sh", "echo 'no session, run login first' >&2\nexit 3\n")
      local bad = script("bad.sh", "echo 'not json'\n")
      local old = script("old.sh", [[printf '{"Version": 2, "AccessKeyId": "a", "SecretAccessKey": "b"}']] .. "\n")
      local slow = script("slow.sh", "sleep 30\n")
      file(".aws/config", ("[profile fails]\ncredential_process = %s\n[profile bad]\ncredential_process = %s\n" ..
                            "[profile old]\ncredential_process = %s\n[profile slow]\ncredential_process = %s\n"):format(fails, bad, old, slow))
      assert.matches("^CredentialProcessError credential_process exited with status 3: no session, run login first",
                     probe('{ profile = "fails" }').ERR)
      assert.matches("^CredentialProcessError credential_process printed JSON without", probe('{ profile = "bad" }').ERR)
      assert.matches("^CredentialProcessError ", probe('{ profile = "old" }').ERR)
      local t0 = require("socket").gettime()
      local out = helper.run_lua([[
        local p, err = require("omics").provider { profile = "slow", process_timeout = 1 }
        print(p and "PROVIDER" or ("ERR " .. err.code .. " " .. err.message))
      ]], { HOME = home, AWS_EC2_METADATA_DISABLED = "true" })
      assert.matches("ERR ProcessTimeout ", out)
      assert.is_true(require("socket").gettime() - t0 < 5)
    end)
  end)

  describe("SSO", function()
    local function cache(key, token, expires)
      local p = io.popen("printf %s " .. helper.shq(key) .. " | sha1sum")
      local sha = p:read("a"):match("^(%x+)")
      p:close()
      file(".aws/sso/cache/" .. sha .. ".json",
           ('{"accessToken": "%s", "expiresAt": "%s", "region": "us-east-1"}'):format(token, expires))
    end

    it("with an sso_session and the token cached by aws sso login", function()
      identity { sso_tokens = { "sso-token-1" }, sso_roles = { { account_id = "123456789012", role_name = "Omics" } } }
      file(".aws/config", "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Omics\n" ..
                          "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n")
      cache("corp", "sso-token-1", "2099-01-01T00:00:00Z")
      local r = probe()
      assert.are.equal("sso", r.PROVIDER)
      assert.are.equal("demo-genome", r.CALL)
      assert.are.equal(1, stats("GetRoleCredentials"))
    end)

    it("with the legacy sso_start_url keys", function()
      identity { sso_tokens = { "sso-token-2" }, sso_roles = { { account_id = "123456789012", role_name = "Omics" } } }
      local url = "https://legacy.awsapps.com/start"
      file(".aws/config", "[default]\nsso_start_url = " .. url .. "\nsso_region = us-east-1\n" ..
                          "sso_account_id = 123456789012\nsso_role_name = Omics\n")
      cache(url, "sso-token-2", "2099-01-01T00:00:00Z")
      assert.are.equal("sso", probe().PROVIDER)
    end)

    it("an expired, missing or refused token says to run aws sso login", function()
      file(".aws/config", "[profile exp]\nsso_session = s1\nsso_account_id = 123456789012\nsso_role_name = Omics\n" ..
                          "[profile none]\nsso_session = s2\nsso_account_id = 123456789012\nsso_role_name = Omics\n" ..
                          "[profile refused]\nsso_session = s3\nsso_account_id = 123456789012\nsso_role_name = Omics\n" ..
                          "[sso-session s1]\nsso_start_url = https://a/start\nsso_region = us-east-1\n" ..
                          "[sso-session s2]\nsso_start_url = https://b/start\nsso_region = us-east-1\n" ..
                          "[sso-session s3]\nsso_start_url = https://c/start\nsso_region = us-east-1\n")
      cache("s1", "old-token", "2020-01-01T00:00:00Z")
      cache("s3", "unknown-token", "2099-01-01T00:00:00Z")
      assert.matches("^SSOTokenExpired .*run aws sso login %-%-profile exp", probe('{ profile = "exp" }').ERR)
      assert.matches("^SSOTokenLoadError .*run aws sso login %-%-profile none", probe('{ profile = "none" }').ERR)
      assert.matches("^UnauthorizedSSOTokenError .*run aws sso login", probe('{ profile = "refused" }').ERR)
    end)
  end)

  describe("container credentials", function()
    it("from AWS_CONTAINER_CREDENTIALS_FULL_URI with a token, or a token file", function()
      identity { container_token = "Bearer abc" }
      local r = probe(nil, { AWS_CONTAINER_CREDENTIALS_FULL_URI = emu.url .. "/container/v2/creds",
                             AWS_CONTAINER_AUTHORIZATION_TOKEN = "Bearer abc" })
      assert.are.equal("container-role", r.PROVIDER)
      assert.are.equal("demo-genome", r.CALL)
      local tf = file("ctoken", "Bearer abc\n")
      r = probe(nil, { AWS_CONTAINER_CREDENTIALS_FULL_URI = emu.url .. "/container/v2/creds",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = tf })
      assert.are.equal("container-role", r.PROVIDER)
      r = probe(nil, { AWS_CONTAINER_CREDENTIALS_FULL_URI = emu.url .. "/container/v2/creds",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN = "Bearer wrong" })
      assert.matches("^ContainerCredentialsError .*HTTP 401", r.ERR)
    end)

    it("refuses other hosts over http, and tokens with CR or LF", function()
      local r = probe(nil, { AWS_CONTAINER_CREDENTIALS_FULL_URI = "http://example.com/creds" })
      assert.matches("^InvalidContainerCredentialsUri ", r.ERR)
      local tf = file("ctoken", "Bearer abc\r\nX-Injected: yes")
      r = probe(nil, { AWS_CONTAINER_CREDENTIALS_FULL_URI = emu.url .. "/container/v2/creds",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = tf })
      assert.matches("^ContainerTokenError .*CR or LF", r.ERR)
    end)
  end)

  describe("EC2 instance metadata", function()
    local function imds(env)
      local e = { AWS_EC2_METADATA_DISABLED = false, AWS_EC2_METADATA_SERVICE_ENDPOINT = emu.url }
      for k, v in pairs(env or {}) do e[k] = v end
      return e
    end

    it("IMDSv2: a token, the role, its credentials", function()
      local r = probe(nil, imds())
      assert.are.equal("ec2-instance-metadata", r.PROVIDER)
      assert.are.equal("demo-genome", r.CALL)
      assert.are.equal(1, stats("ImdsToken"))
      assert.is_true(stats("ImdsCredentials") >= 1)
    end)

    it("falls back to IMDSv1 only when allowed", function()
      identity { imds = { v1_allowed = true } }
      emu:faults { { operation = "ImdsToken", status = 403, count = 2 } }
      assert.are.equal("ec2-instance-metadata", probe(nil, imds()).PROVIDER)
      local r = probe(nil, imds { AWS_EC2_METADATA_V1_DISABLED = "true" })
      assert.matches("^InstanceMetadataError .*IMDSv1 is disabled", r.ERR)
    end)

    it("is skipped when disabled or absent, within its one-second budget", function()
      local t0 = require("socket").gettime()
      emu:faults { { operation = "ImdsToken", delay_ms = 3000 } }
      local r = probe(nil, imds())
      local took = require("socket").gettime() - t0
      assert.matches("^NoCredentialsError .*EC2 instance metadata %(no answer", r.ERR)
      assert.is_true(took < 2.5, ("took %.2f s"):format(took))
      r = probe(nil, imds { AWS_EC2_METADATA_SERVICE_ENDPOINT = "http://127.0.0.1:9" })
      assert.matches("EC2 instance metadata %(no answer", r.ERR)
      r = probe(nil, imds { AWS_EC2_METADATA_DISABLED = "true" })
      assert.matches("EC2 instance metadata %(disabled by AWS_EC2_METADATA_DISABLED%)", r.ERR)
    end)

    it("gives the region when nothing else does", function()
      identity { imds = { region = "eu-west-1" } }
      local r = probe(nil, imds { AWS_REGION = false, AWS_ACCESS_KEY_ID = helper.AKID,
                                  AWS_SECRET_ACCESS_KEY = helper.SECRET })
      assert.are.equal("eu-west-1", r.REGION)
    end)
  end)

  ---------------------------------------------------------------- order

  describe("the order of the providers", function()
    local keys = ("aws_access_key_id = %s\naws_secret_access_key = %s\n"):format(helper.AKID, helper.SECRET)

    it("the environment before the profile; a profile given as an option before the environment", function()
      file(".aws/credentials", "[default]\n" .. keys .. "[dev]\n" .. keys)
      local env = { AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET }
      assert.are.equal("environment", probe(nil, env).PROVIDER)
      assert.are.equal("shared-credentials-file", probe('{ profile = "dev" }', env).PROVIDER)
    end)

    it("web identity before the profile's keys, the profile's role before web identity", function()
      local token = file("token", "web-identity-token")
      file(".aws/credentials", "[default]\n" .. keys .. "[base]\n" .. keys)
      local env = { AWS_WEB_IDENTITY_TOKEN_FILE = token, AWS_ROLE_ARN = ROLE }
      assert.are.equal("assume-role-with-web-identity", probe(nil, env).PROVIDER)
      file(".aws/config", ("[default]\nrole_arn = %s\nsource_profile = base\n"):format(ROLE))
      assert.are.equal("assume-role", probe(nil, env).PROVIDER)
    end)

    it("the credentials file, then credential_process, then the config file's keys", function()
      file(".aws/config", "[default]\ncredential_process = false\n" .. keys)
      file(".aws/credentials", "[default]\n" .. keys)
      assert.are.equal("shared-credentials-file", probe().PROVIDER)
      file(".aws/credentials", "")
      assert.matches("^CredentialProcessError", probe().ERR)
    end)

    it("the profile before container credentials, containers before instance metadata", function()
      file(".aws/config", "[default]\n" .. keys)
      local env = { AWS_CONTAINER_CREDENTIALS_FULL_URI = emu.url .. "/container/v2/creds",
                    AWS_EC2_METADATA_DISABLED = false, AWS_EC2_METADATA_SERVICE_ENDPOINT = emu.url }
      assert.are.equal("config-file", probe(nil, env).PROVIDER)
      file(".aws/config", "")
      assert.are.equal("container-role", probe(nil, env).PROVIDER)
    end)

    it("lists what it tried when nothing applies", function()
      local r = probe()
      assert.matches("^NoCredentialsError unable to locate credentials for profile default; tried " ..
                     "environment variables, the profile %(", r.ERR)
      assert.matches("container credentials", r.ERR)
      assert.matches("EC2 instance metadata %(disabled", r.ERR)
    end)
  end)

  --------------------------------------------------------------- refresh

  describe("refresh", function()
    -- a provider over a function of ours, on a clock of ours
    local function counted(expiration_after)
      local state = { now = 1000000, calls = 0, fail = false }
      local provider = assert(omics.provider {
        clock = function() return state.now end,
        credentials = function()
          state.calls = state.calls + 1
          if state.fail then error("the identity service is down") end
          return { access_key_id = "AKIDEXAMPLE", secret_access_key = helper.SECRET,
                   expiration = state.now + expiration_after }
        end,
      })
      return provider, state
    end

    it("keeps credentials until 15 minutes before they expire", function()
      local p, st = counted(3600)
      assert.are.equal(1, st.calls)
      st.now = st.now + 3600 - 16 * 60
      assert(p:credentials())
      assert.are.equal(1, st.calls)
      st.now = st.now + 2 * 60 -- 14 minutes left: advisory refresh
      assert(p:credentials())
      assert.are.equal(2, st.calls)
    end)

    it("keeps the old ones when an advisory refresh fails", function()
      local p, st = counted(3600)
      st.now = st.now + 3600 - 12 * 60
      st.fail = true
      local c = assert(p:credentials())
      assert.are.equal(2, st.calls)
      assert.are.equal("AKIDEXAMPLE", c.access_key_id)
    end)

    it("fails when a mandatory refresh fails (10 minutes left)", function()
      local p, st = counted(3600)
      st.now = st.now + 3600 - 9 * 60
      st.fail = true
      local c, err = p:credentials()
      assert.is_nil(c)
      assert.matches("could not be refreshed: the credentials function raised: .*the identity service is down", err.message)
      st.fail = false
      assert(p:credentials())
    end)

    it("is shared: two clients, one refresh", function()
      local p, st = counted(3600)
      local a = helper.client(emu, { credentials = p })
      local b = helper.client(emu, { credentials = p })
      assert(a:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" })
      assert(b:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" })
      assert.are.equal(1, st.calls)
      st.now = st.now + 3600 - 5 * 60
      assert(a:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" })
      assert(b:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" })
      assert.are.equal(2, st.calls)
    end)

    it("refreshes STS credentials before they expire, and refuses expired ones", function()
      identity { expires_in = 700 } -- inside the advisory window from the start
      local token = file("token", "web-identity-token")
      local out, status = helper.run_lua([[
        local omics = require "omics"
        local c = assert(omics.new { endpoint = os.getenv("EMU") })
        for i = 1, 3 do assert(c:get_reference_metadata { referenceStoreId = "1234567890", id = "9876543210" }) end
        print("OK")
      ]], { HOME = home, EMU = emu.url, AWS_REGION = "us-east-1", AWS_ENDPOINT_URL_STS = emu.url,
            AWS_EC2_METADATA_DISABLED = "true", AWS_WEB_IDENTITY_TOKEN_FILE = token, AWS_ROLE_ARN = ROLE })
      assert.are.equal(0, status, out)
      assert.matches("OK", out)
      assert.are.equal(4, stats("AssumeRoleWithWebIdentity"), "one to start, one refresh per call")
      identity { expires_in = -60 }
      local r = probe(nil, { AWS_WEB_IDENTITY_TOKEN_FILE = token, AWS_ROLE_ARN = ROLE })
      assert.matches("^CredentialsExpired ", r.ERR)
    end)
  end)

  describe("control characters (CR, LF and the like would split the request)", function()
    local SMUGGLE = "tok\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x"

    -- The probe's outcome: refused before anything reached the service, with
    -- an error that names the field but not the value.
    local function refused(field, r, out)
      assert.matches("^InvalidCredentials the " .. field .. " %(from [^)]+%) holds a control character", r.ERR or out)
      assert.is_nil(out:find("smuggled", 1, true), "the value is echoed: " .. out)
      assert.is_nil(out:find("GET /", 1, true))
      assert.are.equal(0, stats("GetReferenceMetadata"))
      for _, req in ipairs(emu:requests(50)) do
        assert.is_nil(req.raw_path:find("smuggled", 1, true), "a smuggled request reached the server")
      end
    end

    it("from options, a function, the environment, the shared files and credential_process", function()
      refused("session token", probe(("{ credentials = { access_key_id = %q, secret_access_key = %q, session_token = %q } }")
        :format(helper.AKID, helper.SECRET, SMUGGLE)))
      refused("access key id", probe(("{ credentials = { access_key_id = %q, secret_access_key = %q } }")
        :format("AKID\r\nX-Inj: 1", helper.SECRET)))
      refused("secret access key", probe(([[{ credentials = function()
        return { access_key_id = %q, secret_access_key = %q } end }]]):format(helper.AKID, "sec\nret")))
      refused("session token", probe(nil, { AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET,
                           AWS_SESSION_TOKEN = SMUGGLE }))
      file(".aws/credentials", ("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\x01\n")
        :format(helper.AKID, helper.SECRET))
      refused("secret access key", probe())
      os.remove(home .. "/.aws/credentials")
      local path = file("creds.sh", ("#!/bin/sh\nprintf '%%s' '%s'\n"):format(helper.json.encode {
        Version = 1, AccessKeyId = helper.AKID, SecretAccessKey = helper.SECRET, SessionToken = SMUGGLE }))
      os.execute(helper.sh("chmod +x " .. helper.shq(path)))
      file(".aws/config", "[default]\ncredential_process = " .. path .. "\n")
      refused("session token", probe())
    end)

    it("from STS, SSO, container credentials and instance metadata", function()
      local function inject(operation, body)
        emu:faults { { operation = operation, mode = "body", status = 200, body = body } }
      end
      local json_creds = helper.json.encode { AccessKeyId = "ASIAEXAMPLE", SecretAccessKey = helper.SECRET,
                                              Token = SMUGGLE, Expiration = "2099-01-01T00:00:00Z" }
      -- STS, in XML: a character reference is decoded into a real CR LF
      file(".aws/config", ("[profile app]\nrole_arn = %s\nsource_profile = base\n"):format(ROLE))
      file(".aws/credentials", ("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"):format(helper.AKID, helper.SECRET))
      inject("AssumeRole", ([[<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>
<SessionToken>tok&#13;&#10;X-Inj: 1</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>
</AssumeRoleResponse>]]):format(helper.SECRET, ROLE))
      refused("session token", probe('{ profile = "app" }'))
      os.remove(home .. "/.aws/credentials")
      -- SSO
      identity { sso_tokens = { "sso-token-1" }, sso_roles = { { account_id = "123456789012", role_name = "Omics" } } }
      file(".aws/config", "[default]\nsso_account_id = 123456789012\nsso_role_name = Omics\n" ..
                          "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n")
      local p = io.popen("printf %s " .. helper.shq("https://corp.awsapps.com/start") .. " | sha1sum")
      local sha = p:read("a"):match("^(%x+)")
      p:close()
      file(".aws/sso/cache/" .. sha .. ".json",
           '{"accessToken": "sso-token-1", "expiresAt": "2099-01-01T00:00:00Z", "region": "us-east-1"}')
      inject("GetRoleCredentials", helper.json.encode { roleCredentials = {
        accessKeyId = "ASIA\tEXAMPLE", secretAccessKey = helper.SECRET, sessionToken = "t",
        expiration = 4070908800000 } })
      refused("access key id", probe())
      os.remove(home .. "/.aws/config")
      -- container credentials
      identity { container_token = "Bearer abc" }
      inject("ContainerCredentials", json_creds)
      refused("session token", probe(nil, { AWS_CONTAINER_CREDENTIALS_FULL_URI = emu.url .. "/container/v2/creds",
                           AWS_CONTAINER_AUTHORIZATION_TOKEN = "Bearer abc" }))
      -- instance metadata: the role's listing, then its credentials
      local imds = { AWS_EC2_METADATA_DISABLED = false, AWS_EC2_METADATA_SERVICE_ENDPOINT = emu.url }
      local imds_creds = helper.json.encode { Code = "Success", AccessKeyId = "ASIAEXAMPLE",
        SecretAccessKey = helper.SECRET, Token = SMUGGLE, Expiration = "2099-01-01T00:00:00Z" }
      emu:faults { { operation = "ImdsCredentials", mode = "body", body = "omics-role\n" },
                   { operation = "ImdsCredentials", mode = "body", body = imds_creds } }
      refused("session token", probe(nil, imds))
      -- a listing that is no role name is refused without being echoed
      inject("ImdsCredentials", imds_creds)
      local r, out = probe(nil, imds)
      assert.matches("^InstanceMetadataError instance metadata listed a role name that is not", r.ERR)
      assert.is_nil(out:find(helper.SECRET, 1, true), "the listing is echoed: " .. out)
      assert.is_nil(out:find("smuggled", 1, true))
    end)
  end)

  it("never shows the secret: not in credentials(), tostring or errors", function()
    local r, out = probe(nil, { AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET,
                                AWS_SESSION_TOKEN = "TOKEN-SECRET-VALUE" })
    assert.are.equal("environment", r.PROVIDER)
    assert.is_nil(out:find(helper.SECRET, 1, true))
    assert.is_nil(out:find("TOKEN-SECRET-VALUE", 1, true))
  end)
end)
