"""Read set file checks: FASTQ, BAM/uBAM and CRAM, read and base counts, indexes.

The checks are shallow: enough to refuse a file of the wrong kind and to fill
in sequenceInformation. Indexes are generated, structurally valid and empty
(a BAI with no bins for each reference, an empty gzip-compressed CRAI).
"""

import gzip
import hashlib
import io
import struct
import zlib
from dataclasses import dataclass

GZIP_MAGIC = b"\x1f\x8b"
ETAG_DIGESTS = {"MD5up": hashlib.md5, "SHA256up": hashlib.sha256, "SHA512up": hashlib.sha512}


class FormatError(ValueError):
    """The file is not what its declared type says."""


@dataclass
class Checked:
    """What a valid set of source files yields."""
    total_read_count: int = None
    total_base_count: int = None
    alignment: str = None
    index: bytes = None
    index_name: str = None


def inflate(data, what):
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise FormatError(f"{what}: invalid gzip/BGZF data ({exc})") from None


def fastq_counts(data, what):
    """(reads, bases) of a plain or gzip-compressed FASTQ file."""
    text = inflate(data, what) if data.startswith(GZIP_MAGIC) else data
    if not text.startswith(b"@"):
        raise FormatError(f"{what}: not a FASTQ file (a record must start with '@')")
    body = text.rstrip(b"\r\n")
    reads = bases = count = 0
    for count, line in enumerate(io.BytesIO(body), start=1):
        line = line.rstrip(b"\r\n")
        kind = (count - 1) % 4
        if kind == 0:
            if not line.startswith(b"@"):
                raise FormatError(f"{what}: FASTQ record {reads + 1} does not start with '@'")
            reads += 1
        elif kind == 1:
            bases += len(line)
        elif kind == 2 and not line.startswith(b"+"):
            raise FormatError(f"{what}: FASTQ record {reads} lacks its '+' line")
    if count % 4:
        raise FormatError(f"{what}: the last FASTQ record is incomplete")
    return reads, bases


def bam_scan(data, what):
    """(reference count, reads, bases) of a BGZF-compressed BAM file."""
    if not data.startswith(GZIP_MAGIC):
        raise FormatError(f"{what}: not a BAM file (expected BGZF compression)")
    raw = inflate(data, what)
    if raw[:4] != b"BAM\x01":
        raise FormatError(f"{what}: not a BAM file (bad magic)")
    try:
        (text_length,) = struct.unpack_from("<i", raw, 4)
        offset = 8 + text_length
        (reference_count,) = struct.unpack_from("<i", raw, offset)
        offset += 4
        for _ in range(reference_count):
            (name_length,) = struct.unpack_from("<i", raw, offset)
            offset += 4 + name_length + 4
        reads = bases = 0
        while offset < len(raw):
            (block_size,) = struct.unpack_from("<i", raw, offset)
            if block_size < 32 or offset + 4 + block_size > len(raw):
                raise FormatError(f"{what}: truncated BAM record {reads + 1}")
            (sequence_length,) = struct.unpack_from("<i", raw, offset + 20)
            reads += 1
            bases += sequence_length
            offset += 4 + block_size
    except struct.error:
        raise FormatError(f"{what}: truncated BAM header") from None
    return reference_count, reads, bases


def empty_bai(reference_count):
    return b"BAI\x01" + struct.pack("<i", reference_count) + b"\x00" * (8 * reference_count)


def check_sources(file_type, source1, source2=None):
    """A Checked for valid sources; raises FormatError otherwise."""
    if not source1:
        raise FormatError("source1 is empty")
    if source2 is not None and file_type != "FASTQ":
        raise FormatError(f"source2 is only allowed for FASTQ, not {file_type}")
    if file_type == "FASTQ":
        reads, bases = fastq_counts(source1, "source1")
        if source2 is not None:
            more_reads, more_bases = fastq_counts(source2, "source2")
            reads, bases = reads + more_reads, bases + more_bases
        return Checked(reads, bases, "UNALIGNED")
    if file_type in ("BAM", "UBAM"):
        references, reads, bases = bam_scan(source1, "source1")
        if file_type == "UBAM":
            return Checked(reads, bases, "UNALIGNED")
        return Checked(reads, bases, "ALIGNED", empty_bai(references), "bai")
    if not source1.startswith(b"CRAM"):
        raise FormatError("source1: not a CRAM file (bad magic)")
    return Checked(alignment="ALIGNED", index=gzip.compress(b"", mtime=0), index_name="crai")


def file_extension(file_type, data):
    base = {"FASTQ": "fastq", "BAM": "bam", "UBAM": "bam", "CRAM": "cram"}[file_type]
    return base + ".gz" if file_type == "FASTQ" and data.startswith(GZIP_MAGIC) else base


def etag(file_type, family, source1, source2=None):
    """The read set's ETag document for the store's algorithm family."""
    digest = ETAG_DIGESTS[family]
    kind = "BAM" if file_type == "UBAM" else file_type
    document = {"algorithm": f"{kind}_{family}", "source1": digest(source1).hexdigest()}
    if source2 is not None:
        document["source2"] = digest(source2).hexdigest()
    return document
