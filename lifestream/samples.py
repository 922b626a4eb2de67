"""The real sample recording: pyannote.audio's two-speaker sample, and a video made from it.

The files are read from the installed pyannote.audio distribution's file list
(without importing pyannote, whose torchaudio stack does not load on CPU).
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

from lifestream.errors import ConfigError
from lifestream.pipeline.probe import require_tool

# The scene branch needs cuts to find: four visibly different test patterns,
# one after another, under the sample's audio.
_PATTERNS = ("testsrc2", "smptebars", "rgbtestsrc", "mandelbrot")


def sample_file(name: str) -> Path:
    """sample.wav, sample.rttm or sample.stm from the pyannote.audio distribution."""
    try:
        files = metadata.files("pyannote.audio") or []
    except metadata.PackageNotFoundError as exc:
        raise ConfigError("pyannote.audio is not installed; run scripts/setup to get the sample recording.") from exc
    for f in files:
        if str(f).endswith(f"sample/{name}"):
            return Path(f.locate())
    raise ConfigError(f"pyannote.audio is installed but has no sample/{name}.")


def make_sample_video(out: Path, wav: Path | None = None, seconds_per_scene: float = 7.5) -> Path:
    """An mp4 of test patterns with scene cuts, carrying the sample's real speech."""
    wav = wav or sample_file("sample.wav")
    if out.exists() and out.stat().st_mtime >= wav.stat().st_mtime:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    for pattern in _PATTERNS:
        cmd += ["-f", "lavfi", "-t", str(seconds_per_scene), "-i", f"{pattern}=size=640x360:rate=25"]
    cmd += ["-i", str(wav)]
    n = len(_PATTERNS)
    # concat needs one pixel format and aspect; the generators differ in both.
    graph = "".join(f"[{i}:v]format=yuv420p,setsar=1[v{i}];" for i in range(n))
    graph += "".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]"
    cmd += ["-filter_complex", graph, "-map", "[v]", "-map", f"{n}:a", "-c:v", "libx264", "-preset", "veryfast",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-shortest", str(out)]
    tmp = out.with_suffix(".tmp.mp4")
    cmd[-1] = str(tmp)
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    tmp.replace(out)
    return out


def reference_words() -> str:
    """The sample's reference transcript (sample.stm) as one lower-case string."""
    lines = sample_file("sample.stm").read_text().splitlines()
    return " ".join(" ".join(line.split()[5:]) for line in lines if line.strip())


def reference_named_turns() -> list[tuple[float, float, str]]:
    """The sample's reference speaker turns (sample.rttm), each named through its reference words
    (sample.stm): the turns of "speaker90" overlap Diane's words, so they are Diane's."""
    from collections import defaultdict

    rows = [line.split() for line in sample_file("sample.rttm").read_text().splitlines() if line.strip()]
    turns = [(float(p[3]), float(p[3]) + float(p[4]), p[7]) for p in rows]
    rows = [line.split() for line in sample_file("sample.stm").read_text().splitlines() if line.strip()]
    said = [(float(p[3]), float(p[4]), p[2]) for p in rows]
    overlap: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for start, end, speaker in turns:
        for s, e, name in said:
            overlap[speaker][name] += max(0.0, min(end, e) - max(start, s))
    name_of = {speaker: max(names, key=lambda n: names[n]) for speaker, names in overlap.items()}
    return [(start, end, name_of[speaker]) for start, end, speaker in turns]
