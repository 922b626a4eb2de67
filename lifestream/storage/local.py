"""Storage in a local folder (the default: ``LIFESTREAM_DATA_DIR``).

Writes go to a temporary name, are flushed to the disk (fsync) and renamed into
place (and the folder's entry flushed too), so a reader never sees half a file
and a crash, even a power cut, leaves the old object or the new one, never an
empty or half-written one. A result folder is replaced as a whole by swapping
the new folder with the old in one step (``renameat2(RENAME_EXCHANGE)``, Linux):
there is no moment when a reader finds no results, and no crash loses both.

Presigned URLs: a folder has no server to sign for, so ``presign_get``
returns a ``file://`` URL (useful to a bot or browser on the same machine)
and ``presign_put`` returns None: callers then upload through ``put``.
"""

from __future__ import annotations

import builtins
import ctypes
import errno
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from lifestream.storage.base import StorageMissing, StoredObject, check_key

_BLOCK = 1 << 20
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename into it survives a power cut only after this)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(Path(dirpath))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step; False where the system cannot (not Linux, an old kernel, a file system
    without it), and the caller falls back to two renames."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


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
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
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
        """Swap the finished folder into place: readers see the old results or the new, never none or a mix
        of the two folders, and a crash at any point leaves one of them whole."""
        target = self._path(prefix.rstrip("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:8]
        staging = target.parent / f".{target.name}.incoming-{token}"
        try:
            os.rename(local_dir, staging)
        except OSError:  # another file system: copy, then rename within this one
            shutil.copytree(local_dir, staging)
        _fsync_tree(staging)  # the new results are on the disk before they replace the old
        if not target.exists():
            os.rename(staging, target)
        elif _exchange(staging, target):
            shutil.rmtree(staging, ignore_errors=True)  # the old results, swapped out
        else:  # no atomic swap here: two renames, with a moment between them when there are no results
            old = target.parent / f".{target.name}.old-{token}"
            os.rename(target, old)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(target.parent)
        return [key for key, _ in self._walk(prefix.rstrip("/") + "/")]

    def put_files(self, prefix: str, files: Mapping[str, tuple[bytes, str | None]]) -> builtins.list[str]:
        """Replace some files under ``prefix``, each whole (see ``put``), ``meeting.json`` last; the rest stay."""
        prefix = check_key(prefix.rstrip("/") + "/", prefix=True)
        names = sorted(files, key=lambda name: (name == "meeting.json", name))
        for name in names:
            self.put(prefix + name, io.BytesIO(files[name][0]))
        return [prefix + name for name in names]

    def presign_get(self, key: str, expires: int | None = None) -> str | None:
        return self._path(key).as_uri()

    def presign_put(self, key: str, expires: int | None = None) -> str | None:
        return None
