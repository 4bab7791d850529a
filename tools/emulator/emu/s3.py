"""A local stand-in for S3: s3://bucket/key is the file <root>/bucket/key."""

import os
import re
import shutil
from pathlib import Path

S3_URI = re.compile(r"s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])/(.{1,1024})")


class S3Root:
    def __init__(self, root):
        self.root = Path(root).resolve()

    def path_for(self, uri):
        match = S3_URI.fullmatch(uri)
        if not match:
            raise ValueError(f"not an s3://bucket/key URI: {uri}")
        path = (self.root / match.group(1) / match.group(2)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"key escapes the bucket: {uri}")
        return path

    def read(self, uri, read=Path.read_bytes, what="Source file", doing="read"):
        """read(path) of the object (default: its bytes); else ValueError
        "<what> not found: <uri>" or "Cannot <doing> <uri>: <the error>"."""
        try:
            return read(self.path_for(uri))
        except FileNotFoundError:
            raise ValueError(f"{what} not found: {uri}") from None
        except (OSError, ValueError) as exc:
            raise ValueError(f"Cannot {doing} {uri}: {exc}") from None

    def write(self, uri, data):
        """Write bytes, or a copy of a file (data.path), as the object."""
        path = self.path_for(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".partial")
        if isinstance(data, bytes):
            temporary.write_bytes(data)
        else:
            shutil.copyfile(data.path, temporary)
        os.replace(temporary, path)
