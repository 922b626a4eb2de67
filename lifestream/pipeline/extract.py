"""Stage 1b: one ffmpeg pass to the 16 kHz mono WAV that ASR and diarization share.

The WAV holds 32-bit float samples, which is what both models take, so it is
memory-mapped rather than read: a 3-hour recording is 690 MB of samples that
the stages page in as they read them (and the kernel may drop again), not 690
MB (plus a conversion copy) on the heap before any work starts. How long a
recording may be is capped twice: by the probe's duration at intake and in the
worker, and here by what actually decodes (``-t``), so a container whose
header lies about its length cannot fill the disk or the memory.
"""

from __future__ import annotations

import mmap
import struct
import subprocess
from pathlib import Path

import numpy as np

from lifestream.errors import MediaError
from lifestream.pipeline.probe import ONLY_LOCAL_FILES, MediaInfo, require_tool, tool_detail
from lifestream.timefmt import duration_text

SAMPLE_RATE = 16_000
_FLOAT32 = np.dtype("<f4")
_WAVE_FORMAT_IEEE_FLOAT = 3
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


def extract_audio(media: MediaInfo, out_wav: Path, *, max_seconds: float | None = None) -> Path:
    """Decode the first audio track to ``out_wav``; MediaError if it is empty or longer than ``max_seconds``."""
    out_wav.parent.mkdir(parents=True, exist_ok=True)
    # One sample past the cap tells "too long" from "exactly at the cap", without decoding the rest.
    limit = ["-t", f"{max_seconds + 1:.3f}"] if max_seconds else []
    proc = subprocess.run(
        # The demuxer ffprobe chose, and nothing else: the file is read as what it was checked to be.
        [require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         *ONLY_LOCAL_FILES, "-f", media.format, "-i", f"file:{media.path}", *limit,
         "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
         "-c:a", "pcm_f32le", "-f", "wav", str(out_wav)],
        capture_output=True, text=True,
        # Decoding is far faster than real time; a file that takes longer than this is broken.
        timeout=max(300.0, min(media.duration, max_seconds or media.duration)),
    )
    if proc.returncode != 0 or not out_wav.exists():
        raise MediaError(f"{media.path.name}: the audio could not be decoded ({tool_detail(proc.stderr, media.path)}).")
    try:
        _, frames = _data_chunk(out_wav)
    except ValueError as exc:
        raise MediaError(f"{media.path.name}: the audio could not be decoded ({exc}).") from exc
    if frames < SAMPLE_RATE // 10:
        raise MediaError(f"{media.path.name}: the audio track is empty or truncated to nothing.")
    if max_seconds and frames / SAMPLE_RATE > max_seconds:
        raise MediaError(f"{media.path.name}: the audio runs longer than {duration_text(max_seconds)}, the longest "
                         "recording accepted (its container said it was shorter).")
    return out_wav


def _data_chunk(path: Path) -> tuple[int, int]:
    """(offset, frames) of the samples in a mono float32 WAV as ffmpeg writes it."""
    with path.open("rb") as fh:
        riff, _, wave_id = struct.unpack("<4sI4s", fh.read(12))
        if riff != b"RIFF" or wave_id != b"WAVE":
            raise ValueError("not a WAV file")
        fmt = None
        while header := fh.read(8):
            if len(header) < 8:
                break
            chunk, size = struct.unpack("<4sI", header)
            if chunk == b"fmt ":
                fmt = struct.unpack("<HHIIHH", fh.read(16))
                fh.seek(size - 16 + (size & 1), 1)
            elif chunk == b"data":
                if fmt is None or fmt[0] not in (_WAVE_FORMAT_IEEE_FLOAT, _WAVE_FORMAT_EXTENSIBLE) \
                        or fmt[1] != 1 or fmt[2] != SAMPLE_RATE or fmt[5] != 32:
                    raise ValueError(f"unexpected WAV format {fmt}")
                offset = fh.tell()
                # A header written before the length was known says 0 or 0xFFFFFFFF: trust the file's size.
                available = path.stat().st_size - offset
                return offset, (min(size, available) if 0 < size < 0xFFFFFFFF else available) // 4
            else:
                fh.seek(size + (size & 1), 1)
    raise ValueError("no audio data in the WAV file")


def load_wav(path: Path) -> np.ndarray:
    """The extracted WAV as float32 samples in [-1, 1] (what both models take), memory-mapped.

    Slicing it costs nothing; the stages read windows of it. The mapping is copy-on-write, so
    libraries that insist on writable arrays (torch.from_numpy) take it as it is, and a write
    would change this process's pages, never the file.
    """
    offset, frames = _data_chunk(path)
    return np.memmap(path, dtype=_FLOAT32, mode="c", offset=offset, shape=(frames,))


def release(samples: np.ndarray, start: int, end: int) -> None:
    """Drop ``samples[start:end]`` of a WAV from ``load_wav`` out of this process's resident memory.

    A stage that has read a window of a long recording calls this, so the pages it touched do
    not stay mapped (and counted) for the rest of the job: about 0.23 GB per hour of audio.
    They stay in the page cache and come back on the next read. The samples are shared by the
    stages and must not be written; a written page would read as the file again. A no-op for
    arrays that are not such a map.
    """
    mapping = getattr(samples, "_mmap", None)
    base: object = samples.base  # numpy types it as an array; a memmap's is the mmap itself
    if not isinstance(samples, np.memmap) or not isinstance(mapping, mmap.mmap) or base is not mapping:
        return
    first = samples.offset % mmap.ALLOCATIONGRANULARITY + max(0, start) * samples.itemsize
    last = samples.offset % mmap.ALLOCATIONGRANULARITY + min(end, len(samples)) * samples.itemsize
    first -= first % mmap.PAGESIZE
    if last > first:
        mapping.madvise(mmap.MADV_DONTNEED, first, min(last - first, len(mapping) - first))
