-- Every waiter of the model, its success path and its failure path, against
-- the emulator: resources move on the emulator's job clock, which the
-- waiters' sleep function advances instead of waiting.
local helper = require "helper"

local ROLE = "arn:aws:iam::123456789012:role/omics"
local REF = "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890/reference/9876543210"
local FASTQ = "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nTTGGCCAATT\n+\nIIIIIIIIII\n"

describe("waiters", function()
  local emu, client, n = nil, nil, 0

  setup(function()
    emu = helper.emulator("--seed-demo")
    client = helper.client(emu)
    emu:control("POST", "s3", { uri = "s3://bucket/reads.fastq", content = FASTQ })
    emu:control("POST", "s3", { uri = "s3://bucket/genome.fa", content = ">chr1\nACGTACGT\n" })
    emu:control("POST", "s3", { uri = "s3://bucket/ann.gff", content = "##gff-version 3\nchr1\t.\tgene\t1\t8\t.\t+\t.\tID=g1\n" })
    emu:control("POST", "s3", { uri = "s3://bucket/var.vcf", content = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t1\t.\tA\tC\t.\t.\t.\n" })
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  before_each(function()
    emu:control("DELETE", "faults")
    emu:control("DELETE", "fail_next")
  end)

  local function unique(prefix)
    n = n + 1
    return ("%s_%d"):format(prefix, n)
  end

  local function tick(seconds)
    emu:control("POST", "clock", { advance = seconds or 1 })
  end

  local OPTS = { sleep = function() tick(1) end, max_attempts = 30 }

  local function wait(name, params)
    return client:wait(name, params, OPTS)
  end

  local function fail_next(kind)
    local _, status = emu:control("POST", "fail_next", { kind = kind })
    assert.are.equal(200, status)
  end

  ------------------------------------------------------------ resources

  local function sequence_store()
    return assert(client:create_sequence_store { name = unique("seq") }).id
  end

  local function import_read_set(store, file)
    return assert(client:start_read_set_import_job { sequenceStoreId = store, roleArn = ROLE, sources = { {
      sourceFiles = { source1 = "s3://bucket/" .. file }, sourceFileType = "FASTQ",
      subjectId = "subject", sampleId = "sample" } } }).id
  end

  local function active_read_set()
    local store = sequence_store()
    local job = import_read_set(store, "reads.fastq")
    assert(wait("ReadSetImportJobCompleted", { sequenceStoreId = store, id = job }))
    local sets = assert(client:list_read_sets { sequenceStoreId = store }).readSets
    return store, sets[1].id
  end

  local function annotation_store(kind)
    if kind == "fail" then fail_next("annotation_store") end
    local name = unique("ann")
    assert(client:create_annotation_store { name = name, storeFormat = "GFF", reference = { referenceArn = REF } })
    return name
  end

  local function variant_store(kind)
    if kind == "fail" then fail_next("variant_store") end
    local name = unique("var")
    assert(client:create_variant_store { name = name, reference = { referenceArn = REF } })
    return name
  end

  local function workflow(kind)
    if kind == "fail" then fail_next("workflow") end
    return assert(client:create_workflow { name = unique("wf"), definitionUri = "s3://bucket/wf.zip",
                                           engine = "NEXTFLOW" }).id
  end

  local function run(kind)
    local wf = workflow()
    assert(wait("WorkflowActive", { id = wf }))
    if kind == "fail" then fail_next("run") end
    return assert(client:start_run { workflowId = wf, roleArn = ROLE, outputUri = "s3://bucket/out/" }).id
  end

  local function task(kind)
    if kind == "fail" then fail_next("task") end
    local r = run()
    assert(wait("RunRunning", { id = r }))
    local tasks = assert(client:list_run_tasks { id = r }).items
    return r, tasks[#tasks].taskId
  end

  -- an import job into a new, active annotation or variant store
  local function analytics_import(kind, fail)
    local store = kind == "annotation" and annotation_store() or variant_store()
    local Kind = kind:sub(1, 1):upper() .. kind:sub(2)
    assert(wait(Kind .. "StoreCreated", { name = store }))
    if fail then fail_next(kind .. "_import") end
    local source = kind == "annotation" and "s3://bucket/ann.gff" or "s3://bucket/var.vcf"
    local job = assert(client["start_" .. kind .. "_import_job"](client, { destinationName = store,
      roleArn = ROLE, items = { { source = source } } }))
    return { jobId = job.jobId }
  end

  ---------------------------------------------------------------- cases
  -- each case: how to get params for a success, and for a failure (with the
  -- WaiterError reason expected: "failure" where the waiter has a failure
  -- state, "error" for the *Deleted waiters, which have none)

  local cases = {
    ReferenceImportJobCompleted = {
      ok = function()
        local job = assert(client:start_reference_import_job { referenceStoreId = "1234567890", roleArn = ROLE,
          sources = { { sourceFile = "s3://bucket/genome.fa", name = unique("ref") } } })
        return { referenceStoreId = "1234567890", id = job.id }
      end,
      fail = function()
        local job = assert(client:start_reference_import_job { referenceStoreId = "1234567890", roleArn = ROLE,
          sources = { { sourceFile = "s3://bucket/missing.fa", name = unique("ref") } } })
        return { referenceStoreId = "1234567890", id = job.id }, "failure"
      end,
    },
    ReadSetImportJobCompleted = {
      ok = function()
        local store = sequence_store()
        return { sequenceStoreId = store, id = import_read_set(store, "reads.fastq") }
      end,
      fail = function()
        local store = sequence_store()
        return { sequenceStoreId = store, id = import_read_set(store, "missing.fastq") }, "failure"
      end,
    },
    ReadSetActivationJobCompleted = {
      ok = function()
        local store, rs = active_read_set()
        tick(31 * 24 * 3600) -- unread for a month: archived
        local meta = assert(client:get_read_set_metadata { sequenceStoreId = store, id = rs })
        assert.are.equal("ARCHIVED", meta.status)
        local job = assert(client:start_read_set_activation_job { sequenceStoreId = store,
          sources = { { readSetId = rs } } })
        return { sequenceStoreId = store, id = job.id }
      end,
      fail = function()
        local store = sequence_store()
        local job = assert(client:start_read_set_activation_job { sequenceStoreId = store,
          sources = { { readSetId = "9999999999" } } })
        return { sequenceStoreId = store, id = job.id }, "failure"
      end,
    },
    ReadSetExportJobCompleted = {
      ok = function()
        local store, rs = active_read_set()
        local job = assert(client:start_read_set_export_job { sequenceStoreId = store, roleArn = ROLE,
          destination = "s3://bucket/export/", sources = { { readSetId = rs } } })
        return { sequenceStoreId = store, id = job.id }
      end,
      fail = function()
        local store = sequence_store()
        local job = assert(client:start_read_set_export_job { sequenceStoreId = store, roleArn = ROLE,
          destination = "s3://bucket/export/", sources = { { readSetId = "9999999999" } } })
        return { sequenceStoreId = store, id = job.id }, "failure"
      end,
    },
    AnnotationStoreCreated = {
      ok = function() return { name = annotation_store() } end,
      fail = function() return { name = annotation_store("fail") }, "failure" end,
    },
    AnnotationStoreDeleted = {
      ok = function()
        local name = annotation_store()
        assert(wait("AnnotationStoreCreated", { name = name }))
        assert(client:delete_annotation_store { name = name })
        return { name = name }
      end,
      fail = function()
        emu:faults { { status = 403, code = "AccessDeniedException", message = "no" } }
        return { name = "whatever" }, "error"
      end,
    },
    AnnotationStoreVersionCreated = {
      ok = function()
        local name = annotation_store()
        assert(wait("AnnotationStoreCreated", { name = name }))
        assert(client:create_annotation_store_version { name = name, versionName = "v_two" })
        return { name = name, versionName = "v_two" }
      end,
      fail = function()
        local name = annotation_store()
        assert(wait("AnnotationStoreCreated", { name = name }))
        fail_next("annotation_store_version")
        assert(client:create_annotation_store_version { name = name, versionName = "v_bad" })
        return { name = name, versionName = "v_bad" }, "failure"
      end,
    },
    AnnotationStoreVersionDeleted = {
      ok = function()
        local name = annotation_store()
        assert(wait("AnnotationStoreCreated", { name = name }))
        assert(client:create_annotation_store_version { name = name, versionName = "v_gone" })
        assert(wait("AnnotationStoreVersionCreated", { name = name, versionName = "v_gone" }))
        assert(client:delete_annotation_store_versions { name = name, versions = { "v_gone" } })
        return { name = name, versionName = "v_gone" }
      end,
      fail = function()
        emu:faults { { status = 403, code = "AccessDeniedException", message = "no" } }
        return { name = "whatever", versionName = "v_any" }, "error"
      end,
    },
    AnnotationImportJobCreated = {
      ok = function() return analytics_import("annotation") end,
      fail = function() return analytics_import("annotation", true), "failure" end,
    },
    VariantStoreCreated = {
      ok = function() return { name = variant_store() } end,
      fail = function() return { name = variant_store("fail") }, "failure" end,
    },
    VariantStoreDeleted = {
      ok = function()
        local name = variant_store()
        assert(wait("VariantStoreCreated", { name = name }))
        assert(client:delete_variant_store { name = name })
        return { name = name }
      end,
      fail = function()
        emu:faults { { status = 403, code = "AccessDeniedException", message = "no" } }
        return { name = "whatever" }, "error"
      end,
    },
    VariantImportJobCreated = {
      ok = function() return analytics_import("variant") end,
      fail = function() return analytics_import("variant", true), "failure" end,
    },
    WorkflowActive = {
      ok = function() return { id = workflow() } end,
      fail = function() return { id = workflow("fail") }, "failure" end,
    },
    WorkflowVersionActive = {
      ok = function()
        local wf = workflow()
        assert(wait("WorkflowActive", { id = wf }))
        assert(client:create_workflow_version { workflowId = wf, versionName = "v1",
                                                definitionUri = "s3://bucket/wf2.zip" })
        return { workflowId = wf, versionName = "v1" }
      end,
      fail = function()
        local wf = workflow()
        assert(wait("WorkflowActive", { id = wf }))
        fail_next("workflow_version")
        assert(client:create_workflow_version { workflowId = wf, versionName = "v1",
                                                definitionUri = "s3://bucket/wf2.zip" })
        return { workflowId = wf, versionName = "v1" }, "failure"
      end,
    },
    RunRunning = {
      ok = function() return { id = run() } end,
      fail = function() return { id = run("fail") }, "failure" end,
    },
    RunCompleted = {
      ok = function() return { id = run() } end,
      fail = function() return { id = run("fail") }, "failure" end,
    },
    TaskRunning = {
      ok = function() local r, t = task(); return { id = r, taskId = t } end,
      fail = function()
        -- a task that fails does so after it ran; one cancelled while still
        -- pending never runs
        local r, t = task()
        assert(client:cancel_run { id = r })
        return { id = r, taskId = t }, "failure"
      end,
    },
    TaskCompleted = {
      ok = function() local r, t = task(); return { id = r, taskId = t } end,
      fail = function() local r, t = task("fail"); return { id = r, taskId = t }, "failure" end,
    },
  }

  it("covers all 18 waiters of the model", function()
    local names = client:waiters()
    assert.are.equal(18, #names)
    for _, name in ipairs(names) do assert.is_table(cases[name], name) end
  end)

  local names = {}
  for name in pairs(cases) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local c = cases[name]
    it(name .. " succeeds", function()
      local res, err = wait(name, c.ok())
      assert(res, tostring(err))
      local deleted = name:match("Deleted$")
      if deleted then
        assert.is_true(res.code == "ResourceNotFoundException" or res.status == "DELETED")
      else
        assert.is_string(res.status)
        assert.is_not_nil(res.ResponseMetadata)
      end
    end)
    it(name .. " fails", function()
      local params, reason = c.fail()
      local res, err = wait(name, params)
      assert.is_nil(res)
      assert.are.equal("WaiterError", err.code)
      assert.are.equal(reason, err.reason, tostring(err))
      if reason == "failure" then
        assert.is_truthy(({ FAILED = true, CANCELLED = true })[err.last_response.status],
                         err.last_response.status)
      else
        assert.are.equal("AccessDeniedException", err.last_error.code)
      end
    end)
  end
end)
