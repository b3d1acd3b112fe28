"""The file store: PDFs and uploads kept as files named by the SHA-256 of their content, the database
holding only the hash. A dossier's rows stay small, the same scan uploaded twice is stored once, and a
backup is the database plus a folder that only ever grows (files are never rewritten).

The folder is `MOTCUA_FILE_STORE` (default `instance/files`); every process of a deployment must see the
same folder. A file is written before the transaction that names it commits: a rolled-back command leaves
at most an unreferenced file behind, never a row without its file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from functools import cache
from pathlib import Path

DEFAULT_ROOT = "instance/files"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class MissingFile(LookupError):
    """The database names a file the store does not hold (a folder not shared, or restored apart)."""


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise ValueError(f"not a SHA-256 digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, content: bytes) -> str:
        """Store `content` (once) and return its digest."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise MissingFile(f"file {digest} is not in the store at {self.root}") from None

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())


@cache
def file_store() -> FileStore:
    """The store of this process, from MOTCUA_FILE_STORE."""
    return FileStore(os.environ.get("MOTCUA_FILE_STORE") or DEFAULT_ROOT)
