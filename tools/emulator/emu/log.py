"""Opt-in logging: one line per request on stderr when EMULATOR_LOG=1."""

import os
import sys

ENABLED = os.environ.get("EMULATOR_LOG") == "1"


def log(line):
    if ENABLED:
        sys.stderr.write(line.rstrip("\n") + "\n")
        sys.stderr.flush()
