"""A running job's progress in words, the same on every surface: "Transcribing · 40% · about 3 min left".

Plain text: each surface escapes it its own way (Slack mrkdwn, Teams Markdown, HTML).
"""

from __future__ import annotations

import time

from lifestream.timefmt import time_left
from lifestream.workers.jobstore import Job

# The pipeline's stage names (lifestream.pipeline.runner.STAGES) as a person says them.
STAGE_NAMES = {
    "probe": "Opening the recording",
    "extract": "Extracting the audio",
    "asr": "Transcribing",
    "diarization": "Finding speakers",
    "scenes": "Finding scenes",
    "align": "Matching words to speakers",
    "chunks": "Splitting into sections",
    "classify": "Checking it is a meeting",
    "redact": "Redacting personal details",
    "names": "Naming speakers",
    "insights": "Measuring talk time",
    "minutes": "Writing minutes",
    "index": "Indexing for search",
    "write": "Saving the results",
}


def stage_name(stage: str | None) -> str:
    """The stage in words; one this table does not know yet still reads as words, not as an identifier."""
    if not stage:
        return "Starting"
    return STAGE_NAMES.get(stage) or stage.replace("_", " ").replace("-", " ").capitalize()


def seconds_left(job: Job, now: float | None = None) -> float | None:
    """What the job's ETA leaves, from now; None when there is no ETA (or it is not running)."""
    if job.eta_at is None or job.final:
        return None
    return max(0.0, job.eta_at - (time.time() if now is None else now))


def status_line(job: Job, now: float | None = None) -> str:
    """Stage · percent · time left (when the estimate means something)."""
    parts = [stage_name(job.stage), f"{job.percent:.0f}%"]
    left = seconds_left(job, now)
    if left is not None:
        parts.append(f"{time_left(left)} left")
    return " · ".join(parts)
