"""Voiceprints measured on real voices: enrol a speaker in one clip, recognise them in another.

The trn*/dev* clips of pyannote.audio 4.0.7's sdist (tests/support/real_clips.py; never the tst* clips)
have people who appear in more than one clip (the RTTM labels). Each clip is diarized with the
default diarizer; each diarized speaker is mapped to the reference person whose speech it overlaps
most. A person is enrolled from the first clip they appear in (at least ``min_enroll_seconds`` of
clean speech). Every diarized speaker of every clip is then a probe against the gallery *without* the
enrolments taken from that clip: a probe whose person was enrolled elsewhere should get that name; a
probe whose person was never enrolled elsewhere must get none (the false-accept rate, ≤ 2% required).

Prints the impostor score statistics (different people, different clips) the calibration in
lifestream/voiceprints/matching.py rests on, and precision / recall / false-accept rate at that
calibration. Run: ``.venv/bin/python -m bench.voiceprints``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lifestream.pipeline.diarization.local import LocalDiarizer
from lifestream.voiceprints import CALIBRATION, SpeakerVoice, Voiceprint, VoiceSample, matches
from tests.support import real_clips


@dataclass
class Voice:
    clip: str
    person: str  # the reference label
    vector: np.ndarray
    seconds: float


def voices_of(diarizer: LocalDiarizer, clip: real_clips.Clip) -> list[Voice]:
    result = diarizer.diarize(clip.audio())
    out = []
    for label, profile in result.speakers.items():
        overlap: dict[str, float] = {}
        for turn in result.exclusive or result.turns:
            if turn.speaker != label:
                continue
            for seg, _, ref in clip.reference.itertracks(yield_label=True):
                both = min(turn.end, seg.end) - max(turn.start, seg.start)
                if both > 0:
                    overlap[ref] = overlap.get(ref, 0.0) + both
        if overlap:
            person = max(overlap, key=lambda r: overlap[r])
            out.append(Voice(clip.name, person, np.asarray(profile.centroid, np.float64), float(profile.seconds)))
    return out


def measure(voices: list[Voice], calibration=CALIBRATION) -> dict[str, float]:
    enrol: dict[str, Voice] = {}
    for v in sorted(voices, key=lambda v: v.clip):
        if v.person not in enrol and v.seconds >= calibration.min_enroll_seconds:
            enrol[v.person] = v
    tp = fp = fn = probes_known = probes_unknown = false_accepts = 0
    for probe in voices:
        gallery = [
            Voiceprint(
                workspace="bench",
                person_id=p,
                name=p,
                samples=[VoiceSample(meeting_id=v.clip, vector=list(v.vector), seconds=v.seconds)],
            )
            for p, v in enrol.items()
            if v.clip != probe.clip
        ]
        known = any(g.person_id == probe.person for g in gallery)
        found = matches(
            gallery,
            {"S": SpeakerVoice(vector=list(probe.vector / np.linalg.norm(probe.vector)), seconds=probe.seconds)},
            calibration,
        )
        name = found[0].person_id if found else None
        if probe.seconds < calibration.min_probe_seconds:
            continue
        if known:
            probes_known += 1
            if name == probe.person:
                tp += 1
            elif name is None:
                fn += 1
            else:
                fp += 1
        else:
            probes_unknown += 1
            if name is not None:
                fp += 1
                false_accepts += 1
    return {
        "enrolled": len(enrol),
        "probes_known": probes_known,
        "probes_unknown": probes_unknown,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / probes_known if probes_known else 0.0,
        "false_accept_rate": false_accepts / probes_unknown if probes_unknown else 0.0,
    }


def main() -> None:
    real_clips.require()
    diarizer = LocalDiarizer()
    started = time.monotonic()
    voices = [
        v for subset in ("train", "development") for c in real_clips.load_clips(subset) for v in voices_of(diarizer, c)
    ]
    print(f"{len(voices)} diarized speakers in {time.monotonic() - started:.0f} s")
    same, other = [], []
    for i, a in enumerate(voices):
        for b in voices[i + 1 :]:
            if a.clip == b.clip or min(a.seconds, b.seconds) < CALIBRATION.min_probe_seconds:
                continue
            score = float(a.vector @ b.vector / np.linalg.norm(a.vector) / np.linalg.norm(b.vector))
            (same if a.person == b.person else other).append(score)
    print(f"same person, other clip: n={len(same)} mean={np.mean(same):.3f} min={np.min(same):.3f}")
    print(
        f"different people:        n={len(other)} mean={np.mean(other):.3f} std={np.std(other):.3f} "
        f"max={np.max(other):.3f}"
    )
    print("threshold for 1/5/10 voiceprints: " + ", ".join(f"{CALIBRATION.threshold(n):.3f}" for n in (1, 5, 10)))
    print(measure(voices))


if __name__ == "__main__":
    main()
