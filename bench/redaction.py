"""Personal-data redaction on real recordings: what it masks (false positives) and what it costs.

    .venv/bin/python bench/redaction.py [DIR_OR_WAV ...]

Each recording goes through the whole offline pipeline, then through
``redact_meeting``. Real meetings without personal data in them must come out
unchanged: every mask printed here is a false positive. By default the
recordings are pyannote.audio's sample and, when a directory is given, the
``trn*``/``dev*`` clips in it (the pyannote.audio sdist's tests/data); ``tst*``
clips are the project's held-out set and are refused.

Cost: redacting a meeting is timed beside serialising the same meeting to
JSON (which every run does when it writes meeting.json), on the real
transcripts repeated to one hour of speech.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, bench/ is first on the path and bench/queue.py would shadow the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from lifestream.errors import NoSpeechError  # noqa: E402
from lifestream.models import Meeting  # noqa: E402
from lifestream.pipeline import insights  # noqa: E402
from lifestream.pipeline.redaction import redact_meeting  # noqa: E402
from lifestream.pipeline.runner import process_recording  # noqa: E402
from lifestream.samples import sample_file  # noqa: E402
from lifestream.settings import Settings  # noqa: E402


def recordings(args: list[str]) -> list[Path]:
    paths = [sample_file("sample.wav")]
    for arg in args:
        p = Path(arg)
        found = sorted(p.glob("*.wav")) if p.is_dir() else [p]
        for f in found:
            if f.name.startswith("tst"):
                continue  # held out: never evaluated on
            if f.name.startswith(("trn", "trñ", "dev")) or not p.is_dir():
                paths.append(f)
    return paths


def changed_texts(before: Meeting, after: Meeting) -> list[str]:
    pairs = [(a.text, b.text) for a, b in zip(before.transcript.segments, after.transcript.segments)]
    if before.minutes and after.minutes:
        pairs += [(before.minutes.summary, after.minutes.summary)]
    return [f"{a!r} -> {b!r}" for a, b in pairs if a != b]


def one_hour(meetings: list[Meeting]) -> Meeting:
    """The real transcripts repeated, end to end, to an hour: for timing only."""
    segments, offset, n = [], 0.0, 0
    while offset < 3600:
        for m in meetings:
            for s in m.transcript.segments:
                words = [w.model_copy(update={"start": w.start + offset, "end": w.end + offset}) for w in s.words]
                segments.append(s.model_copy(update={"id": n, "start": s.start + offset, "end": s.end + offset,
                                                     "words": words}))
                n += 1
            offset += m.source.duration
    base = meetings[0]
    return base.model_copy(update={"transcript": base.transcript.model_copy(update={"segments": segments,
                                                                                    "duration": offset})})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="WAV files, or folders whose trn*/dev* WAVs to use")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    meetings, false_positives = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        for path in recordings(args.paths):
            try:
                meeting = process_recording(path, settings=settings)
            except NoSpeechError as exc:
                print(f"{path.name:12} skipped: {exc.message}")
                continue
            redacted = redact_meeting(meeting)
            masked = sum((redacted.redactions or {}).values())
            false_positives += masked
            words = sum(len(s.words) for s in meeting.transcript.segments)
            print(f"{path.name:12} {meeting.source.duration:5.1f} s  {words:4d} words  masked {masked}  | "
                  f"{insights.compact_line(insights.compute(meeting), meeting.speaker_name)}")
            for change in changed_texts(meeting, redacted):
                print(f"    false positive: {change}")
            meetings.append(meeting)
    total_words = sum(len(s.words) for m in meetings for s in m.transcript.segments)
    print(f"\n{len(meetings)} recordings, {total_words} words: {false_positives} masked (each one a false positive)")

    hour = one_hour(meetings)
    runs = {}
    for name, fn in (("meeting.json serialisation (baseline)", hour.model_dump_json),
                     ("redact_meeting", lambda: redact_meeting(hour))):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        runs[name] = best
    hour_words = sum(len(s.words) for s in hour.transcript.segments)
    print(f"\none hour of speech ({hour_words} words), best of 3:")
    for name, seconds in runs.items():
        print(f"  {name:40} {seconds * 1000:8.1f} ms")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 1 if false_positives else 0


if __name__ == "__main__":
    sys.exit(main())
