"""A processed meeting in storage: read it, and change what people may change (speaker names)."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

from lifestream.errors import LifeStreamError
from lifestream.models import Meeting
from lifestream.settings import Settings
from lifestream.pipeline import naming
from lifestream.pipeline.outputs import minutes_markdown, to_srt, to_vtt
from lifestream.storage import Storage

_LABEL = re.compile(r"^SPEAKER_\d+$")


def load(storage: Storage, prefix: str) -> Meeting:
    with tempfile.TemporaryDirectory() as tmp:
        path = storage.get(prefix + "meeting.json", Path(tmp) / "meeting.json")
        return Meeting.model_validate_json(path.read_text(encoding="utf-8"))


def rename_speakers(storage: Storage, prefix: str, names: dict[str, str]) -> Meeting:
    """Give speaker labels names; the stored minutes and subtitles are rewritten to match.

    A name given here is confirmed: it replaces any guessed name, and no guess takes it from now on.
    """
    meeting = load(storage, prefix)
    for label in names:
        if not _LABEL.match(label) or label not in meeting.speakers:
            raise LifeStreamError(f"{label} is not a speaker of this meeting ({', '.join(meeting.speakers)}).")
    naming.confirm_names(meeting, names)
    for name, text, kind in (("minutes.md", minutes_markdown(meeting), "text/markdown"),
                             ("transcript.vtt", to_vtt(meeting), "text/vtt"),
                             ("transcript.srt", to_srt(meeting), "application/x-subrip"),
                             ("meeting.json", meeting.model_dump_json(indent=2), "application/json")):
        storage.put(prefix + name, io.BytesIO(text.encode("utf-8")), content_type=kind)
    return meeting


def rename_and_reindex(settings: Settings, storage: Storage, job, names: dict[str, str]) -> Meeting:
    """Rename speakers of a job's meeting and re-index it, so "what did Alice promise?" finds Alice."""
    from lifestream.search import Indexer, get_index

    meeting = rename_speakers(storage, job.result_prefix, names)
    workspace, conversation = job.origin.get("workspace"), job.origin.get("conversation")
    if workspace and conversation:
        Indexer(get_index(settings), workspace=workspace, conversation=conversation, settings=settings).index_meeting(meeting)
    return meeting
