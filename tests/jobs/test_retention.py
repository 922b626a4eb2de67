"""The retention sweeper and the recording rules (lifestream.retention, lifestream.workers.recordings).

Each test runs on the embedded backends (a local folder, SQLite jobs, the
local index) and on the cloud's (S3 and DynamoDB on moto's server, Pinecone's
double), with the sample recording and its real minutes and search records.
After a sweep the tests walk what each backend holds, underneath the adapters
(the folder, the bucket, the SQLite files, the DynamoDB table, the double's
namespaces), so "nothing remains" is read from the stores themselves.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from lifestream.bot.slack.blocks import minutes_blocks
from lifestream.bot.teams.cards import minutes_card
from lifestream.cli import main
from lifestream.installations import server_defaults
from lifestream.meetings import delete, load
from lifestream.models import Meeting
from lifestream.origin import ApiOrigin
from lifestream.retention import LEFTOVER_GRACE_S, Sweeper, sweep
from lifestream.retention_rules import DAY, RetentionRules
from lifestream.search import CLI_CONVERSATION, CLI_WORKSPACE, Indexer, local_index_path
from lifestream.search.embeddings import get_embedder
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import api_upload_prefix, upload_key
from lifestream.workers.execute import execute_job
from lifestream.workers.hooks import JobEvents
from lifestream.workers.jobstore import Job, JobState, job_id_for
from lifestream.workers.jobstore.sqlite import SQLiteJobStore
from lifestream.workers.recordings import recording_gone, retention_note, rules_of
from lifestream.workers.submit import JobStateError, rerun_job, retry_job
from tests.doubles.pinecone import API_KEY, PineconeDouble
from tests.support.servers import aws_env, make_bucket, moto_url, unique  # noqa: F401  (fixtures)
from tests.support.web_server import start_server, stop_server

WEEK_AND_MONTH = RetentionRules(recording_days=7, meeting_days=30)


# --------------------------------------------------------------------------- the rules
def test_rules_in_days_counted_from_sharing():
    shared = 1_000_000.0
    assert WEEK_AND_MONTH.recording_until(shared) == shared + 7 * DAY
    assert WEEK_AND_MONTH.meeting_until(shared) == shared + 30 * DAY
    # A meeting takes its recording with it: the recording is never kept longer than its meeting.
    assert RetentionRules(recording_days=90, meeting_days=30).recording_until(shared) == shared + 30 * DAY
    assert RetentionRules(meeting_days=30).recording_until(shared) == shared + 30 * DAY
    assert RetentionRules().recording_until(shared) is None and RetentionRules().meeting_until(shared) is None
    assert WEEK_AND_MONTH.describe() == "recordings are kept 7 days; meetings are kept 30 days"
    assert RetentionRules(keep_recordings=False).describe() == (
        "recordings are deleted once their minutes are made; meetings are kept until someone deletes them"
    )


def test_settings_give_every_workspace_its_default_rules(monkeypatch):
    monkeypatch.setenv("LIFESTREAM_RECORDING_RETENTION_DAYS", "7")
    monkeypatch.setenv("LIFESTREAM_RETENTION_DAYS", "365")  # whole meetings
    monkeypatch.setenv("LIFESTREAM_KEEP_RECORDINGS", "false")
    assert rules_of(server_defaults(Settings())) == RetentionRules(7, 365, keep_recordings=False)
    monkeypatch.setenv("LIFESTREAM_RECORDING_RETENTION_DAYS", "0")
    assert main(["sweep", "--dry-run"]) == 2  # "LIFESTREAM_RECORDING_RETENTION_DAYS: Input should be greater..."


# --------------------------------------------------------------------------- an installation, both kinds
@dataclass
class Installation:
    kind: str
    services: Services
    sample: Path
    meeting: Meeting
    result_dir: Path
    embedder: object
    pinecone: PineconeDouble | None = None
    moto: str | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def share(
        self,
        name: str,
        *,
        workspace: str = "W1",
        days_ago: float = 0.0,
        state: JobState = JobState.COMPLETED,
        storage_key: str | None = None,
        api: bool = False,
    ) -> Job:
        """A recording shared ``days_ago``, as a job in ``state``: the stored sample, and, once completed, the
        sample's real results published under the job and its real search records in the index."""
        store, storage = self.services.store, self.services.storage
        job_id = job_id_for(f"test:{name}")
        key = storage_key or (api_upload_prefix(job_id) + "sample.wav" if api else upload_key(job_id * 4, "sample.wav"))
        job, _ = store.create(
            Job(
                id=job_id,
                storage_key=key,
                idempotency_key=f"test:{name}",
                source_name="sample.wav",
                origin=ApiOrigin(workspace=workspace, conversation="api"),
                created_at=time.time() - days_ago * DAY,
            )
        )
        with self.sample.open("rb") as fh:
            storage.put(key, fh)
        if state is JobState.QUEUED:
            return job
        job = store.claim(job.id, "test-worker", 600)
        if state is JobState.COMPLETED:
            self.publish(job)
            job = store.complete(job.id, "test-worker")
        elif state is JobState.FAILED:
            job = store.fail(job.id, "test-worker", "the LLM endpoint timed out", retryable=True)
        return job

    def publish(self, job: Job, *, workspace: str | None = None, conversation: str = "api") -> None:
        """What a worker publishes for a processed recording: its result folder and its search records."""
        meeting = self.meeting.model_copy(update={"meeting_id": job.id})
        folder = self.settings.data_dir / "staging" / job.id
        shutil.copytree(self.result_dir, folder)
        (folder / "meeting.json").write_text(meeting.model_dump_json(indent=2))
        self.services.storage.put_dir(folder, job.result_prefix)
        shutil.rmtree(folder, ignore_errors=True)
        ws = workspace or (job.origin.workspace if job.origin else CLI_WORKSPACE)
        Indexer(self.services.index, workspace=ws, conversation=conversation, embedder=self.embedder).index_meeting(
            meeting
        )

    # --- what the stores hold, read underneath the adapters

    def stored_keys(self) -> list[str]:
        if self.kind == "local":
            root = self.settings.data_dir
            return sorted(
                p.relative_to(root).as_posix()
                for sub in ("uploads", "results", "tmp")
                for p in (root / sub).rglob("*")
                if p.is_file()
            )
        s3 = boto3.client("s3", endpoint_url=self.moto, region_name="us-east-1")
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=self.settings.s3_bucket).get("Contents", []))

    def index_rows(self) -> list[str]:
        """Meeting ids of every search record, and for the local index its keyword and speaker tables too."""
        if self.kind == "local":
            with sqlite3.connect(_index_file(self.settings)) as db:
                ids = [r[0] for r in db.execute("SELECT meeting_id FROM records")]
                ids += ["fts"] * db.execute("SELECT count(*) FROM records_fts").fetchone()[0]
                ids += ["speaker"] * db.execute("SELECT count(*) FROM record_speakers").fetchone()[0]
            return ids
        assert self.pinecone is not None
        return [r["metadata"]["meeting_id"] for ns in self.pinecone.namespaces.values() for r in ns.values()]

    def job_rows(self) -> list[str]:
        if self.kind == "local":
            with sqlite3.connect(self.settings.data_dir / "jobs.sqlite3") as db:
                return [r[0] for r in db.execute("SELECT id FROM jobs")]
        dynamodb = boto3.client("dynamodb", endpoint_url=self.moto, region_name="us-east-1")
        return [i["id"]["S"] for i in dynamodb.scan(TableName=self.settings.jobs_table, ConsistentRead=True)["Items"]]

    def on_disk(self, needles: list[str]) -> list[str]:
        """The local database files (and their write-ahead logs) whose raw bytes still hold any of ``needles``:
        a deleted row can linger in freed pages or in the log long after no query finds it."""
        if self.kind != "local":
            return []
        files = [p for p in self.settings.data_dir.iterdir() if p.is_file() and ".sqlite3" in p.name]
        assert {p.name for p in files} >= {"jobs.sqlite3", "search.sqlite3"}, files
        return [f"{p.name}: {n}" for p in files for n in needles if n.encode() in p.read_bytes()]

    def traces(self, meeting_id: str) -> list[str]:
        """Everything anywhere that belongs to one meeting."""
        return (
            [k for k in self.stored_keys() if meeting_id in k]
            + [m for m in self.index_rows() if m == meeting_id]
            + [j for j in self.job_rows() if j == meeting_id]
        )


def _index_file(settings: Settings) -> Path:
    return local_index_path(settings)


@pytest.fixture(scope="module")
def pinecone():
    double = PineconeDouble(dimension=384).start()
    yield double
    double.stop()


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


@pytest.fixture(params=["local", "cloud"])
def installation(request, tmp_path, sample_wav, processed_sample, embedder):
    meeting, result_dir = processed_sample
    data = tmp_path / "data"
    if request.param == "local":
        settings, extra = Settings(data_dir=data), {}
    else:
        moto, double = request.getfixturevalue("moto_url"), request.getfixturevalue("pinecone")
        double.namespaces.clear()
        bucket = unique("retention")
        make_bucket(moto, bucket)
        settings = Settings(
            data_dir=data,
            s3_bucket=bucket,
            s3_endpoint_url=moto,
            jobs_table=unique("jobs"),
            dynamodb_endpoint_url=moto,
            index_backend="pinecone",
            pinecone_api_key=API_KEY,
            pinecone_host=double.host,
        )
        extra = {"pinecone": double, "moto": moto}
    services = Services(settings)
    yield Installation(request.param, services, sample_wav, meeting, result_dir, embedder, **extra)
    services.close()


def fixed(rules: RetentionRules):
    return lambda workspace: rules


# --------------------------------------------------------------------------- the sweep
def test_recordings_then_meetings_go_on_time_and_then_nothing_remains(installation):
    inst, services = installation, installation.services
    fresh = inst.share("fresh", days_ago=1)
    week_old = inst.share("ten-days", days_ago=10)
    expired = inst.share("forty-days", days_ago=40)
    failed = inst.share("failed", days_ago=10, state=JobState.FAILED)
    assert all(inst.traces(j.id) for j in (fresh, week_old, expired, failed))
    assert {m for m in inst.index_rows() if len(m) == 16} == {fresh.id, week_old.id, expired.id}

    report = sweep(services, rules_for=fixed(WEEK_AND_MONTH))

    assert report.meetings == [expired.id] and sorted(report.recordings) == sorted([week_old.id, failed.id])
    assert report.errors == [] and report.leftovers == []
    assert inst.traces(expired.id) == []  # storage, index and job store: nothing of it anywhere
    # Not even in the database files' bytes (its records and job record carry its id).
    assert inst.on_disk([expired.id]) == []
    assert inst.kind != "local" or inst.on_disk([week_old.id])  # (the check does find what is still kept)
    # Ten days old: the recording went, the minutes stay, searchable, and the job says when it went.
    kept = services.store.get(week_old.id)
    assert services.storage.stat(week_old.storage_key) is None
    assert abs(kept.recording_deleted_at - time.time()) < 60
    assert load(services.storage, kept.result_prefix).minutes is not None
    assert week_old.id in inst.index_rows()
    with pytest.raises(
        JobStateError,
        match=r"The recording of sample\.wav was deleted on \d{4}-\d\d-\d\d under "
        r"this workspace's retention rules, so it cannot be processed again",
    ):
        rerun_job(week_old.id, services=services)
    with pytest.raises(JobStateError, match="cannot be processed again"):
        retry_job(failed.id, services=services)
    assert services.store.get(week_old.id).state is JobState.COMPLETED  # the refused re-run changed nothing
    note = retention_note(kept, WEEK_AND_MONTH)
    assert note is not None and note.startswith("The recording was deleted on ") and "cannot be re-run" in note
    # Fresh: all of it kept.
    assert (
        services.storage.stat(fresh.storage_key) is not None
        and services.store.get(fresh.id).recording_deleted_at is None
    )
    assert sweep(services, rules_for=fixed(WEEK_AND_MONTH)).deleted == 0  # a second pass finds nothing more due

    # Two months on, everything is past its meeting period: the stores are empty.
    later = sweep(services, rules_for=fixed(WEEK_AND_MONTH), now=time.time() + 60 * DAY)
    assert sorted(later.meetings) == sorted([fresh.id, week_old.id, failed.id]) and later.errors == []
    assert inst.stored_keys() == [] and inst.index_rows() == [] and inst.job_rows() == []
    said = max((s.text for s in inst.meeting.transcript.segments), key=len).strip()  # the longest thing said
    assert inst.on_disk([said, fresh.id, week_old.id, failed.id]) == []


def test_running_and_queued_jobs_are_left_for_a_later_pass(installation):
    inst, services = installation, installation.services
    running = inst.share("running", days_ago=40, state=JobState.PROCESSING)
    queued = inst.share("queued", days_ago=40, state=JobState.QUEUED)
    assert sweep(services, rules_for=fixed(WEEK_AND_MONTH)).deleted == 0
    assert services.storage.stat(running.storage_key) is not None and services.storage.stat(queued.storage_key)
    inst.publish(running)
    services.store.complete(running.id, "test-worker")
    assert sweep(services, rules_for=fixed(WEEK_AND_MONTH)).meetings == [running.id]
    assert inst.traces(running.id) == [] and inst.traces(queued.id)


def test_each_workspace_its_rules_and_a_shared_recording_goes_with_its_last_keeper(installation):
    inst, services = installation, installation.services
    shared_key = upload_key("ab" * 32, "sample.wav")
    brief = inst.share("brief", workspace="W1", days_ago=3, storage_key=shared_key)
    keeper = inst.share("keeper", workspace="W2", days_ago=3, storage_key=shared_key)
    rules = {"W1": RetentionRules(recording_days=1), "W2": RetentionRules(recording_days=30)}

    report = sweep(services, rules_for=lambda ws: rules.get(ws, RetentionRules()))

    assert report.recordings == [brief.id]
    assert services.store.get(brief.id).recording_deleted_at is not None  # W1 no longer has it...
    assert services.storage.stat(shared_key) is not None  # ...but W2's meeting of the same file still keeps it
    assert services.store.get(keeper.id).recording_deleted_at is None
    delete(services, services.store.get(keeper.id))  # W2 deletes its meeting: the last keeper of the recording
    assert services.storage.stat(shared_key) is None
    assert inst.traces(keeper.id) == [] and inst.traces(brief.id)  # W1's minutes are still there


def test_a_dry_run_says_what_would_go_and_deletes_nothing(installation):
    inst, services = installation, installation.services
    expired = inst.share("old", days_ago=40)
    recording = inst.share("week", days_ago=10, api=True)
    before = (inst.stored_keys(), sorted(inst.index_rows()), sorted(inst.job_rows()))
    report = sweep(services, rules_for=fixed(WEEK_AND_MONTH), dry_run=True)
    assert (report.meetings, report.recordings, report.leftovers) == ([expired.id], [recording.id], [])
    assert (inst.stored_keys(), sorted(inst.index_rows()), sorted(inst.job_rows())) == before


def test_leftovers_no_job_accounts_for(installation):
    inst, services = installation, installation.services
    storage = services.storage
    # An API upload never confirmed, and a recording whose job is gone (a deletion storage gave up on).
    unconfirmed = api_upload_prefix(job_id_for("test:never-confirmed")) + "talk.wav"
    stray = upload_key("cd" * 32, "stray.wav")
    for key in (unconfirmed, stray):
        with inst.sample.open("rb") as fh:
            storage.put(key, fh)
    # A meeting processed from the command line: results and search records, no job.
    cli = Job(id=job_id_for("test:cli"), storage_key="-", idempotency_key="-", source_name="sample.wav")
    inst.publish(cli, workspace=CLI_WORKSPACE, conversation=CLI_CONVERSATION)
    kept = inst.share("kept", days_ago=0)

    assert sweep(services, rules_for=fixed(WEEK_AND_MONTH)).deleted == 0  # all of them too new to judge
    report = sweep(services, rules_for=fixed(WEEK_AND_MONTH), now=time.time() + LEFTOVER_GRACE_S + 60)
    assert sorted(report.leftovers) == sorted([unconfirmed, stray]) and report.meetings == []
    assert storage.stat(unconfirmed) is None and storage.stat(stray) is None
    assert storage.stat(kept.storage_key) is not None  # a job keeps it
    # Past the meeting period the command line's meeting goes too, search records and all.
    report = sweep(services, rules_for=fixed(RetentionRules(meeting_days=30)), now=time.time() + 31 * DAY)
    assert set(report.meetings) == {cli.id, kept.id}
    assert inst.stored_keys() == [] and inst.index_rows() == [] and inst.job_rows() == []


def test_a_dead_workers_scratch_folder_is_removed(settings):
    services = Services(settings)
    scratch = settings.data_dir / "tmp"
    dead = scratch / f"job-{job_id_for('test:dead')}-x1y2"
    (dead / "input").mkdir(parents=True)
    (dead / "input" / "sample.wav").write_bytes(b"RIFF....")
    running_job, _ = services.store.create(
        Job(id=job_id_for("test:live"), storage_key="uploads/x.wav", idempotency_key="test:live", source_name="x.wav")
    )
    services.store.claim(running_job.id, "worker", 600)
    live = scratch / f"job-{running_job.id}-a1b2"
    live.mkdir(parents=True)
    old = time.time() - 2 * LEFTOVER_GRACE_S
    for folder in (dead, live):
        os.utime(folder, (old, old))
    report = sweep(services, rules_for=fixed(RetentionRules()))
    assert report.leftovers == [f"tmp/{dead.name}"]
    assert not dead.exists() and live.exists()


def test_no_recordings_kept_the_recording_goes_as_the_minutes_are_made(installation):
    inst = installation
    services = Services(
        inst.settings.model_copy(update={"keep_recordings": False}),
        storage=inst.services.storage,
        store=inst.services.store,
        index=inst.services.index,
        events=JobEvents(),
    )
    announced: list[Job] = []
    services.events.subscribe(lambda event: announced.append(event.job) if event.kind == "completed" else None)
    queued = inst.share("no-keeping", state=JobState.QUEUED)
    failed = inst.share("failing", days_ago=1, state=JobState.FAILED)

    def publish(job: Job, ctx) -> None:  # the pipeline's output, without running it again
        inst.publish(job)

    done = execute_job(queued.id, services=services, work=publish)

    assert done.state is JobState.COMPLETED and done.recording_deleted_at is not None
    assert services.storage.stat(queued.storage_key) is None
    assert load(services.storage, done.result_prefix).minutes is not None
    # The announcement (the minutes posted in chat) already knows the recording is gone.
    assert [j.id for j in announced] == [done.id] and recording_gone(announced[0]) is not None
    # What Slack and Teams post: the minutes, why the recording is gone, and no Re-run button.
    meeting, gone = load(services.storage, done.result_prefix), recording_gone(announced[0])
    messages = minutes_blocks(meeting, job_id=done.id, recording_gone=gone)
    blocks = [b for message in messages for b in message]
    assert any(gone in e.get("text", "") for b in blocks if b["type"] == "context" for e in b["elements"])
    assert not [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "rerun_job"]
    card = json.dumps(minutes_card(meeting, job_id=done.id, recording_gone=gone), ensure_ascii=False)
    assert "cannot be processed again" in card
    # A failed recording is kept, so Retry still works, until its recording period; the sweeper agrees.
    assert services.storage.stat(failed.storage_key) is not None
    rules = rules_of(services.workspace_settings(None))
    assert sweep(services, rules_for=fixed(rules)).deleted == 0
    assert sweep(
        services, rules_for=fixed(RetentionRules(recording_days=7, keep_recordings=False)), now=time.time() + 8 * DAY
    ).recordings == [failed.id]


def test_the_sweeper_of_lifestream_serve_runs_until_stopped(settings):
    services = Services(settings.model_copy(update={"recording_retention_days": 1}))
    job, _ = services.store.create(
        Job(
            id=job_id_for("test:sweeper"),
            storage_key="uploads/old.wav",
            idempotency_key="test:sweeper",
            source_name="old.wav",
            created_at=time.time() - 2 * DAY,
        )
    )
    services.storage.put(job.storage_key, open(__file__, "rb"))
    services.store.claim(job.id, "w", 60)
    services.store.fail(job.id, "w", "broken", retryable=False)
    sweeper = Sweeper(services, interval=0.2).start()
    try:
        deadline = time.monotonic() + 30
        while services.store.get(job.id).recording_deleted_at is None:
            assert time.monotonic() < deadline, "the sweeper never deleted the expired recording"
            time.sleep(0.1)
    finally:
        sweeper.stop()
    assert services.storage.stat(job.storage_key) is None and sweeper.passes >= 1


def test_lifestream_sweep_on_the_command_line(settings, sample_wav, capsys, monkeypatch):
    monkeypatch.setenv("LIFESTREAM_RECORDING_RETENTION_DAYS", "7")
    services = Services(settings)
    job, _ = services.store.create(
        Job(
            id=job_id_for("test:cli-sweep"),
            storage_key="uploads/old.wav",
            idempotency_key="test:cli-sweep",
            source_name="old.wav",
            created_at=time.time() - 8 * DAY,
        )
    )
    with sample_wav.open("rb") as fh:
        services.storage.put(job.storage_key, fh)
    services.store.claim(job.id, "w", 60)
    services.store.complete(job.id, "w")
    services.close()

    assert main(["sweep", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert out.out == f"would delete the recording of meeting {job.id}\n"
    assert (
        "recordings are kept 7 days; meetings are kept until someone deletes them; would delete 0 meeting(s), "
        "1 recording(s)" in out.err
    )
    assert main(["sweep"]) == 0
    assert capsys.readouterr().out == f"deleted the recording of meeting {job.id}\n"
    assert Services(settings).storage.stat(job.storage_key) is None


def test_a_job_store_from_before_retention_opens_and_records_deletions(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    # A store from before retention has none of the columns added since (deletion, progress estimates).
    columns = [c for c in Job.model_fields if c not in ("id", "recording_deleted_at", "eta_at", "stage_seconds")]
    old = Job(
        id="0123456789abcdef",
        storage_key="uploads/a.wav",
        idempotency_key="k",
        source_name="a.wav",
        state=JobState.COMPLETED,
    )
    row = old.model_dump(mode="json")
    row["origin"], row["completion_announced"] = "{}", 0
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE jobs (id TEXT PRIMARY KEY, {', '.join(columns)})")
        db.execute(
            f"INSERT INTO jobs (id, {', '.join(columns)}) VALUES ({', '.join('?' * (len(columns) + 1))})",
            [row["id"], *(row[c] for c in columns)],
        )
    store = SQLiteJobStore(path)
    assert store.get(old.id).recording_deleted_at is None
    assert store.mark_recording_deleted(old.id, 1234.5).recording_deleted_at == 1234.5
    store.close()
    assert SQLiteJobStore(path).get(old.id).recording_deleted_at == 1234.5  # and a second open adds nothing


# --------------------------------------------------------------------------- each workspace's choice, end to end
def _serve_env(settings: Settings) -> dict[str, str]:
    """`lifestream serve` on the installation's own backends, sweeping every half second, meetings kept 30 days."""
    env = {"LIFESTREAM_RETENTION_SWEEP_SECONDS": "0.5", "LIFESTREAM_RETENTION_DAYS": "30"}
    if settings.s3_bucket:
        env |= {
            "LIFESTREAM_S3_BUCKET": settings.s3_bucket,
            "LIFESTREAM_S3_ENDPOINT_URL": str(settings.s3_endpoint_url),
            "LIFESTREAM_JOBS_TABLE": str(settings.jobs_table),
            "LIFESTREAM_DYNAMODB_ENDPOINT_URL": str(settings.dynamodb_endpoint_url),
            "LIFESTREAM_INDEX_BACKEND": "pinecone",
            "LIFESTREAM_PINECONE_API_KEY": API_KEY,
            "LIFESTREAM_PINECONE_HOST": str(settings.pinecone_host),
        }
    return env


def test_each_workspace_chooses_its_retention_in_its_settings_and_the_servers_sweeper_applies_it(installation):
    inst, services = installation, installation.services
    short = inst.share("w1-short", workspace="W1", days_ago=3)
    other = inst.share("w2-kept", workspace="W2", days_ago=3)
    later = inst.share("w2-later", workspace="W2", days_ago=1)
    server = start_server(inst.settings.data_dir, ["W1", "W2"], **_serve_env(inst.settings))

    def choose(token: str, body: dict) -> dict:
        changed = server.request("PATCH", "/api/v1/settings", token=token, json_body=body)
        assert changed.status == 200, changed.text
        return changed.json()

    try:
        w1, w2 = server.tokens["W1"], server.tokens["W2"]
        # The server's defaults to begin with: nothing of these three-day-old meetings is due.
        mine = server.request("GET", "/api/v1/settings", token=w1).json()
        assert mine["workspace"] == "W1" and mine["chosen"] == []
        assert mine["settings"]["retention_days"] == 30 and mine["settings"]["recording_retention_days"] is None
        assert server.request("GET", "/api/v1/meetings", token=w1).json()["retention"] == {
            "recording_days": None,
            "meeting_days": 30,
            "keep_recordings": True,
            "description": "recordings are kept with their meeting; meetings are kept 30 days",
        }
        for bad in ({"recording_retention_days": 0}, {"recording_retention_days": "7"}, {"keep_recordings": "no"}):
            refused = server.request("PATCH", "/api/v1/settings", token=w1, json_body={"set": bad})
            assert refused.status == 400, (bad, refused.text)

        # W1 keeps recordings two days, and meetings 90 (longer than the server's default: its choice).
        chose = choose(w1, {"set": {"recording_retention_days": 2, "retention_days": 90}})
        assert chose["chosen"] == ["recording_retention_days", "retention_days"]
        assert chose["settings"]["recording_retention_days"] == 2 and chose["settings"]["retention_days"] == 90
        assert server.request("GET", "/api/v1/settings", token=w2).json()["chosen"] == []  # W2's untouched

        # The server's own sweeper deletes W1's recording; W2's meeting of the same age keeps everything.
        def gone(job: Job) -> bool:  # the job is marked first, then the object goes
            return services.store.get(job.id).recording_deleted_at is not None and not services.storage.stat(
                job.storage_key
            )

        server.wait_for(lambda: gone(short), 60, "W1's recording to go")
        assert services.storage.stat(short.storage_key) is None
        assert services.storage.stat(other.storage_key) is not None
        assert services.store.get(other.id).recording_deleted_at is None
        status = server.request("GET", f"/api/v1/status/{short.id}", token=w1).json()
        assert status["recording_deleted_at"] and not status["retryable"]
        assert status["meeting_deleted_on"] and "The recording was deleted on" in status["retention_note"]
        page = server.request("GET", status["page_url"])  # the meeting page, from its signed link
        assert page.status == 200 and 'id="retention"' in page.text and "cannot be re-run" in page.text
        listed = server.request("GET", "/api/v1/meetings", token=w1).json()
        assert listed["retention"]["recording_days"] == 2 and listed["retention"]["meeting_days"] == 90
        assert [m["recording_deleted_at"] is not None for m in listed["meetings"]] == [True]
        assert load(services.storage, short.result_prefix).minutes is not None  # the minutes stay

        # W2 keeps no recordings: its completed meetings lose theirs at the next pass, the minutes stay.
        assert choose(w2, {"set": {"keep_recordings": False}})["settings"]["keep_recordings"] is False
        server.wait_for(
            lambda: gone(other) and gone(later),
            60,
            "W2's recordings to go",
        )
        assert services.storage.stat(other.storage_key) is None and services.storage.stat(later.storage_key) is None

        # W1 keeps meetings two days: its meeting goes whole, and nothing of it remains anywhere.
        choose(w1, {"set": {"retention_days": 2}})
        server.wait_for(lambda: services.store.get(short.id) is None, 60, "W1's meeting to go")
        assert inst.traces(short.id) == []
        assert inst.traces(other.id) and inst.traces(later.id)  # W2's minutes, transcripts and search records
        assert server.request("GET", f"/api/v1/status/{short.id}", token=w1).status == 404

        # Back to the server's defaults.
        back = choose(w1, {"reset": ["retention_days", "recording_retention_days"]})
        assert back["chosen"] == [] and back["settings"] == back["server_defaults"]
    finally:
        stop_server(server)
    log = server.log.read_text()
    # Every deletion is on the record, with the rules that made it.
    assert f"retention: deleted the recording of meeting {short.id} (sample.wav, workspace W1" in log
    assert "recordings are kept 2 days; meetings are kept 90 days" in log
    assert f"retention: deleted meeting {short.id} (sample.wav, workspace W1" in log
    assert f"retention: deleted the recording of meeting {other.id} (sample.wav, workspace W2" in log


# --------------------------------------------------------------------------- storage that refuses to delete
@pytest.mark.parametrize("installation", ["cloud"], indirect=True)
def test_a_meeting_the_bucket_refuses_to_delete_is_reported_everywhere_and_goes_once_allowed(installation, capsys,
                                                                                            monkeypatch):
    inst, services = installation, installation.services
    expired, fresh = inst.share("refused", days_ago=40), inst.share("fresh", days_ago=1)
    bucket = inst.settings.s3_bucket
    s3 = boto3.client("s3", endpoint_url=inst.moto, region_name="us-east-1")
    # A role or policy that may not delete results (moto applies the Deny to each key of a DeleteObjects, as S3).
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{bucket}/{expired.result_prefix}*"}]}))
    stored = len([k for k in inst.stored_keys() if k.startswith(expired.result_prefix)])
    refused = (f"delete of {expired.result_prefix}: S3 refused to delete {stored} of {stored} object(s) "
               f"(AccessDenied x{stored}; first {expired.result_prefix}")

    # The sweeper: an error in its report and its log; the meeting, its records and its job all stay.
    report = sweep(services, rules_for=fixed(WEEK_AND_MONTH))
    assert report.meetings == [] and len(report.errors) == 1
    assert report.errors[0].startswith(f"meeting {expired.id}: {refused}") and "bucket policy" in report.errors[0]
    assert services.store.get(expired.id) is not None and expired.id in inst.index_rows()
    assert services.storage.stat(expired.storage_key) is not None  # nothing after the refusal was deleted

    # The API: the person is told it was not deleted (the details are the operator's, in the log under a ref).
    server = start_server(inst.settings.data_dir, ["W1"], **_serve_env(inst.settings))
    try:
        server.wait_for(lambda: f"could not delete meeting {expired.id}" in server.log.read_text(), 60,
                        "the server's sweeper to report the refusal")
        answer = server.request("DELETE", f"/api/v1/meetings/{expired.id}", token=server.tokens["W1"])
        assert answer.status == 500
        said = answer.json()["error"]
        assert said.startswith(f"meeting {expired.id} was not deleted: LifeStream is not set up correctly on the "
                               "server; an administrator needs to look at its logs (ref ")
        assert said.endswith("it is still listed and can be deleted again once that is fixed")
        ref = said.split("(ref ")[1].split(")")[0]
        listed = server.request("GET", "/api/v1/meetings", token=server.tokens["W1"]).json()["meetings"]
        assert expired.id in [m["job_id"] for m in listed]
    finally:
        stop_server(server)
    log = server.log.read_text()
    assert f"ref {ref}: deleting meeting {expired.id}: {refused}" in log and "Traceback" not in log

    # The command line: the operator gets S3's reason and what to do.
    for name, value in _serve_env(inst.settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIFESTREAM_DATA_DIR", str(inst.settings.data_dir))
    capsys.readouterr()
    assert main(["jobs", "delete", expired.id]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lifestream: error: meeting {expired.id} was not deleted: {refused}")
    assert err.rstrip().endswith(f"run `lifestream jobs delete {expired.id}` again to finish.")

    # Once the policy allows it, the next pass deletes all of it.
    s3.delete_bucket_policy(Bucket=bucket)
    again = sweep(services, rules_for=fixed(WEEK_AND_MONTH))
    assert again.meetings == [expired.id] and again.errors == []
    assert inst.traces(expired.id) == [] and inst.traces(fresh.id)
