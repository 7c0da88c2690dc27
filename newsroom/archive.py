"""Content-addressed storage for raw messages and media: the file name is the SHA-256 of the bytes.

Writing is idempotent and atomic (temporary file, then rename), so archiving the same message twice,
or crashing half-way, never leaves a wrong or partial file under a valid name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class Archive:
    def __init__(self, root: Path):
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()
