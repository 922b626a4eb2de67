"""Jobs and their states: SQLite in the data dir (default) or DynamoDB."""

from __future__ import annotations

from lifestream.settings import Settings
from lifestream.workers.jobstore.base import FINAL_STATES, Job, JobState, JobStore, iso, job_id_for

__all__ = ["FINAL_STATES", "Job", "JobState", "JobStore", "get_job_store", "iso", "job_id_for"]


def get_job_store(settings: Settings) -> JobStore:
    """DynamoDB when ``LIFESTREAM_JOBS_TABLE`` is set, else ``<data_dir>/jobs.sqlite3``."""
    if settings.jobs_table:
        from lifestream.workers.jobstore.dynamodb import DynamoJobStore

        return DynamoJobStore(settings.jobs_table, endpoint_url=settings.dynamodb_endpoint_url,
                              region=settings.s3_region)
    from lifestream.workers.jobstore.sqlite import SQLiteJobStore

    return SQLiteJobStore(settings.data_dir / "jobs.sqlite3")
