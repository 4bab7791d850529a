"""Read set file checks: FASTQ, BAM/uBAM and CRAM, read and base counts, indexes.

The checks are shallow: enough to refuse a file of the wrong kind and to fill
in sequenceInformation. Indexes are generated, structurally valid and empty
(a BAI with no bins for each reference, an empty gzip-compressed CRAI).
"""

import gzip
import hashlib
import struct
import zlib

GZIP_MAGIC = b"\x1f\x8b"
GZIP_ERRORS = (OSError, EOFError, zlib.error)
TEXT_BLOCK = 8 << 20
ETAG_DIGESTS = {"MD5up": hashlib.md5, "SHA256up": hashlib.sha256, "SHA512up": hashlib.sha512}


class FormatError(ValueError):
    """The file is not what its declared type says."""


def information(reads, bases, alignment):
    return {"totalReadCount": reads, "totalBaseCount": bases, "alignment": alignment}


def fastq_lines(file, what):
    """The lines of a plain or gzip-compressed FASTQ file, a list a block:
    whole records but in the last, without the file's trailing line ends."""
    try:
        with (gzip.open if file.read(2) == GZIP_MAGIC else open)(file.path, "rb") as handle:
            if handle.peek(1)[:1] != b"@":
                raise FormatError(f"{what}: not a FASTQ file (a record must start with '@')")
            carry = b""
            for block in iter(lambda: handle.read(TEXT_BLOCK), b""):
                data = carry + block
                body = data.rstrip(b"\r\n")
                lines = body.split(b"\n")
                whole = (len(lines) - 1) // 4 * 4    # the last line may go on in the next block
                carry = b"\n".join(lines[whole:]) + data[len(body):]
                yield [line.rstrip(b"\r") for line in lines[:whole]] if b"\r" in body else \
                    lines[:whole]
    except GZIP_ERRORS as exc:
        raise FormatError(f"{what}: invalid gzip/BGZF data ({exc})") from None
    body = carry.rstrip(b"\r\n")
    yield [line.rstrip(b"\r") for line in body.split(b"\n")] if body else []


def first_without(lines, mark):
    """The index of the first line that does not start with mark, else len(lines)."""
    if not lines or min(lines)[:1] == max(lines)[:1] == mark:   # all between them do too
        return len(lines)
    return next(i for i, line in enumerate(lines) if line[:1] != mark)


def fastq_counts(file, what):
    """(reads, bases) of a plain or gzip-compressed FASTQ file, checked a block at a time."""
    reads = bases = 0
    for lines in fastq_lines(file, what):
        bad_head, bad_plus = first_without(lines[0::4], b"@"), first_without(lines[2::4], b"+")
        if bad_plus < bad_head:
            raise FormatError(f"{what}: FASTQ record {reads + bad_plus + 1} lacks its '+' line")
        if bad_head < len(lines[0::4]):
            raise FormatError(f"{what}: FASTQ record {reads + bad_head + 1} does not start "
                              f"with '@'")
        if len(lines) % 4:
            raise FormatError(f"{what}: the last FASTQ record is incomplete")
        reads, bases = reads + len(lines) // 4, bases + sum(map(len, lines[1::4]))
    return reads, bases


def bam_scan(data, what):
    """(reference count, reads, bases) of a BGZF-compressed BAM file."""
    if not data.startswith(GZIP_MAGIC):
        raise FormatError(f"{what}: not a BAM file (expected BGZF compression)")
    try:
        raw = gzip.decompress(data)
    except GZIP_ERRORS as exc:
        raise FormatError(f"{what}: invalid gzip/BGZF data ({exc})") from None
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
    """(sequenceInformation, index or None, its name) of valid sources; raises
    FormatError otherwise."""
    if not source1:
        raise FormatError("source1 is empty")
    if source2 is not None and file_type != "FASTQ":
        raise FormatError(f"source2 is only allowed for FASTQ, not {file_type}")
    if file_type == "FASTQ":
        reads, bases = fastq_counts(source1, "source1")
        if source2 is not None:
            more_reads, more_bases = fastq_counts(source2, "source2")
            reads, bases = reads + more_reads, bases + more_bases
        return information(reads, bases, "UNALIGNED"), None, None
    if file_type in ("BAM", "UBAM"):
        references, reads, bases = bam_scan(source1.read(), "source1")
        if file_type == "UBAM":
            return information(reads, bases, "UNALIGNED"), None, None
        return information(reads, bases, "ALIGNED"), empty_bai(references), "bai"
    if source1.read(4) != b"CRAM":
        raise FormatError("source1: not a CRAM file (bad magic)")
    return {"alignment": "ALIGNED"}, gzip.compress(b"", mtime=0), "crai"


def file_extension(file_type, file):
    base = {"FASTQ": "fastq", "BAM": "bam", "UBAM": "bam", "CRAM": "cram"}[file_type]
    return base + ".gz" if file_type == "FASTQ" and file.read(2) == GZIP_MAGIC else base


def etag(file_type, family, source1, source2=None):
    """The read set's ETag document for the store's algorithm family."""
    digest = ETAG_DIGESTS[family]
    kind = "BAM" if file_type == "UBAM" else file_type
    document = {"algorithm": f"{kind}_{family}", "source1": source1.digest(digest)}
    if source2 is not None:
        document["source2"] = source2.digest(digest)
    return document
