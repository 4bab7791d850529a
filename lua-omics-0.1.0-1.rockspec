-- LuaRocks build of lua-omics for Lua 5.4: the C module `omics.core` and the
-- Lua modules `omics` (what users require), `omics.jmespath`, `omics.ngx` and
-- `omics.cli`, and the command `omics` (bin/omics, on omics.cli).
--
--   luarocks --lua-version 5.4 make lua-omics-0.1.0-1.rockspec
--
-- builds in place (objects beside the sources, omics/core.so in the repo)
-- and installs into the LuaRocks tree. tools/rock_check.sh does the same
-- build in a scratch copy and installs into a throwaway tree.
--
-- The sources list must name every src/*.c: tools/check_rockspec.sh checks it.
rockspec_format = "3.0"
package = "lua-omics"
version = "0.1.0-1"

source = {
   -- A placeholder until the repository is published: `luarocks make`
   -- builds the working tree and never reads this; `luarocks build` and
   -- `luarocks pack` of this rockspec need a real URL here (they clone from
   -- a scratch directory, where "." is not this repository).
   url = "git+file://.",
}

description = {
   summary = "AWS HealthOmics client for Lua 5.4 and LuaJIT (nginx), written in C",
   detailed = [[
A Lua 5.4 module in C for AWS HealthOmics: a rest-json engine driven by the
service model, a SigV4 signer (omics.sigv4.sign) and a libcurl transport.
]],
   -- license: not chosen yet (the repository has no LICENSE file)
}

-- Lua 5.4, or LuaJIT 2.1 (which LuaRocks sees as 5.1): the C half builds
-- against either (lua_compat.h holds the differences).
dependencies = {
   "lua >= 5.1",
}

external_dependencies = {
   CURL = {
      -- No header test: Debian and Ubuntu keep curl's headers only under the
      -- multiarch directory (/usr/include/x86_64-linux-gnu/curl/curl.h),
      -- where LuaRocks does not look (it would fail "Could not find header
      -- file for CURL") but the compiler does by default. Where curl lives
      -- elsewhere, pass CURL_DIR or CURL_INCDIR.
      library = "curl",
   },
   CJSON = {
      header = "cjson/cJSON.h",
      library = "cjson",
   },
   MBEDTLS = {
      -- mbedTLS 2.28: libmbedcrypto has the hashes (no pkg-config file).
      header = "mbedtls/md.h",
      library = "mbedcrypto",
   },
}

build = {
   type = "builtin",
   -- the command line (LuaRocks puts a wrapper that sets the paths in the
   -- tree's bin directory)
   install = {
      bin = { omics = "bin/omics" },
   },
   modules = {
      omics = "omics.lua",
      ["omics.jmespath"] = "omics/jmespath.lua",
      ["omics.ngx"] = "omics/ngx.lua",
      ["omics.stubber"] = "omics/stubber.lua",
      ["omics.cli"] = "omics/cli.lua",
      ["omics.core"] = {
         sources = {
            "lua_creds.c",
            "lua_download.c",
            "lua_exchange.c",
            "lua_many.c",
            "lua_omics.c",
            "lua_provider.c",
            "lua_sinks.c",
            "lua_stub.c",
            "lua_transfer.c",
            "lua_upload.c",
            "lua_values.c",
            "src/arena.c",
            "src/b64.c",
            "src/buf.c",
            "src/checksum.c",
            "src/client.c",
            "src/config.c",
            "src/credentials.c",
            "src/creds.c",
            "src/creds_container.c",
            "src/creds_fetch.c",
            "src/creds_ec2.c",
            "src/creds_process.c",
            "src/creds_sso.c",
            "src/creds_sts.c",
            "src/creds_wire.c",
            "src/describe.c",
            "src/describe_model.c",
            "src/download.c",
            "src/download_run.c",
            "src/endpoint.c",
            "src/errclass.c",
            "src/error.c",
            "src/errfmt.c",
            "src/exchange.c",
            "src/exchange_wire.c",
            "src/files.c",
            "src/extras.c",
            "src/gzip.c",
            "src/hash.c",
            "src/http.c",
            "src/jread.c",
            "src/json.c",
            "src/model.c",
            "src/model_omics.c",
            "src/multi.c",
            "src/nobuild.c",
            "src/options.c",
            "src/netconf.c",
            "src/optread.c",
            "src/parse.c",
            "src/partitions.c",
            "src/proc.c",
            "src/psink.c",
            "src/reqval.c",
            "src/result.c",
            "src/retry.c",
            "src/rnd.c",
            "src/rules.c",
            "src/ser.c",
            "src/ser_body.c",
            "src/ser_check.c",
            "src/ser_doc.c",
            "src/ser_http.c",
            "src/ser_json.c",
            "src/settings.c",
            "src/sha256x.c",
            "src/sigv4.c",
            "src/stub.c",
            "src/suggest.c",
            "src/tree.c",
            "src/ts.c",
            "src/upload.c",
            "src/uri.c",
            "src/value.c",
            "src/wire.c",
            "src/xml.c",
         },
         -- The Makefile compiles with -std=c11 -D_DEFAULT_SOURCE. The builtin
         -- build type takes no compiler flags, only defines; the sources are
         -- C11 and build under the compiler's default (gnu17) too.
         -- tools/rock_check.sh passes CFLAGS with -std=c11 to check that.
         defines = { "_DEFAULT_SOURCE" },
         incdirs = {
            "src",
            "$(CURL_INCDIR)",
            "$(CJSON_INCDIR)",
            "$(CJSON_INCDIR)/cjson", -- the core includes <cJSON.h>
            "$(MBEDTLS_INCDIR)",
         },
         libdirs = {
            "$(CURL_LIBDIR)",
            "$(CJSON_LIBDIR)",
            "$(MBEDTLS_LIBDIR)",
         },
         libraries = { "curl", "cjson", "mbedcrypto", "m", "pthread" },
      },
   },
}
