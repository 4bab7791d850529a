#!/usr/bin/env python3
"""Copy a botocore service model into the repository without its prose.

    python3 tools/strip_model.py <botocore>/data/omics/2022-11-28 tools/model/2022-11-28

Every documentation string goes (documentation, documentationUrl, the
waiters' descriptions, deprecation messages, examples); the facts of the
API stay: names, HTTP bindings, shapes, types, constraints, enums,
patterns, errors, paginators, waiters' acceptors, endpoint rules and their
test cases.  The output is deterministic: the same input always gives the
same bytes.
"""
import json
import os
import sys

FILES = ("service-2.json", "paginators-1.json", "waiters-2.json",
         "endpoint-rule-set-1.json", "endpoint-tests-1.json")
PROSE = {"documentation", "documentationUrl", "description", "deprecatedMessage", "examples"}
# maps whose keys are names chosen by the service, never prose
NAMES = {"shapes", "members", "operations", "waiters", "pagination", "parameters", "params"}


def strip(node, names=False):
    """names: node's keys are names (members, shapes, ...), whose values
    are definitions again."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in PROSE and not names:
                continue
            out[key] = strip(value, not names and key in NAMES)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    src, dst = argv[1], argv[2]
    os.makedirs(dst, exist_ok=True)
    for name in FILES:
        with open(os.path.join(src, name), encoding="utf-8") as f:
            model = json.load(f)
        with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
            json.dump(strip(model), f, indent=1, ensure_ascii=False)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
