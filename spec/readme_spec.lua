-- Every ```lua block of README.md runs, unchanged, against the emulator: the
-- environment points the client at it (AWS_ENDPOINT_URL_OMICS) with the
-- emulator's key pair, as a user trying the README would.
local helper = require "helper"

local function lua_blocks(text)
  local blocks = {}
  for block in text:gmatch("```lua\n(.-)```") do
    blocks[#blocks + 1] = block
  end
  return blocks
end

describe("README examples", function()
  local emu, home
  setup(function()
    emu = helper.emulator("--seed-demo")
    emu:control("POST", "s3", { uri = "s3://bucket/genome.fa", content = ">chr1\nACGTACGTAC\n" })
    emu:control("POST", "clock", { speed = 20 })
    home = helper.tmpdir()
  end)
  teardown(function()
    if emu then emu:stop() end
    helper.rmdir(home)
  end)

  local blocks = lua_blocks(helper.read(helper.root .. "/README.md"))

  it("has examples to run", function()
    assert.is_true(#blocks >= 4)
  end)

  for i, block in ipairs(blocks) do
    local first = block:match("[^\n]*\n[^\n]*\n([^\n]*)") or block:match("[^\n]*")
    it(("block %d runs (%s)"):format(i, first), function()
      local out, status = helper.run_lua(block, {
        HOME = home,
        AWS_ENDPOINT_URL_OMICS = emu.url,
        AWS_ACCESS_KEY_ID = helper.AKID,
        AWS_SECRET_ACCESS_KEY = helper.SECRET,
      })
      assert.are.equal(0, status, out)
      assert.is_nil(out:find("failed:", 1, true), out)
      assert.is_nil(out:find("Error", 1, true), out)
    end)
  end
end)
