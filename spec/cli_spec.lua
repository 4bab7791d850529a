-- The omics command (bin/omics) run as a shell user runs it, against the
-- emulator: a child process with its own environment, its stdout, stderr
-- and exit status read as a script would read them.  Under the runtime of
-- the suite (OMICS_LUA: lua5.4 or luajit).
local helper = require "helper"
local json = helper.json

local AWS_OK = helper.succeeded("aws --version >/dev/null 2>&1")

describe("omics command", function()
  local emu, home, work

  -- Run `omics <args>` (a shell word string) with env (a table) added to a
  -- clean environment pointing at the emulator; stdout, stderr, status.
  local function omics(args, env, opts)
    opts = opts or {}
    local vars = {
      HOME = home, PATH = os.getenv("PATH"),
      LUA_PATH = helper.root .. "/?.lua;;", LUA_CPATH = helper.cpath .. ";;",
      AWS_ACCESS_KEY_ID = helper.AKID, AWS_SECRET_ACCESS_KEY = helper.SECRET,
      AWS_REGION = "us-east-1", AWS_ENDPOINT_URL_OMICS = emu.url, AWS_EC2_METADATA_DISABLED = "true",
      NO_PROXY = "127.0.0.1", no_proxy = "127.0.0.1",
    }
    for k, v in pairs(env or {}) do
      if v == false then vars[k] = nil else vars[k] = v end
    end
    local parts = { "cd", helper.shq(work), "&& env -i" }
    for _, w in ipairs(helper.preload_env()) do parts[#parts + 1] = w end
    for k, v in pairs(vars) do parts[#parts + 1] = k .. "=" .. helper.shq(v) end
    parts[#parts + 1] = helper.lua .. " " .. helper.shq(helper.root .. "/bin/omics") .. " " .. args
    local out_file, err_file = work .. "/.stdout", work .. "/.stderr"
    local cmd = table.concat(parts, " ") .. (opts.stdin and (" < " .. helper.shq(opts.stdin)) or " </dev/null") ..
      " >" .. helper.shq(out_file) .. " 2>" .. helper.shq(err_file) .. "; echo $?"
    local p = io.popen(helper.sh("sh -c " .. helper.shq(cmd)))
    local status = tonumber(p:read("a"):match("(%d+)%s*$"))
    p:close()
    return helper.read(out_file), helper.read(err_file), status
  end

  -- the sanitizers' runtime (helper.preload_env) as words for env, "" without
  local function preload_words()
    local words = helper.preload_env()
    return #words > 0 and (table.concat(words, " ") .. " ") or ""
  end

  local function ok_json(args, env)
    local out, err, status = omics(args, env)
    assert.are.equal(0, status, err)
    local v = json.decode(out)
    assert.is_table(v, out)
    return v, out
  end

  setup(function()
    emu = helper.emulator("--seed-demo --part-size 4096")
    home = helper.tmpdir()
    work = helper.tmpdir()
  end)
  teardown(function()
    if emu then emu:stop() end
    helper.rmdir(home)
    helper.rmdir(work)
  end)
  before_each(function()
    emu:reset()
  end)

  ------------------------------------------------------------ output

  it("prints a result as the AWS CLI does: 4-space JSON in the model's order, ISO 8601 times", function()
    local out, err, status = omics("get-reference-metadata --reference-store-id 1234567890 --id 9876543210")
    assert.are.equal(0, status, err)
    assert.are.equal("", err)
    assert.matches('^{\n    "id": "9876543210",\n    "arn": "arn:aws:omics:', out)
    assert.matches('\n    "files": {\n        "source": {\n            "totalParts": 3,\n            "partSize": 4096,', out)
    assert.matches('"creationTime": "%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[%.%d]*%+00:00"', out)
    local v = json.decode(out)
    assert.are.equal("demo-genome", v.name)
    assert.is_nil(v.ResponseMetadata)
  end)

  it("prints text and table outputs, and applies --query", function()
    local out, err, status = omics("list-references --reference-store-id 1234567890 --output text")
    assert.are.equal(0, status, err)
    -- REFERENCES, then the scalar members in sorted key order, tab-separated
    assert.matches("^REFERENCES\tarn:aws:omics:[^\t]+\t[^\t]+\tGenerated demo genome\t9876543210\t%x+\tdemo%-genome\t1234567890\tACTIVE\t", out)
    out = omics("get-reference-metadata --reference-store-id 1234567890 --id 9876543210 --output table")
    assert.matches("|%s+GetReferenceMetadata%s+|", out)
    assert.matches("|%s+name%s+|%s+demo%-genome%s+|", out)
    out = omics("get-reference-metadata --reference-store-id 1234567890 --id 9876543210 --query files.source.contentLength")
    assert.are.equal("12219\n", out)
    out = omics("get-reference-metadata --reference-store-id 1234567890 --id 9876543210 --query '[name, status]' --output text")
    assert.are.equal("demo-genome\tACTIVE\n", out)
    local _, qerr, qstatus = omics("list-references --reference-store-id 1234567890 --query 'references[?'")
    assert.are.equal(252, qstatus)
    assert.matches("%-%-query", qerr)
  end)

  it("reads cli_timestamp_format from the profile", function()
    -- (a profile named by --profile has its own credentials: the environment's are not used)
    helper.write(home .. "/config", ("[profile wire]\ncli_timestamp_format = wire\naws_access_key_id = %s\n" ..
      "aws_secret_access_key = %s\n[default]\ncli_timestamp_format = iso8601\n"):format(helper.AKID, helper.SECRET))
    local args = "get-reference-metadata --reference-store-id 1234567890 --id 9876543210 --query creationTime"
    local iso = omics(args, { AWS_CONFIG_FILE = home .. "/config" })
    assert.matches('^"%d%d%d%d%-%d%d%-%d%dT', iso)
    local wire = omics(args .. " --profile wire", { AWS_CONFIG_FILE = home .. "/config" })
    assert.matches("^%d+%.?%d*\n$", wire)
  end)

  ------------------------------------------------------------ input

  it("takes scalars, maps in shorthand and JSON, and lists of structures in both", function()
    local store = ok_json("create-sequence-store --name reads --tags team=genomics,stage=test")
    local tags = ok_json("list-tags-for-resource --resource-arn " .. store.arn)
    assert.are.same({ team = "genomics", stage = "test" }, tags.tags)
    local store2 = ok_json([[create-sequence-store --name reads2 --tags '{"a": "x,y"}']])
    assert.are.same({ a = "x,y" }, ok_json("list-tags-for-resource --resource-arn " .. store2.arn).tags)

    emu:control("POST", "s3", { uri = "s3://bucket/genome.fa", content = ">chr1\nACGTACGTAC\n" })
    local ref_store = ok_json("create-reference-store --name refs").id
    -- a list of structures: one shorthand word per item, a nested map inside
    local job = ok_json("start-reference-import-job --reference-store-id " .. ref_store ..
      " --role-arn arn:aws:iam::123456789012:role/r" ..
      " --sources 'sourceFile=s3://bucket/genome.fa,name=one,tags={k=v}' 'sourceFile=s3://bucket/genome.fa,name=two'")
    job = ok_json("get-reference-import-job --reference-store-id " .. ref_store .. " --id " .. job.id)
    assert.are.equal(2, #job.sources)
    assert.are.equal("one", job.sources[1].name)
    assert.are.same({ k = "v" }, job.sources[1].tags)
    -- the same as JSON
    local job2 = ok_json("start-reference-import-job --reference-store-id " .. ref_store ..
      [[ --role-arn arn:aws:iam::123456789012:role/r --sources '[{"sourceFile": "s3://bucket/genome.fa", "name": "three"}]']])
    job2 = ok_json("get-reference-import-job --reference-store-id " .. ref_store .. " --id " .. job2.id)
    assert.are.equal("three", job2.sources[1].name)
  end)

  it("takes integers, booleans, timestamps and lists of scalars from their text", function()
    local store = ok_json("create-sequence-store --name reads").id
    -- a list of strings: several words, or a,b
    local r = ok_json("batch-delete-read-set --sequence-store-id " .. store .. " --ids 1111111111 2222222222")
    assert.are.equal(2, #r.errors)
    r = ok_json("batch-delete-read-set --sequence-store-id " .. store .. " --ids 1111111111,2222222222,3333333333")
    assert.are.equal(3, #r.errors)
    -- timestamps (ISO 8601 and epoch seconds) inside a structure in shorthand
    r = ok_json("list-read-sets --sequence-store-id " .. store ..
      " --filter createdAfter=2020-01-01T00:00:00Z,createdBefore=4102444800")
    assert.are.same({}, r.readSets)
    -- an integer: --max-results with --no-paginate leaves the page as it is
    for i = 1, 3 do ok_json("create-reference-store --name s" .. i) end
    r = ok_json("list-reference-stores --max-results 2 --no-paginate")
    assert.are.equal(2, #r.referenceStores)
    assert.is_string(r.nextToken)
    -- a boolean flag, and its --no- form, in the query string
    omics("delete-variant-store --name nothing_here --force")
    assert.are.equal("force=true", emu:requests(1)[1].query)
    omics("delete-variant-store --name nothing_here --no-force")
    assert.are.equal("force=false", emu:requests(1)[1].query)
  end)

  it("reads --cli-input-json from a file and from stdin; options win over it", function()
    helper.write(work .. "/in.json", '{"referenceStoreId": "1234567890", "id": "0000000000"}')
    local v = ok_json("get-reference-metadata --cli-input-json file://in.json --id 9876543210")
    assert.are.equal("demo-genome", v.name)
    helper.write(work .. "/stdin.json", '{"referenceStoreId": "1234567890", "id": "9876543210"}')
    local out, err, status = omics("get-reference-metadata --cli-input-json - --query name --output text", nil,
      { stdin = work .. "/stdin.json" })
    assert.are.equal(0, status, err)
    assert.are.equal("demo-genome\n", out)
    local _, berr, bstatus = omics("get-reference-metadata --cli-input-json '{\"nope\": 1}'")
    assert.are.equal(252, bstatus)
    assert.matches("nope", berr)
  end)

  it("prints skeletons of the input and the output", function()
    local input = ok_json("start-reference-import-job --generate-cli-skeleton")
    assert.are.equal("", input.referenceStoreId)
    assert.are.equal("", input.sources[1].sourceFile)
    local output = ok_json("get-reference-metadata --generate-cli-skeleton output")
    assert.are.equal(0, output.files.source.totalParts)
    assert.are.equal("1970-01-01T00:00:00", output.creationTime)
  end)

  it("sends blobs and streaming payloads from fileb://", function()
    helper.write(work .. "/workflow.zip", "PK\3\4 not really a zip, but bytes")
    local wf = ok_json("create-workflow --name wf --engine NEXTFLOW --main main.nf --definition-zip fileb://workflow.zip")
    local got = ok_json("get-workflow --id " .. wf.id)
    assert.are.equal("wf", got.name)
    -- UploadReadSetPart's streaming payload
    local store = ok_json("create-sequence-store --name reads").id
    local up = ok_json("create-multipart-read-set-upload --sequence-store-id " .. store ..
      " --source-file-type FASTQ --subject-id s --sample-id x --name part")
    helper.write(work .. "/part.fastq", helper.fastq(2000))
    local part = ok_json("upload-read-set-part --sequence-store-id " .. store .. " --upload-id " .. up.uploadId ..
      " --part-source SOURCE1 --part-number 1 --payload fileb://part.fastq")
    assert.is_string(part.checksum)
    local parts = ok_json("list-read-set-upload-parts --sequence-store-id " .. store .. " --upload-id " ..
      up.uploadId .. " --part-source SOURCE1")
    assert.are.equal(#helper.read(work .. "/part.fastq"), parts.parts[1].partSize)
  end)

  ------------------------------------------------------------ errors, exit codes

  it("names the option in validation errors, exits 252 and sends nothing", function()
    local before = emu:stats()
    local cases = {
      { "get-reference-metadata --reference-store-id 1234567890", "the following arguments are required: %-%-id" },
      { "get-reference-metadata --reference-store-id 12 --id 9876543210", "%-%-reference%-store%-id: length" },
      { "list-references --reference-store-id 1234567890 --max-results ten", "%-%-max%-results: expected an integer" },
      { "get-reference-metadata --reference-store-id 1234567890 --id 9876543210 --bogus 1", "Unknown options: %-%-bogus, 1" },
      { "create-sequence-store --name x --tags '{\"a\": '", "%-%-tags: invalid JSON" },
      { "create-sequence-store --name x --sse-config 'type'", "%-%-sse%-config: cannot parse the shorthand" },
      { "nonsense-operation", "invalid choice" },
      { "", "the following arguments are required: command" },
      { "get-reference --reference-store-id 1234567890 --id 9876543210 --part-number 1", "required: outfile" },
      { "wait no-such-waiter --id 1", "invalid choice" },
    }
    for _, c in ipairs(cases) do
      local out, err, status = omics(c[1])
      assert.are.equal(252, status, c[1] .. ": " .. err)
      assert.matches(c[2], err, 1)
      assert.are.equal("", out)
    end
    assert.are.same(before.by_operation, emu:stats().by_operation)
  end)

  it("refuses --no-verify-ssl, saying TLS verification cannot be turned off", function()
    local _, err, status = omics("--no-verify-ssl get-reference-metadata --reference-store-id 1234567890 --id 9876543210")
    assert.are.equal(252, status)
    assert.matches("TLS", err)
    assert.matches("cannot turn verification off", err)
  end)

  it("exits 254 on an error answer, in the AWS CLI's words", function()
    local out, err, status = omics("get-reference-metadata --reference-store-id 1234567890 --id 1111111111")
    assert.are.equal(254, status)
    assert.are.equal("", out)
    assert.matches("^An error occurred %(ResourceNotFoundException%) when calling the GetReferenceMetadata " ..
      "operation: Reference 1111111111 not found", err)
  end)

  it("exits 253 without credentials or region, 255 when nothing answers", function()
    local _, err, status = omics("get-reference-metadata --reference-store-id 1234567890 --id 9876543210",
      { AWS_ACCESS_KEY_ID = false, AWS_SECRET_ACCESS_KEY = false })
    assert.are.equal(253, status, err)
    assert.matches("credentials", err)
    _, err, status = omics("get-reference-metadata --reference-store-id 1234567890 --id 9876543210",
      { AWS_REGION = false })
    assert.are.equal(253, status, err)
    assert.matches("region", err)
    _, err, status = omics("get-reference-metadata --reference-store-id 1234567890 --id 9876543210 " ..
      "--endpoint-url http://127.0.0.1:" .. helper.free_port() .. " --cli-connect-timeout 2")
    assert.are.equal(255, status, err)
    assert.matches("onnect", err)
  end)

  it("exits 130 when interrupted", function()
    -- a waiter that would sleep 30 s between calls, interrupted half a second in
    local ref_store = ok_json("create-reference-store --name refs").id
    emu:control("POST", "s3", { uri = "s3://bucket/genome.fa", content = ">chr1\nACGTACGTAC\n" })
    emu:control("POST", "clock", { speed = 0.001 })
    local job = ok_json("start-reference-import-job --reference-store-id " .. ref_store ..
      " --role-arn arn:aws:iam::123456789012:role/r --sources sourceFile=s3://bucket/genome.fa,name=genome").id
    local cmd = ("cd %s && " .. preload_words() .. "LUA_PATH=%s LUA_CPATH=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=us-east-1 " ..
      "AWS_ENDPOINT_URL_OMICS=%s NO_PROXY=127.0.0.1 HOME=%s %s %s wait reference-import-job-completed " ..
      "--reference-store-id %s --id %s --delay 30 & pid=$!; sleep 1; kill -INT $pid; wait $pid; echo status=$?")
      :format(helper.shq(work), helper.shq(helper.root .. "/?.lua;;"), helper.shq(helper.cpath .. ";;"), helper.AKID,
              helper.shq(helper.SECRET), emu.url, helper.shq(home), helper.lua,
              helper.shq(helper.root .. "/bin/omics"), ref_store, job)
    local started = require("socket").gettime()
    local p = io.popen(helper.sh("sh -c " .. helper.shq(cmd) .. " 2>&1"))
    local out = p:read("a")
    p:close()
    assert.matches("status=130", out)
    assert.is_true(require("socket").gettime() - started < 10)
  end)

  it("--debug logs the exchange on stderr without the secret", function()
    local out, err, status = omics("--debug get-reference-metadata --reference-store-id 1234567890 --id 9876543210",
      { AWS_SESSION_TOKEN = false })
    assert.are.equal(0, status, err)
    assert.matches("GET http://127%.0%.0%.1:%d+/referencestore/1234567890/reference/9876543210/metadata", err)
    assert.matches("Authorization: %[REDACTED%]", err)
    assert.is_nil(err:find(helper.SECRET, 1, true))
    assert.matches('"name": "demo%-genome"', out)
  end)

  ------------------------------------------------------------ pagination

  it("merges every page by default and cuts at --max-items with a token to resume", function()
    for i = 1, 5 do ok_json("create-reference-store --name store" .. i) end
    local before = (emu:stats().by_operation or {}).ListReferenceStores or 0
    local all = ok_json("list-reference-stores --page-size 2")
    assert.are.equal(6, #all.referenceStores)
    assert.is_nil(all.nextToken)
    assert.is_nil(all.NextToken)
    local calls = ((emu:stats().by_operation or {}).ListReferenceStores or 0) - before
    assert.are.equal(3, calls)
    -- cut in the middle of a page, then resumed from the token
    local first = ok_json("list-reference-stores --page-size 2 --max-items 3")
    assert.are.equal(3, #first.referenceStores)
    assert.is_string(first.NextToken)
    local rest = ok_json("list-reference-stores --page-size 2 --starting-token " .. first.NextToken)
    assert.are.equal(3, #rest.referenceStores)
    local ids = {}
    for _, s in ipairs(first.referenceStores) do ids[#ids + 1] = s.id end
    for _, s in ipairs(rest.referenceStores) do ids[#ids + 1] = s.id end
    local want = {}
    for _, s in ipairs(all.referenceStores) do want[#want + 1] = s.id end
    assert.are.same(want, ids)
    -- --no-paginate: one page, the service's token as it is
    local one = ok_json("list-reference-stores --page-size 2 --no-paginate")
    assert.are.equal(2, #one.referenceStores)
    assert.is_string(one.nextToken)
  end)

  ------------------------------------------------------------ waiters

  it("waits for a waiter's success, and exits 255 with the reason when it fails or gives up", function()
    local _
    emu:control("POST", "clock", { speed = 200 })
    local wf = ok_json("create-workflow --name wf --engine NEXTFLOW --definition-uri s3://bucket/wf.zip").id
    local out, err, status = omics("wait workflow-active --id " .. wf .. " --delay 0.1")
    assert.are.equal(0, status, err)
    assert.are.equal("", out)
    -- a failure state
    emu:control("POST", "fail_next", { kind = "workflow" })
    local bad = ok_json("create-workflow --name wf2 --engine NEXTFLOW --definition-uri s3://bucket/wf.zip").id
    _, err, status = omics("wait workflow-active --id " .. bad .. " --delay 0.1")
    assert.are.equal(255, status)
    assert.matches("^Waiter WorkflowActive failed: .*failure", err)
    -- attempts used up
    emu:control("POST", "clock", { speed = 0.001 })
    local slow = ok_json("create-workflow --name wf3 --engine NEXTFLOW --definition-uri s3://bucket/wf.zip").id
    _, err, status = omics("wait workflow-active --id " .. slow .. " --delay 0 --max-attempts 2")
    assert.are.equal(255, status)
    assert.matches("Waiter WorkflowActive failed: gave up after 2 attempts", err)
  end)

  ------------------------------------------------------------ streaming

  it("writes a streaming payload to the OUTFILE, whole or not at all", function()
    local _, out, err, status
    out, err, status = omics("get-reference --reference-store-id 1234567890 --id 9876543210 --part-number 1 ref.part1")
    assert.are.equal(0, status, err)
    assert.are.equal("", out)
    local data = helper.read(work .. "/ref.part1")
    assert.are.equal(4096, #data)
    assert.matches("^>chr1\n", data)
    _, err, status = omics("get-reference --reference-store-id 1234567890 --id 1111111111 --part-number 1 missing.part")
    assert.are.equal(254, status, err)
    assert.is_false(helper.exists(work .. "/missing.part"))
  end)

  ------------------------------------------------------------ transfers

  it("downloads and uploads whole files, with no progress bar on a pipe", function()
    local dir = work .. "/dl"
    os.execute("mkdir -p " .. helper.shq(dir))
    local res, _ = ok_json("download reference --reference-store-id 1234567890 --id 9876543210 --to dl --concurrency 3")
    assert.is_string(res.files.SOURCE)
    assert.are.equal(12219 + 60, res.bytes)
    assert.are.equal(12219, #helper.read(res.files.SOURCE:sub(1, 1) == "/" and res.files.SOURCE or (work .. "/" .. res.files.SOURCE)))
    helper.write(work .. "/reads.fastq", helper.fastq(10000))
    local store = ok_json("create-sequence-store --name reads").id
    emu:control("POST", "clock", { speed = 200 })
    local out, err, status = omics("upload read-set --sequence-store-id " .. store ..
      " --source-file-type FASTQ --subject-id subject --sample-id sample --name reads --part-size 5242880 reads.fastq")
    assert.are.equal(0, status, err)
    assert.are.equal("", err) -- no progress bar: stderr is not a terminal
    local up = json.decode(out)
    assert.are.equal("ACTIVE", up.status)
    local back = ok_json("download read-set --sequence-store-id " .. store .. " --id " .. up.readSetId .. " --to dl")
    local path = back.files.SOURCE1
    assert.are.equal(helper.read(work .. "/reads.fastq"), helper.read(path:sub(1, 1) == "/" and path or (work .. "/" .. path)))
  end)

  it("draws a progress bar on a terminal (tmux), and none with --no-progress", function()
    if not helper.succeeded("command -v tmux >/dev/null") then
      print("cli_spec: tmux is not installed (make deps installs it)")
      pending("tmux is not installed")
      return
    end
    local session = "omics-cli-" .. tostring(os.time()) .. tostring(math.random(1000000))
    local function in_terminal(args, name)
      local script = work .. "/" .. name .. ".sh"
      helper.write(script, ("cd %s && env " .. preload_words() .. "LUA_PATH=%s LUA_CPATH=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s " ..
        "AWS_REGION=us-east-1 AWS_ENDPOINT_URL_OMICS=%s NO_PROXY=127.0.0.1 HOME=%s %s %s %s >/dev/null; " ..
        "echo status=$?; sleep 30\n"):format(helper.shq(work), helper.shq(helper.root .. "/?.lua;;"),
        helper.shq(helper.cpath .. ";;"), helper.AKID, helper.shq(helper.SECRET), emu.url, helper.shq(home),
        helper.lua, helper.shq(helper.root .. "/bin/omics"), args))
      local s = session .. name
      assert.is_true(helper.succeeded(helper.sh(("tmux new-session -d -s %s -x 160 -y 20 sh %s"):format(s, helper.shq(script)))))
      local screen = ""
      for _ = 1, 100 do
        local p = io.popen(helper.sh("tmux capture-pane -p -t " .. s))
        screen = p:read("a")
        p:close()
        if screen:find("status=%d+") then break end
        os.execute("sleep 0.1")
      end
      os.execute(helper.sh("tmux kill-session -t " .. s .. " 2>/dev/null"))
      return screen
    end
    os.execute("mkdir -p " .. helper.shq(work .. "/tty1") .. " " .. helper.shq(work .. "/tty2"))
    local screen = in_terminal("download reference --reference-store-id 1234567890 --id 9876543210 --to tty1", "bar")
    assert.matches("status=0", screen)
    assert.matches("download 12%.0 KiB / 12%.0 KiB %[#+%] 100%% [%d.]+ [KMG]?i?B/s ETA 0:00", screen)
    screen = in_terminal("download reference --reference-store-id 1234567890 --id 9876543210 --to tty2 --no-progress", "none")
    assert.matches("status=0", screen)
    assert.is_nil(screen:find("ETA", 1, true))
  end)

  ------------------------------------------------------------ help

  it("prints help made from the model", function()
    local out, _, status = omics("help")
    assert.are.equal(0, status)
    assert.matches("get%-reference%-metadata", out)
    assert.matches("252 command line", out)
    out = omics("get-reference-metadata help")
    assert.matches("%-%-reference%-store%-id %(string, required, in the path, 10 to 36 characters%)", out)
    assert.matches("OUTPUT.*status %-> %(string%)\n%s+one of: ACTIVE | DELETING | DELETED", out)
    assert.matches("ERRORS.*ResourceNotFoundException %(HTTP 404%)", out)
    out = omics("list-references help")
    assert.matches("PAGINATION\n  pages merged by default: references, from nextToken to nextToken, page size in maxResults", out)
    out = omics("get-run help")
    assert.matches("WAITERS\n  omics wait run%-completed", out)
    out = omics("wait help")
    assert.matches("run%-completed%s+GetRun, every 30 s, at most 20 attempts", out)
    out = omics("wait run-completed help")
    assert.matches("failure when path status is \"FAILED\"", out)
    out = omics("download help")
    assert.matches("%-%-concurrency", out)
    out = omics("upload read-set help")
    assert.matches("%-%-source%-file%-type %(string, required%) one of: FASTQ | BAM | CRAM | UBAM", out)
  end)

  describe("help for every operation", function()
    local core = require "omics.core"
    local ops = core.describe_model(nil)
    it("walks all 107 operations", function() assert.are.equal(107, #ops) end)
    for _, o in ipairs(ops) do
      local cli = o.method:gsub("_", "-")
      it(cli .. " help", function()
        local out, err, status = omics(cli .. " help")
        assert.are.equal(0, status, err)
        local d = core.describe_model(nil, o.name)
        assert.matches("the " .. o.name .. " operation", out, 1, true)
        local input = d.input and d.shapes[d.input]
        for _, m in ipairs(input and input.members or {}) do
          assert.is_truthy(out:find("  --" .. m.cli .. " (", 1, true), m.cli)
        end
        assert.matches("\nOUTPUT\n", out)
        for _, e in ipairs(d.errors) do assert.is_truthy(out:find(e.code, 1, true), e.code) end
      end)
    end
  end)

  ------------------------------------------------------------ README, install

  it("runs the README's glue script", function()
    local script = helper.read(helper.root .. "/README.md"):match("```sh\n(.-)```")
    assert.is_string(script)
    emu:control("POST", "s3", { uri = "s3://bucket/genome.fa", content = ">chr1\nACGTACGTAC\n" })
    emu:control("POST", "clock", { speed = 10000 })
    -- omics on the PATH, as installed; a zip for the workflow
    os.execute("mkdir -p " .. helper.shq(work .. "/bin"))
    helper.write(work .. "/bin/omics", ("#!/bin/sh\nexec env %s%s %s \"$@\"\n"):format(preload_words(), helper.lua,
      helper.shq(helper.root .. "/bin/omics")))
    os.execute("chmod +x " .. helper.shq(work .. "/bin/omics"))
    helper.write(work .. "/workflow.zip", "PK\5\6" .. ("\0"):rep(18))
    helper.write(work .. "/glue.sh", script)
    local out, err, status = omics("", nil) -- (the environment, for the script below)
    assert.are.equal(252, status, out .. err)
    local env = ("PATH=%s HOME=%s LUA_PATH=%s LUA_CPATH=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s " ..
      "AWS_REGION=us-east-1 AWS_ENDPOINT_URL_OMICS=%s NO_PROXY=127.0.0.1"):format(
      helper.shq(work .. "/bin:" .. os.getenv("PATH")), helper.shq(home), helper.shq(helper.root .. "/?.lua;;"),
      helper.shq(helper.cpath .. ";;"), helper.AKID, helper.shq(helper.SECRET), emu.url)
    local p = io.popen(helper.sh(("cd %s && env -i %s sh glue.sh 2>&1; echo status=$?"):format(helper.shq(work), env)))
    out = p:read("a")
    p:close()
    assert.matches("status=0", out)
    assert.matches("task%-1\tCOMPLETED\n", out)
    assert.matches("s3://bucket/runs/%d+\n", out)
  end)

  it("is installed by make install, pointing at the module it installed", function()
    if helper.luajit or (os.getenv("OMICS_PRELOAD") or "") ~= "" then
      print("cli_spec: make install is checked once, on Lua 5.4 without the sanitizers")
      pending("make install installs the Lua 5.4 build: checked under Lua 5.4")
      return
    end
    local prefix = helper.tmpdir()
    assert.is_true(helper.succeeded(helper.sh(("cd %s && make -s install PREFIX=%s >/dev/null 2>&1")
      :format(helper.shq(helper.root), helper.shq(prefix)))))
    local p = io.popen(helper.sh(("env -i PATH=%s %s/bin/omics --version"):format(helper.shq(os.getenv("PATH")), prefix)))
    local out = p:read("a")
    p:close()
    helper.rmdir(prefix)
    assert.matches("^lua%-omics/%d+%.%d+%.%d+ Lua 5%.4\n$", out)
  end)

  ------------------------------------------------------------ the AWS CLI

  describe("next to the AWS CLI", function()
    local function aws(args)
      local cfg = home .. "/aws-config"
      helper.write(cfg, "[default]\ncli_timestamp_format = iso8601\nregion = us-east-1\n")
      local cmd = ("cd %s && env -i PATH=%s HOME=%s AWS_CONFIG_FILE=%s AWS_ACCESS_KEY_ID=%s " ..
        "AWS_SECRET_ACCESS_KEY=%s AWS_DISABLE_HOST_PREFIX_INJECTION=true AWS_EC2_METADATA_DISABLED=true " ..
        "NO_PROXY=127.0.0.1 aws omics %s --endpoint-url %s 2>%s/.aws-err; echo status=$?"):format(
        helper.shq(work), helper.shq(os.getenv("PATH")), helper.shq(home), helper.shq(cfg), helper.AKID,
        helper.shq(helper.SECRET), args, emu.url, helper.shq(work))
      local p = io.popen(helper.sh(cmd))
      local out = p:read("a")
      p:close()
      local status = tonumber(out:match("status=(%d+)%s*$"))
      return out:gsub("status=%d+%s*$", ""), helper.read(work .. "/.aws-err"), status
    end

    local calls = {
      "get-reference-metadata --reference-store-id 1234567890 --id 9876543210",
      "get-reference-store --id 1234567890",
      "list-references --reference-store-id 1234567890",
      "list-reference-stores",
      "list-reference-stores --max-items 1",
      "list-reference-stores --page-size 1 --max-items 2",
      "list-sequence-stores",
      "get-reference-metadata --reference-store-id 1234567890 --id 9876543210 --query '{n: name, f: files.source}'",
      "list-references --reference-store-id 1234567890 --output text",
      "get-reference-metadata --reference-store-id 1234567890 --id 9876543210 --output text",
    }
    for _, args in ipairs(calls) do
      it("prints what aws prints: " .. args, function()
        if not AWS_OK then
          print("cli_spec: the AWS CLI (aws) is not installed: not compared")
          pending("the AWS CLI is not installed")
          return
        end
        for i = 1, 2 do ok_json("create-reference-store --name cmp" .. i) end
        local want, werr, wstatus = aws(args)
        assert.are.equal(0, wstatus, werr)
        local got, err, status = omics(args)
        assert.are.equal(0, status, err)
        if args:find("--output text", 1, true) then
          assert.are.equal(want, got)
        else
          assert.are.same(json.decode(want), json.decode(got))
        end
      end)
    end

    it("exits and words a service error as aws does", function()
      if not AWS_OK then
        pending("the AWS CLI is not installed")
        return
      end
      local args = "get-reference-metadata --reference-store-id 1234567890 --id 1111111111"
      local _, werr = aws(args)
      local _, err, status = omics(args)
      assert.are.equal(254, status)
      -- (aws 1.x exits 255 for every error; v2, whose codes omics follows, 254 for this one)
      assert.are.equal((werr:gsub("^%s+", "")), err)
    end)
  end)
end)
