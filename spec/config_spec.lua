-- Region, endpoint, profile and credential resolution, with real files and a
-- real environment: every case runs in a child Lua process whose environment
-- holds exactly what the case sets (env -i), with HOME in a temporary folder.
local helper = require "helper"

-- A chunk that makes a client with opts and prints what it resolved: region
-- (from the signature scope), host, the credential provider and key id.
local PROBE = [[
local omics = require "omics"
local opts = %s
local c, err = omics.new(opts)
if not c then
  print("ERR " .. err.code .. " " .. err.message)
  return
end
local r = assert(c:prepare("GetReferenceMetadata", { referenceStoreId = "1234567890", id = "9876543210" }))
local signed = assert(c:sign(r))
local region = signed.headers.Authorization:match("/%%d+/([^/]+)/omics/aws4_request")
local cr = c:credentials()
print("REGION " .. region)
print("HOST " .. r.host)
print("URL " .. r.url)
print("PROVIDER " .. cr.provider)
print("AKID " .. cr.access_key_id)
print("TOKEN " .. tostring(signed.headers["X-Amz-Security-Token"]))
print("CLIENT " .. tostring(c))
]]

local function serialize(t)
  if type(t) == "boolean" or type(t) == "number" then return tostring(t) end
  if type(t) ~= "table" then return string.format("%q", t) end
  local parts = {}
  for k, v in pairs(t) do
    parts[#parts + 1] = "[" .. string.format("%q", k) .. "]=" .. serialize(v)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

describe("configuration", function()
  local home

  before_each(function()
    home = helper.tmpdir()
    os.execute("mkdir -p " .. helper.shq(home .. "/.aws"))
  end)

  after_each(function()
    helper.rmdir(home)
  end)

  local function files(config, credentials)
    if config then helper.write(home .. "/.aws/config", config) end
    if credentials then helper.write(home .. "/.aws/credentials", credentials) end
  end

  -- Run the probe; returns a table of the printed KEY value lines.
  local function probe(opts, env)
    local e = { HOME = home }
    for k, v in pairs(env or {}) do e[k] = v end
    local out, status = helper.run_lua(PROBE:format(serialize(opts or {})), e)
    assert.are.equal(0, status, out)
    local r = {}
    for line in out:gmatch("[^\n]+") do
      local k, v = line:match("^(%u+) (.*)$")
      if k then r[k] = v end
    end
    assert(r.ERR or r.REGION, "unexpected output: " .. out)
    return r
  end

  local KEYS = { AWS_ACCESS_KEY_ID = "AKIDENV", AWS_SECRET_ACCESS_KEY = "env-secret" }
  local function with_keys(env)
    local e = { AWS_ACCESS_KEY_ID = "AKIDENV", AWS_SECRET_ACCESS_KEY = "env-secret" }
    for k, v in pairs(env or {}) do e[k] = v end
    return e
  end

  describe("region", function()
    it("is required, and the error says how to set it", function()
      local r = probe({}, KEYS)
      assert.matches("^NoRegionError", r.ERR)
      assert.matches("region =", r.ERR)
      assert.matches("AWS_REGION", r.ERR)
    end)

    it("comes from the option first", function()
      local r = probe({ region = "eu-west-2" }, with_keys { AWS_REGION = "us-west-2" })
      assert.are.equal("eu-west-2", r.REGION)
    end)

    it("then AWS_REGION, then AWS_DEFAULT_REGION, then the profile", function()
      files("[default]\nregion = ap-south-1\n")
      assert.are.equal("us-west-2",
        probe({}, with_keys { AWS_REGION = "us-west-2", AWS_DEFAULT_REGION = "eu-central-1" }).REGION)
      assert.are.equal("eu-central-1", probe({}, with_keys { AWS_DEFAULT_REGION = "eu-central-1" }).REGION)
      assert.are.equal("ap-south-1", probe({}, KEYS).REGION)
    end)

    it("of a named profile, from a [profile name] section", function()
      files("[default]\nregion = ap-south-1\n\n[profile dev]\nregion = ca-central-1\n" ..
            "aws_access_key_id = AKIDDEV\naws_secret_access_key = s\n")
      assert.are.equal("ca-central-1", probe({ profile = "dev" }, KEYS).REGION)
      assert.are.equal("ca-central-1", probe({}, with_keys { AWS_PROFILE = "dev" }).REGION)
    end)

    it("is refused when it is not a host label", function()
      local r = probe({ region = "us-east-1.evil.example" }, KEYS)
      assert.matches("^InvalidRegion", r.ERR)
    end)
  end)

  describe("endpoint", function()
    it("defaults to the operation's host prefix on the regional endpoint", function()
      local r = probe({ region = "eu-west-1" }, KEYS)
      assert.are.equal("control-storage-omics.eu-west-1.amazonaws.com", r.HOST)
      assert.are.equal("https://control-storage-omics.eu-west-1.amazonaws.com/referencestore/1234567890/reference/9876543210/metadata", r.URL)
    end)

    it("uses the China partition's domain", function()
      assert.are.equal("control-storage-omics.cn-north-1.amazonaws.com.cn",
                       probe({ region = "cn-north-1" }, KEYS).HOST)
    end)

    it("FIPS and dual-stack from the option, then the environment, then the profile, by the model's rules", function()
      files("[default]\nuse_dualstack_endpoint = true\n[profile plain]\nuse_fips_endpoint = false\n")
      local base = { region = "us-east-1", inject_host_prefix = false }
      -- the profile: dual-stack
      assert.are.equal("omics.us-east-1.api.aws", probe(base, KEYS).HOST)
      -- the environment wins over the profile, the option over both
      assert.are.equal("omics-fips.us-east-1.api.aws",
                       probe(base, with_keys { AWS_USE_FIPS_ENDPOINT = "true" }).HOST)
      assert.are.equal("omics.us-east-1.amazonaws.com",
                       probe(base, with_keys { AWS_USE_DUALSTACK_ENDPOINT = "false" }).HOST)
      assert.are.equal("omics-fips.us-gov-west-1.amazonaws.com",
                       probe({ region = "us-gov-west-1", inject_host_prefix = false, use_fips_endpoint = true,
                               use_dualstack_endpoint = false }, KEYS).HOST)
      assert.are.equal("omics-fips.cn-north-1.api.amazonwebservices.com.cn",
                       probe({ region = "cn-north-1", inject_host_prefix = false, use_fips_endpoint = true }, KEYS).HOST)
      -- the rule set's own errors, in its words
      local r = probe({ region = "us-iso-east-1" }, KEYS)
      assert.are.equal("EndpointResolutionError endpoint rules: DualStack is enabled but this partition does not support DualStack", r.ERR)
      r = probe({ region = "us-east-1", endpoint = "https://example.com", use_fips_endpoint = true }, KEYS)
      assert.are.equal("EndpointResolutionError endpoint rules: Invalid Configuration: FIPS and custom endpoint are not supported", r.ERR)
      r = probe({ region = "us-east-1" }, with_keys { AWS_USE_FIPS_ENDPOINT = "yes" })
      assert.are.equal("InvalidOption AWS_USE_FIPS_ENDPOINT must be true or false, not yes", r.ERR)
      r = probe({ region = "us-east-1", use_fips_endpoint = "yes" }, KEYS)
      assert.matches("use_fips_endpoint", r.ERR)
    end)

    it("option, then AWS_ENDPOINT_URL_OMICS, then AWS_ENDPOINT_URL, then the profile", function()
      files("[default]\nendpoint_url = https://profile.example\n")
      local env = with_keys { AWS_ENDPOINT_URL_OMICS = "https://svc.example:8443",
                              AWS_ENDPOINT_URL = "https://all.example" }
      assert.are.equal("control-storage-opt.example",
                       probe({ region = "us-east-1", endpoint = "https://opt.example" }, env).HOST)
      assert.are.equal("control-storage-svc.example:8443", probe({ region = "us-east-1" }, env).HOST)
      assert.are.equal("control-storage-all.example",
                       probe({ region = "us-east-1" }, with_keys { AWS_ENDPOINT_URL = "https://all.example" }).HOST)
      assert.are.equal("control-storage-profile.example", probe({ region = "us-east-1" }, KEYS).HOST)
    end)

    it("gets no host prefix when it is an IP literal or localhost, or when told not to", function()
      assert.are.equal("127.0.0.1:9000", probe({ region = "us-east-1", endpoint = "http://127.0.0.1:9000" }, KEYS).HOST)
      assert.are.equal("[::1]:9000", probe({ region = "us-east-1", endpoint = "http://[::1]:9000" }, KEYS).HOST)
      assert.are.equal("localhost:9000", probe({ region = "us-east-1", endpoint = "http://localhost:9000" }, KEYS).HOST)
      assert.are.equal("omics.example", probe({ region = "us-east-1", endpoint = "https://omics.example",
                                                inject_host_prefix = false }, KEYS).HOST)
      assert.are.equal("omics.example", probe({ region = "us-east-1", endpoint = "https://omics.example" },
                                              with_keys { AWS_DISABLE_HOST_PREFIX_INJECTION = "true" }).HOST)
    end)

    it("keeps a base path", function()
      local r = probe({ region = "us-east-1", endpoint = "http://127.0.0.1:9000/proxy/" }, KEYS)
      assert.are.equal("http://127.0.0.1:9000/proxy/referencestore/1234567890/reference/9876543210/metadata", r.URL)
    end)

    it("rejects what is not an http(s) URL", function()
      for _, bad in ipairs { "ftp://x", "no-scheme", "https://user:pw@host", "https://h/p?q=1", "https://h:99999" } do
        local r = probe({ region = "us-east-1", endpoint = bad }, KEYS)
        assert.matches("^InvalidEndpoint", r.ERR, bad)
      end
    end)
  end)

  describe("credentials", function()
    it("from the option", function()
      local r = probe({ region = "us-east-1", credentials = { access_key_id = "AKIDOPT",
        secret_access_key = "opt-secret", session_token = "opt-token" } }, KEYS)
      assert.are.equal("option", r.PROVIDER)
      assert.are.equal("AKIDOPT", r.AKID)
      assert.are.equal("opt-token", r.TOKEN)
    end)

    it("from the environment, with AWS_SESSION_TOKEN", function()
      local r = probe({ region = "us-east-1" }, with_keys { AWS_SESSION_TOKEN = "env-token" })
      assert.are.equal("environment", r.PROVIDER)
      assert.are.equal("AKIDENV", r.AKID)
      assert.are.equal("env-token", r.TOKEN)
    end)

    it("from the shared credentials file, then the config file", function()
      files("[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = cfg-secret\n",
            "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = creds-secret\naws_session_token = t1\n")
      local r = probe({ region = "us-east-1" })
      assert.are.equal("shared-credentials-file", r.PROVIDER)
      assert.are.equal("AKIDCREDS", r.AKID)
      assert.are.equal("t1", r.TOKEN)
      helper.write(home .. "/.aws/credentials", "")
      r = probe({ region = "us-east-1" })
      assert.are.equal("config-file", r.PROVIDER)
      assert.are.equal("AKIDCONFIG", r.AKID)
    end)

    it("the environment wins over the files, unless a profile is given as an option", function()
      files(nil, "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s\n" ..
                 "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n")
      assert.are.equal("AKIDENV", probe({ region = "us-east-1" }, KEYS).AKID)
      assert.are.equal("AKIDENV", probe({ region = "us-east-1" }, with_keys { AWS_PROFILE = "dev" }).AKID)
      assert.are.equal("AKIDDEV", probe({ region = "us-east-1", profile = "dev" }, KEYS).AKID)
    end)

    it("files named by AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, with ~ expanded", function()
      helper.write(home .. "/my-config", "[profile ci]\nregion = sa-east-1\n")
      helper.write(home .. "/my-creds", "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = s\n")
      local r = probe({}, { AWS_CONFIG_FILE = "~/my-config", AWS_SHARED_CREDENTIALS_FILE = home .. "/my-creds",
                            AWS_PROFILE = "ci" })
      assert.are.equal("sa-east-1", r.REGION)
      assert.are.equal("AKIDCI", r.AKID)
    end)

    it("a named profile that does not exist is an error naming it", function()
      files("[default]\nregion = us-east-1\n")
      local r = probe({}, with_keys { AWS_PROFILE = "nosuch" })
      assert.matches("^ProfileNotFound .*%(nosuch%)", r.ERR)
      r = probe({ profile = "other" }, KEYS)
      assert.matches("^ProfileNotFound .*%(other%)", r.ERR)
    end)

    it("none found: the error lists what was tried", function()
      local r = probe({ region = "us-east-1" })
      assert.matches("^NoCredentialsError", r.ERR)
      assert.matches("environment variables", r.ERR)
      assert.matches("shared credentials file", r.ERR)
      assert.matches("shared config file", r.ERR)
    end)

    it("half a key pair is an error, not a silent skip", function()
      local r = probe({ region = "us-east-1" }, { AWS_ACCESS_KEY_ID = "AKIDONLY" })
      assert.matches("^PartialCredentialsError", r.ERR)
      r = probe({ region = "us-east-1", credentials = { access_key_id = "A" } })
      assert.matches("^PartialCredentialsError", r.ERR)
    end)

    it("a config of 5,000 SSO profiles costs milliseconds, and is read once per process", function()
      local parts = {}
      for i = 1, 5000 do
        parts[#parts + 1] = ("[profile team%d]\nsso_session = corp\nsso_account_id = %012d\n" ..
          "sso_role_name = Role%d\nregion = us-east-1\n"):format(i, i, i)
      end
      parts[#parts + 1] = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n" ..
        "sso_region = us-east-1\n[default]\nregion = eu-west-3\n"
      files(table.concat(parts))
      local out, status = helper.run_lua([[
        local omics = require "omics"
        local times = {}
        for i = 1, 3 do
          local t0 = os.clock()
          local c = assert(omics.new { credentials = { access_key_id = "A", secret_access_key = "s" } })
          times[i] = os.clock() - t0
          assert(tostring(c):find("region eu%-west%-3"), tostring(c))
          if i == 2 then -- the file changes: the next client reads it again
            local f = assert(io.open(os.getenv("HOME") .. "/.aws/config", "a"))
            f:write("[profile late]\nregion = ap-south-1\n")
            f:close()
          end
        end
        local c = assert(omics.new { profile = "late", credentials = { access_key_id = "A", secret_access_key = "s" } })
        print(("TIMES %.4f %.4f %.4f"):format(times[1], times[2], times[3]))
        print("LATE " .. tostring(c):match("region (%S+),"))
      ]], { HOME = home })
      assert.are.equal(0, status, out)
      local first, second, third = out:match("TIMES (%S+) (%S+) (%S+)")
      print(("config_spec: omics.new with 5,000 profiles: %.1f ms, then %.1f ms (cached), " ..
             "%.1f ms (changed)"):format(first * 1000, second * 1000, third * 1000))
      assert.are.equal("ap-south-1", out:match("LATE (%S+)"))
      -- (before: 1.9 s for each client)
      assert.is_true(tonumber(first) < 0.5, out)
    end)

    it("a config file that is not INI names the file and line", function()
      files("[default]\nregion = us-east-1\nthis line is wrong\n")
      local r = probe({}, KEYS)
      assert.matches("^ConfigParseError .*config, line 3", r.ERR)
    end)

    it("secrets never show in tostring(client) or errors", function()
      local r = probe({ region = "us-east-1", credentials = { access_key_id = "AKIDOPT",
        secret_access_key = "SECRET-VALUE-123", session_token = "TOKEN-VALUE-456" } })
      assert.is_nil(r.CLIENT:find("SECRET-VALUE", 1, true))
      assert.is_nil(r.CLIENT:find("TOKEN-VALUE", 1, true))
      assert.matches("credentials from option", r.CLIENT)
    end)
  end)

  describe("retry settings", function()
    it("default to standard with 3 attempts", function()
      local r = probe({ region = "us-east-1" }, KEYS)
      assert.matches("retry standard, 3 attempts%)$", r.CLIENT)
    end)

    it("come from the profile, then the environment, then the options", function()
      files("[default]\nregion = us-east-1\nretry_mode = adaptive\nmax_attempts = 7\n" ..
            "[profile ci]\nregion = us-east-1\nmax_attempts = 2\n")
      assert.matches("retry adaptive, 7 attempts%)$", probe({}, KEYS).CLIENT)
      assert.matches("retry standard, 2 attempts%)$", probe({}, with_keys { AWS_PROFILE = "ci" }).CLIENT)
      assert.matches("retry standard, 4 attempts%)$",
                     probe({}, with_keys { AWS_RETRY_MODE = "standard", AWS_MAX_ATTEMPTS = "4" }).CLIENT)
      assert.matches("retry adaptive, 9 attempts%)$",
                     probe({ retry_mode = "adaptive", max_attempts = 9 },
                           with_keys { AWS_RETRY_MODE = "standard", AWS_MAX_ATTEMPTS = "4" }).CLIENT)
    end)

    it("that make no sense are errors naming the setting and where it came from", function()
      local r = probe({ region = "us-east-1" }, with_keys { AWS_RETRY_MODE = "sometimes" })
      assert.matches("retry_mode must be standard or adaptive, not sometimes %(from AWS_RETRY_MODE%)", r.ERR)
      r = probe({ region = "us-east-1" }, with_keys { AWS_MAX_ATTEMPTS = "many" })
      assert.matches("max_attempts must be a number from 1 to 100, not many %(from AWS_MAX_ATTEMPTS%)", r.ERR)
      files("[default]\nregion = us-east-1\nmax_attempts = 0\n")
      r = probe({}, KEYS)
      assert.matches("max_attempts must be a number from 1 to 100, not 0 %(from profile default in .*config%)", r.ERR)
      r = probe({ region = "us-east-1", max_attempts = 101 }, KEYS)
      assert.matches("max_attempts: an integer from 1 to 100", r.ERR)
    end)
  end)

  describe("options", function()
    it("unknown or mistyped options are errors", function()
      assert.matches("^InvalidOption .*regoin", probe({ regoin = "us-east-1" }, KEYS).ERR)
      assert.matches("^InvalidOption .*timeout", probe({ region = "us-east-1", timeout = "soon" }, KEYS).ERR)
      assert.matches("^InvalidOption .*inject_host_prefix",
                     probe({ region = "us-east-1", inject_host_prefix = "no" }, KEYS).ERR)
    end)

    it("shared_dict shares the chain's credentials, never ones given as an option", function()
      local omics = require "omics"
      local creds = { access_key_id = "AKIDEXAMPLE", secret_access_key = "secret" }
      for _, given in ipairs { creds, function() return creds end } do
        local none, err = omics.new { region = "us-east-1", shared_dict = "omics_credentials", credentials = given }
        assert.is_nil(none)
        assert.are.equal("InvalidOption", err.code)
        assert.matches("^option shared_dict: the workers share the credential chain's credentials", err.message)
        none, err = omics.provider { shared_dict = "omics_credentials", credentials = given }
        assert.is_nil(none)
        assert.matches("^option shared_dict:", err.message)
      end
      local p = assert(omics.provider { credentials = creds })
      local none, err = omics.new { region = "us-east-1", shared_dict = "omics_credentials", credentials = p }
      assert.is_nil(none)
      assert.matches("a provider's shared_dict goes to omics.provider", err.message)
      none, err = omics.new { region = "us-east-1", shared_dict = 12, credentials = creds }
      assert.is_nil(none)
      assert.matches("shared_dict: expected a string", err.message)
    end)
  end)
end)
