-- Path sinks on every transport (libcurl, and a function transport, which
-- runs the Lua half's loop as nginx's cosockets do): the file is complete or
-- absent, created exclusively under a random name (a link planted where the
-- old code wrote never redirects a download), with the mode a plain create
-- would give it; a sink is refused for an operation that has no streaming
-- payload, and a path with a NUL byte is refused, both before anything is
-- made or sent.
local helper = require "helper"

local REF = { referenceStoreId = "1234567890", id = "9876543210", partNumber = 1 }
local META = { referenceStoreId = "1234567890", id = "9876543210" }

local function sh_out(cmd)
  local p = io.popen(helper.sh(cmd))
  local out = p:read("a")
  p:close()
  return out
end

local function listing(dir)
  local names = {}
  for name in sh_out("ls -A " .. helper.shq(dir)):gmatch("[^\n]+") do names[#names + 1] = name end
  table.sort(names)
  return names
end

-- "regular" or "symbolic link", and the octal mode, of path (not following a link)
local function kind_and_mode(path)
  local out = sh_out("stat -c '%F %a' " .. helper.shq(path))
  return out:match("^(.-) (%d+)\n?$")
end

-- The mode a plain create gives a file here (0666 less the umask).
local function plain_mode(dir)
  local path = dir .. "/plain"
  helper.write(path, "")
  local _, mode = kind_and_mode(path)
  os.remove(path)
  return mode
end

describe("path sinks", function()
  local emu, dir
  -- while a function transport answers, what the directory holds then
  local during

  local function luasocket(req)
    during = {}
    for _, name in ipairs(listing(dir)) do
      local kind, mode = kind_and_mode(dir .. "/" .. name)
      during[#during + 1] = { name = name, kind = kind, mode = mode }
    end
    return helper.luasocket(req)
  end

  local clients
  setup(function()
    emu = helper.emulator("--seed-demo")
    clients = { curl = helper.client(emu), ["a function transport"] = helper.client(emu, { transport = luasocket }) }
  end)
  teardown(function() if emu then emu:stop() end end)
  before_each(function() dir = helper.tmpdir() end)
  after_each(function() helper.rmdir(dir) end)

  for _, name in ipairs { "curl", "a function transport" } do
    describe("through " .. name, function()
      it("writes a new file exclusively under a random name, never through a planted link", function()
        local client = clients[name]
        local victim, target = dir .. "/victim", dir .. "/ref.fa"
        helper.write(victim, "precious")
        -- links at the names the old Lua sink wrote to (os.time() and
        -- LuaJIT's unseeded math.random), for the next 30 seconds
        local first = tonumber(sh_out("luajit -e 'print(math.random(0, 999999))'"):match("%d+")) or 0
        for t = os.time(), os.time() + 30 do
          for _, r in ipairs { first, 0 } do
            os.execute(helper.sh(("ln -s %s %s"):format(helper.shq(victim),
              helper.shq(("%s.partial.%d%06d"):format(target, t, r)))))
          end
        end
        local before = #listing(dir)
        local res, err = client:get_reference(REF, { sink = target })
        assert(res, tostring(err))
        assert.are.equal("precious", helper.read(victim))
        assert.are.equal("regular file", (kind_and_mode(target)))
        assert.are.equal(12219, #helper.read(target))
        assert.are.equal(before + 1, #listing(dir), "a partial file was left behind")
        if during then
          local partial
          for _, f in ipairs(during) do
            if f.name:match("^ref%.fa%.partial%.%x+$") and f.kind == "regular empty file" then partial = f end
          end
          assert(partial, "no new partial file while the answer was awaited")
          assert.matches("^ref%.fa%.partial%.%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x$", partial.name)
          during = nil
        end
      end)

      it("replaces a link at the target itself, not the file it points to", function()
        local victim, target = dir .. "/victim", dir .. "/ref.fa"
        helper.write(victim, "precious")
        os.execute(helper.sh(("ln -s %s %s"):format(helper.shq(victim), helper.shq(target))))
        assert(clients[name]:get_reference(REF, { sink = target }))
        assert.are.equal("precious", helper.read(victim))
        assert.are.equal("regular file", (kind_and_mode(target)))
      end)

      it("gives the completed file the mode a plain create would (0666 less the umask)", function()
        local target = dir .. "/ref.fa"
        assert(clients[name]:get_reference(REF, { sink = target }))
        local _, mode = kind_and_mode(target)
        assert.are.equal(plain_mode(dir), mode)
      end)

      it("refuses a sink for an operation without a streaming payload, before anything is made or sent", function()
        local client = clients[name]
        local out = dir .. "/meta.out"
        helper.write(out, "keep me")
        local sent = emu:stats().requests
        for _, sink in ipairs { out, function() end } do
          local res, err = client:get_reference_metadata(META, { sink = sink })
          assert.is_nil(res)
          assert.are.equal("SinkError", err.code)
          assert.matches("GetReferenceMetadata has no streaming payload", err.message)
        end
        assert.are.equal("keep me", helper.read(out))
        assert.are.same({ "meta.out" }, listing(dir))
        assert.are.equal(sent, emu:stats().requests)
      end)

      it("refuses a path holding a NUL byte instead of cutting it short", function()
        local res, err = clients[name]:get_reference(REF, { sink = dir .. "/nul\0.txt" })
        assert.is_nil(res)
        assert.are.equal("SinkError", err.code)
        assert.matches("NUL", err.message)
        assert.are.same({}, listing(dir))
      end)
    end)
  end
end)
