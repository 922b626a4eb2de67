"""Deleting a job record (DELETE /api/v1/meetings/<id>), on SQLite and on DynamoDB (moto server)."""

from __future__ import annotations

import pytest

from lifestream.origin import ApiOrigin
from lifestream.workers.jobstore import Job, JobState, job_id_for
from lifestream.workers.jobstore.dynamodb import DynamoJobStore
from lifestream.workers.jobstore.sqlite import SQLiteJobStore
from tests.support.servers import aws_env, moto_url, unique  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = SQLiteJobStore(tmp_path / "jobs.sqlite3")
    else:
        s = DynamoJobStore(unique("jobs"), endpoint_url=request.getfixturevalue("moto_url"))
    yield s
    s.close()


def _job(content: str) -> Job:
    key = f"sha256:{content * 64}"[:71]
    return Job(id=job_id_for(key), storage_key=f"uploads/{content}.mp4", idempotency_key=key, source_name="a.mp4",
               origin=ApiOrigin(workspace="W", conversation="api"))


def test_delete_removes_one_job_and_frees_its_keys(store):
    keep, gone = _job("a"), _job("b")
    store.create(keep)
    store.create(gone)
    assert store.delete(gone.id) is True
    assert store.get(gone.id) is None
    assert [j.id for j in store.list()] == [keep.id]
    assert store.delete(gone.id) is False  # already gone
    assert store.delete("0" * 16) is False
    assert store.cancel(gone.id) is None  # transitions on a deleted job find nothing
    again, created = store.create(_job("b"))  # its id and idempotency key can be used again
    assert created and again.state is JobState.QUEUED
