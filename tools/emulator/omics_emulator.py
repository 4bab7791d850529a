#!/usr/bin/env python3
"""Local AWS HealthOmics-compatible HTTP server for tests. See README.md."""

import argparse
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emu.app import Emulator  # noqa: E402
from emu.credentials import load_credentials_file  # noqa: E402
from emu.httpserver import EmulatorHTTPServer  # noqa: E402

DEFAULT_PART_SIZE = 104857600


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Local AWS HealthOmics-compatible HTTP server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "9000")),
                        help="0 picks a free port (default: $PORT or 9000)")
    parser.add_argument("--port-file", help="write the listening port to this file")
    parser.add_argument("--seed-demo", action="store_true",
                        help="start with reference store 1234567890 holding reference 9876543210")
    parser.add_argument("--s3-root", help="directory standing in for S3 (default: a temp dir)")
    parser.add_argument("--part-size", type=int, default=DEFAULT_PART_SIZE,
                        help="bytes per part of stored files")
    parser.add_argument("--credentials",
                        help="JSON list of {access_key_id, secret_access_key, session_token?}")
    args = parser.parse_args(argv)
    if args.part_size < 1:
        parser.error("--part-size must be at least 1")
    return args


def write_port_file(path, port):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(f"{port}\n")
    os.replace(temporary, path)


def main(argv=None):
    args = parse_args(argv)
    own_s3_root = args.s3_root is None
    s3_root = tempfile.mkdtemp(prefix="omics-emulator-s3-") if own_s3_root else args.s3_root
    try:
        credentials = load_credentials_file(args.credentials) if args.credentials else ()
        emulator = Emulator(s3_root, args.part_size, args.seed_demo, credentials)
        server = EmulatorHTTPServer((args.host, args.port), emulator)
    except (OSError, ValueError) as exc:
        print(f"omics-emulator: {exc}", file=sys.stderr)
        return 1
    # Set both explicitly: a shell starting us in the background ignores SIGINT.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    port = server.server_address[1]
    print(f"omics-emulator listening on http://{args.host}:{port}", flush=True)
    if args.port_file:
        write_port_file(args.port_file, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        shutil.rmtree(emulator.files.root, ignore_errors=True)
        if own_s3_root:
            shutil.rmtree(s3_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
