#!/bin/sh
# Run libFuzzer targets for a while each, as `make fuzz` does:
#
#   sh tools/fuzz/run.sh BUILD_DIR SECONDS fuzz_parse fuzz_ts ...
#
# Each target BUILD_DIR/<target> runs for SECONDS on a fresh scratch copy of
# tools/fuzz/corpus/<name> (libFuzzer adds what it finds to the first corpus
# directory, so the repository's seeds are never written to), with
# tools/fuzz/<name>.dict when there is one, and with tools/fuzz/crashes/<name>/
# (the reproducers of reported bugs) read as a second corpus.  Crashes, leaks
# and timeouts go to BUILD_DIR/artifacts/<target>/, the whole log to
# BUILD_DIR/logs/<target>.log.  One line per target; exit status 1 when any
# target found something.
set -u

die() { echo "fuzz: $*" >&2; exit 2; }

[ $# -ge 3 ] || die "usage: run.sh BUILD_DIR SECONDS TARGET..."
build=$1
seconds=$2
shift 2
case "$seconds" in
    '' | *[!0-9]*) die "FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" ;;
esac
here=$(dirname "$0")

failed=0
for target in "$@"; do
    name=${target#fuzz_}
    bin=$build/$target
    [ -x "$bin" ] || die "$bin is not built"
    scratch=$build/corpus/$name
    artifacts=$build/artifacts/$target
    log=$build/logs/$target.log
    rm -rf "$scratch"
    mkdir -p "$scratch" "$artifacts" "$build/logs"
    rm -f "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*
    seeds=0
    if [ -d "$here/corpus/$name" ]; then
        cp "$here/corpus/$name"/* "$scratch"/ 2>/dev/null
        seeds=$(ls "$scratch" | wc -l)
    fi
    set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/"
    [ -f "$here/$name.dict" ] && set -- "$@" -dict="$here/$name.dict"
    set -- "$@" "$scratch"
    [ -d "$here/crashes/$name" ] && set -- "$@" "$here/crashes/$name"
    # the deadline is for a run that hangs outside libFuzzer's own timeouts
    timeout $((seconds * 2 + 120)) "$bin" "$@" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    [ -n "$execs" ] || execs=0
    found=$(ls "$artifacts" 2>/dev/null | head -n 1)
    corpus=$(ls "$scratch" | wc -l)
    if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
        result="ok (corpus $seeds -> $corpus)"
    else
        failed=1
        case "$found" in
            crash-*) what=CRASH ;;
            leak-*) what=LEAK ;;
            timeout-*) what=TIMEOUT ;;
            oom-*) what=OUT-OF-MEMORY ;;
            *) what="FAILED (exit $rc)" ;;
        esac
        result="$what${found:+: $artifacts/$found} (log: $log)"
    fi
    printf '%-14s %10s executions in %ss: %s\n' "$target" "$execs" "$seconds" "$result"
    if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
        # what the harness or the sanitizer said, indented
        grep -E 'property violated|runtime error|ERROR: |SUMMARY: ' "$log" | head -n 5 |
            sed 's/^/    /'
    fi
done
exit $failed
