"""Storage in a local folder (the default: ``LIFESTREAM_DATA_DIR``).

Writes go to a temporary name and are renamed into place, so a reader never
sees half a file and a crash leaves no half-written object behind.

Presigned URLs: a folder has no server to sign for, so ``presign_get``
returns a ``file://`` URL (useful to a bot or browser on the same machine)
and ``presign_put`` returns None: callers then upload through ``put``.
"""

from __future__ import annotations

import builtins
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from lifestream.storage.base import StorageMissing, StoredObject, check_key

_BLOCK = 1 << 20


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str, *, prefix: bool = False) -> Path:
        return self.root / check_key(key, prefix=prefix)

    def _object(self, key: str, path: Path) -> StoredObject:
        st = path.stat()
        return StoredObject(key=key, size=st.st_size, etag=f"{st.st_size:x}-{st.st_mtime_ns:x}", modified=st.st_mtime)

    def put(self, key: str, fileobj: BinaryIO, *, content_type: str | None = None) -> StoredObject:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(fileobj, out, _BLOCK)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self._object(key, path)

    def get(self, key: str, dest: Path) -> Path:
        src = self._path(key)
        if not src.is_file():
            raise StorageMissing(f"{key} is not in storage ({self.root}).")
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Objects are never modified in place (put replaces the file), so a hard link is a
            # safe copy of a multi-GB recording at no cost.
            dest.unlink(missing_ok=True)
            os.link(src, dest)
        except OSError:  # another file system, or links not allowed
            shutil.copyfile(src, dest)
        return dest

    def stat(self, key: str) -> StoredObject | None:
        path = self._path(key)
        return self._object(key, path) if path.is_file() else None

    def _walk(self, prefix: str) -> list[tuple[str, Path]]:
        if prefix:
            check_key(prefix, prefix=True)
        # Start at the deepest folder the prefix names; the rest filters by string.
        start = self.root / prefix if prefix.endswith("/") else (self.root / prefix).parent
        if not start.is_dir():
            return []
        found = []
        for dirpath, dirnames, filenames in os.walk(start):
            # Hidden entries are in-flight writes and staging folders, not objects.
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append((key, path))
        return found

    def list(self, prefix: str = "") -> list[StoredObject]:
        return [self._object(key, path) for key, path in self._walk(prefix)]

    def delete(self, prefix: str) -> int:
        check_key(prefix, prefix=True)
        found = self._walk(prefix)
        for _, path in found:
            path.unlink(missing_ok=True)
        if prefix.endswith("/"):
            shutil.rmtree(self.root / prefix, ignore_errors=True)
        return len(found)

    def put_dir(self, local_dir: Path, prefix: str) -> builtins.list[str]:
        """Rename the finished folder into place: readers see the old results or the new, never a mix."""
        target = self._path(prefix.rstrip("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:8]
        staging = target.parent / f".{target.name}.incoming-{token}"
        try:
            os.rename(local_dir, staging)
        except OSError:  # another file system: copy, then rename within this one
            shutil.copytree(local_dir, staging)
        if target.exists():
            old = target.parent / f".{target.name}.old-{token}"
            os.rename(target, old)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, target)
        return [key for key, _ in self._walk(prefix.rstrip("/") + "/")]

    def presign_get(self, key: str, expires: int | None = None) -> str | None:
        return self._path(key).as_uri()

    def presign_put(self, key: str, expires: int | None = None) -> str | None:
        return None
