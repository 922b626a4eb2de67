"""Speaker names on real speech: how many are given, how many are on the right voice.

    .venv/bin/python bench/naming.py [--clips /work/data/pyannote-sdist] [--skip-calls]

Each recording goes through the whole offline pipeline (`process_recording`), and each name it gives a
speaker label is checked against whose voice that label is, through the words (the reference speaker its
words overlap most):
- the real sample: reference speakers from sample.rttm, named through the reference words (sample.stm);
- scripted calls spoken by espeak-ng in two or three voices, with the name each voice can be given from
  what is said — none where people are only mentioned;
- the AMI clips in the pyannote.audio sdist's tests/data (trn*, dev*; never the held-out tst*), if a folder
  is given. Nobody's name is known there beyond what the recording says: a name from a self-introduction
  is right when the label is the reference speaker who said it; any other name is listed as unverifiable.
Prints each recording's names, then precision (right / given) and recall (right / nameable voices), and
the names stage's time beside the whole pipeline's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

Turns = list[tuple[float, float, str]]

CALLS: dict[str, tuple[list[tuple[str, str]], dict[str, str]]] = {
    "introduced and addressed": ([
        ("A", "Good morning everyone, this is Diane. Let's review the launch plan for the mobile app."),
        ("B", "Morning. The beta build is ready, but the login screen still crashes on older phones."),
        ("A", "Marcus, can you fix the login crash by Friday?"),
        ("B", "Yes. I will fix the login crash and send a new build by Friday."),
        ("A", "Thanks, Marcus. I will send the slides to the client tomorrow."),
    ], {"A": "Diane", "B": "Marcus"}),
    "a name not in the census list": ([
        ("A", "Hi everyone, my name is Priya and I lead the data team."),
        ("B", "Nice to meet you. I'm Tom, from sales."),
        ("A", "Tom, can you send me last quarter's numbers by Monday?"),
        ("B", "Sure, I will send them on Monday morning."),
        ("A", "Thanks, Tom. We decided to present them at the board meeting."),
    ], {"A": "Priya", "B": "Tom"}),
    "names only mentioned": ([
        ("A", "Did you see Steve's feedback on the specification?"),
        ("B", "Yes, Anne sent it yesterday. Diane could not join today."),
        ("A", "Let's ask Robert to review the budget next week."),
        ("B", "Okay, I will write to Robert after lunch."),
    ], {}),
    "three voices": ([
        ("A", "Okay, let's get started. This is Laura, I'm running the review today."),
        ("B", "Hi Laura, Kevin here."),
        ("C", "And I'm Nadia from the design team."),
        ("A", "Kevin, can you walk us through the test results?"),
        ("B", "Sure. Ninety percent of the tests pass, the rest fail on the old servers."),
        ("A", "Thanks, Kevin. Nadia, any questions from design?"),
        ("C", "Just one. When will the new servers arrive?"),
    ], {"A": "Laura", "B": "Kevin", "C": "Nadia"}),
    "presenting a new hire": ([
        ("A", "Good morning. Let me introduce our new hire. This is Ben, he joins us from Berlin."),
        ("B", "Hi everyone, I am happy to be here."),
        ("A", "Ben will work on the mobile app with Sarah's team."),
        ("B", "Yes, I will start with the login screen."),
    ], {"B": "Ben"}),
    "addressed only": ([
        ("A", "Good afternoon. Rachel, what is the status of the audit?"),
        ("B", "The audit is on track, we will finish by the end of the month."),
        ("A", "Thanks, Rachel. And the vendor contract?"),
        ("B", "It was signed yesterday."),
    ], {"B": "Rachel"}),
}


def voice_of(meeting, label: str, turns: Turns) -> str | None:
    """The reference speaker a label's words overlap most."""
    talk: dict[str, float] = defaultdict(float)
    for word in meeting.transcript.words:
        if word.speaker == label:
            for start, end, who in turns:
                talk[who] += max(0.0, min(end, word.end) - max(start, word.start))
    return max(talk, key=talk.get) if talk and max(talk.values()) > 0 else None


def speaker_at(turns: Turns, t0: float, t1: float) -> str | None:
    talk: dict[str, float] = defaultdict(float)
    for start, end, who in turns:
        talk[who] += max(0.0, min(end, t1) - max(start, t0))
    return max(talk, key=talk.get) if talk and max(talk.values()) > 0 else None


def sample_truth() -> tuple[Path, Turns]:
    from lifestream.samples import reference_named_turns, sample_file

    return sample_file("sample.wav"), reference_named_turns()


def ami_clips(folder: Path) -> list[tuple[str, Path, Turns]]:
    turns: dict[str, Turns] = defaultdict(list)
    for rttm in folder.glob("debug.*.rttm"):
        for p in (line.split() for line in rttm.read_text().splitlines()):
            if p and p[0] == "SPEAKER":
                turns[p[1]].append((float(p[3]), float(p[3]) + float(p[4]), p[7]))
    out = []
    for wav in sorted(folder.glob("*.wav")):
        uri = wav.stem.replace("ñ", "n")
        if uri.startswith("tst") or uri not in turns:  # tst*: the held-out acceptance set, never used
            continue
        out.append((uri, wav, sorted(turns[uri])))
    return out


class Score:
    def __init__(self) -> None:
        self.given = self.right = self.nameable = self.found = self.unverifiable = 0
        self.names_s: list[float] = []
        self.total_s: list[float] = []

    def line(self, title: str) -> str:
        precision = self.right / self.given if self.given else float("nan")
        recall = self.found / self.nameable if self.nameable else float("nan")
        return (f"{title:<28} names given {self.given:>2} (unverifiable {self.unverifiable}), right {self.right:>2}, "
                f"precision {precision:.2f}; nameable voices {self.nameable:>2}, named right {self.found:>2}, "
                f"recall {recall:.2f}")


def score_recording(title: str, meeting, turns: Turns, expected: dict[str, str] | None, score: Score,
                    intro_truth: bool = False) -> None:
    """expected: voice → name. intro_truth: no names known; self-introductions carry their own truth."""
    score.names_s.append(meeting.timings.get("names", 0.0))
    score.total_s.append(meeting.timings.get("total", 0.0))
    print(f"\n{title}: {len(meeting.speakers)} speakers found, {len({t[2] for t in turns})} in the reference")
    right_voices = set()
    for label, source in meeting.speaker_name_sources.items():
        voice = voice_of(meeting, label, turns)
        score.given += 1
        if intro_truth:
            intros = [c for c in source.evidence if c.source == "introduction" and c.timestamp is not None]
            if not intros:
                verdict = "unverifiable"
                score.unverifiable += 1
                score.given -= 1
            else:
                c = intros[0]
                said_by = speaker_at(turns, c.timestamp, c.timestamp + 2.0)
                ok = said_by == voice
                verdict = "right" if ok else f"WRONG (said by {said_by})"
                score.right += ok
                if ok:
                    right_voices.add(voice)
        else:
            want = (expected or {}).get(voice or "")
            ok = want is not None and want.lower() == source.name.lower()
            verdict = "right" if ok else f"WRONG (voice {voice} is {want or 'not nameable'})"
            score.right += ok
            if ok:
                right_voices.add(voice)
        evidence = source.evidence[0].evidence if source.evidence else ""
        print(f"  {label} = {source.name!r} ({source.source}, {source.confidence:.2f}) voice {voice}: {verdict}"
              f"  « {evidence[:70]} »")
    if not meeting.speaker_name_sources:
        print("  no names given")
    if intro_truth:
        nameable = {speaker_at(turns, c.timestamp, c.timestamp + 2.0) for c in meeting.name_candidates
                    if c.source == "introduction" and c.supports and c.timestamp is not None}
        score.nameable += len(nameable)
        score.found += len(right_voices & nameable)
    else:
        score.nameable += len(expected or {})
        score.found += len(right_voices)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=Path, default=Path(os.environ.get("LIFESTREAM_AMI_CLIPS",
                                                                          "/work/data/pyannote-sdist")))
    parser.add_argument("--skip-calls", action="store_true")
    args = parser.parse_args()

    from lifestream.threads import cap_threads

    cap_threads()
    from lifestream.errors import NoSpeechError
    from lifestream.pipeline.runner import process_recording
    from lifestream.settings import Settings
    from tests.support import media

    media.VOICES.setdefault("C", ("en-us+f3", 110))  # a third voice, far from A (low male) and B (British female)
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f}")
    scores = {"sample": Score(), "scripted calls": Score(), "AMI clips (trn, dev)": Score()}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", llm_base_url=None)

        wav, turns = sample_truth()
        meeting = process_recording(wav, settings=settings)
        score_recording("sample.wav", meeting, turns, {n: n for _, _, n in turns}, scores["sample"])

        if not args.skip_calls:
            for n, (title, (lines, expected)) in enumerate(CALLS.items()):
                call_turns: Turns = []
                wav = media.speak(lines, Path(tmp) / f"call-{n}.wav", turns=call_turns)
                meeting = process_recording(wav, settings=settings, reference_date=date(2026, 11, 25))
                score_recording(f"call: {title}", meeting, call_turns, expected, scores["scripted calls"])

        if args.clips.is_dir():
            for uri, wav, clip_turns in ami_clips(args.clips):
                try:
                    meeting = process_recording(wav, settings=settings)
                except NoSpeechError:
                    print(f"\nAMI {uri}: no speech recognised (skipped)")
                    continue
                score_recording(f"AMI {uri}", meeting, clip_turns, None, scores["AMI clips (trn, dev)"],
                                intro_truth=True)
        else:
            print(f"\n(no AMI clips at {args.clips}: skipped)")

    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    for title, score in scores.items():
        if score.total_s:
            print(score.line(title))
    everything = Score()
    for score in scores.values():
        for field in ("given", "right", "nameable", "found", "unverifiable"):
            setattr(everything, field, getattr(everything, field) + getattr(score, field))
    print(everything.line("all"))
    names = [t for s in scores.values() for t in s.names_s]
    totals = [t for s in scores.values() for t in s.total_s]
    print(f"names stage: mean {1000 * sum(names) / len(names):.1f} ms per recording; "
          f"whole pipeline: mean {sum(totals) / len(totals):.1f} s per recording ({len(totals)} recordings)")


if __name__ == "__main__":
    main()
