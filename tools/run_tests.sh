#!/bin/sh
# Run the C tests, the emulator's own tests and the busted specs under each
# Lua, then print one line: "N passed, N failed", summed over all of them.
#
# Environment: LUAS, the Lua runtimes to run the specs with (default
# "lua5.4"; `make test` uses "lua5.4 luajit"); BUILD, where omics/core.so and
# the C tests are (default build/<lua>, per runtime); BUSTED; SANITIZE=1 to
# preload the sanitizer runtimes.
set -u
LUAS=${LUAS:-${LUA:-lua5.4}}
BUSTED=${BUSTED:-busted}
passed=0
failed=0
skipped=0

export NO_PROXY="127.0.0.1,localhost"
export no_proxy="$NO_PROXY"
if [ "${SANITIZE:-0}" = 1 ]; then
    # intercept_tls_get_addr=0: GCC 12's LeakSanitizer, walking a thread's
    # dynamic TLS at exit, follows a bogus slot (seen as "DTLS 5 at 0x10c")
    # and its tracer dies with signal 11 in a child process that timed out a
    # transfer.  Without the interception LSan scans less TLS: it can only
    # report more, never hide a leak.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0:${ASAN_OPTIONS:-}"
    export LSAN_OPTIONS="suppressions=$(pwd)/tools/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    OMICS_PRELOAD="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so)"
    export OMICS_PRELOAD
fi

add_counts() { # "N passed, N failed" in $1
    p=$(printf '%s\n' "$1" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$1" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' | tail -n 1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-1}))
}

first_lua=${LUAS%% *}
cbuild=${BUILD:-build/$first_lua}
echo "== C tests ($cbuild)"
for t in "$cbuild"/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1)
    rc=$?
    printf '%s: %s\n' "$(basename "$t")" "$(printf '%s\n' "$out" | tail -n 1)"
    [ $rc -eq 0 ] || printf '%s\n' "$out" | head -n 40
    add_counts "$out"
done

if [ "${SANITIZE:-0}" != 1 ]; then
    echo "== the C library from an installed prefix (tools/c_example.sh)"
    out=$(sh tools/c_example.sh 2>&1)
    printf '%s\n' "$out"
    add_counts "$out"
fi

echo "== emulator tests (python3)"
out=$(LD_PRELOAD= python3 -m unittest discover -s tools/emulator -p 'test_*.py' 2>&1)
ran=$(printf '%s\n' "$out" | sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p' | tail -n 1)
bad=$(printf '%s\n' "$out" | sed -n 's/^FAILED (\(.*\))/\1/p' | tr ',' '\n' |
    awk -F= '{ n += $2 } END { print n + 0 }')
ran=${ran:-0}
bad=${bad:-0}
if [ "$ran" -eq 0 ]; then
    printf '%s\n' "$out" | tail -n 20
    bad=1
elif [ "$bad" -ne 0 ]; then
    # (the failing tests' names and tracebacks)
    printf '%s\n' "$out" | sed -n '/^\(FAIL\|ERROR\): /,/^----------------------------------------------------------------------$/p'
fi
printf '%s\n' "$out" | tail -n 3
passed=$((passed + ran - bad))
failed=$((failed + bad))

for lua in $LUAS; do
    build=${BUILD:-build/$lua}
    export OMICS_CPATH="$(pwd)/$build/?.so"
    export OMICS_LUA="$lua"
    # the nginx spec drives a real nginx (LuaJIT inside it) from outside: once
    # is enough, from the first runtime
    exclude=""
    [ "$lua" = "$first_lua" ] || exclude="--exclude-tags=nginx"
    echo "== busted specs ($lua, $build)"
    # (busted re-runs itself under --lua through a shell: paths with ';' go in
    # LUA_PATH, not in --lpath)
    out=$(LD_PRELOAD="${OMICS_PRELOAD:-}" LUA_PATH="$(pwd)/spec/?.lua;$(pwd)/?.lua;;" \
        "$BUSTED" --lua="$lua" -o plainTerminal --cpath="$OMICS_CPATH" $exclude spec 2>&1)
    rc=$?
    printf '%s\n' "$out"
    summary=$(printf '%s\n' "$out" | grep -E '[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' | tail -n 1)
    if [ -z "$summary" ]; then
        echo "busted did not finish under $lua (exit $rc)"
        failed=$((failed + 1))
        continue
    fi
    s=$(printf '%s' "$summary" | sed 's/^\([0-9]*\) success.*/\1/')
    f=$(printf '%s' "$summary" | sed 's/.* \([0-9]*\) failures\{0,1\} \/.*/\1/')
    e=$(printf '%s' "$summary" | sed 's/.* \([0-9]*\) errors\{0,1\} \/.*/\1/')
    pend=$(printf '%s' "$summary" | sed 's/.* \([0-9]*\) pending.*/\1/')
    passed=$((passed + s))
    failed=$((failed + f + e))
    skipped=$((skipped + pend))
done

[ "$skipped" -gt 0 ] && echo "($skipped pending: not counted as passed; reasons printed above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
