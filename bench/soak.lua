-- A soak: many calls against the emulator with faults mixed in, watching
-- the resident memory of this process.  Run with `make soak` (it starts the
-- emulator), or: OMICS_ENDPOINT=http://127.0.0.1:9000 lua5.4 bench/soak.lua [calls]
-- Prints the resident size after warm-up and every tenth of the run; the
-- memory is flat when the last figures match the first ones.
package.cpath = "./?.so;" .. package.cpath
package.path = "./?.lua;" .. package.path
local omics = require "omics"
local http = require "socket.http"
local ltn12 = require "ltn12"

local calls = tonumber(arg[1]) or 100000
local endpoint = os.getenv("OMICS_ENDPOINT") or "http://127.0.0.1:9000"
local client = assert(omics.new {
  region = "us-east-1", endpoint = endpoint, max_backoff = 0.01,
  credentials = { access_key_id = "AKIDEXAMPLE", secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
})

local function rss_kb()
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^VmRSS:%s+(%d+)")
    if kb then return tonumber(kb) end
  end
end

-- one fault every 500 calls, in turn
local FAULTS = {
  '{"faults":[{"status":429,"code":"ThrottlingException","message":"slow"}]}',
  '{"faults":[{"status":500,"code":"InternalServerException","message":"oops"}]}',
  '{"faults":[{"mode":"drop"}]}',
  '{"faults":[{"mode":"malformed"}]}',
  '{"faults":[{"mode":"html","status":502,"count":3}]}',
  '{"faults":[{"status":404,"code":"ResourceNotFoundException","message":"gone"}]}',
}
local function inject(i)
  local body = FAULTS[(i // 500) % #FAULTS + 1]
  http.request { url = endpoint .. "/_emulator/faults", method = "POST",
                 source = ltn12.source.string(body),
                 headers = { ["content-type"] = "application/json", ["content-length"] = #body } }
end

local params = { referenceStoreId = "1234567890", id = "9876543210" }
local ok, failed, warm = 0, 0, nil
local t0 = require("socket").gettime()
local step = calls // 10
print(("soak: %d calls, a fault every 500"):format(calls))
for i = 1, calls do
  if i % 500 == 0 then inject(i) end
  local res = client:get_reference_metadata(params)
  if res then ok = ok + 1 else failed = failed + 1 end
  if i == step then
    collectgarbage()
    warm = rss_kb()
    print(("after %6d calls: resident %d kB (warm-up done)"):format(i, warm))
  elseif i % step == 0 then
    collectgarbage()
    print(("after %6d calls: resident %d kB (%+d kB since warm-up)"):format(i, rss_kb(), rss_kb() - warm))
  end
end
local took = require("socket").gettime() - t0
print(("soak: %d calls in %.0f s (%.0f/s): %d results, %d errors; resident %d kB, %+d kB since warm-up"):format(
  calls, took, calls / took, ok, failed, rss_kb(), rss_kb() - warm))
