-- The fields of an event (client:on) that spec/nginx_spec.lua compares
-- between drivers: loaded in the spec's process (libcurl) and in nginx's
-- workers (cosockets; nginx's lua_package_path has spec/), so that both
-- sides keep the same fields.
return function(ev)
  return { event = ev.event, op = ev.op, attempt = ev.attempt, attempts = ev.attempts,
           status = ev.status, code = ev.code, bytes = ev.bytes,
           path = ev.request and ev.request.path,
           authorization = ev.request and ev.request.headers.Authorization }
end
