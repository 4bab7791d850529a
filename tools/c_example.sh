#!/bin/sh
# The C library as a C program uses it: `make install` into a scratch
# prefix, examples/get_reference_metadata.c built with pkg-config (against
# the shared library, and statically), run against the emulator; and the
# symbols each artefact exports.  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
CC=${CC:-cc}
CORE_BUILD=${CORE_BUILD:-build/core}
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lua-omics-clib.XXXXXX")
emu_pid=""
cleanup() {
    [ -z "$emu_pid" ] || kill "$emu_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

check() { # name, then a command that must succeed
    name=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then
        passed=$((passed + 1))
        echo "ok: $name"
    else
        failed=$((failed + 1))
        echo "FAILED: $name"
        sed 's/^/    /' "$tmp/out" | head -n 20
    fi
}

prefix=$tmp/prefix
check "make install PREFIX=<scratch>" make -s install PREFIX="$prefix" CORE_BUILD="$CORE_BUILD"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check "pkg-config knows omics" pkg-config --exists omics
check "the installed header is the API alone" sh -c "ls '$prefix/include' | grep -qx omics.h && [ \$(ls '$prefix/include' | wc -l) -eq 1 ]"
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
check "the example builds against the shared library" \
    $CC -std=c11 -Wall -Wextra -Werror examples/get_reference_metadata.c \
    $(pkg-config --cflags --libs omics) -o "$tmp/example"
# shellcheck disable=SC2046
# (libomics.a linked in, its dependencies as shared libraries: Debian ships
# libcurl's own dependencies without static archives)
check "the example builds against the static library" \
    $CC -std=c11 -Wall -Wextra -Werror examples/get_reference_metadata.c \
    $(pkg-config --cflags omics) "$prefix/lib/libomics.a" $(pkg-config --libs libcurl libcjson) \
    -lmbedcrypto -lm -lpthread -o "$tmp/example-static"

# only the API leaves the libraries; only luaopen_* leaves the Lua module
check "libomics.so exports omics_* only" sh -c "[ -z \"\$(nm -D --defined-only '$prefix/lib/libomics.so.0' | awk '{ print \$3 }' | grep -v '^omics_')\" ]"
check "libomics.a defines omics_* only" sh -c "[ -z \"\$(nm -g --defined-only '$prefix/lib/libomics.a' | awk 'NF == 3 { print \$3 }' | grep -v '^omics_')\" ]"
check "omics/core.so exports luaopen_omics_core only" sh -c "[ \"\$(nm -D --defined-only build/lua5.4/omics/core.so | awk '{ print \$3 }')\" = luaopen_omics_core ]"

python3 tools/emulator/omics_emulator.py --port 0 --port-file "$tmp/port" --seed-demo >"$tmp/emu.log" 2>&1 &
emu_pid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$tmp/port" 2>/dev/null)
run() { # program: the example against the emulator
    env AWS_ENDPOINT_URL_OMICS="http://127.0.0.1:$port" AWS_REGION=us-east-1 \
        AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
        LD_LIBRARY_PATH="$prefix/lib" "$@"
}
for prog in example example-static; do
    out=$(run "$tmp/$prog" 2>&1)
    case "$out" in
        *'"name":"demo-genome"'*'"contentLength":12219'*'"HTTPStatusCode":200'*)
            passed=$((passed + 1)); echo "ok: $prog prints the reference as JSON" ;;
        *) failed=$((failed + 1)); echo "FAILED: $prog prints the reference as JSON: $out" ;;
    esac
    out=$(run "$tmp/$prog" 1111111111 9876543210 2>&1)
    status=$?
    case "$status:$out" in
        1:ResourceNotFoundException*) passed=$((passed + 1)); echo "ok: $prog reports an error and exits 1" ;;
        *) failed=$((failed + 1)); echo "FAILED: $prog on a missing store: exit $status, $out" ;;
    esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
