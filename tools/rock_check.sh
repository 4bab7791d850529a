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
mkdir -p "$tmp/work/src" "$tmp/work/omics" "$tmp/no-server"
cp "$ROCKSPEC" lua_omics.c lua_compat.h omics.lua "$tmp/work/"
cp omics/*.lua "$tmp/work/omics/"
cp src/*.c src/*.h "$tmp/work/src/"

# --only-server points at an empty local directory: should a dependency be
# missing, LuaRocks fails here instead of going to the network.
# CFLAGS adds the Makefile's -std=c11, which the builtin build type cannot
# carry in the rockspec itself.
if ! (cd "$tmp/work" && "$LUAROCKS" --lua-version 5.4 --tree "$tmp/tree" \
        --only-server "$tmp/no-server" make "$ROCKSPEC" \
        CFLAGS="-O2 -fPIC -std=c11") >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"
    fail "luarocks make $ROCKSPEC"
fi

rock_version=$(sed -n 's/^version *= *"\([^"-]*\)-[0-9]*".*/\1/p' "$ROCKSPEC")
# -E: ignore LUA_INIT, LUA_PATH and LUA_CPATH from the environment.
if ! out=$(ROCK_TREE="$tmp/tree" ROCK_VERSION="$rock_version" "$LUA" -E -e '
    local tree, want = os.getenv("ROCK_TREE"), os.getenv("ROCK_VERSION")
    package.path = tree .. "/share/lua/5.4/?.lua"
    package.cpath = tree .. "/lib/lua/5.4/?.so"
    local file = assert(package.searchpath("omics.core", package.cpath))
    assert(package.searchpath("omics", package.path), "omics.lua is not installed")
    local omics = require "omics"
    assert(type(omics.new) == "function", "omics.new is not a function")
    assert(type(omics.sigv4) == "table" and type(omics.sigv4.sign) == "function",
           "omics.sigv4.sign is not a function")
    assert(omics.VERSION == want, ("omics.VERSION %s, rockspec version %s"):format(
           tostring(omics.VERSION), want))
    assert(type(omics.new) == "function" and omics.jmespath, "the Lua half did not load")
    print(("omics %s loads from %s (omics.new, omics.sigv4.sign present)"):format(
          omics.VERSION, file))
' 2>&1); then
    printf '%s\n' "$out"
    fail "the installed rock does not load"
fi
echo "rock-check: ok: luarocks make $ROCKSPEC installed into a temporary tree; $out"
