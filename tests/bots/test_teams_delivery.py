"""No minutes are lost and none are posted twice in Teams either (issue 14.8): the real notifier against the
connector double answering 500s and dropping connections, with the real job store's announcements."""

from __future__ import annotations

import io
import itertools
import json

import pytest

from lifestream.bot.teams.notify import SEND_ATTEMPTS, TeamsNotifier
from lifestream.models import Transcript
from lifestream.origin import TeamsOrigin
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import fanout_prefix
from lifestream.workers.fanout import PREVIEW_FILE
from lifestream.workers.hooks import JobEvents
from lifestream.workers.jobstore import Job, job_id_for
from tests.bots.test_slack_blocks import big_meeting
from tests.doubles.teams import ConnectorDouble

CONVERSATION = "19:delivery@thread.tacv2"


@pytest.fixture
def connector():
    with ConnectorDouble() as double:
        yield double


@pytest.fixture
def services(tmp_path):
    services = Services(Settings(data_dir=tmp_path / "data", teams_allow_unauthenticated=True, teams_app_id=None,
                                 teams_app_password=None, teams_tenant_id=None))
    yield services
    services.close()


def failing(times: int):
    """The first ``times`` sends fail, 500s and dropped connections in turn."""
    count = itertools.count(1)

    def fault() -> str | None:
        n = next(count)
        return None if n > times else ("500" if n % 2 else "drop")

    return fault


def finished_job(services: Services, connector: ConnectorDouble, content: str, *, failed: bool = False) -> Job:
    reference = {"activityId": f"user-{content}", "user": {"id": "29:alice"}, "bot": {"id": "28:bot"},
                 "channelId": "msteams", "conversation": {"id": CONVERSATION, "conversationType": "channel"},
                 "serviceUrl": connector.service_url}
    key = f"sha256:{content}"
    job, _ = services.store.create(Job(id=job_id_for(key), storage_key=f"uploads/{content}.mp4",
                                       idempotency_key=key, source_name="allhands.mp4",
                                       origin=TeamsOrigin(workspace="tenant-1", conversation=CONVERSATION,
                                                          reference=reference)))
    services.store.claim(job.id, "w", 30)
    if failed:
        return services.store.fail(job.id, "w", "no speech was found", retryable=False)
    services.storage.put(job.result_prefix + "meeting.json", io.BytesIO(big_meeting().model_dump_json().encode()))
    return services.store.complete(job.id, "w")


def cards(connector: ConnectorDouble, job: Job) -> list[dict]:
    return [a for a in connector.in_conversation(CONVERSATION) if a.get("replyToId") == job.origin.reference["activityId"]]


def test_a_card_is_posted_once_through_500s_dropped_connections_and_a_failed_announcement(services, connector):
    events = JobEvents([TeamsNotifier(services)])
    job = finished_job(services, connector, "bumpy")
    connector.fault = failing(SEND_ATTEMPTS - 2)  # fewer than the retries
    assert events.announce(services.store, job.id) is True
    assert len(cards(connector, job)) == 1 and set(connector.faults) == {"500", "drop"}

    job = finished_job(services, connector, "down")
    connector.fault = failing(SEND_ATTEMPTS)  # more than the retries: the announcement fails, nothing posted
    assert events.announce(services.store, job.id) is False
    assert cards(connector, job) == [] and not services.store.get(job.id).completion_announced
    connector.fault = None
    assert events.announce_pending(services.store) == 1
    assert len(cards(connector, job)) == 1 and services.store.get(job.id).completion_announced
    # An announcer that posted the card and then died: whoever takes over does not post it again.
    assert events.emit("completed", services.store.get(job.id)) is True
    assert len(cards(connector, job)) == 1


def test_a_failure_notice_is_posted_once(services, connector):
    events = JobEvents([TeamsNotifier(services)])
    job = finished_job(services, connector, "quiet", failed=True)
    connector.fault = failing(SEND_ATTEMPTS)
    assert events.announce(services.store, job.id) is False
    connector.fault = None
    assert events.announce_pending(services.store) == 1
    assert events.emit("failed", services.store.get(job.id)) is True  # again, as a takeover would
    notices = cards(connector, job)
    assert len(notices) == 1 and "no speech was found" in str(notices[0])


def _job_with_early_minutes(services: Services, connector: ConnectorDouble, events: JobEvents, content: str) -> Job:
    """A long recording's job, still running, whose early minutes (ten minutes of 3 speakers) were just posted."""
    reference = {"activityId": f"user-{content}", "user": {"id": "29:alice"}, "bot": {"id": "28:bot"},
                 "channelId": "msteams", "conversation": {"id": CONVERSATION, "conversationType": "channel"},
                 "serviceUrl": connector.service_url}
    job, _ = services.store.create(Job(id=job_id_for(f"sha256:{content}"), storage_key=f"uploads/{content}.mp4",
                                       idempotency_key=f"sha256:{content}", source_name="allhands.mp4",
                                       origin=TeamsOrigin(workspace="tenant-1", conversation=CONVERSATION,
                                                          reference=reference)))
    services.store.claim(job.id, "w", 30)
    early = big_meeting(speakers=3, items=4)
    early.transcript = Transcript(language="en", duration=600.0)
    services.storage.put(fanout_prefix(job.id) + PREVIEW_FILE, io.BytesIO(early.model_dump_json().encode()))
    assert events.emit("preview", services.store.get(job.id)) is True
    return job


def test_early_minutes_are_a_card_that_the_whole_minutes_take_the_place_of(services, connector):
    """A long recording's early minutes (issue 16.4) in Teams: one card while the rest is worked on, which the
    minutes card then replaces in place (one card in the reply chain, not two)."""
    events = JobEvents([TeamsNotifier(services)])
    job = _job_with_early_minutes(services, connector, events, "early")
    (card,) = cards(connector, job)
    assert "Early minutes of the first 10:00" in json.dumps(card)
    assert "actions" not in card["attachments"][0]["content"]  # nothing to ask or rename yet

    services.storage.put(job.result_prefix + "meeting.json", io.BytesIO(big_meeting().model_dump_json().encode()))
    done = services.store.complete(job.id, "w")
    assert done is not None and events.announce(services.store, job.id) is True
    (whole,) = cards(connector, job)
    assert whole["id"] == card["id"] and connector.updates(card["id"])
    assert "Early minutes" not in json.dumps(whole) and "A very long all-hands" in json.dumps(whole)


def test_early_minutes_say_so_when_the_rest_of_the_recording_fails(services, connector):
    """A job that fails after its early minutes: their card stops promising the whole minutes and says it is all
    there is; the failure card under it says why."""
    events = JobEvents([TeamsNotifier(services)])
    job = _job_with_early_minutes(services, connector, events, "cut-short")
    (card,) = cards(connector, job)

    assert services.store.fail(job.id, "w", "the recording's audio ends early", retryable=False) is not None
    assert events.announce(services.store, job.id) is True
    updated, failure = cards(connector, job)
    assert updated["id"] == card["id"] and connector.updates(card["id"])
    shown = json.dumps(updated)
    assert "Early minutes of the first 10:00" in shown and "only: the rest of the recording could not be" in shown
    assert "the recording's audio ends early" in json.dumps(failure)
