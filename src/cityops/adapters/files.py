"""Attachment files on disk, named by their SHA-256 (the same file stored once)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


class DiskFileStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, sha256: str, data: bytes) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)  # atomic: a reader never sees half a file

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()
