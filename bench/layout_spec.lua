-- `make bench` works and its table says what the README says it does: every
-- client, signer and parser has a row with figures, ratios are taken against
-- the floor of the same run, and every target of the issue is reported as met
-- or not.  A short run (one round, few calls); the figures themselves are
-- not asserted here: speed is for the benchmark, not for the tests.
-- Tagged #nginx: it drives a real nginx from outside, once per suite.

local helper = require "helper"

local function rows(text, header)
  local section = text:match(header .. ".-\n(.-)\n\n")
  assert(section, "no section " .. header .. " in:\n" .. text)
  local out = {}
  for line in section:gmatch("[^\n]+") do out[#out + 1] = line end
  return out
end

describe("make bench #nginx", function()
  local text, ok

  setup(function()
    if (os.getenv("OMICS_PRELOAD") or "") ~= "" then return end
    local p = assert(io.popen(helper.sh(("cd %s && REPEAT=1 CALLS=300 MEMORY_CALLS=3000 WRK_SECONDS=1 CLI_RUNS=5 lua5.4 bench/run.lua 2>&1")
      :format(helper.shq(helper.root)))))
    text = p:read("a")
    ok = p:close()
  end)

  local function ran()
    if (os.getenv("OMICS_PRELOAD") or "") ~= "" then
      print("layout_spec: not run under the sanitizers (it times the uninstrumented builds)")
      pending("benchmarks under AddressSanitizer measure the sanitizer")
      return false
    end
    assert.is_true(ok, text)
    return true
  end

  it("prints one table: calls, signing, parsing, nginx, memory, targets", function()
    if not ran() then return end
    assert.matches("lua%-omics benchmarks, %d+%-%d+%-%d+", text)
    assert.matches("medians of 1 runs", text)
    local calls = rows(text, "1%. Calls")
    assert.matches("^%s+client%s+calls/s%s+ratio%s+CPU us/call%s+ratio$", calls[1])
    assert.matches("raw libcurl loop %(floor%)%s+%d+%s+1%.00%s+[%d.]+%s+1%.00$", calls[2])
    for i, who in ipairs { "raw libcurl loop %+ cJSON_Parse", "lua%-omics, Lua 5%.4",
                           "lua%-omics, LuaJIT", "boto3 1%." } do
      assert.matches(who, calls[i + 2])
      assert.matches("%d+%s+%d+%.%d%d%s+%d+%.%d%s+%d+%.%d%d$", calls[i + 2])
    end
    local signing = rows(text, "2%. Signing")
    assert.are.equal(5, #signing)
    assert.matches("botocore SigV4Auth%.add_auth%s+%d+%s+[%d.]+%s+1%.0$", signing[5])
    local parsing = rows(text, "3%. Parsing")
    assert.are.equal(5, #parsing)
    assert.matches("lua%-cjson decode %(no timestamps%)%s+[%d.]+%s+[%d.]+%s+1%.00$", parsing[2])
    local memory = rows(text, "4%. Memory")
    assert.are.equal(3, #memory)
    local nginx = rows(text, "5%. nginx")
    assert.are.equal(4, #nginx)
    assert.matches("proxy_pass %(nginx alone%)%s+%d+%s+1%.00$", nginx[2])
    assert.matches("through cosockets%s+%d+%s+[%d.]+$", nginx[4])
    local cli = rows(text, "6%. The command line")
    assert.matches("^%s+command%s+ms/cmd%s+ratio%s+CPU ms/cmd%s+ratio$", cli[1])
    assert.matches("omics %(bin/omics%), Lua 5%.4%s+[%d.]+%s+1%.00%s+[%d.]+%s+1%.00$", cli[2])
    assert.matches("omics %(bin/omics%), LuaJIT%s+[%d.]+%s+[%d.]+%s+[%d.]+%s+[%d.]+$", cli[3])
    if helper.succeeded("aws --version >/dev/null 2>&1") then
      assert.matches("aws omics %(AWS CLI 1%.[%d.]+%)%s+[%d.]+%s+[%d.]+%s+[%d.]+%s+[%d.]+$", cli[4])
    else
      assert.matches("the AWS CLI is not on this machine", cli[4])
    end
  end)

  it("measures calls against the floor of the same run", function()
    if not ran() then return end
    local floor_rate = tonumber(text:match("raw libcurl loop %(floor%)%s+(%d+)"))
    local rate, ratio = text:match("lua%-omics, Lua 5%.4%s+(%d+)%s+([%d.]+)")
    assert.is_true(floor_rate > 0)
    assert.near(tonumber(rate) / floor_rate, tonumber(ratio), 0.006)
  end)

  it("reports each target of the issue, met or not", function()
    if not ran() then return end
    local targets = text:match("\nTargets\n(.*)$")
    assert.is_string(targets)
    local n = 0
    for line in targets:gmatch("[^\n]+") do
      n = n + 1
      assert.is_truthy(line:match("%(target .+%)  met$") or line:match("%(target .+%)  NOT MET$"), line)
    end
    -- calls and CPU on two runtimes, signature time and speedup, parsing on two,
    -- cosockets against proxy_pass, the command's time (and its speedup over
    -- the AWS CLI where there is one), memory on two
    assert.are.equal(helper.succeeded("aws --version >/dev/null 2>&1") and 13 or 12, n)
  end)
end)
