"""One scripted meeting outside the evaluation set: a first look at how the recognition-robust rules generalise.

    .venv/bin/python bench/minutes_probe/run.py

team_offsite.txt/.json were written and annotated (as tests/data/minutes_eval/README.md says) after the rules
of 2026-12-01 14:00 and before anything ran on them; bench/README.md has that first look and what followed.
It is kept out of tests/data/minutes_eval/ so the set's figures stay comparable with earlier runs. Spoken
transcripts are cached like bench/minutes.py's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from lifestream.threads import cap_threads  # noqa: E402

cap_threads()

from lifestream.pipeline import minutes_offline  # noqa: E402
from tests.support.minutes_eval import EvalMeeting, score, spoken, typed  # noqa: E402

HERE = Path(__file__).parent
CACHE = Path.home() / ".cache" / "lifestream" / "minutes-eval"


def main() -> None:
    for script in sorted(HERE.glob("*.txt")):
        lines = [(v.strip(), t.strip()) for v, _, t in (row.partition(":") for row in script.read_text().splitlines())]
        m = EvalMeeting(script.stem, lines, json.loads(script.with_suffix(".json").read_text()))
        for mode in ("typed", "spoken"):
            t = typed(m) if mode == "typed" else spoken(m, CACHE)
            minutes = minutes_offline.summarize(t.segments, reference_date=m.reference_date)
            s = score(minutes, m, t)
            cells = ", ".join(f"{f.replace('_', ' ')} {c.tp}/{c.tp + c.fp}/{c.tp + c.fn}" for f, c in s.fields.items())
            print(f"{m.name}, {mode} (matched/predicted/expected): {cells}; summary {s.covered}/{s.coverable}")
            print("".join(f"  - {miss}\n" for miss in s.misses), end="")
            print(f"  decisions: {[d.text for d in minutes.decisions]}\n  summary: {minutes.summary}")


if __name__ == "__main__":
    main()
