"""Stored files: read set and reference files, uploaded parts and long request
bodies, on disk under the emulator's scratch directory; served in numbered parts."""

import hashlib
import os
import shutil
import uuid
from functools import partial
from pathlib import Path

from .errors import ServiceError

BLOCK = 1 << 20


class StoredFile:
    """size bytes from offset of the file at path, with their SHA-256 if received.
    As a request body it stands for its bytes: len(), a slice, bytes' methods."""

    def __init__(self, path, size, sha256=None, offset=0):
        self.path, self.size, self.sha256, self.offset, self.kept = path, size, sha256, offset, False

    def read(self, size=-1):
        with open(self.path, "rb") as handle:
            return handle.read(size)

    def digest(self, algorithm):
        with open(self.path, "rb") as handle:
            return hashlib.file_digest(handle, algorithm).hexdigest()

    def __len__(self):
        return self.size

    def __getitem__(self, cut):
        return self.read(-1 if cut.stop is None else cut.stop)[cut]

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.read(), name)


class FileStore:
    def __init__(self, root):
        self.root = Path(root)
        self.reset()

    def reset(self):
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)

    def new(self, size=0, sha256=None, kept=True):
        """A StoredFile at a new path, to be written."""
        file = StoredFile(self.root / uuid.uuid4().hex, size, sha256)
        file.kept = kept      # (else removed once its request is answered)
        return file

    def receive(self, read_into, length):
        """A new file of length bytes from read_into(buffer) -> count (0 at
        the end), with its SHA-256; raises ConnectionError if they run out."""
        file, left = self.new(length, hashlib.sha256(), False), length
        view = memoryview(bytearray(BLOCK))
        with open(file.path, "wb") as out:
            while left and (count := read_into(view[:min(left, BLOCK)])):
                file.sha256.update(view[:count])
                out.write(view[:count])
                left -= count
        if left:
            remove(file)
            raise ConnectionError("client closed the connection mid-body")
        file.sha256 = file.sha256.hexdigest()
        return file

    def keep(self, data):
        """data (bytes, or a received StoredFile) as a kept file."""
        if isinstance(data, StoredFile):
            data.kept = True
            return data
        file = self.new(len(data), hashlib.sha256(data).hexdigest())
        file.path.write_bytes(data)
        return file

    def copy(self, source):
        """A kept copy of the file at source."""
        file = self.new()
        shutil.copyfile(source, file.path)
        file.size = file.path.stat().st_size
        return file

    @staticmethod
    def join(files, target):
        """Write the files' bytes, in order, as target; the files go."""
        with open(target.path, "wb") as out:
            for file in files:
                with open(file.path, "rb") as part:
                    while os.copy_file_range(part.fileno(), out.fileno(), BLOCK << 6):
                        pass
                remove(file)


def remove(*files):
    for file in files:
        if file is not None:
            file.path.unlink(missing_ok=True)


def file_information(file, part_size):
    return {"totalParts": max(1, -(-len(file) // part_size)), "partSize": part_size,
            "contentLength": len(file)}


unsatisfiable = partial(ServiceError, "RangeNotSatisfiableException")


def read_part(file, part_size, part_number, range_header=None):
    """The StoredFile of 1-based part_number, narrowed by a `bytes=a-b` range if given."""
    last = file_information(file, part_size)["totalParts"]
    if part_number > last:
        raise unsatisfiable(f"Part number {part_number} is beyond the last part ({last}).")
    offset = (part_number - 1) * part_size
    length = min(part_size, len(file) - offset)
    start, stop = apply_range(length, range_header) if range_header else (0, length)
    return StoredFile(file.path, stop - start, offset=offset + start)


def apply_range(length, range_header):
    """(start, stop) within a part of length bytes for a `bytes=a-b` range
    (or a `bytes=-n` suffix of n > 0 bytes)."""
    spec = range_header.strip().removeprefix("bytes=")
    first, dash, last = spec.partition("-")
    try:
        if not dash or "," in spec or not (first or int(last) > 0):
            raise ValueError(spec)
        start = int(first) if first else max(0, length - int(last))
        end = int(last) if first and last else length - 1
    except ValueError:
        raise unsatisfiable(f"Invalid range: {range_header}") from None
    if start < 0 or start >= length or end < start:
        raise unsatisfiable(f"Range {range_header} is not satisfiable for a part of {length} bytes.")
    return start, min(end, length - 1) + 1
