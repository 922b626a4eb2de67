"""Where the people of a workspace are kept in storage, and small JSON objects read and written there.

Layout, one folder per workspace (so deleting a workspace is deleting one prefix)::

    people/<workspace>/rosters/<conversation>.json
    people/<workspace>/voiceprints/<person>.json

Workspace, conversation and person ids come from Slack or Teams ("T0123", "19:abc@thread.tacv2",
"29:1f…"): each key part is a readable, storage-safe form of the id plus a short hash of the exact id,
so two ids that clean up alike never share a key.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from lifestream.storage import Storage, StorageMissing, safe_name

PEOPLE = "people/"

M = TypeVar("M", bound=BaseModel)


def key_part(identifier: str) -> str:
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:12]
    return f"{safe_name(identifier, 'id')[:40]}-{digest}"


def workspace_prefix(workspace: str) -> str:
    """The storage folder of everything kept about a workspace's people."""
    return f"{PEOPLE}{key_part(workspace)}/"


def read_json(storage: Storage, key: str, model: type[M]) -> M | None:
    """The stored object, or None if there is none."""
    with tempfile.TemporaryDirectory(prefix="lifestream-people-") as folder:
        try:
            path = storage.get(key, Path(folder) / "object.json")
        except StorageMissing:
            return None
        return model.model_validate_json(path.read_text(encoding="utf-8"))


def write_json(storage: Storage, key: str, record: BaseModel) -> None:
    storage.put(key, io.BytesIO(record.model_dump_json().encode("utf-8")), content_type="application/json")


def forget_workspace(storage: Storage, workspace: str) -> int:
    """Delete everything kept about a workspace's people (rosters, voiceprints); how many objects went.

    The one call a workspace's deletion makes for people; meetings and jobs are deleted by their own.
    """
    return storage.delete(workspace_prefix(workspace))
