"""How far a running job is and when it will be done: percent weighted by each stage's expected cost, and an ETA.

A stage's expected wall time is a fixed part (loading a model) plus a part per second of recording
(``StageCost``), with built-in defaults measured on this machine (2 shared CPUs, the default ``base`` model,
beam 5) and a per-stage factor learned from this deployment's recent completed jobs (``learned_factors``).

Where the learning lives: in the job store, in the completed jobs' own records (``Job.stage_seconds``,
written with each stage's end). Every worker and every bot already reads that store, and each sample is
written once by the job it belongs to, so no shared counter is read-modified-written by two workers at once
(an object in S3 would lose one of two updates, and would need locking); the estimate ages out with the
records (retention), and reading it is one indexed query of a few records when a job is claimed.

While a job runs, its own speed refines the estimate: ASR, the costly stage, reports how much of the audio
it has transcribed, which gives its rate, and how far this machine is from the estimate (``speed``) scales
every stage not yet done; a stage without progress reports is timed against its expected length.

The stages run as phases: ASR, diarization and scene detection at the same time (one phase that lasts as
long as the slowest of them), the others one after another (``PHASES``, the order of
``lifestream.pipeline.runner``). A stage this module does not know (a newer pipeline's) is a short phase of
its own, so progress still moves.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lifestream.workers.jobstore import Job, JobState, JobStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageCost:
    fixed_s: float  # whatever the length: start-up, model loading
    per_audio_s: float  # seconds per second of recording (a real-time factor)

    def seconds(self, duration: float) -> float:
        return self.fixed_s + self.per_audio_s * duration


# Measured on this machine (2 CPUs shared with other work): the sample's 30 s through the whole pipeline
# (its meeting.json timings over a few dozen runs) for the fixed parts, and bench/README.md's 10.5 minutes
# of speech for the per-second parts of ASR (71.6 s) and diarization (30.7 s, beside ASR).
DEFAULT_COSTS: dict[str, StageCost] = {
    "probe": StageCost(0.15, 0.0),
    "extract": StageCost(0.1, 0.002),
    "asr": StageCost(3.0, 0.114),
    "diarization": StageCost(3.5, 0.049),
    "scenes": StageCost(1.0, 0.045),
    "align": StageCost(0.02, 0.0002),
    "chunks": StageCost(0.02, 0.0002),
    "classify": StageCost(0.02, 0.0002),
    "redact": StageCost(0.05, 0.001),
    "names": StageCost(0.3, 0.001),
    "insights": StageCost(0.02, 0.0002),
    "minutes": StageCost(0.1, 0.002),
    "index": StageCost(4.0, 0.01),
    "write": StageCost(0.2, 0.001),
}
UNKNOWN_STAGE = StageCost(1.0, 0.0)
PARALLEL = ("asr", "diarization", "scenes")
PHASES: tuple[tuple[str, ...], ...] = (("probe",), ("extract",), PARALLEL, ("align",), ("chunks",), ("classify",),
                                       ("redact",), ("names",), ("insights",), ("minutes",), ("index",), ("write",))
CALIBRATING_STAGE = "asr"  # reports its progress, and costs the most: this job's speed is read from it

LEARN_FROM_JOBS = 20  # the most recent completed jobs the factors are learned from
MIN_LEARNED_JOBS = 3  # fewer than this: the ETA waits for the job's own ASR rate
MIN_FRACTION = 0.05  # below this much of a stage done, its rate says little (ASR loads its model first)
RATE_TRUSTED_AT = 0.25  # from this much of a stage done on, its own rate alone says how long the rest takes
SPEED_LIMITS = (1 / 3, 3.0)  # how far one job's speed may move the estimate
FACTOR_LIMITS = (0.1, 10.0)
PERCENT_CAP = 99.0  # 100 is for a completed job


def learned_factors(jobs: Iterable[Job], costs: Mapping[str, StageCost] = DEFAULT_COSTS) -> dict[str, float]:
    """Per stage, the median of (what it took / what the built-in cost says) over jobs with both a duration
    and stage timings: how this deployment differs from the machine the defaults were measured on."""
    ratios: dict[str, list[float]] = {}
    for job in jobs:
        if not job.duration or not job.stage_seconds:
            continue
        for stage, seconds in job.stage_seconds.items():
            expected = costs.get(stage, UNKNOWN_STAGE).seconds(job.duration)
            if expected > 0 and seconds >= 0:
                ratios.setdefault(stage, []).append(seconds / expected)
    low, high = FACTOR_LIMITS
    return {stage: min(high, max(low, statistics.median(r))) for stage, r in ratios.items()}


def learned_jobs(store: JobStore, limit: int = LEARN_FROM_JOBS) -> list[Job]:
    """The recent completed jobs that carry stage timings (records from before them do not)."""
    return [j for j in store.list([JobState.COMPLETED], limit=limit) if j.stage_seconds and j.duration]


def _trust(fraction: float) -> float:
    """How much a stage's own rate counts against the prior, by how much of it is done."""
    return min(1.0, fraction / RATE_TRUSTED_AT)


@dataclass(frozen=True)
class Estimate:
    stage: str | None  # the stage that decides when the job ends now (the slowest running one)
    percent: float
    eta_at: float | None  # when the job should be done (epoch seconds); None: too early to say
    seconds_left: float | None


@dataclass
class _Stage:
    started: float | None = None
    done: bool = False
    skipped: bool = False
    fraction: float = 0.0
    seconds: float | None = None  # how long it took, when it ran to its end in this attempt


@dataclass
class JobProgress:
    """The running estimate of one job attempt; fed every stage event (from one thread at a time)."""

    duration: float | None  # of the recording, in seconds; None: no ETA (the weights use a nominal length)
    factors: Mapping[str, float] = field(default_factory=dict)
    learned_from: int = 0  # how many completed jobs the factors come from
    costs: Mapping[str, StageCost] = field(default_factory=lambda: DEFAULT_COSTS)
    _stages: dict[str, _Stage] = field(default_factory=dict)
    _phases: list[tuple[str, ...]] = field(default_factory=lambda: list(PHASES))
    _percent: float = 0.0
    _last_stage: str | None = None

    NOMINAL_DURATION = 600.0

    @classmethod
    def for_job(cls, job: Job, store: JobStore) -> JobProgress:
        """With the factors learned from the store's recent completed jobs (the defaults if it cannot say)."""
        try:
            jobs = learned_jobs(store)
        except Exception:  # an estimate is not worth failing a job over; the defaults still give one
            log.warning("job %s: could not read recent jobs' timings; using the default stage costs", job.id,
                        exc_info=True)
            jobs = []
        return cls(job.duration, learned_factors(jobs), len(jobs))

    @property
    def stage_seconds(self) -> dict[str, float]:
        """How long each stage that ran to its end took (what later jobs learn from)."""
        return {name: round(s.seconds, 3) for name, s in self._stages.items() if s.seconds is not None}

    def update(self, stage: str, state: str, fraction: float = 0.0, seconds: float | None = None,
               now: float | None = None) -> Estimate:
        """Record one StageEvent (its fields) and estimate again."""
        now = time.monotonic() if now is None else now
        s = self._stages.setdefault(stage, _Stage())
        if not any(stage in phase for phase in self._phases):
            self._phases.insert(len(self._phases) - 1, (stage,))  # before "write", which is always last
        if state == "started":
            s.started = now
        elif state == "progress":
            s.started = now if s.started is None else s.started
            s.fraction = max(s.fraction, min(1.0, float(fraction)))
        elif state in ("finished", "resumed", "skipped"):
            s.done, s.fraction = True, 1.0
            s.skipped = state == "skipped"
            if state == "finished" and seconds is not None:
                s.seconds = float(seconds)
        self._last_stage = stage
        return self.estimate(now)

    # --- the model

    def _length(self) -> float:
        return self.duration if self.duration else self.NOMINAL_DURATION

    def _prior(self, stage: str) -> float:
        """Expected seconds of a stage on this deployment, before this job says anything."""
        cost = self.costs.get(stage, UNKNOWN_STAGE)
        return cost.seconds(self._length()) * self.factors.get(stage, 1.0)

    def speed(self, now: float) -> float:
        """How much slower (>1) or faster (<1) this job runs than its prior, read from ASR's rate; 1 if unknown."""
        s = self._stages.get(CALIBRATING_STAGE)
        prior = self._prior(CALIBRATING_STAGE)
        if s is None or s.skipped or prior <= 0:
            return 1.0
        if s.seconds is not None:
            raw, weight = s.seconds / prior, 1.0
        elif s.started is not None and not s.done and s.fraction >= MIN_FRACTION:
            raw, weight = (now - s.started) / s.fraction / prior, _trust(s.fraction)
        else:
            return 1.0
        low, high = SPEED_LIMITS
        return min(high, max(low, 1.0 + weight * (raw - 1.0)))

    def calibrated(self) -> bool:
        """Whether an ETA means something yet: the recording's length is known, and the stage costs come from
        enough of this deployment's jobs or from this job's own ASR rate."""
        if not self.duration:
            return False
        if self.learned_from >= MIN_LEARNED_JOBS:
            return True
        s = self._stages.get(CALIBRATING_STAGE)
        return s is not None and (s.done or s.fraction >= MIN_FRACTION)

    def _left(self, stage: str, now: float, speed: float) -> float:
        """Seconds a stage still needs."""
        s = self._stages.get(stage)
        expected = self._prior(stage) * speed
        if s is None or s.started is None:
            return 0.0 if s is not None and s.done else expected
        if s.done:
            return 0.0
        elapsed = max(0.0, now - s.started)
        # Past its expected length it is late by an unknown amount: a tenth of its time so far again.
        by_clock = max(expected - elapsed, 0.1 * elapsed)
        if s.fraction >= MIN_FRACTION and elapsed > 0:
            by_rate = elapsed * (1.0 - s.fraction) / s.fraction
            trust = _trust(s.fraction)
            return trust * by_rate + (1.0 - trust) * by_clock
        return by_clock

    def estimate(self, now: float | None = None) -> Estimate:
        now = time.monotonic() if now is None else now
        speed = self.speed(now)
        total_weight = done_weight = left_total = 0.0
        headline: tuple[float, str] | None = None
        for phase in self._phases:
            members = [m for m in phase if not self._stages.get(m, _Stage()).skipped]
            if not members:
                continue
            weight = max(self._prior(m) for m in members)
            left = max(self._left(m, now, speed) for m in members)
            starts = [st.started for m in members if (st := self._stages.get(m)) and st.started is not None]
            if all(self._stages.get(m, _Stage()).done for m in members):
                fraction = 1.0
            elif starts:
                elapsed = now - min(starts)
                fraction = elapsed / (elapsed + left) if elapsed + left > 0 else 0.0
                if headline is None:
                    running = [m for m in members if not self._stages.get(m, _Stage()).done]
                    slowest = max(running, key=lambda m: self._left(m, now, speed))
                    headline = (left, slowest)
            else:
                fraction = 0.0
            total_weight += weight
            done_weight += weight * fraction
            left_total += left
        percent = 100.0 * done_weight / total_weight if total_weight > 0 else 0.0
        self._percent = max(self._percent, min(PERCENT_CAP, percent))  # never backwards
        stage = headline[1] if headline else self._last_stage
        if not self.calibrated():
            return Estimate(stage, self._percent, None, None)
        left_total = max(0.0, left_total)
        return Estimate(stage, self._percent, time.time() + left_total, left_total)
