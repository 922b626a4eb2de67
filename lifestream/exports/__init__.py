"""A processed meeting as a file people take away: Word, PDF, Markdown, subtitles or JSON.

One entry point, ``export(meeting, fmt)``: Meeting in, bytes out. The API, the
meeting page and the chat bots' Download actions all call it; the text formats
come from ``pipeline.outputs`` (the same files the pipeline writes), the Word
and PDF documents from one format-neutral outline (``document.outline``).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from lifestream.exports import docx, pdf
from lifestream.exports.document import KeyframeReader, outline
from lifestream.models import Meeting
from lifestream.pipeline.outputs import minutes_markdown, to_srt, to_vtt
from lifestream.storage import Storage, StorageMissing

Format = Literal["docx", "pdf", "md", "vtt", "srt", "json"]
FORMATS: tuple[str, ...] = get_args(Format)
MEDIA_TYPES = {
    "docx": docx.MEDIA_TYPE,
    "pdf": pdf.MEDIA_TYPE,
    "md": "text/markdown; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "json": "application/json",
}


@dataclass(frozen=True)
class Export:
    data: bytes
    media_type: str
    filename: str


def filename(meeting: Meeting, fmt: str) -> str:
    """A safe, readable file name: the minutes' title (or the recording's name) and the format."""
    title = meeting.minutes.title if meeting.minutes else Path(meeting.source.name).stem
    stem = re.sub(r"\W+", "-", title, flags=re.ASCII).strip("-")[:80] or meeting.meeting_id
    return f"{stem}.{fmt}"


def export(meeting: Meeting, fmt: str, keyframes: KeyframeReader | None = None, *,
           pdf_font: Path | None = None) -> Export:
    """The meeting in ``fmt``; ``keyframes`` reads the scene keyframes that Word and PDF show as figures."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if fmt == "docx":
        data = docx.render(outline(meeting, keyframes), created=meeting.created_at)
    elif fmt == "pdf":
        data = pdf.render(outline(meeting, keyframes), created=meeting.created_at, language=meeting.language,
                          font=pdf_font)
    elif fmt == "md":
        data = minutes_markdown(meeting).encode()
    elif fmt == "vtt":
        data = to_vtt(meeting).encode()
    elif fmt == "srt":
        data = to_srt(meeting).encode()
    else:
        data = meeting.model_dump_json(indent=2).encode()
    return Export(data=data, media_type=MEDIA_TYPES[fmt], filename=filename(meeting, fmt))


def stored_keyframes(storage: Storage, prefix: str) -> KeyframeReader:
    """Reads a meeting's keyframes from storage (``prefix``: its result prefix, e.g. ``results/<id>/``)."""

    def read(path: str) -> bytes | None:
        name = Path(path).name
        if Path(path).is_absolute() or ".." in Path(path).parts:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            try:
                return storage.get(prefix + path, Path(tmp) / name).read_bytes()
            except StorageMissing:
                return None

    return read


def folder_keyframes(result_dir: Path) -> KeyframeReader:
    """Reads a meeting's keyframes from its local result folder (the CLI's)."""

    def read(path: str) -> bytes | None:
        file = (result_dir / path).resolve()
        if not file.is_relative_to(result_dir.resolve()) or not file.is_file():
            return None
        return file.read_bytes()

    return read
