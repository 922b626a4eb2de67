"""The progress estimate: percent weighted by stage cost, an ETA from measured rates, and the words for both."""

from __future__ import annotations

import time

import pytest

from lifestream.pipeline.runner import STAGES
from lifestream.timefmt import time_left
from lifestream.workers.jobstore import Job, JobState
from lifestream.workers.jobstore.sqlite import SQLiteJobStore
from lifestream.workers.progress import (
    DEFAULT_COSTS,
    MIN_LEARNED_JOBS,
    PHASES,
    Estimate,
    JobProgress,
    learned_factors,
)
from lifestream.workers.status_line import STAGE_NAMES, stage_name, status_line

HOUR = 3600.0
SEQUENTIAL_AFTER = ("align", "chunks", "classify", "redact", "names", "insights", "minutes", "index", "write")


def job(**fields) -> Job:
    return Job(**{"id": "j1", "storage_key": "uploads/a.wav", "idempotency_key": "sha256:a", "source_name": "a.wav",
                  **fields})


def expected(stage: str, duration: float) -> float:
    return DEFAULT_COSTS[stage].seconds(duration)


class Run:
    """Feeds a JobProgress the events a pipeline would, on a clock of our own; each stage takes
    ``slowness`` times its default cost."""

    def __init__(self, progress: JobProgress, duration: float, slowness: float = 1.0) -> None:
        self.p, self.duration, self.slowness, self.now = progress, duration, slowness, 1000.0
        self.estimates: list[Estimate] = []
        self.times: list[float] = []  # the clock at each estimate

    def event(self, stage: str, state: str, fraction: float = 0.0, seconds: float | None = None) -> Estimate:
        self.estimates.append(self.p.update(stage, state, fraction, seconds, now=self.now))
        self.times.append(self.now)
        return self.estimates[-1]

    def stage(self, name: str, steps: int = 1) -> None:
        took = expected(name, self.duration) * self.slowness
        self.event(name, "started")
        for i in range(1, steps):
            self.now += took / steps
            self.event(name, "progress", i / steps)
        self.now += took / steps
        self.event(name, "finished", 1.0, took)

    def whole(self, *, video: bool = False) -> None:
        self.stage("probe")
        self.stage("extract")
        # ASR, diarization (and scenes) start together; diarization ends first; ASR reports as it goes.
        asr = expected("asr", self.duration) * self.slowness
        diar = expected("diarization", self.duration) * self.slowness
        start = self.now
        self.event("asr", "started")
        self.event("diarization", "started")
        self.event("scenes", "skipped" if not video else "started")
        steps, diar_done = 20, False
        for i in range(1, steps + 1):
            self.now = start + asr * i / steps
            if not diar_done and self.now >= start + diar:
                self.event("diarization", "finished", 1.0, diar)
                diar_done = True
            if i < steps:
                self.event("asr", "progress", i / steps)
        if video:
            self.event("scenes", "finished", 1.0, expected("scenes", self.duration) * self.slowness)
        self.event("asr", "finished", 1.0, asr)
        for name in SEQUENTIAL_AFTER:
            if name == "redact":
                self.event(name, "skipped")
            else:
                self.stage(name)


def test_the_phases_cover_the_pipelines_stages_and_every_stage_has_a_cost_and_a_name():
    assert sorted(s for phase in PHASES for s in phase) == sorted(STAGES)
    assert set(DEFAULT_COSTS) == set(STAGES) == set(STAGE_NAMES)


def test_percent_follows_the_cost_of_the_stages_not_their_count():
    run = Run(JobProgress(HOUR), HOUR)
    run.stage("probe")
    run.stage("extract")
    # Two of fourteen stages, but seconds of an hour's work: counted equally it would be 14%.
    assert run.estimates[-1].percent < 2
    run = Run(JobProgress(HOUR), HOUR)
    run.whole()
    by_stage: dict[str | None, list[float]] = {}
    for e in run.estimates:
        by_stage.setdefault(e.stage, []).append(e.percent)
    # Past ASR (most of the work) it is mostly done, though nine stages are still to come (counted equally: 36%).
    assert min(by_stage["align"]) > 80
    asr = by_stage["asr"]
    assert asr[0] < 5 and 40 < asr[len(asr) // 2] < 60  # halfway through ASR is about halfway


def test_percent_never_goes_back_and_stays_under_100_while_running():
    run = Run(JobProgress(20 * 60), 20 * 60, slowness=2.5)  # slower than expected: estimates rise as it goes
    run.whole(video=True)
    percents = [e.percent for e in run.estimates]
    assert percents == sorted(percents)
    assert percents[-1] <= 99 and percents[-1] > 95
    # ASR silent past its expected time looks nearly done, until it reports only a third: the percent holds.
    p = JobProgress(HOUR)
    p.update("asr", "started", now=0)
    before = p.update("diarization", "finished", 1.0, 100, now=2 * expected("asr", HOUR)).percent
    assert before > 50
    assert p.update("asr", "progress", 0.33, now=2 * expected("asr", HOUR) + 1).percent == before


@pytest.mark.parametrize("slowness", [0.5, 1.0, 3.0])
def test_eta_tracks_the_real_remaining_time_and_is_never_negative(slowness):
    duration = 30 * 60
    run = Run(JobProgress(duration), duration, slowness)
    run.whole()
    end = run.now
    timed = [(e, t) for e, t in zip(run.estimates, run.times, strict=True) if e.seconds_left is not None]
    assert timed, "an ETA once ASR has reported its rate"
    assert all(e.seconds_left >= 0 for e, _ in timed)
    # Once ASR is a quarter done, the estimate is within 35% of the truth (the rest is the fixed overheads).
    late = [(e.seconds_left, end - t) for e, t in timed if end - t > 60 and e.percent > 25]
    assert late
    for said, truth in late:
        assert abs(said - truth) <= 0.35 * truth + 20, (said, truth)


def test_a_stage_past_its_estimate_gives_a_positive_eta_not_a_negative_one():
    p = JobProgress(60, learned_from=MIN_LEARNED_JOBS)
    p.update("probe", "finished", 1.0, 0.1, now=0)
    p.update("minutes", "started", now=0)
    late = p.update("minutes", "progress", 0.0, now=10_000)  # hours past the few seconds it should take
    assert late.seconds_left is not None and late.seconds_left > 0
    assert late.eta_at is not None and late.eta_at >= time.time()


def test_no_eta_until_it_means_something():
    fresh = JobProgress(HOUR)  # no completed jobs to learn from
    assert fresh.update("probe", "started", now=0).eta_at is None
    fresh.update("asr", "started", now=1)
    assert fresh.update("asr", "progress", 0.01, now=5).eta_at is None  # ASR's rate is not known yet
    assert fresh.update("asr", "progress", 0.2, now=90).eta_at is not None
    # Without the recording's length there is nothing to measure the rest against.
    unknown = JobProgress(None, learned_from=50)
    unknown.update("asr", "started", now=0)
    assert unknown.update("asr", "progress", 0.5, now=60).eta_at is None
    # Learned from enough of this deployment's jobs: from the start.
    learned = JobProgress(HOUR, {"asr": 1.0}, learned_from=MIN_LEARNED_JOBS)
    first = learned.update("probe", "started", now=0)
    assert first.seconds_left is not None and first.seconds_left > expected("asr", HOUR)


def test_factors_learned_from_completed_jobs_scale_the_estimate():
    slow = [job(duration=d, state=JobState.COMPLETED,
                stage_seconds={s: 2 * expected(s, d) for s in DEFAULT_COSTS if s != "probe"} | {"probe": 0.15})
            for d in (30.0, 300.0, 1800.0)]
    old = job(duration=100.0, state=JobState.COMPLETED)  # a record from before the timings: no say
    factors = learned_factors([*slow, old])
    assert factors["asr"] == pytest.approx(2.0) and factors["minutes"] == pytest.approx(2.0)
    assert factors["probe"] == pytest.approx(1.0)
    default = JobProgress(HOUR, learned_from=MIN_LEARNED_JOBS).update("probe", "started", now=0).seconds_left
    learned = JobProgress(HOUR, factors, learned_from=MIN_LEARNED_JOBS).update("probe", "started", now=0).seconds_left
    assert learned == pytest.approx(2 * default, rel=0.01)
    # One wild job among them does not drag the median far.
    wild = job(duration=30.0, state=JobState.COMPLETED, stage_seconds={"asr": 1e6})
    assert learned_factors([*slow, wild])["asr"] < 3


def test_asr_rate_recalibrates_the_rest():
    """Defaults measured on another machine: this one runs ASR four times slower; the rest follows."""
    p = JobProgress(HOUR)
    p.update("asr", "started", now=0)
    asr = expected("asr", HOUR)
    mid = p.update("asr", "progress", 0.5, now=4 * asr * 0.5)
    truth_asr_left = 4 * asr * 0.5
    assert mid.seconds_left is not None and mid.seconds_left > truth_asr_left * 0.7
    assert p.speed(4 * asr * 0.5) > 2


def test_the_stage_shown_is_the_one_the_job_waits_for():
    p = JobProgress(HOUR)
    p.update("asr", "started", now=0)
    p.update("diarization", "started", now=0)
    assert p.update("asr", "progress", 0.3, now=100).stage == "asr"
    # Diarization's events interleave with ASR's, but ASR is what the job is waiting for.
    assert p.update("diarization", "finished", 1.0, 150, now=150).stage == "asr"


def test_stage_seconds_are_what_ran_to_the_end_in_this_attempt():
    p = JobProgress(60)
    p.update("asr", "resumed", 1.0, now=0)  # from a checkpoint: no time of its own
    p.update("align", "started", now=0)
    p.update("align", "finished", 1.0, 0.25, now=0.25)
    p.update("redact", "skipped", now=0.25)
    assert p.stage_seconds == {"align": 0.25}


@pytest.mark.parametrize(("seconds", "words"), [
    (-30, "under a minute"), (0, "under a minute"), (59, "under a minute"), (60, "about 1 min"),
    (170, "about 3 min"), (45 * 60, "about 45 min"), (119 * 60, "about 119 min"), (3 * HOUR + 600, "about 3 h")])
def test_time_left_in_words(seconds, words):
    assert time_left(seconds) == words


def test_status_line():
    now = 1_000_000.0
    running = job(state=JobState.PROCESSING, stage="asr", percent=40.4, eta_at=now + 170)
    assert status_line(running, now) == "Transcribing · 40% · about 3 min left"
    assert status_line(running.model_copy(update={"eta_at": now - 500}), now) == "Transcribing · 40% · under a minute left"
    assert status_line(running.model_copy(update={"eta_at": None, "stage": "diarization"}), now) == "Finding speakers · 40%"
    assert stage_name("segment_asr") == "Segment asr" and stage_name(None) == "Starting"


def test_a_job_learns_from_the_stores_completed_jobs_and_does_without_them(tmp_path):
    store = SQLiteJobStore(tmp_path / "jobs.sqlite3")
    for n in range(MIN_LEARNED_JOBS):
        done, _ = store.create(job(id=f"done{n}", idempotency_key=f"sha256:{n}", duration=120.0))
        store.claim(done.id, "w", 30)
        store.renew(done.id, "w", 30, stage_seconds={s: 3 * expected(s, 120.0) for s in DEFAULT_COSTS})
        store.complete(done.id, "w")
    running = job(duration=HOUR)
    learned = JobProgress.for_job(running, store)
    assert learned.learned_from == MIN_LEARNED_JOBS and learned.factors["asr"] == pytest.approx(3.0)
    default = JobProgress(HOUR, learned_from=MIN_LEARNED_JOBS).update("probe", "started", now=0).seconds_left
    assert learned.update("probe", "started", now=0).seconds_left == pytest.approx(3 * default)
    store.close()  # a store that cannot answer: the defaults, and no ETA until ASR says how fast it goes
    fallback = JobProgress.for_job(running, store)
    assert fallback.learned_from == 0 and fallback.update("probe", "started", now=0).eta_at is None


def test_a_silent_stage_still_moves_the_status_line(tmp_path, sample_wav, monkeypatch):
    """A stage that says nothing past its expected length (the minutes here: an LLM's take a while): the worker
    sends the estimate again from the clock, so the thread's ETA moves out instead of standing in the past."""
    from lifestream.pipeline.runner import StageEvent
    from lifestream.services import Services
    from lifestream.settings import Settings
    from lifestream.workers import execute
    from lifestream.workers.submit import submit_file

    monkeypatch.setattr(execute, "_REFRESH_EVERY_S", 0.4)
    services = Services(Settings(data_dir=tmp_path / "data", job_lease_seconds=0.6))  # a lease tick every 0.2 s
    window: dict[str, float] = {}
    sent: list[tuple[float, str | None, float, float | None]] = []
    services.events.subscribe(lambda e: sent.append((time.time(), e.job.stage, e.job.percent, e.job.eta_at))
                              if e.kind == "progress" else None)

    def work(job, ctx):
        for stage in ("probe", "extract"):
            ctx.on_stage(StageEvent(stage, "started"))
            ctx.on_stage(StageEvent(stage, "finished", 1.0, 0.01))
        ctx.on_stage(StageEvent("asr", "started"))
        ctx.on_stage(StageEvent("diarization", "started"))
        ctx.on_stage(StageEvent("scenes", "skipped"))
        time.sleep(0.2)
        ctx.on_stage(StageEvent("asr", "progress", 0.5))  # its rate calibrates the ETA
        ctx.on_stage(StageEvent("diarization", "finished", 1.0, 0.2))
        ctx.on_stage(StageEvent("asr", "finished", 1.0, 0.4))
        for stage in ("align", "chunks", "classify", "names", "insights"):
            ctx.on_stage(StageEvent(stage, "started"))
            ctx.on_stage(StageEvent(stage, "finished", 1.0, 0.001))
        ctx.on_stage(StageEvent("minutes", "started"))
        window["from"] = time.time()
        time.sleep(3.0)  # nothing said
        window["to"] = time.time()
        ctx.on_stage(StageEvent("minutes", "finished", 1.0, 3.0))

    job = submit_file(sample_wav, services=services).job
    done = execute.execute_job(job.id, services=services, work=work)
    assert done is not None and done.state is JobState.COMPLETED
    silent = [s for s in sent if window["from"] < s[0] < window["to"]]
    assert len(silent) >= 3, sent  # without the refresh: none
    assert all(stage == "minutes" for _, stage, _, _ in silent)
    etas = [eta for _, _, _, eta in silent]
    assert all(eta is not None and eta > at for at, _, _, eta in silent), "never an ETA already passed"
    assert all(b > a for a, b in zip(etas, etas[1:])), "a late stage pushes the ETA out"
    percents = [p for _, _, p, _ in sent]
    assert percents == sorted(percents) and percents[-1] < 100
