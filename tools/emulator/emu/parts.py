"""Stored files served in numbered parts, with optional byte ranges."""

from .errors import ServiceError


def total_parts(data, part_size):
    return max(1, -(-len(data) // part_size))


def file_information(data, part_size):
    return {"totalParts": total_parts(data, part_size), "partSize": part_size,
            "contentLength": len(data)}


def unsatisfiable(message):
    return ServiceError("RangeNotSatisfiableException", message)


def read_part(data, part_size, part_number, range_header=None):
    """Bytes of 1-based part_number, narrowed by a `bytes=a-b` range if given."""
    last = total_parts(data, part_size)
    if part_number > last:
        raise unsatisfiable(f"Part number {part_number} is beyond the last part ({last}).")
    chunk = data[(part_number - 1) * part_size:part_number * part_size]
    return apply_range(chunk, range_header) if range_header else chunk


def apply_range(chunk, range_header):
    spec = range_header.strip()
    if spec.startswith("bytes="):
        spec = spec[len("bytes="):]
    first, dash, last = spec.partition("-")
    try:
        if not dash or "," in spec:
            raise ValueError(spec)
        if first:
            start = int(first)
            end = int(last) if last else len(chunk) - 1
        else:
            suffix = int(last)
            if suffix <= 0:
                raise ValueError(spec)
            start, end = max(0, len(chunk) - suffix), len(chunk) - 1
    except ValueError:
        raise unsatisfiable(f"Invalid range: {range_header}") from None
    if start < 0 or start >= len(chunk) or end < start:
        raise unsatisfiable(f"Range {range_header} is not satisfiable for a part of {len(chunk)} bytes.")
    return chunk[start:min(end, len(chunk) - 1) + 1]
