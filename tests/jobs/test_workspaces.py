"""Workspaces on the embedded backends: their own settings, one job per recording each, and deleting one.

Real storage (a folder), job store (SQLite) and search index (SQLite, real embeddings); the pipeline runs
for real where a job's settings are checked.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import time

import pytest

from lifestream.errors import LifeStreamError
from lifestream.installations import Overrides, SettingsError, server_defaults
from lifestream.origin import ApiOrigin, SlackOrigin, TeamsOrigin
from lifestream.retention import sweep
from lifestream.search import Indexer, Scope, ask
from lifestream.services import Services
from lifestream.storage import api_upload_prefix, upload_key
from lifestream.workers.execute import execute_job
from lifestream.workers.jobstore import Job, JobState, job_id_for
from lifestream.workers.submit import JobStateError, rerun_job, submit_file
from lifestream.workspaces import (
    DAY,
    change_settings,
    delete_workspace,
    finish_deletions,
    start_deletion,
)
from tests.jobs.test_meetings import _job, _meeting
from tests.support.loopback import start_serve, stop_serve, wait_for
from tests.support.media import LAUNCH_MEETING, speak
from tests.support.servers import aws_env, make_bucket, moto_url, unique  # noqa: F401  (fixtures)

# --- settings


def test_a_workspace_follows_the_server_until_it_chooses(settings):
    services = Services(settings.model_copy(update={"retention_days": 90, "llm_base_url": "http://127.0.0.1:9/v1"}))
    assert services.workspace_settings("T1") == server_defaults(services.settings)
    assert services.workspace_settings("T1").retention_days == 90
    chosen = change_settings(services, "T1", {"retention_days": None, "llm": False}, by="test")
    assert chosen.retention_days is None and chosen.llm is False  # "keep forever" chosen, not "unset"
    assert services.workspace_settings("T2").retention_days == 90  # another workspace: still the server's
    # what a job of T1 runs with: its choices in the process settings, no LLM endpoint at all
    job_settings = services.settings_for("T1")
    assert job_settings.llm_base_url is None and job_settings.retention_days is None
    assert services.settings_for("T2").llm_base_url == "http://127.0.0.1:9/v1"
    # back to the server's default for one, the other kept; a later server change reaches it
    change_settings(services, "T1", {}, reset=["retention_days"], by="test")
    assert services.workspaces.overrides("T1").chosen() == {"llm": False}
    later = Services(settings.model_copy(update={"retention_days": 30}))
    assert later.workspace_settings("T1").retention_days == 30 and later.workspace_settings("T1").llm is False


def test_settings_refused_with_reasons(settings):
    services = Services(settings)
    for values, reason in (
        ({"retention_days": 0}, "retention_days"),
        ({"minutes_language": "klingon!"}, "minutes"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
        ({"llm": "maybe"}, "llm"),
    ):
        with pytest.raises(SettingsError, match=reason):
            change_settings(services, "T1", values, by="test")
    with pytest.raises(LifeStreamError, match="invalid workspace"):
        services.workspace_settings("../T1")
    assert services.workspaces.overrides("T1") == Overrides()


def test_a_job_runs_with_its_workspaces_settings(settings, tmp_path):
    """The same recording in two workspaces: two jobs; the one whose workspace turned the LLM off never calls it."""
    from tests.doubles.llm import LlmDouble

    recording = speak(LAUNCH_MEETING[:3], tmp_path / "launch.wav")
    with LlmDouble() as llm:
        services = Services(settings.model_copy(update={"llm_base_url": llm.base_url, "llm_max_retries": 0}))
        change_settings(services, "T2", {"llm": False}, by="test")
        change_settings(services, "T1", {"minutes_language": "de"}, by="test")
        with_llm = submit_file(recording, services=services, origin=SlackOrigin(workspace="T1", conversation="C1")).job
        offline = submit_file(recording, services=services, origin=SlackOrigin(workspace="T2", conversation="C2")).job
        assert with_llm.id != offline.id and with_llm.storage_key == offline.storage_key  # stored once
        assert execute_job(offline.id, services=services).state is JobState.COMPLETED
        assert llm.requests == []
        assert execute_job(with_llm.id, services=services).state is JobState.COMPLETED
        assert llm.requests
        # asked for minutes in the workspace's language, whatever was spoken
        systems = [m["content"] for r in llm.requests for m in r["messages"] if m["role"] == "system"]
        minutes_prompts = [t for t in systems if t.startswith("You write meeting minutes")]
        assert minutes_prompts and all("minutes in German" in t for t in minutes_prompts), minutes_prompts
    titles = {
        job.id: (settings.results_dir / job.id / "minutes.md").read_text().splitlines()[0]
        for job in (with_llm, offline)
    }
    assert titles[with_llm.id].startswith("# Double minutes") and not titles[offline.id].startswith("# Double")


# --- one job per recording per workspace


def test_the_same_recording_makes_one_job_per_workspace(settings, tmp_path):
    services = Services(settings)
    recording = tmp_path / "standup.wav"
    recording.write_bytes(b"RIFF" + bytes(4000))  # not media: submitting does not read it
    alpha = SlackOrigin(workspace="T1", conversation="C1")
    first = submit_file(recording, services=services, origin=alpha)
    again = submit_file(recording, services=services, origin=alpha.model_copy(update={"conversation": "C9"}))
    other = submit_file(
        recording, services=services, origin=TeamsOrigin(workspace="tenant-1", conversation="19:x", reference={})
    )
    api = submit_file(recording, services=services, origin=ApiOrigin(workspace="T1", conversation="api"))
    assert again.job.id == first.job.id and not again.created  # the same workspace: one job
    assert len({first.job.id, other.job.id}) == 2 and other.created
    assert api.job.id == first.job.id  # an API client of that workspace sees the same meeting
    assert len(services.storage.list("uploads/")) == 1  # the bytes stored once


# --- deleting a workspace


def _indexed(services: Services, job, workspace: str, conversation: str) -> None:
    Indexer(services.index, workspace=workspace, conversation=conversation, settings=services.settings).index_meeting(
        _meeting(job.id)
    )


def _index_workspaces(settings) -> dict[str, int]:
    with sqlite3.connect(settings.data_dir / "search.sqlite3") as db:
        return dict(db.execute("SELECT workspace, count(*) FROM records GROUP BY workspace").fetchall())


def test_deleting_a_workspace_deletes_its_meetings_settings_and_search_records_and_nothing_else(settings):
    services = Services(settings)
    shared = upload_key("cd" * 32, "standup.wav")  # the same recording shared in both workspaces
    keep = _job(services, "alpha", storage_key=shared, origin=SlackOrigin(workspace="T1", conversation="C1"))
    gone = _job(services, "beta", storage_key=shared, origin=SlackOrigin(workspace="T2", conversation="C2"))
    gone_too = _job(services, "beta-only", origin=ApiOrigin(workspace="T2", conversation="api"))
    local = _job(services, "cli")  # no workspace: never part of one
    _indexed(services, keep, "T1", "C1")
    _indexed(services, gone, "T2", "C2")
    change_settings(services, "T1", {"retention_days": 7}, by="test")
    change_settings(services, "T2", {"retention_days": 30}, by="test")
    assert set(_index_workspaces(settings)) == {"T1", "T2"}

    start_deletion(services, "T2")
    (done,) = finish_deletions(services)
    assert done.done and sorted(done.deleted) == sorted([gone.id, gone_too.id])
    assert services.store.get(gone.id) is None and services.store.get(gone_too.id) is None
    assert services.storage.list(gone.result_prefix) == [] and services.storage.stat(gone_too.storage_key) is None
    assert "T2" not in _index_workspaces(settings)
    assert services.workspaces.overrides("T2") == Overrides() and services.workspaces.deletions() == {}
    # the other workspace, and the command line's meeting: untouched; the shared recording kept for T1
    assert services.store.get(keep.id) is not None and services.store.get(local.id) is not None
    assert services.storage.list(keep.result_prefix) and services.storage.stat(shared) is not None
    assert _index_workspaces(settings)["T1"] > 0
    assert services.workspaces.overrides("T1").chosen() == {"retention_days": 7}
    found = ask("when do we ship?", Scope("T1", ["C1"]), settings=settings, index=services.index)
    assert found.found

    delete_workspace(services, "T1")
    assert services.storage.stat(shared) is None  # now nobody else uses it


def test_a_running_job_is_stopped_and_the_deletion_finishes_once_it_has(settings):
    services = Services(settings.model_copy(update={"job_lease_seconds": 0.0}))  # "stopped" 5 s after the cancel
    running = _job(
        services, "beta-running", origin=SlackOrigin(workspace="T2", conversation="C2"), state=JobState.PROCESSING
    )
    queued = _job(services, "beta-queued", origin=SlackOrigin(workspace="T2", conversation="C2"), state=JobState.QUEUED)
    start_deletion(services, "T2")
    (first,) = finish_deletions(services, attempts=1)  # e.g. the server stopped meanwhile
    assert first.busy == [running.id] and first.retry_after == 5 and first.deleted == [queued.id]
    assert services.store.get(running.id).state is JobState.CANCELLED  # its worker stops at its next renewal
    assert set(services.workspaces.deletions()) == {"T2"}  # recorded: the next start carries it on
    waits: list[float] = []
    (second,) = finish_deletions(services, wait=lambda seconds: waits.append(seconds) or time.sleep(seconds))
    assert second.done and second.deleted == [running.id] and waits == [5]
    assert services.store.list() == [] and services.workspaces.deletions() == {}


def test_a_reinstalled_workspace_keeps_what_it_shared_after_the_uninstall(settings):
    services = Services(settings)
    old = _job(services, "before", origin=SlackOrigin(workspace="T2", conversation="C2"))
    start_deletion(services, "T2")
    time.sleep(0.01)
    new = _job(services, "after", origin=SlackOrigin(workspace="T2", conversation="C2"))  # installed again
    finish_deletions(services)
    assert services.store.get(old.id) is None and services.store.get(new.id) is not None


def test_stopping_leaves_the_rest_of_a_deletion_for_the_next_start(settings):
    services = Services(settings.model_copy(update={"job_lease_seconds": 0.0}))
    running = _job(
        services, "stopping", origin=SlackOrigin(workspace="T3", conversation="C3"), state=JobState.PROCESSING
    )
    start_deletion(services, "T3")
    (left,) = finish_deletions(services, wait=lambda seconds: True)  # the process is stopping: do not wait
    assert left.busy == [running.id] and set(services.workspaces.deletions()) == {"T3"}


def test_the_command_line_shows_changes_and_deletes_a_workspace(settings, capsys):
    from lifestream.cli import main

    services = Services(settings)
    job = _job(services, "cli-ws", origin=SlackOrigin(workspace="T5", conversation="C5"))
    assert main(["workspaces", "settings", "T5", "retention_days=30", "llm=off", "redact=default"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^retention_days\s+30 days\s+\(chosen\)$", out, re.M) and re.search(r"^redact\s+off\s", out, re.M)
    assert re.search(r"^recording_retention_days\s+with the meeting\s+\(server default\)$", out, re.M)
    assert main(["workspaces", "settings", "T5", "colour=blue"]) == 2
    assert "unknown setting 'colour'" in capsys.readouterr().err
    assert main(["workspaces", "delete", "T5"]) == 2  # not without --yes
    assert Services(settings).store.get(job.id) is not None
    assert main(["workspaces", "delete", "T5", "--yes"]) == 0
    assert "1 meetings deleted; deleted" in capsys.readouterr().err
    assert Services(settings).store.get(job.id) is None
    assert Services(settings).workspaces.overrides("T5") == Overrides()


def test_each_workspace_store_keeps_its_record_apart(settings):
    services = Services(settings)
    services.workspaces.save("T1", Overrides(redact=True), by="test")
    with sqlite3.connect(settings.data_dir / "installations.sqlite3") as db:
        (record,) = db.execute("SELECT record FROM workspace_settings WHERE workspace = 'T1'").fetchone()
    assert '"updated_by": "test"' in record and '"redact": true' in record


# --- retention


def _index_meetings(settings) -> set[str]:
    with sqlite3.connect(settings.data_dir / "search.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT DISTINCT meeting_id FROM records")}


def test_meetings_older_than_their_workspace_keeps_them_are_deleted_and_nothing_else(settings):
    services = Services(settings)  # the server keeps meetings until deleted
    shared = upload_key("ef" * 32, "weekly.wav")  # one recording, shared in both workspaces
    old = _job(services, "t1-old", storage_key=shared, origin=SlackOrigin(workspace="T1", conversation="C1"))
    running = _job(
        services, "t1-running", origin=SlackOrigin(workspace="T1", conversation="C1"), state=JobState.PROCESSING
    )
    forever = _job(services, "t2-forever", storage_key=shared, origin=SlackOrigin(workspace="T2", conversation="C2"))
    local = _job(services, "cli-job")  # no workspace: the server's rule
    _indexed(services, old, "T1", "C1")
    _indexed(services, forever, "T2", "C2")
    change_settings(services, "T1", {"retention_days": 30}, by="test")
    now = time.time()

    assert sweep(services, now=now + 29 * DAY).deleted == 0  # not yet
    swept = sweep(services, now=now + 31 * DAY)
    assert swept.meetings == [old.id] and swept.recordings == [] and swept.errors == []
    assert services.store.get(old.id) is None and services.storage.list(old.result_prefix) == []
    assert old.id not in _index_meetings(settings)
    # still running: it finishes first (and goes at a later sweep); the other workspace's and the CLI's stay
    assert services.store.get(running.id).state is JobState.PROCESSING
    assert services.store.get(forever.id) is not None and forever.id in _index_meetings(settings)
    assert services.storage.stat(shared) is not None and services.store.get(local.id) is not None

    # The server's rule reaches every meeting whose workspace chose none, and the command line's
    stricter = Services(settings.model_copy(update={"retention_days": 10}))
    later = sweep(stricter, now=now + 11 * DAY)
    assert sorted(later.meetings) == sorted([forever.id, local.id])
    assert services.storage.stat(shared) is None  # nobody uses it any more
    assert services.store.get(running.id) is not None  # T1 keeps 30 days, whatever the server says


def test_a_workspace_that_keeps_no_recordings_loses_them_once_the_minutes_are_made(settings):
    services = Services(settings)
    change_settings(services, "T1", {"keep_recordings": False}, by="test")
    done = _job(services, "nokeep-done", origin=SlackOrigin(workspace="T1", conversation="C1"))
    uploaded = _job(
        services,
        "nokeep-api",
        storage_key=api_upload_prefix(job_id_for("test:nokeep-api")) + "call.wav",
        origin=ApiOrigin(workspace="T1", conversation="api"),
    )
    waiting = _job(
        services, "nokeep-queued", origin=SlackOrigin(workspace="T1", conversation="C1"), state=JobState.QUEUED
    )
    shared = upload_key("12" * 32, "allhands.wav")
    mine = _job(services, "nokeep-shared", storage_key=shared, origin=SlackOrigin(workspace="T1", conversation="C1"))
    theirs = _job(services, "keep-shared", storage_key=shared, origin=SlackOrigin(workspace="T2", conversation="C2"))

    swept = sweep(services)
    # T1's shared recording is let go too, but its stored copy stays while T2 keeps it
    assert sorted(swept.recordings) == sorted([done.id, uploaded.id, mine.id]) and swept.meetings == []
    assert (
        services.storage.stat(done.storage_key) is None and services.storage.list(api_upload_prefix(uploaded.id)) == []
    )
    # the minutes stay; only the recording went, so the meeting cannot be processed again
    assert services.storage.list(done.result_prefix) and services.store.get(done.id).state is JobState.COMPLETED
    with pytest.raises(JobStateError, match="was deleted on .* so it cannot be processed again"):
        rerun_job(done.id, services=services)
    # a recording a queued job still needs, or another workspace keeps, stays
    assert services.storage.stat(waiting.storage_key) is not None and services.storage.stat(shared) is not None
    assert sweep(services).deleted == 0  # nothing more to do
    assert services.store.get(mine.id) and services.store.get(theirs.id)

    change_settings(services, "T2", {"keep_recordings": False}, by="test")  # now nobody keeps the shared one
    assert sweep(services).recordings == [theirs.id] and services.storage.stat(shared) is None


def test_the_server_applies_retention_when_it_starts(settings):
    services = Services(settings.model_copy(update={"retention_days": 30}))
    fresh = _job(services, "fresh", origin=SlackOrigin(workspace="T9", conversation="C9"))
    stale = Job(
        id=job_id_for("test:stale"),
        storage_key=upload_key("34" * 32, "old.wav"),
        idempotency_key="test:stale",
        source_name="old.wav",
        origin=SlackOrigin(workspace="T9", conversation="C9"),
        created_at=time.time() - 40 * DAY,
    )
    services.store.create(stale)
    services.storage.put(stale.storage_key, io.BytesIO(b"RIFF"))
    services.store.claim(stale.id, "owner", 60)
    services.store.complete(stale.id, "owner")
    services.close()

    proc, _ = start_serve(settings.data_dir, {"LIFESTREAM_RETENTION_DAYS": "30"})
    try:
        wait_for(lambda: Services(settings).store.get(stale.id) is None, 60, "the stale meeting to be deleted")
    finally:
        stop_serve(proc)
    assert Services(settings).store.get(fresh.id) is not None
    assert Services(settings).storage.stat(stale.storage_key) is None


def test_retention_on_the_cloud_backends(settings, moto_url):  # noqa: F811
    """S3 storage, DynamoDB jobs and the installations bucket (workspace settings), on moto's server."""
    data, installations = unique("lifestream"), unique("installations")
    make_bucket(moto_url, data)
    make_bucket(moto_url, installations)
    services = Services(
        settings.model_copy(
            update={
                "s3_bucket": data,
                "s3_endpoint_url": moto_url,
                "jobs_table": unique("jobs"),
                "dynamodb_endpoint_url": moto_url,
                "installations_bucket": installations,
            }
        )
    )
    change_settings(services, "T1", {"retention_days": 7, "keep_recordings": False}, by="test")
    shared = upload_key("56" * 32, "review.wav")
    expiring = _job(services, "cloud-t1", storage_key=shared, origin=SlackOrigin(workspace="T1", conversation="C1"))
    kept = _job(services, "cloud-t2", storage_key=shared, origin=SlackOrigin(workspace="T2", conversation="C2"))
    first = sweep(services)  # T1 lets the recording go; T2 keeps the copy they share
    assert first.recordings == [expiring.id] and first.meetings == [] and first.errors == []
    assert services.storage.stat(shared) is not None
    swept = sweep(services, now=time.time() + 8 * DAY)
    assert swept.meetings == [expiring.id] and swept.recordings == []
    assert services.store.get(expiring.id) is None and services.storage.list(expiring.result_prefix) == []
    assert services.store.get(kept.id) is not None and services.storage.stat(shared) is not None
    change_settings(services, "T2", {"keep_recordings": False}, by="test")
    assert sweep(services).recordings == [kept.id] and services.storage.stat(shared) is None
    assert services.storage.list(kept.result_prefix)  # its minutes stay


def test_a_meeting_the_bucket_refuses_to_delete_leaves_the_workspace_deletion_recorded_until_it_goes(
        settings, moto_url, monkeypatch, capsys):  # noqa: F811
    from lifestream.cli import main

    data, jobs = unique("lifestream"), unique("jobs")
    make_bucket(moto_url, data)
    env = {"LIFESTREAM_S3_BUCKET": data, "LIFESTREAM_S3_ENDPOINT_URL": moto_url, "LIFESTREAM_JOBS_TABLE": jobs,
           "LIFESTREAM_DYNAMODB_ENDPOINT_URL": moto_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    services = Services(settings.model_copy(update={"s3_bucket": data, "s3_endpoint_url": moto_url,
                                                    "jobs_table": jobs, "dynamodb_endpoint_url": moto_url}))
    locked = _job(services, "locked", origin=SlackOrigin(workspace="T7", conversation="C7"))
    free = _job(services, "free", origin=SlackOrigin(workspace="T7", conversation="C7"))
    client = services.storage.client  # type: ignore[attr-defined]
    client.put_bucket_policy(Bucket=data, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{data}/{locked.result_prefix}*"}]}))

    assert main(["workspaces", "delete", "T7", "--yes"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"T7: 1 meetings deleted; not finished: 1 could not be deleted (meeting {locked.id}: delete "
                          f"of {locked.result_prefix}: S3 refused to delete 1 of 1 object(s) (AccessDenied; ")
    assert err.rstrip().endswith("run this again once that is fixed")
    assert services.store.get(free.id) is None and services.store.get(locked.id) is not None
    assert set(services.workspaces.deletions()) == {"T7"}  # recorded: the next start (or this, again) carries it on

    client.delete_bucket_policy(Bucket=data)
    (done,) = finish_deletions(services)  # what the server runs when it starts
    assert done.done and done.deleted == [locked.id] and done.failed == []
    assert services.store.get(locked.id) is None and services.storage.list("results/") == []
    assert services.workspaces.deletions() == {}
