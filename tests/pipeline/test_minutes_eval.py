"""The minutes against the evaluation set (tests/data/minutes_eval/): the issue's targets, for real.

Typed: every scripted meeting's own words through the rules (seconds). Spoken:
two meetings (chosen before any was scored: the billing release check and the
held-out support backlog) spoken by espeak-ng voices and run through the whole
offline pipeline, so recognition and diarization errors are part of the test
(a few minutes on 2 cores; the bench runs all twelve). bench/minutes.py runs the whole set
beside main's minutes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.minutes_eval import Score, load_set, score, spoken, typed

SPOKEN = ("billing_release", "support_backlog")


def _check_targets(total: Score) -> None:
    f = total.fields
    report = {name: (round(c.precision, 2), round(c.recall, 2)) for name, c in f.items()}
    print(f"\n{report}, summary coverage {total.coverage:.2f}; misses: {total.misses}")
    assert f["action_items"].recall >= 0.9 and f["action_items"].precision >= 0.9, total.misses
    assert f["owners"].recall >= 0.9 and f["owners"].precision >= 0.9, total.misses
    assert f["decisions"].recall >= 0.8, total.misses
    assert f["open_questions"].precision >= 0.8, total.misses
    # Every expected outcome by its keywords: a decision worded "bring their own food" for "a picnic" misses.
    assert total.coverage >= 0.95, total.misses


def _minutes(t, m):
    from lifestream.pipeline.minutes_offline import summarize

    minutes = summarize(t.segments, reference_date=m.reference_date)
    _summary_mentions_every_item(minutes)
    return minutes


def _summary_mentions_every_item(minutes) -> None:
    """What the summary is built to guarantee: each decision and action item found is in it, in its words."""
    import re

    from lifestream.pipeline.due_dates import DUE_PATTERN

    said = set(re.findall(r"[\w']+", minutes.summary.lower()))
    for text in [d.text for d in minutes.decisions] + [a.task for a in minutes.action_items]:
        ws = set(re.findall(r"[\w']+", DUE_PATTERN.sub(" ", text).lower())) - {"you", "me", "i", "my", "our"}
        assert ws <= said, (text, minutes.summary)


def test_typed_scripts_meet_the_targets():
    total = Score()
    meetings = [m for m in load_set() if m.lines]
    assert len(meetings) == 12 and [sum(m.split == s for m in meetings) for s in ("dev", "heldout", "fresh")] == [7, 3, 2]
    for m in meetings:
        t = typed(m)
        total.add(score(_minutes(t, m), m, t))
    _check_targets(total)
    assert total.titles_ok == total.titles


@pytest.fixture(scope="module")
def spoken_set(tmp_path_factory) -> list:
    # A cache per test session: CI starts clean, and a stale transcript must never hide a pipeline change.
    cache = Path(tmp_path_factory.mktemp("minutes-eval"))
    return [(m, spoken(m, cache)) for m in load_set() if m.name in SPOKEN]


@pytest.mark.timeout(1800)  # two pipeline runs; on a loaded 2-core machine they can take ten minutes
def test_spoken_meetings_through_the_pipeline_meet_the_targets(spoken_set):
    total = Score()
    for m, t in spoken_set:
        total.add(score(_minutes(t, m), m, t))
    _check_targets(total)


def test_the_real_sample_gets_no_invented_outcomes_and_a_topical_title(processed_sample):
    meeting, _ = processed_sample
    m = meeting.minutes
    assert m.action_items == [] and m.decisions == [] and m.open_questions == []
    assert "Chicago" in m.title or "New Jersey" in m.title
    assert not any(part.startswith("SPEAKER_") for part in m.summary.split())
