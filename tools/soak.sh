#!/bin/sh
# Start the emulator on a free port, run bench/soak.lua (CALLS, default
# 100000), stop it.
set -eu
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
python3 tools/emulator/omics_emulator.py --port 0 --port-file "$dir/port" --seed-demo \
    >"$dir/log" 2>&1 &
pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
OMICS_ENDPOINT="http://127.0.0.1:$(cat "$dir/port")" ${LUA:-lua5.4} bench/soak.lua "${CALLS:-100000}"
