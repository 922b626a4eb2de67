"""The one storage interface: uploads in, result folders out, URLs for the bots.

Keys are ``/``-separated paths relative to the storage root (a folder or a
bucket plus prefix). Recordings land under ``uploads/``, each job's results
under ``results/<job_id>/`` (with its checkpoints, while it is not done, in ``.checkpoints/`` there).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol, runtime_checkable

from lifestream.errors import ConfigError, TransientError

UPLOADS = "uploads/"
RESULTS = "results/"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class StorageMissing(TransientError):
    """Not there (yet): a bot may submit a job before its presigned upload has finished."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str  # S3's ETag, or size-mtime for local files: changes when the content does
    modified: float | None = None  # when it was last written (epoch seconds), where the backend says


@runtime_checkable
class Storage(Protocol):
    def put(self, key: str, fileobj: BinaryIO, *, content_type: str | None = None) -> StoredObject:
        """Store a stream (read in blocks, never whole into memory)."""

    def get(self, key: str, dest: Path) -> Path:
        """Copy an object to a local file; StorageMissing if there is no such object."""

    def stat(self, key: str) -> StoredObject | None: ...

    def list(self, prefix: str = "") -> list[StoredObject]: ...

    def delete(self, prefix: str) -> int:
        """Delete every object under a prefix; returns how many."""

    def put_dir(self, local_dir: Path, prefix: str) -> builtins.list[str]:
        """Publish a finished local folder under prefix, replacing what was there."""

    def put_files(self, prefix: str, files: Mapping[str, tuple[bytes, str | None]]) -> builtins.list[str]:
        """Replace some files under prefix together (name -> content, content type); the others stay.

        A reader sees each file whole, old or new; ``meeting.json`` is replaced last."""

    def presign_get(self, key: str, expires: int | None = None) -> str | None: ...

    def presign_put(self, key: str, expires: int | None = None) -> str | None: ...


def check_key(key: str, *, prefix: bool = False) -> str:
    """Refuse keys that could escape the storage root or name nothing."""
    if not key or key.startswith("/") or "\\" in key:
        raise ConfigError(f"invalid storage key {key!r}: use a relative path like uploads/x.mp4")
    parts = PurePosixPath(key).parts
    if any(p in ("..", ".") for p in parts):
        raise ConfigError(f"invalid storage key {key!r}: '.' and '..' are not allowed")
    if not prefix and key.endswith("/"):
        raise ConfigError(f"invalid storage key {key!r}: a key names a file, not a folder")
    return key


def safe_name(name: str, default: str = "recording") -> str:
    """A file name that is safe in a key and on disk, keeping the extension."""
    cleaned = _SAFE_NAME.sub("_", PurePosixPath(name.replace("\\", "/")).name).strip("._")
    return cleaned[:120] or default


def upload_key(sha256: str, source_name: str) -> str:
    """Content-addressed, so the same recording uploaded twice is stored once."""
    suffix = PurePosixPath(safe_name(source_name)).suffix.lower()
    return f"{UPLOADS}{sha256}{suffix}"


def result_prefix(job_id: str) -> str:
    return f"{RESULTS}{job_id}/"


def checkpoint_prefix(job_id: str) -> str:
    """Where a job's costly stages keep their results between attempts (lifestream.workers.checkpoints).

    Inside its result folder, hidden: deleted with the meeting, replaced when its results are published,
    under the same access rights and retention rules, and never listed as a result (a local folder hides
    dot-entries; readers on S3 ask for the files they know).
    """
    return f"{RESULTS}{job_id}/.checkpoints/"


def fanout_prefix(job_id: str) -> str:
    """Where a fanned-out job's segments are worked out (lifestream.workers.fanout): their plan, audio pieces,
    claims and results. Hidden in its result folder like the checkpoints, and gone with them."""
    return f"{RESULTS}{job_id}/.fanout/"


def api_upload_prefix(job_id: str) -> str:
    """Where an API upload goes: one folder per upload, deleted with its meeting."""
    return f"{UPLOADS}api/{job_id}/"
