-- Print a HealthOmics reference's metadata.
--
--   lua5.4 examples/get_reference_metadata.lua
--
-- Credentials, region and endpoint come from the usual AWS settings
-- (AWS_ACCESS_KEY_ID, ~/.aws/config, AWS_ENDPOINT_URL_OMICS, ...): the same
-- script runs against AWS and against tools/emulator (see tools/demo.sh).
-- OMICS_REFERENCE_STORE_ID and OMICS_REFERENCE_ID choose the reference.
local omics = require "omics"

local store_id = os.getenv("OMICS_REFERENCE_STORE_ID") or "1234567890"
local ref_id = os.getenv("OMICS_REFERENCE_ID") or "9876543210"

local client = assert(omics.new { region = "us-east-1" })
local ref = assert(client:get_reference_metadata { referenceStoreId = store_id, id = ref_id })

print(ref.name, ref.status, os.date("!%c", math.floor(ref.creationTime)), ref.files.source.contentLength)

print("arn:     " .. tostring(ref.arn))
print("md5:     " .. tostring(ref.md5))
for _, kind in ipairs { "source", "index" } do
  local f = ref.files[kind]
  if f then
    print(("%-8s %s bytes in %s part(s) of up to %s bytes"):format(
      kind .. ":", tostring(f.contentLength), tostring(f.totalParts), tostring(f.partSize)))
  end
end
