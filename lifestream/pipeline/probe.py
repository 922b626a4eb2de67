"""Stage 1a: ask ffprobe what a file is before spending any time on it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lifestream.errors import ConfigError, MediaError

# Container names as ffprobe reports them (format_name is a comma list).
SUPPORTED_FORMATS = {
    "mov", "mp4", "m4a", "3gp", "3g2", "mj2",  # the ISO/QuickTime family
    "matroska", "webm",
    "mp3",
    "wav",
    "ogg",
}
SUPPORTED_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".m4a", ".mp3", ".wav", ".ogg")
# A recording is one local file read by one of the demuxers above. A playlist (HLS, concat…) or a
# container that refers to other files or URLs is not followed, even while probing: ffmpeg opens local
# files only and tries only these demuxers, so a crafted file cannot make it read another file on the
# worker or fetch a URL from inside the network.
# What ffprobe says when the file is something else: "[hls @ 0x5581…] Format not on whitelist '…'".
_NOT_ON_WHITELIST = re.compile(r"\[(\w+) @ [^\]]+\] Format not on whitelist")
_ONLY_OUR_FORMATS = ["-format_whitelist", ",".join(sorted(SUPPORTED_FORMATS))]
ONLY_LOCAL_FILES = ["-protocol_whitelist", "file", *_ONLY_OUR_FORMATS]
# A stored object read by its presigned URL: network protocols only, never local files.
_ONLY_HTTP = ["-protocol_whitelist", "http,https,tcp,tls", *_ONLY_OUR_FORMATS]


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    format: str
    duration: float
    has_audio: bool
    has_video: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None


def require_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ConfigError(f"{name} is not installed; install ffmpeg (e.g. `apt-get install ffmpeg`).")
    return found


def tool_detail(stderr: str, path: Path) -> str:
    """ffmpeg's last word on a failure, without our server's paths in it (it reaches chat threads)."""
    line = (stderr.strip().splitlines() or ["unreadable"])[-1]
    return line.replace(f"file:{path}", path.name).replace(str(path), path.name).replace(str(path.parent) + "/", "")


def _fps(stream: dict) -> float | None:
    rate = stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/0"
    num, _, den = rate.partition("/")
    try:
        return float(num) / float(den) if float(den) else None
    except ValueError:
        return None


def require_local_file(path: Path) -> Path:
    """``path`` if it is a non-empty regular file; otherwise what it is instead, in words a person acts on."""
    path = Path(path)
    if path.is_dir():
        raise MediaError(f"{path.name}: a folder, not a recording. Give one file in it.")
    if not path.exists():
        raise MediaError(f"{path.name}: file not found.")
    if not path.is_file():
        # a pipe or a device (``<(curl …)``): the recording is hashed, stored and read more than once
        raise MediaError(f"{path.name}: not a regular file (a pipe or a device). Save the recording to a file first.")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name}: the file is empty (0 bytes).")
    return path


def probe(path: Path) -> MediaInfo:
    path = require_local_file(path)
    return _probe(f"file:{path}", path, whitelist=ONLY_LOCAL_FILES)


def probe_url(url: str, name: str) -> MediaInfo:
    """A stored object by its (presigned) http(s) URL: ffprobe reads only the bytes it needs.

    Network protocols only, so a playlist uploaded in place of a recording cannot make
    ffprobe read local files. ``name`` (the uploader's file name) is what errors mention.
    """
    return _probe(url, Path(name), whitelist=_ONLY_HTTP)


def _probe(target: str, path: Path, *, whitelist: list[str]) -> MediaInfo:
    # Only the protocols and demuxers a recording needs: a playlist or a concat list in place of a
    # recording cannot make ffprobe read other files or hosts.
    proc = subprocess.run(
        [require_tool("ffprobe"), "-v", "error", *whitelist, "-print_format", "json",
         "-show_format", "-show_streams", "-i", target],
        capture_output=True, text=True, timeout=120,
    )
    if proc.returncode != 0:
        if refused := _NOT_ON_WHITELIST.search(proc.stderr):
            raise MediaError(f"{path.name}: unsupported format '{refused.group(1)}'. "
                             "Send mp4, mov, mkv, webm, m4a, mp3, wav or ogg.")
        detail = tool_detail(proc.stderr.replace(target, path.name), path)
        raise MediaError(f"{path.name}: not a readable audio or video file ({detail}).")
    info = json.loads(proc.stdout or "{}")
    fmt = info.get("format", {})
    names = set(fmt.get("format_name", "").split(","))
    if not names & SUPPORTED_FORMATS:
        raise MediaError(
            f"{path.name}: unsupported format '{fmt.get('format_name', '?')}'. "
            "Send mp4, mov, mkv, webm, m4a, mp3, wav or ogg."
        )
    streams = info.get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    # Cover art in mp3/m4a is a one-frame "video" stream; it is not a video.
    video = [s for s in streams if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    if not audio:
        raise MediaError(f"{path.name}: the file has no audio track, so there is nothing to transcribe.")
    try:
        duration = float(fmt.get("duration") or audio[0].get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    if duration <= 0.05:
        raise MediaError(f"{path.name}: the recording has zero length.")
    v = video[0] if video else {}
    # ffprobe names a family ("mov,mp4,m4a,3gp,3g2,mj2"); the extension says which member.
    ext = {"mkv": "matroska"}.get(path.suffix.lower().lstrip("."), path.suffix.lower().lstrip("."))
    listed = [n for n in fmt.get("format_name", "").split(",") if n in SUPPORTED_FORMATS]
    return MediaInfo(
        path=path,
        format=ext if ext in listed else listed[0],
        duration=duration,
        has_audio=True,
        has_video=bool(video),
        width=v.get("width"),
        height=v.get("height"),
        fps=_fps(v) if v else None,
    )
