"""FASTA helpers: a .fai-style index and the deterministic demo genome."""

import random


def fai_index(data):
    """samtools-style .fai text: name, length, offset, linebases, linewidth.

    Raises ValueError if data does not look like FASTA.
    """
    if not data.startswith(b">"):
        raise ValueError("not a FASTA file: it must start with '>'")
    rows = []
    record = None
    offset = 0
    for line in data.splitlines(keepends=True):
        stripped = line.rstrip(b"\r\n")
        if stripped.startswith(b">"):
            name = stripped[1:].split()
            if not name:
                raise ValueError("FASTA header without a sequence name")
            record = {"name": name[0].decode("utf-8", "replace"), "length": 0,
                      "offset": offset + len(line), "linebases": 0, "linewidth": 0}
            rows.append(record)
        elif stripped:
            if record["linebases"] == 0:
                record["linebases"] = len(stripped)
                record["linewidth"] = len(line)
            record["length"] += len(stripped)
        offset += len(line)
    return "".join(f"{r['name']}\t{r['length']}\t{r['offset']}\t{r['linebases']}\t{r['linewidth']}\n"
                   for r in rows).encode("utf-8")


DEMO_CHROMOSOMES = (("chr1", 5000), ("chr2", 4000), ("chr3", 3000))
LINE_WIDTH = 60


def demo_genome(seed=20221128):
    """A small pseudo-random genome, identical on every run."""
    rng = random.Random(seed)
    out = []
    for name, length in DEMO_CHROMOSOMES:
        bases = "".join(rng.choice("ACGT") for _ in range(length))
        out.append(f">{name}\n")
        out.extend(bases[i:i + LINE_WIDTH] + "\n" for i in range(0, length, LINE_WIDTH))
    return "".join(out).encode("ascii")
