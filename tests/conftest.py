"""Shared fixtures: the real sample recording and an isolated data dir per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifestream.threads import cap_threads

cap_threads()


@pytest.fixture(scope="session")
def sample_wav() -> Path:
    from lifestream.samples import sample_file

    return sample_file("sample.wav")


@pytest.fixture(scope="session")
def sample_video(tmp_path_factory) -> Path:
    from lifestream.samples import make_sample_video

    return make_sample_video(tmp_path_factory.mktemp("media") / "sample.mp4")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Settings pointing at a fresh data dir; the model dir stays shared (assembled once)."""
    from lifestream.settings import Settings

    monkeypatch.setenv("LIFESTREAM_DATA_DIR", str(tmp_path / "data"))
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def pipeline():
    """Runs the whole pipeline the way the product does, in a pipeline process (models loaded once per
    session), so a crash in native code fails the tests that needed it, with its reason, not pytest."""
    from lifestream.pipeline.isolation import PipelinePool, PipelineRequest

    pool = PipelinePool(max_processes=1, jobs_per_process=1000)

    def run(path: Path, settings, **options):
        return pool.run(PipelineRequest(path, settings, **options)).meeting

    yield run
    pool.close()


@pytest.fixture(scope="session")
def processed_sample(tmp_path_factory, sample_video, pipeline):
    """The sample video through the whole offline pipeline, once per test session."""
    from lifestream.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("sample-data"))
    meeting = pipeline(sample_video, settings)
    return meeting, settings.results_dir / meeting.meeting_id


@pytest.fixture(scope="session")
def spoken_meeting(tmp_path_factory, pipeline):
    """A scripted two-person meeting spoken by espeak-ng, through the whole offline pipeline."""
    from datetime import date

    from lifestream.settings import Settings
    from tests.support.media import LAUNCH_MEETING, speak

    root = tmp_path_factory.mktemp("spoken")
    wav = speak(LAUNCH_MEETING, root / "launch.wav")
    # A Wednesday, so "by Friday" and "tomorrow" resolve to known dates.
    return pipeline(wav, Settings(data_dir=root / "data"), reference_date=date(2026, 11, 25))
