#!/bin/sh
# The demo behind `make demo` (which runs `make deps all` first): start the
# local HealthOmics emulator with its demo data, then run
# examples/get_reference_metadata.lua against it with ./omics.lua and ./omics/core.so.
# Environment: LUA (lua5.4), PYTHON (python3).
set -eu
cd "$(dirname "$0")/.."
LUA=${LUA:-lua5.4}
PYTHON=${PYTHON:-python3}

[ -f omics/core.so ] || { echo "demo: ./omics/core.so is missing: run make first" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lua-omics-demo.XXXXXX")
emu_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [ -n "$emu_pid" ] && kill -0 "$emu_pid" 2>/dev/null; then
        kill "$emu_pid" 2>/dev/null || true
        wait "$emu_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "demo: starting the HealthOmics emulator (tools/emulator) on a free port, with the demo reference store"
"$PYTHON" tools/emulator/omics_emulator.py --host 127.0.0.1 --port 0 \
    --port-file "$tmp/port" --seed-demo >"$tmp/emulator.log" 2>&1 &
emu_pid=$!

# Wait up to 15 s for the port file, then for /_emulator/health.
port=""
tries=0
while :; do
    if ! kill -0 "$emu_pid" 2>/dev/null; then
        echo "demo: the emulator exited before it was ready; its output:" >&2
        cat "$tmp/emulator.log" >&2
        exit 1
    fi
    [ -z "$port" ] && [ -s "$tmp/port" ] && port=$(cat "$tmp/port")
    if [ -n "$port" ] &&
        curl -fsS --noproxy '*' --max-time 2 "http://127.0.0.1:$port/_emulator/health" 2>/dev/null |
        grep -q '"ok": *true'; then
        break
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 150 ]; then
        echo "demo: the emulator did not answer /_emulator/health within 15 seconds; its output:" >&2
        cat "$tmp/emulator.log" >&2
        exit 1
    fi
    sleep 0.1
done
endpoint="http://127.0.0.1:$port"
echo "demo: emulator ready at $endpoint (pid $emu_pid)"

echo "demo: running $LUA examples/get_reference_metadata.lua with ./omics.lua and ./omics/core.so,"
echo "demo:   endpoint AWS_ENDPOINT_URL_OMICS=$endpoint, region us-east-1,"
echo "demo:   the emulator's example access key AKIDEXAMPLE, and no ~/.aws files"
echo "demo:   (reference store 1234567890, reference 9876543210)"
echo
status=0
env -u LUA_CPATH_5_4 -u LUA_PATH_5_4 -u LUA_INIT -u LUA_INIT_5_4 \
    -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN \
    LUA_CPATH="./?.so" LUA_PATH="./?.lua" \
    AWS_ENDPOINT_URL_OMICS="$endpoint" \
    AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
    AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' \
    AWS_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    OMICS_REFERENCE_STORE_ID=1234567890 \
    OMICS_REFERENCE_ID=9876543210 \
    NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost" \
    "$LUA" examples/get_reference_metadata.lua || status=$?
echo
if [ "$status" -eq 0 ]; then
    echo "demo: done; stopping the emulator"
else
    echo "demo: the example failed (exit $status); stopping the emulator" >&2
fi
exit "$status"
