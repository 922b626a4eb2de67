"""The job store's compare-and-set transitions, on SQLite and on DynamoDB (moto server)."""

from __future__ import annotations

import threading
import time

import pytest

from lifestream.origin import SlackOrigin, TeamsOrigin
from lifestream.workers.jobstore import Job, JobState, job_id_for
from lifestream.workers.jobstore.dynamodb import DynamoJobStore
from lifestream.workers.jobstore.sqlite import SQLiteJobStore
from tests.support.servers import aws_env, moto_url, unique  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_store(request, tmp_path):
    """A factory: every call opens a new connection/client to the same store, as separate processes would."""
    if request.param == "sqlite":
        path = tmp_path / "jobs.sqlite3"
        factory = lambda: SQLiteJobStore(path)  # noqa: E731
    else:
        url = request.getfixturevalue("moto_url")
        table = unique("jobs")
        factory = lambda: DynamoJobStore(table, endpoint_url=url)  # noqa: E731
    stores = []

    def make():
        stores.append(factory())
        return stores[-1]

    yield make
    for s in stores:
        s.close()


def new_job(content: str = "abc", **extra) -> Job:
    key = f"sha256:{content}"
    return Job(id=job_id_for(key), storage_key=f"uploads/{content}.mp4", idempotency_key=key,
               source_name="standup.mp4", **extra)


def test_create_is_idempotent_and_round_trips(make_store):
    store = make_store()
    origin = TeamsOrigin(workspace="T1", conversation="19:abc", status_id="ack1", user="U9",
                         reference={"conversation": {"id": "19:abc"}, "nested": {"n": 1.5, "list": [1, "é"]}})
    job, created = store.create(new_job(origin=origin, duration=30.4, num_speakers=2))
    assert created
    again, created_again = store.create(new_job(origin=SlackOrigin(workspace="T1", conversation="C1")))
    assert not created_again
    assert again.id == job.id and again.origin == origin  # the first submission's job, untouched
    got = store.get(job.id)
    assert got.state is JobState.QUEUED and got.duration == 30.4 and got.num_speakers == 2
    assert got.attempts == 0 and got.completion_announced is False
    assert store.get("nope") is None


def test_concurrent_submissions_make_one_job(make_store):
    stores = [make_store() for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    results: list[bool] = []

    def submit(store):
        barrier.wait()
        results.append(store.create(new_job("same"))[1])

    threads = [threading.Thread(target=submit, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]
    assert len(stores[0].list()) == 1


def test_claim_lease_and_takeover(make_store):
    a, b = make_store(), make_store()
    job, _ = a.create(new_job())
    claimed = a.claim(job.id, "worker-a", lease_seconds=0.5)
    assert claimed.state is JobState.PROCESSING and claimed.owner == "worker-a" and claimed.attempts == 1
    assert b.claim(job.id, "worker-b", lease_seconds=0.5) is None  # lease still live
    assert a.renew(job.id, "worker-a", 0.5, stage="asr", percent=42.123).stage == "asr"
    assert b.renew(job.id, "worker-b", 0.5) is None  # not the owner
    time.sleep(0.7)  # worker-a "dies": stops renewing
    assert [j.id for j in b.expired()] == [job.id]
    taken = b.claim(job.id, "worker-b", lease_seconds=30)
    assert taken.owner == "worker-b" and taken.attempts == 2 and taken.percent == 0
    # The dead worker's late writes are refused.
    assert a.renew(job.id, "worker-a", 30) is None
    assert a.complete(job.id, "worker-a") is None
    done = b.complete(job.id, "worker-b")
    assert done.state is JobState.COMPLETED and done.percent == 100 and done.owner is None
    assert a.claim(job.id, "worker-a", 30) is None  # a completed job is never claimed again


def test_progress_in_numpy_floats_is_recorded(make_store):
    """Pipeline stages report fractions as numpy floats; DynamoDB wants Decimals."""
    import numpy as np

    store = make_store()
    job, _ = store.create(new_job())
    store.claim(job.id, "w", 30)
    renewed = store.renew(job.id, "w", 30, stage="asr", percent=round(np.float64(100 / 3), 1))
    assert renewed.stage == "asr" and renewed.percent == 33.3


def test_completion_is_announced_exactly_once(make_store):
    stores = [make_store() for _ in range(6)]
    job, _ = stores[0].create(new_job())
    assert stores[0].claim_announcement(job.id, "a", 30) is None  # not completed yet
    stores[0].claim(job.id, "w", 30)
    stores[0].complete(job.id, "w")
    assert [j.id for j in stores[0].unannounced()] == [job.id]
    barrier = threading.Barrier(len(stores))
    wins: list[bool] = []

    def announce(store):
        barrier.wait()
        wins.append(store.claim_announcement(job.id, f"a{id(store)}", 30) is not None)

    threads = [threading.Thread(target=announce, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1
    holder = stores[0].get(job.id)
    assert not holder.completion_announced  # claimed, not yet announced: only once everything is posted
    assert stores[0].finish_announcement(job.id, "someone else") is None
    assert stores[0].finish_announcement(job.id, holder.owner) is not None
    assert stores[0].get(job.id).completion_announced
    assert stores[0].unannounced() == []


def test_an_announcement_that_failed_or_whose_announcer_died_is_taken_over(make_store):
    store = make_store()
    job, _ = store.create(new_job("takeover"))
    store.claim(job.id, "w", 30)
    store.complete(job.id, "w")
    assert store.claim_announcement(job.id, "a1", 30) is not None
    assert store.claim_announcement(job.id, "a2", 30) is None  # held
    assert store.release_announcement(job.id, "a1") is not None  # a1 could not post everything
    assert [j.id for j in store.unannounced()] == [job.id]
    assert store.claim_announcement(job.id, "a2", 0.2) is not None
    time.sleep(0.4)  # a2 died while posting: its lease runs out
    assert store.claim_announcement(job.id, "a3", 30) is not None
    assert store.finish_announcement(job.id, "a2") is None  # a2's lease was taken over
    assert store.finish_announcement(job.id, "a3") is not None
    assert store.claim_announcement(job.id, "a4", 30) is None and store.unannounced() == []


def test_failures_are_announced_like_completions_and_again_after_a_retry(make_store):
    store = make_store()
    job, _ = store.create(new_job("fails"))
    store.claim(job.id, "w", 30)
    store.fail(job.id, "w", "no speech", retryable=False)
    assert [j.id for j in store.unannounced()] == [job.id]
    assert store.claim_announcement(job.id, "a", 30) is not None
    assert store.finish_announcement(job.id, "a") is not None
    assert store.unannounced() == []
    assert not store.reset_for_retry(job.id).completion_announced
    store.claim(job.id, "w", 30)
    store.fail(job.id, "w", "no speech again", retryable=False)
    assert store.claim_announcement(job.id, "b", 30) is not None  # the second failure is told too


def test_failure_retry_cancel_and_expiry(make_store):
    store = make_store()
    job, _ = store.create(new_job())
    store.claim(job.id, "w", 30)
    later = store.retry_later(job.id, "w", "S3 timed out", not_before=time.time() + 60)
    assert later.state is JobState.QUEUED and later.reason == "retrying: S3 timed out"
    assert store.due() == []  # not before its backoff
    store.claim(job.id, "w", 30)
    failed = store.fail(job.id, "w", "bad.mp4: not a readable audio or video file", retryable=False)
    assert failed.state is JobState.FAILED and failed.retryable is False and failed.attempts == 2
    assert store.cancel(job.id) is None  # nothing to cancel
    again = store.reset_for_retry(job.id)
    assert again.state is JobState.QUEUED and again.reason is None and again.attempts == 0  # counted anew
    assert [j.id for j in store.due()] == [job.id]
    assert store.reset_for_retry(job.id) is None  # only failed/cancelled jobs

    store.claim(job.id, "w", lease_seconds=0.2)
    assert store.release_expired(job.id) is None  # lease still live
    time.sleep(0.4)
    released = store.release_expired(job.id)
    assert released.state is JobState.QUEUED and released.owner is None
    store.claim(job.id, "w2", 30)
    cancelled = store.cancel(job.id)
    assert cancelled.state is JobState.CANCELLED
    assert store.renew(job.id, "w2", 30) is None  # the worker learns it was cancelled


def test_list_filters_newest_first(make_store):
    store = make_store()
    ids = []
    for n in range(3):
        job, _ = store.create(new_job(f"c{n}", created_at=1000.0 + n))
        ids.append(job.id)
    store.claim(ids[0], "w", 30)
    assert [j.id for j in store.list()] == ids[::-1]
    assert [j.id for j in store.list([JobState.QUEUED])] == [ids[2], ids[1]]
    assert [j.id for j in store.list(limit=1)] == [ids[2]]


def test_a_finished_job_can_be_rerun_and_is_announced_again(make_store):
    store = make_store()
    job, _ = store.create(new_job("rerun"))
    assert store.reset_for_rerun(job.id) is None  # queued: nothing to re-run yet
    store.claim(job.id, "w", 30)
    store.complete(job.id, "w")
    assert store.claim_announcement(job.id, "a", 30) is not None
    assert store.finish_announcement(job.id, "a") is not None
    again = store.reset_for_rerun(job.id)
    assert again.state.value == "queued" and not again.completion_announced and again.percent == 0
    store.claim(job.id, "w2", 30)
    store.complete(job.id, "w2")
    assert store.claim_announcement(job.id, "b", 30) is not None  # the new results are announced once more
    assert store.get(job.id).attempts == 1  # a re-run counts its own attempts


def test_a_job_whose_worker_died_on_its_last_attempt_is_given_up(make_store):
    a, b = make_store(), make_store()
    job, _ = a.create(new_job("dies"))
    a.claim(job.id, "dead", lease_seconds=0.2)
    a.renew(job.id, "dead", 0.2, stage="diarization")
    assert b.give_up(job.id, "its worker stopped") is None  # lease still live: the worker may be alive
    time.sleep(0.4)
    failed = b.give_up(job.id, "its worker stopped in diarization (gave up after 1 attempts)")
    assert failed.state is JobState.FAILED and failed.retryable is True and failed.owner is None
    assert failed.reason.startswith("its worker stopped in diarization") and failed.attempts == 1
    assert a.give_up(job.id, "again") is None and a.release_expired(job.id) is None  # failed once, by one caller
    assert a.renew(job.id, "dead", 30) is None  # a worker that was only slow learns it lost the job


def test_progress_estimate_is_recorded_cleared_and_old_records_still_load(make_store):
    store = make_store()
    job, _ = store.create(new_job(duration=60.0))
    store.claim(job.id, "w", 30)
    eta = time.time() + 170
    renewed = store.renew(job.id, "w", 30, stage="asr", percent=40, eta_at=eta, stage_seconds={"probe": 0.12})
    assert renewed.eta_at == pytest.approx(eta, abs=0.1) and renewed.stage_seconds == {"probe": 0.12}
    assert make_store().get(job.id).eta_at == pytest.approx(eta, abs=0.1)  # as another process reads it
    assert store.renew(job.id, "w", 30).eta_at == pytest.approx(eta, abs=0.1)  # the lease alone keeps it
    assert store.renew(job.id, "w", 30, eta_at=None).eta_at is None  # no longer meaningful: cleared
    store.renew(job.id, "w", 30, eta_at=eta, stage_seconds={"probe": 0.12, "asr": 9.5})
    done = store.complete(job.id, "w")
    # Finished: no ETA; the timings stay, for later jobs' estimates.
    assert done.eta_at is None and done.stage_seconds == {"probe": 0.12, "asr": 9.5}
    rerun = store.reset_for_rerun(job.id)
    assert store.claim(rerun.id, "w2", 30).stage_seconds == {}  # a new attempt times itself anew

    # A record written before these fields (SQLite: NULL columns; DynamoDB: no such attributes) still loads.
    old, _ = store.create(new_job("old"))
    if isinstance(store, SQLiteJobStore):
        store._execute("UPDATE jobs SET eta_at = NULL, stage_seconds = NULL WHERE id = ?", [old.id])
    else:
        store._client.update_item(TableName=store.table_name, Key={"id": {"S": old.id}},
                                  UpdateExpression="REMOVE eta_at, stage_seconds")
        assert "stage_seconds" not in store._client.get_item(TableName=store.table_name,
                                                             Key={"id": {"S": old.id}})["Item"]
    loaded = store.get(old.id)
    assert loaded.eta_at is None and loaded.stage_seconds == {}
    assert old.id in {j.id for j in store.list()}

