#!/bin/sh
# Replay the reproducers of fixed bugs, as `make fuzz-repro` does:
#
#   sh tools/fuzz/repro.sh BUILD_DIR fuzz_parse fuzz_sigv4 ...
#
# Every file in tools/fuzz/crashes/<name>/ is run once through
# BUILD_DIR/<target>.  One line per file: "ok", or "FAILS: <what>" when the
# bug is back.  Exit status 1 when any fails.
set -u

[ $# -ge 2 ] || { echo "usage: repro.sh BUILD_DIR TARGET..." >&2; exit 2; }
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
            result=ok
        else
            result="FAILS: $(grep -m 1 -E 'property violated|runtime error|ERROR: ' \
                "$build/$target.repro.log" | sed 's/^[^:]*: //')"
            status=1
        fi
        printf '%-14s %s: %s\n' "$target" "${f#"$here"/}" "$result"
    done
done
exit $status
