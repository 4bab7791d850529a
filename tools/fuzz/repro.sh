#!/bin/sh
# Run the reproducers of reported bugs, as `make fuzz-repro` does:
#
#   sh tools/fuzz/repro.sh STRICT_BUILD_DIR fuzz_parse fuzz_sigv4 ...
#
# Every file in tools/fuzz/crashes/<name>/ is run once through
# STRICT_BUILD_DIR/<target>, a target built with -DFUZZ_STRICT (the checks
# `make fuzz` skips for known issues are made).  One line per file:
# "reproduces" while the bug is there, "fixed" once it is gone.  Exit status 1
# when any still reproduces.
set -u

[ $# -ge 2 ] || { echo "usage: repro.sh STRICT_BUILD_DIR TARGET..." >&2; exit 2; }
build=$1
shift
here=$(dirname "$0")
status=0
for target in "$@"; do
    name=${target#fuzz_}
    dir=$here/crashes/$name
    [ -d "$dir" ] || continue
    for f in "$dir"/*; do
        [ -f "$f" ] || continue
        case "$f" in *.md | *.txt) continue ;; esac
        if "$build/$target" -runs=1 "$f" >"$build/$target.repro.log" 2>&1; then
            result=fixed
        else
            result="reproduces: $(grep -m 1 -E 'property violated|runtime error|ERROR: ' \
                "$build/$target.repro.log" | sed 's/^[^:]*: //')"
            status=1
        fi
        printf '%-14s %s: %s\n' "$target" "${f#"$here"/}" "$result"
    done
done
exit $status
