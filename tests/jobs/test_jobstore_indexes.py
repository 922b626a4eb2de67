"""DynamoDB job listings Query indexes, never Scan, and finished records expire (issue 14.10), on moto's server.

The same operations on the SQLite store give the reference answers; botocore's event hooks record which
DynamoDB operations ran and how many items each read.
"""

from __future__ import annotations

import math
import time

import boto3

from lifestream.origin import ApiOrigin, SlackOrigin
from lifestream.retention import sweep
from lifestream.retention_rules import DAY, RECORD_GRACE_S
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.workers.jobstore import Job, JobState, job_id_for
from lifestream.workers.jobstore.dynamodb import DynamoJobStore
from lifestream.workers.jobstore.dynamodb_schema import INDEXES
from lifestream.workers.jobstore.sqlite import SQLiteJobStore
from lifestream.workspaces import change_settings
from tests.support.servers import aws_env, moto_url, unique  # noqa: F401  (fixtures)


class Recorder:
    """A DynamoDB client whose calls are counted: (operation, index) and the items each read."""

    def __init__(self, url: str) -> None:
        self.client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")
        self.calls: list[tuple[str, str | None]] = []
        self.scanned = 0
        self.client.meta.events.register("provide-client-params.dynamodb.*", self._before)
        self.client.meta.events.register("after-call.dynamodb.*", self._after)

    def _before(self, params, model, **_):
        self.calls.append((model.name, params.get("IndexName")))

    def _after(self, http_response, parsed, model, **_):
        self.scanned += int(parsed.get("ScannedCount", 0))

    def reset(self) -> None:
        self.calls.clear()
        self.scanned = 0

    def operations(self) -> set[str]:
        return {name for name, _ in self.calls}


def job(content: str, *, workspace: str | None, created_at: float, storage_key: str | None = None) -> Job:
    key = f"sha256:{content}"
    origin = SlackOrigin(workspace=workspace, conversation="C1") if workspace else None
    return Job(id=job_id_for(key), storage_key=storage_key or f"uploads/{content}.mp4", idempotency_key=key,
               source_name=f"{content}.mp4", origin=origin, created_at=created_at)


def populate(store) -> dict[str, str]:
    """Jobs in three workspaces (and the command line's), in every state, two sharing a recording."""
    ids = {}
    for n in range(24):
        workspace = ("T1", "T2", "T3", None)[n % 4]
        shared = "uploads/shared.mp4" if n in (5, 6) else None
        made, _ = store.create(job(f"j{n}", workspace=workspace, created_at=1000.0 + n, storage_key=shared))
        ids[f"j{n}"] = made.id
        kind = n % 6
        if kind == 0:
            continue  # queued
        store.claim(made.id, "w", 0.01 if kind == 1 else 300)  # kind 1: its worker's lease runs out
        if kind == 2:
            store.complete(made.id, "w")  # completed, not announced
        elif kind == 3:
            store.complete(made.id, "w")
            store.claim_announcement(made.id, "a", 30)
            store.finish_announcement(made.id, "a")
        elif kind == 4:
            store.fail(made.id, "w", "no speech", retryable=False)  # failed just now, not announced
        elif kind == 5:
            store.cancel(made.id)
    time.sleep(0.05)
    return ids


def listings(store) -> dict[str, list[str]]:
    """Every listing the app makes, as job ids."""
    def ids(jobs):
        return [j.id for j in jobs]

    return {
        "all": ids(store.list(None, 1000)),
        "newest 5": ids(store.list(None, 5)),
        "queued": ids(store.list([JobState.QUEUED])),
        "completed+failed": ids(store.list([JobState.COMPLETED, JobState.FAILED], 1000)),
        "announced": ids(store.list([JobState.COMPLETED], 1000, announced=True)),
        "workspace T1": ids(store.list(None, 1000, workspace="T1")),
        "workspace T2, newest 2": ids(store.list(None, 2, workspace="T2")),
        "workspace T3 completed": ids(store.list([JobState.COMPLETED], 1000, workspace="T3")),
        "workspace none": ids(store.list(None, 1000, workspace="nobody")),
        "expired": sorted(ids(store.expired())),
        "due": ids(store.due()),
        "unannounced": sorted(ids(store.unannounced())),
        "recording": sorted(ids(store.with_recording("uploads/shared.mp4"))),
    }


def test_listings_are_the_same_as_before_and_query_indexes(moto_url, tmp_path):  # noqa: F811
    reference = SQLiteJobStore(tmp_path / "jobs.sqlite3")
    populate(reference)
    expected = listings(reference)
    assert expected["expired"] and expected["unannounced"] and len(expected["recording"]) == 2  # all non-trivial

    recorder = Recorder(moto_url)
    store = DynamoJobStore(unique("jobs"), client=recorder.client)
    populate(store)
    recorder.reset()
    assert listings(store) == expected
    assert "Scan" not in recorder.operations(), recorder.calls
    used = {index for name, index in recorder.calls if name == "Query"}
    assert used == set(INDEXES), used  # every index, and only through Query
    assert recorder.operations() <= {"Query", "DescribeTable"}


def test_pages_follow_on_until_the_limit(moto_url):  # noqa: F811
    """More jobs than one Query page holds (the page is as big as the limit asked for): all of them, in order."""
    recorder = Recorder(moto_url)
    store = DynamoJobStore(unique("jobs"), client=recorder.client)
    made = [store.create(job(f"p{n}", workspace="T1", created_at=2000.0 + n))[0].id for n in range(25)]
    recorder.reset()
    assert [j.id for j in store._query("by-workspace", "T1", 25)] == made[::-1]
    recorder.reset()
    assert [j.id for j in store.list(None, 1000, workspace="T1")] == made[::-1]
    assert [j.id for j in store.list(None, 7, workspace="T1")] == made[::-1][:7]
    queries = [c for c in recorder.calls if c[0] == "Query"]
    assert len(queries) == 2 and "Scan" not in recorder.operations()


def test_the_announcer_reads_only_the_jobs_it_has_to_announce(moto_url):  # noqa: F811
    """Many announced completions and unrelated jobs: the poll's Query reads the one pending job, nothing else."""
    recorder = Recorder(moto_url)
    store = DynamoJobStore(unique("jobs"), client=recorder.client)
    for n in range(120):
        made, _ = store.create(job(f"old{n}", workspace="T1", created_at=3000.0 + n))
        if n % 2:
            store.claim(made.id, "w", 300)
            store.complete(made.id, "w")
            store.claim_announcement(made.id, "a", 30)
            store.finish_announcement(made.id, "a")
    pending, _ = store.create(job("pending", workspace="T2", created_at=5000.0))
    store.claim(pending.id, "w", 300)
    store.complete(pending.id, "w")
    recorder.reset()
    assert [j.id for j in store.unannounced()] == [pending.id]
    assert recorder.scanned == 1, recorder.scanned  # 121 jobs in the table, one item read
    recorder.reset()
    assert store.expired() == []
    assert len(store.due()) == 60
    assert recorder.scanned == 60  # the queued ones only: each reads its state's partition of the index


def ttl_of(url: str, table: str, job_id: str, attribute: str) -> float | None:
    item = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1").get_item(
        TableName=table, Key={"id": {"S": job_id}}, ConsistentRead=True)["Item"]
    return float(item[attribute]["N"]) if attribute in item else None


def test_finished_jobs_expire_and_queued_or_running_ones_never(moto_url):  # noqa: F811
    table = unique("jobs")
    keep = {"T1": 100.5, "T2": None}  # seconds a finished record is kept, per workspace (None: forever)
    store = DynamoJobStore(table, endpoint_url=moto_url, ttl_attribute="gone_at",
                           expiry=lambda j: None if keep[j.origin.workspace] is None
                           else j.created_at + keep[j.origin.workspace])
    ttl = boto3.client("dynamodb", endpoint_url=moto_url, region_name="us-east-1").describe_time_to_live(
        TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "gone_at"}
    made, _ = store.create(job("ttl", workspace="T1", created_at=1000.0))
    assert ttl_of(moto_url, table, made.id, "gone_at") is None  # queued
    store.claim(made.id, "w", 300)
    assert ttl_of(moto_url, table, made.id, "gone_at") is None  # running
    done = store.complete(made.id, "w")
    assert ttl_of(moto_url, table, made.id, "gone_at") == math.ceil(1100.5) == done.expires_at
    assert store.get(made.id).expires_at == 1101
    store.reset_for_rerun(made.id)
    assert ttl_of(moto_url, table, made.id, "gone_at") is None  # queued again: never expires while it runs
    store.claim(made.id, "w", 300)
    store.fail(made.id, "w", "bad", retryable=True)
    assert ttl_of(moto_url, table, made.id, "gone_at") == 1101
    store.reset_for_retry(made.id)
    assert ttl_of(moto_url, table, made.id, "gone_at") is None
    store.cancel(made.id)
    assert ttl_of(moto_url, table, made.id, "gone_at") == 1101  # cancelled is finished too
    forever, _ = store.create(job("forever", workspace="T2", created_at=1000.0))
    store.claim(forever.id, "w", 300)
    store.complete(forever.id, "w")
    assert ttl_of(moto_url, table, forever.id, "gone_at") is None  # its workspace keeps meetings


def test_services_expire_records_by_each_workspaces_retention_and_the_sweeper_follows_changes(
        tmp_path, moto_url):  # noqa: F811
    table = unique("jobs")
    services = Services(Settings(data_dir=tmp_path / "data", jobs_table=table, dynamodb_endpoint_url=moto_url,
                                 retention_days=30))
    store = services.store
    now = time.time()
    mine, _ = store.create(Job(id="a" * 16, storage_key="uploads/a", idempotency_key="k:a", source_name="a.mp4",
                               origin=ApiOrigin(workspace="W1", conversation="c"), created_at=now))
    store.claim(mine.id, "w", 300)
    store.complete(mine.id, "w")
    assert ttl_of(moto_url, table, mine.id, "expires_at") == math.ceil(now + 30 * DAY + RECORD_GRACE_S)
    # The workspace keeps its meetings longer from now on: the next sweep moves the record's expiry with it.
    change_settings(services, "W1", {"retention_days": 365}, by="test")
    report = sweep(services)
    assert report.records_settled == 1 and not report.meetings
    assert ttl_of(moto_url, table, mine.id, "expires_at") == math.ceil(now + 365 * DAY + RECORD_GRACE_S)
    assert sweep(services).records_settled == 0  # settled: nothing more to write
    services.close()


def test_a_table_from_before_the_indexes_is_listed_and_settled(moto_url):  # noqa: F811
    """An upgrade: the old table (hash key only) and items without the index keys. Listings still answer
    (a Scan until the indexes are ACTIVE); once Terraform has added them, the sweeper's pass fills the keys."""
    table = unique("jobs")
    client = boto3.client("dynamodb", endpoint_url=moto_url, region_name="us-east-1")
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    old = DynamoJobStore(table, endpoint_url=moto_url)
    made, _ = old.create(job("old", workspace="T1", created_at=1000.0))
    old.claim(made.id, "w", 300)
    old.complete(made.id, "w")
    assert [j.id for j in old.list(None, 10, workspace="T1")] == [made.id]  # by Scan, until the indexes exist
    assert [j.id for j in old.unannounced()] == [made.id]
    # What an older version wrote: no workspace, no announcement key.
    client.update_item(TableName=table, Key={"id": {"S": made.id}}, UpdateExpression="REMOVE workspace, announce_pending")
    # Terraform adds the indexes (UpdateTable); DynamoDB builds them from the items' attributes.
    client.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "created_at", "AttributeType": "N"},
                              *({"AttributeName": k, "AttributeType": "S"} for k in INDEXES.values())],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": name, "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": key, "KeyType": "HASH"},
                          {"AttributeName": "created_at", "KeyType": "RANGE"}]}} for name, key in INDEXES.items()])
    recorder = Recorder(moto_url)
    new = DynamoJobStore(table, client=recorder.client)
    assert new.list(None, 10, workspace="T1") == [] and new.unannounced() == []  # the old item has no keys yet
    assert "Scan" not in recorder.operations()
    assert new.settle_records() == 1 and new.settle_records() == 0
    assert [j.id for j in new.list(None, 10, workspace="T1")] == [made.id]
    assert [j.id for j in new.unannounced()] == [made.id]


def test_a_transition_that_does_not_say_enough_still_keeps_the_announcement_index_right(moto_url):  # noqa: F811
    """A compare-and-set whose outcome (announced or not, which state) only the written item tells."""
    store = DynamoJobStore(unique("jobs"), endpoint_url=moto_url)
    made, _ = store.create(job("vague", workspace="T1", created_at=1000.0))
    store.claim(made.id, "w", 300)
    store.complete(made.id, "w")
    store.claim_announcement(made.id, "a", 30)
    store.finish_announcement(made.id, "a")
    assert store.unannounced() == []
    assert store._cas(made.id, {"completion_announced": False}, states=[JobState.COMPLETED, JobState.FAILED])
    assert [j.id for j in store.unannounced()] == [made.id]
