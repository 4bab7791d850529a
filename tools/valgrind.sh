#!/bin/sh
# The end-to-end specs under valgrind (memcheck): any invalid read or write,
# use of uninitialised memory, or definitely lost block fails the run.
# Child processes (the emulator, shells) are not traced.  Ends with one line,
# "N passed, N failed": the specs, and valgrind's own verdict as one more
# (and one per C test of VALGRIND_CTESTS).
set -u
LUA=${LUA:-lua5.4}
BUSTED_SCRIPT=$(command -v busted)
SPECS=${VALGRIND_SPECS:-"spec/get_reference_metadata_spec.lua spec/service_spec.lua \
spec/streaming_spec.lua spec/transport_spec.lua spec/paginate_wait_spec.lua spec/faults_spec.lua \
spec/sinks_spec.lua spec/call_many_spec.lua spec/download_spec.lua spec/upload_spec.lua \
spec/events_spec.lua spec/stubber_spec.lua"}
export OMICS_CPATH="$(pwd)/build/$LUA/?.so"
export OMICS_LUA="$LUA"
export NO_PROXY="127.0.0.1,localhost"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# busted runs as a plain Lua script here (--ignore-lua): valgrind watches
# this one process.
# shellcheck disable=SC2086
out=$(LUA_PATH="$(pwd)/spec/?.lua;$(pwd)/?.lua;;" valgrind --quiet --error-exitcode=99 \
    --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --log-file="$log" "$LUA" "$BUSTED_SCRIPT" --ignore-lua -o plainTerminal \
    --cpath="$OMICS_CPATH" $SPECS 2>&1)
status=$?
printf '%s\n' "$out"
cat "$log"
summary=$(printf '%s\n' "$out" | grep -E '[0-9]+ successes? / ' | tail -n 1)
s=$(printf '%s' "$summary" | sed -n 's/^\([0-9]*\) success.*/\1/p')
f=$(printf '%s' "$summary" | sed -n 's/.* \([0-9]*\) failures\{0,1\} \/.*/\1/p')
e=$(printf '%s' "$summary" | sed -n 's/.* \([0-9]*\) errors\{0,1\} \/.*/\1/p')
passed=${s:-0}
failed=$(( ${f:-0} + ${e:-0} ))
[ -n "$summary" ] || failed=$((failed + 1))
if grep -q "^==[0-9]*== [A-Z]" "$log" || [ "$status" -eq 99 ]; then
    echo "valgrind: memory errors or definite leaks (above)"
    failed=$((failed + 1))
else
    echo "valgrind: no memory errors, no definite leaks"
    passed=$((passed + 1))
fi
# The C tests of what no spec here reaches (a provider stepped by a
# driver's bytes, as nginx does): each one more verdict.
for t in ${VALGRIND_CTESTS:-test_creds_step}; do
    if valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite "build/$LUA/$t" >"$log" 2>&1; then
        echo "valgrind: $t: no memory errors, no definite leaks"
        passed=$((passed + 1))
    else
        cat "$log"
        echo "valgrind: $t failed (above)"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
