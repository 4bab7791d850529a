-- Calls per second of get_reference_metadata against the local emulator, on
-- one kept-alive connection.  Run with `make bench-emulator` (it starts the
-- emulator), or by hand:
--   OMICS_ENDPOINT=http://127.0.0.1:9000 lua5.4 bench/emulator_calls.lua [calls]
-- The emulator is a Python server: this measures the whole round trip, and
-- the server dominates it.
package.cpath = "./?.so;" .. package.cpath
package.path = "./?.lua;" .. package.path
local omics = require "omics"

local n = tonumber(arg[1]) or 1000
local client = assert(omics.new {
  region = "us-east-1",
  endpoint = os.getenv("OMICS_ENDPOINT") or "http://127.0.0.1:9000",
  credentials = { access_key_id = "AKIDEXAMPLE",
                  secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
})
local params = { referenceStoreId = "1234567890", id = "9876543210" }
assert(client:get_reference_metadata(params)) -- connect and warm up

local c0 = os.clock()
local start = require("socket").gettime()
for _ = 1, n do
  assert(client:get_reference_metadata(params))
end
local wall = require("socket").gettime() - start
local cpu = os.clock() - c0
print(("%d calls in %.3f s: %.0f calls/s; client CPU %.1f us per call"):format(
  n, wall, n / wall, cpu / n * 1e6))
