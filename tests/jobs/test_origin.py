"""Job origins are typed records, stored as JSON, and read back from what older versions stored."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from lifestream.origin import ApiOrigin, SlackOrigin, TeamsOrigin
from lifestream.workers.jobstore import Job


def _job(origin) -> Job:
    return Job(id="0123456789abcdef", storage_key="uploads/x.wav", idempotency_key="k", source_name="x.wav",
               origin=origin)


def test_each_surface_reads_back_as_its_own_kind():
    slack = {"platform": "slack", "workspace": "T1", "conversation": "C1", "channel": "C1", "thread_ts": "1.2",
             "status_ts": "1.3", "user": "U1"}  # as the Slack bot stored it before origins were typed
    teams = {"platform": "teams", "workspace": "tenant", "conversation": "19:c", "reference": {"a": [1]},
             "status_id": "ack", "user": None, "team": "19:t"}
    api = {"platform": "api", "workspace": "W", "conversation": "api"}
    assert _job(slack).origin == SlackOrigin(workspace="T1", conversation="C1", thread_ts="1.2", status_ts="1.3",
                                             user="U1")
    assert isinstance(_job(teams).origin, TeamsOrigin) and _job(teams).origin.reference == {"a": [1]}
    assert _job(api).origin == ApiOrigin(workspace="W", conversation="api")
    assert _job({}).origin is None and _job(None).origin is None  # the command line's jobs


def test_the_stored_form_keeps_the_keys_older_versions_read():
    stored = json.loads(_job(SlackOrigin(workspace="T1", conversation="C1")).model_dump_json())["origin"]
    assert stored["channel"] == "C1" and stored["platform"] == "slack"  # a rolling deploy's older worker reads it
    assert _job(stored).origin.channel == "C1"


def test_an_origin_without_its_address_is_refused():
    with pytest.raises(ValidationError):
        _job({"platform": "teams", "workspace": "t", "conversation": "c"})  # no ConversationReference
    with pytest.raises(ValidationError):
        _job({"platform": "fax", "workspace": "t", "conversation": "c"})


def test_api_conversations_cannot_be_a_chats_conversation():
    # An API caller may call its conversation anything, a Slack channel's id included: it is stored and
    # indexed as api:<name>, so it never lands in that channel's search scope.
    upload = ApiOrigin(workspace="T1", conversation="C100")
    assert upload.conversation == "api:C100" and upload.name == "C100"
    assert upload.conversation != SlackOrigin(workspace="T1", conversation="C100").conversation
    stored = _job(upload).model_dump(mode="json")["origin"]
    assert Job.model_validate({**_job(upload).model_dump(), "origin": stored}).origin == upload  # not api:api:C100
