"""Chat events handled once across bot tasks (issue 14.9): the seen store on SQLite and on DynamoDB (moto's
server), two processes racing over one table, expiry, and a retried Slack event delivered to two app instances."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import time

import aiohttp
import boto3
import pytest
from aiohttp.test_utils import TestServer

from lifestream.seen import get_seen_store
from lifestream.seen.dynamodb import DynamoSeenStore
from lifestream.seen.sqlite import SQLiteSeenStore
from lifestream.server import build_app
from lifestream.services import Services
from lifestream.settings import Settings
from tests.doubles.slack import BOT_TOKEN, TEAM, SlackDouble
from tests.support.loopback import ROOT, wait_for
from tests.support.servers import aws_env, moto_url, unique  # noqa: F401  (fixtures)

SECRET = "test-signing-secret"
CHANNEL = "C100"


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_store(request, tmp_path):
    """A factory of store instances over one shared place (a file, a table), as separate processes have."""
    stores = []
    if request.param == "sqlite":
        def make(keep_seconds: float = 3600):
            return SQLiteSeenStore(tmp_path / "seen.sqlite3", keep_seconds=keep_seconds)
    else:
        url, table = request.getfixturevalue("moto_url"), unique("idempotency")

        def make(keep_seconds: float = 3600):
            return DynamoSeenStore(table, endpoint_url=url, keep_seconds=keep_seconds)

    def tracked(keep_seconds: float = 3600):
        stores.append(make(keep_seconds))
        return stores[-1]

    yield tracked
    for store in stores:
        store.close()


def test_a_key_is_new_once_per_store_shared_by_instances(make_store):
    a, b = make_store(), make_store()
    assert a.first_time("event:Ev1") is True
    assert a.first_time("event:Ev1") is False
    assert b.first_time("event:Ev1") is False  # another instance (another task) sees it too
    assert b.first_time("event:Ev2") is True


def test_a_forgotten_key_is_new_again(make_store):
    a, b = make_store(), make_store()
    assert a.first_time("file:T1:F1")
    a.forget("file:T1:F1")  # refused for now (no download slot): the next share must be handled
    assert b.first_time("file:T1:F1")
    assert not a.first_time("file:T1:F1")


def test_an_expired_key_counts_as_new(make_store):
    store = make_store(keep_seconds=1)
    assert store.first_time("file:T1:F1")
    assert not store.first_time("file:T1:F1")
    time.sleep(2.1)
    assert store.first_time("file:T1:F1")  # past its expiry: a new delivery
    assert not store.first_time("file:T1:F1")


def test_an_expired_item_dynamodb_has_not_deleted_yet_counts_as_new(moto_url):  # noqa: F811
    """DynamoDB's TTL deletion is lazy (up to days): the conditional put itself must treat the item as gone."""
    table = unique("idempotency")
    store = DynamoSeenStore(table, endpoint_url=moto_url, ttl_attribute="gone_at")
    client = boto3.client("dynamodb", endpoint_url=moto_url, region_name="us-east-1")
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "gone_at"}
    past, future = int(time.time()) - 60, int(time.time()) + 3600
    client.put_item(TableName=table, Item={"id": {"S": "event:old"}, "gone_at": {"N": str(past)}})
    client.put_item(TableName=table, Item={"id": {"S": "event:live"}, "gone_at": {"N": str(future)}})
    assert store.first_time("event:old") is True
    assert store.first_time("event:live") is False
    item = client.get_item(TableName=table, Key={"id": {"S": "event:old"}})["Item"]
    assert int(item["gone_at"]["N"]) > time.time() + 23 * 3600  # renewed for a day, in the TTL attribute


def test_the_tables_own_hash_key_is_used(moto_url):  # noqa: F811
    """Terraform's ``idempotency_hash_key`` may name another attribute: the store reads it from the table."""
    table = unique("idempotency")
    client = boto3.client("dynamodb", endpoint_url=moto_url, region_name="us-east-1")
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}])
    store = DynamoSeenStore(table, endpoint_url=moto_url)
    assert store.first_time("event:E") and not store.first_time("event:E")
    assert client.get_item(TableName=table, Key={"key": {"S": "event:E"}}).get("Item")


RACER = """
import json, sys
from lifestream.seen.dynamodb import DynamoSeenStore
url, table, n, backwards = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
store = DynamoSeenStore(table, endpoint_url=url)
print("ready", flush=True)
sys.stdin.readline()  # the go: both racers are imported and connected
# The racers walk the keys from opposite ends: in the same order, whichever started a moment
# sooner would be first to every key, and the other would win none however much they overlapped.
keys = range(n - 1, -1, -1) if backwards else range(n)
print(json.dumps(sorted(k for k in keys if store.first_time(f"event:Ev{k}"))))
"""


def _race(url: str, n: int) -> list[list[int]]:
    table = unique("idempotency")
    DynamoSeenStore(table, endpoint_url=url)  # made once, as Terraform does
    racers = [subprocess.Popen([sys.executable, "-c", RACER, url, table, str(n), str(backwards)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for backwards in range(2)]
    for r in racers:
        assert r.stdout is not None and r.stdout.readline().strip() == "ready"
    for r in racers:  # both go at once (as near as two writes get)
        assert r.stdin is not None
        r.stdin.write("go\n")
        r.stdin.flush()
    won = [json.loads(r.communicate(timeout=120)[0]) for r in racers]
    assert all(r.returncode == 0 for r in racers)
    return won


def test_two_processes_sharing_the_table_see_each_key_first_exactly_once(moto_url):  # noqa: F811
    n = 150
    for _ in range(3):  # on a busy machine one racer may finish before the other starts: race again
        won = _race(moto_url, n)
        assert sorted(won[0] + won[1]) == list(range(n))  # every key first exactly once, none twice
        if won[0] and won[1]:
            break
    assert won[0] and won[1], "the processes never overlapped; the race was not tested"


def test_services_build_the_shared_store_when_the_table_is_set(tmp_path, moto_url):  # noqa: F811
    local = Services(Settings(data_dir=tmp_path / "a"))
    assert isinstance(local.seen, SQLiteSeenStore) and (tmp_path / "a" / "seen.sqlite3").exists()
    table = unique("idempotency")
    shared = Services(Settings(data_dir=tmp_path / "b", idempotency_table=table, dynamodb_endpoint_url=moto_url))
    assert isinstance(shared.seen, DynamoSeenStore) and shared.seen is shared.seen
    assert isinstance(get_seen_store(shared.settings), DynamoSeenStore)
    local.close()
    shared.close()


# --- the Slack bot: a retried event reaches another bot task


def _signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": "application/json"}


async def _deliver_to_two_tasks(services: list[Services], body: str) -> list[int]:
    """The first delivery to one app instance, Slack's retry to the other (as a load balancer may send it)."""
    servers = [TestServer(build_app(s), host="127.0.0.1") for s in services]
    for server in servers:
        await server.start_server()
    statuses = []
    try:
        async with aiohttp.ClientSession() as http:
            for n, server in enumerate(servers):
                retry = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"} if n else {}
                async with http.post(server.make_url("/slack/events"), data=body,
                                     headers={**_signed(body), **retry}) as response:
                    statuses.append(response.status)
            await asyncio.sleep(3)  # what the handlers started after ack: the replies
    finally:
        for server in servers:
            await server.close()
    return statuses


@pytest.mark.parametrize("shared", [True, False], ids=["idempotency-table", "each-task-its-own-disk"])
def test_a_retried_slack_event_reaching_two_bot_tasks_is_answered_once(tmp_path, moto_url, shared):  # noqa: F811
    table = unique("idempotency")
    with SlackDouble() as slack:
        avi = tmp_path / "call.avi"  # a format the bot answers at once, without making a job
        avi.write_bytes(b"RIFF0000AVI ")
        file = slack.add_file("F4", avi, "video/x-msvideo")
        ts = slack.next_ts()
        slack.messages[CHANNEL].append({"ts": ts, "user": "U1", "text": "", "files": [file]})
        body = json.dumps({"type": "event_callback", "team_id": TEAM, "api_app_id": "A1", "event_id": "EvTwice",
                           "event_time": int(time.time()),
                           "event": {"type": "message", "subtype": "file_share", "channel": CHANNEL, "user": "U1",
                                     "ts": ts, "text": "", "files": [file], "channel_type": "channel"}})
        tasks = [Services(Settings(data_dir=tmp_path / f"task{n}", slack_bot_token=BOT_TOKEN,
                                   slack_signing_secret=SECRET, slack_api_url=slack.base_url,
                                   public_url="http://127.0.0.1:1", dynamodb_endpoint_url=moto_url,
                                   idempotency_table=table if shared else None)) for n in range(2)]
        try:
            assert asyncio.run(_deliver_to_two_tasks(tasks, body)) == [200, 200]
            replies = wait_for(lambda: [m for m in slack.thread(CHANNEL, ts) if m["user"] == "UBOT"], 30, "a reply")
            time.sleep(1)
            replies = [m for m in slack.thread(CHANNEL, ts) if m["user"] == "UBOT"]
        finally:
            for services in tasks:
                services.close()
    assert all("format I don't take" in m["text"] for m in replies)
    # With the shared table the retry finds the event handled; without it (the control) each task answers.
    assert len(replies) == (1 if shared else 2), replies
