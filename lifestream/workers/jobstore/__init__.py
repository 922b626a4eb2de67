"""Jobs and their states: SQLite in the data dir (default) or DynamoDB."""

from __future__ import annotations

from lifestream.settings import Settings
from lifestream.workers.jobstore.base import (
    FINAL_STATES,
    Job,
    JobState,
    JobStore,
    RecordExpiry,
    iso,
    job_id_for,
)

__all__ = ["FINAL_STATES", "Job", "JobState", "JobStore", "RecordExpiry", "get_job_store", "iso", "job_id_for"]


def get_job_store(settings: Settings, *, expiry: RecordExpiry | None = None) -> JobStore:
    """DynamoDB when ``LIFESTREAM_JOBS_TABLE`` is set (finished records expire per ``expiry``), else
    ``<data_dir>/jobs.sqlite3`` (records stay until the sweeper or someone deletes them)."""
    if settings.jobs_table:
        from lifestream.workers.jobstore.dynamodb import DynamoJobStore

        return DynamoJobStore(settings.jobs_table, endpoint_url=settings.dynamodb_endpoint_url,
                              region=settings.s3_region, ttl_attribute=settings.dynamodb_ttl_attribute,
                              expiry=expiry)
    from lifestream.workers.jobstore.sqlite import SQLiteJobStore

    return SQLiteJobStore(settings.data_dir / "jobs.sqlite3")
