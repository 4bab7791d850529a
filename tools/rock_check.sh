#!/bin/sh
# Build and install the rock into a throwaway LuaRocks tree, offline, then
# load `omics` from that tree with lua5.4. Prints one line of outcome; exits
# non-zero on failure (with the build log).
#
# `luarocks make` builds in place (objects beside the sources, omics/core.so in
# the current directory), so the build runs in a scratch copy of the sources and
# leaves nothing in the repository. Environment: LUA (lua5.4), LUAROCKS.
set -eu
cd "$(dirname "$0")/.."
LUA=${LUA:-lua5.4}
LUAROCKS=${LUAROCKS:-luarocks}
ROCKSPEC=lua-omics-0.1.0-1.rockspec

fail() { echo "rock-check: FAILED: $*"; exit 1; }

sh tools/check_rockspec.sh >/dev/null || fail "the rockspec's sources do not match src/*.c (see above)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lua-omics-rock.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/work/src" "$tmp/work/omics" "$tmp/work/bin" "$tmp/no-server"
cp "$ROCKSPEC" lua_*.c lua_omics.h lua_compat.h omics.lua "$tmp/work/"
cp omics/*.lua "$tmp/work/omics/"
cp bin/omics "$tmp/work/bin/"
cp src/*.c src/*.h "$tmp/work/src/"

rock_version=$(sed -n 's/^version *= *"\([^"-]*\)-[0-9]*".*/\1/p' "$ROCKSPEC")

# Build and load the rock for one Lua: $1 LuaRocks' Lua version, $2 the
# interpreter, $3 extra LuaRocks variables (LuaJIT's headers), $4 a LuaRocks
# config file or nothing.
check() {
    version=$1
    interpreter=$2
    tree="$tmp/tree-$version"
    # --only-server points at an empty local directory: should a dependency be
    # missing, LuaRocks fails here instead of going to the network.  CFLAGS
    # adds the Makefile's -std=c11, which the builtin build type cannot carry
    # in the rockspec itself.
    # shellcheck disable=SC2086 # $3 is a list of VAR=value words
    if ! (cd "$tmp/work" && LUAROCKS_CONFIG=${4:-} "$LUAROCKS" --lua-version "$version" --tree "$tree" \
            --only-server "$tmp/no-server" make "$ROCKSPEC" CFLAGS="-O2 -fPIC -std=c11" $3) \
            >"$tmp/build-$version.log" 2>&1; then
        cat "$tmp/build-$version.log"
        fail "luarocks --lua-version $version make $ROCKSPEC"
    fi
    # -E: ignore LUA_INIT, LUA_PATH and LUA_CPATH from the environment
    if ! out=$(ROCK_TREE="$tree" ROCK_LUA="$version" ROCK_VERSION="$rock_version" "$interpreter" -E -e '
        local tree, v, want = os.getenv("ROCK_TREE"), os.getenv("ROCK_LUA"), os.getenv("ROCK_VERSION")
        package.path = tree .. "/share/lua/" .. v .. "/?.lua"
        package.cpath = tree .. "/lib/lua/" .. v .. "/?.so"
        local omics = require "omics"
        assert(type(omics.new) == "function", "omics.new is not a function")
        assert(type(omics.sigv4) == "table" and type(omics.sigv4.sign) == "function",
               "omics.sigv4.sign is not a function")
        assert(omics.VERSION == want, ("omics.VERSION %s, rockspec version %s"):format(
               tostring(omics.VERSION), want))
        assert(require "omics.ngx" and omics.jmespath, "the Lua half did not load")
        print(("omics %s loads in %s from %s"):format(omics.VERSION, jit and jit.version or _VERSION, tree))
    ' 2>&1); then
        printf '%s\n' "$out"
        fail "the rock installed for Lua $version does not load"
    fi
    # the command, through the wrapper LuaRocks installed (the tree's paths)
    if ! cmd=$(env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 "$tree/bin/omics" --version 2>&1); then
        printf '%s\n' "$cmd"
        fail "the omics command installed for Lua $version does not run"
    fi
    echo "rock-check: ok: luarocks --lua-version $version make $ROCKSPEC; $out; bin/omics: $cmd"
}

check 5.4 "$LUA" ""
if command -v luajit >/dev/null 2>&1 && [ -d /usr/include/luajit-2.1 ]; then
    # (the config says which interpreter runs bin/omics: LuaRocks' wrapper
    # would run lua5.1 otherwise)
    printf 'lua_interpreter = "luajit"\nvariables = { LUA_BINDIR = "%s" }\n' \
        "$(dirname "$(command -v luajit)")" >"$tmp/luajit-config.lua"
    check 5.1 luajit "LUA_INCDIR=/usr/include/luajit-2.1" "$tmp/luajit-config.lua"
else
    echo "rock-check: LuaJIT (luajit2, libluajit2-5.1-dev) is not installed: the LuaJIT rock is not checked"
fi
