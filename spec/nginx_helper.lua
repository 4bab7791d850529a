-- What the specs that run a real nginx share: where nginx and its Lua module
-- are (or why a spec cannot run), a request made with curl, starting and
-- stopping an nginx on a directory of its own.
local helper = require "helper"

local N = {}
N.NGINX = "/usr/sbin/nginx"
N.MODULES = "/usr/lib/nginx/modules"
N.JIT_MODULE = helper.root .. "/build/luajit/omics/core.so"

if not helper.exists(N.NGINX) or not helper.exists(N.MODULES .. "/ngx_http_lua_module.so") then
  N.missing = "Debian's nginx and its Lua module (nginx-light, libnginx-mod-http-lua) are not installed"
elseif not helper.exists(N.JIT_MODULE) then
  N.missing = N.JIT_MODULE .. " is not built (make LUA=luajit)"
end

-- body, status of a GET (a new connection each time)
function N.http_get(url, seconds)
  local p = io.popen(helper.sh(("curl -s --noproxy '*' -m %d -o - -w '\\n%%{http_code}' %s"):format(
    seconds or 30, helper.shq(url))))
  local out = p:read("a")
  p:close()
  local body, code = out:match("^(.*)\n(%d+)$")
  return body or out, tonumber(code)
end

-- key=value lines into a table
function N.fields(body)
  local t = {}
  for k, v in body:gmatch("([%w_]+)=([^\n]*)") do t[k] = v end
  return t
end

-- "user root;" when the tests run as root: the worker then reads the module
-- and the test's private temporary files
function N.user_line()
  local p = io.popen(helper.sh("id -u"))
  local uid = p:read("l")
  p:close()
  return uid == "0" and "user root;" or ""
end

-- The lines every spec's nginx.conf begins with (modules, user, logs, pid)
-- and begins its http block with (temporary files in dir, the module's paths).
local MAIN = [[
load_module ${MODULES}/ndk_http_module.so;
load_module ${MODULES}/ngx_http_lua_module.so;
${USER}
error_log ${DIR}/error.log info;
pid ${DIR}/nginx.pid;
]]
local HTTP = [[
  access_log off;
  client_body_temp_path ${DIR}/tmp-body;
  proxy_temp_path ${DIR}/tmp-proxy;
  fastcgi_temp_path ${DIR}/tmp-fastcgi;
  uwsgi_temp_path ${DIR}/tmp-uwsgi;
  scgi_temp_path ${DIR}/tmp-scgi;
  lua_package_path "${ROOT}/?.lua;${ROOT}/spec/?.lua;;";
  lua_package_cpath "${ROOT}/build/luajit/?.so;;";
]]

-- dir/nginx.conf from template: ${MAIN} and ${HTTP} as above, ${MODULES},
-- ${ROOT}, ${USER}, ${DIR} and the names of vars replaced.
function N.write_conf(dir, template, vars)
  local all = { MODULES = N.MODULES, ROOT = helper.root, USER = N.user_line(), DIR = dir }
  for k, v in pairs(vars or {}) do all[k] = tostring(v) end
  local text = template:gsub("%${(MAIN)}", MAIN):gsub("%${(HTTP)}", HTTP)
  text = text:gsub("%${(%w+)}", all)
  helper.write(dir .. "/nginx.conf", text)
end

-- Start nginx on dir/nginx.conf (env: a shell prefix of variables) and wait
-- until ready_url answers 200.
function N.start(dir, ready_url, env)
  local cmd = ("%s%s -p %s -c %s/nginx.conf -e %s/error.log"):format(env or "", N.NGINX, helper.shq(dir), dir, dir)
  assert(helper.succeeded(helper.sh(cmd)), "nginx did not start: " ..
         (helper.exists(dir .. "/error.log") and helper.read(dir .. "/error.log") or ""))
  for _ = 1, 50 do
    local _, code = N.http_get(ready_url, 1)
    if code == 200 then return end
    os.execute(helper.sh("sleep 0.1"))
  end
  error("nginx does not answer: " .. helper.read(dir .. "/error.log"))
end

function N.stop(dir)
  if dir then
    os.execute(helper.sh(("%s -p %s -c %s/nginx.conf -s stop 2>/dev/null"):format(N.NGINX, helper.shq(dir), dir)))
    os.execute(helper.sh("sleep 0.2"))
  end
end

return N
