#!/bin/sh
# Check that the rockspec's C sources match the tree: every src/*.c and
# lua_*.c (the binding) is listed, and every listed .c file exists. Run from anywhere.
set -eu
cd "$(dirname "$0")/.."
ROCKSPEC=${ROCKSPEC:-lua-omics-0.1.0-1.rockspec}
[ -f "$ROCKSPEC" ] || { echo "check_rockspec: $ROCKSPEC not found" >&2; exit 1; }

# The quoted "....c" strings of the rockspec, one per line.
listed=$(grep -o '"[^"]*\.c"' "$ROCKSPEC" | tr -d '"' | sort -u)
bad=0
for f in lua_*.c src/*.c; do
    [ -f "$f" ] || continue
    if ! printf '%s\n' "$listed" | grep -qxF "$f"; then
        echo "check_rockspec: $f is not in $ROCKSPEC (add it to build.modules["omics.core"].sources)" >&2
        bad=1
    fi
done
for f in $listed; do
    if [ ! -f "$f" ]; then
        echo "check_rockspec: $ROCKSPEC lists $f, which does not exist" >&2
        bad=1
    fi
done
if [ "$bad" -ne 0 ]; then
    exit 1
fi
echo "check_rockspec: $ROCKSPEC lists all $(printf '%s\n' "$listed" | wc -l) C sources"
