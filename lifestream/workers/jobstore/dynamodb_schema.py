"""What the DynamoDB job store keeps beside a job's fields, and the indexes it queries by them.

The keys ``INDEXES`` name are declared the same way in infrastructure/modules/tables (a test checks
both); ``workspace`` and ``announce_pending`` are derived from the job (its origin; its state and
announcement flag) and written by ``lifestream.workers.jobstore.dynamodb`` in the same conditional
write as what they derive from.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from lifestream.workers.jobstore.base import _ANY, ANNOUNCED_STATES, FINAL_STATES, JobState

# Index name -> its hash key (a string attribute); every index's range key is RANGE_KEY (a number).
INDEXES = {
    "by-state": "state",
    "by-announcement": "announce_pending",
    "by-workspace": "workspace",
    "by-recording": "storage_key",
}
RANGE_KEY = "created_at"
DERIVED = ("workspace", "announce_pending")  # written beside the job's fields, never part of Job


def table_definition(table_name: str) -> dict[str, Any]:
    """``CreateTable`` arguments of a jobs table with its indexes (a local emulator's; Terraform makes the real one)."""
    return {
        "TableName": table_name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                 {"AttributeName": RANGE_KEY, "AttributeType": "N"},
                                 *({"AttributeName": key, "AttributeType": "S"} for key in INDEXES.values())],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": name, "Projection": {"ProjectionType": "ALL"},
                                    "KeySchema": [{"AttributeName": key, "KeyType": "HASH"},
                                                  {"AttributeName": RANGE_KEY, "KeyType": "RANGE"}]}
                                   for name, key in INDEXES.items()]}


def announce_pending(state: JobState, announced: bool) -> str | None:
    """The by-announcement key: a completed or failed job nobody has announced yet has one."""
    return state.value if state in ANNOUNCED_STATES and not announced else None


UNKNOWN = object()


def pending_after(changes: dict[str, Any], states: Collection[JobState], announced: bool | None) -> Any:
    """A transition's by-announcement key: its new value (None: removed), ``UNKNOWN`` when only the
    written item tells (set after the write), or ``_ANY`` when the transition leaves it as it is."""
    new_state = JobState(changes["state"]) if "state" in changes else None
    if "completion_announced" in changes:
        was_announced: bool | None = bool(changes["completion_announced"])
    elif announced is not None:
        was_announced = announced
    elif new_state is not None and not {JobState(s) for s in states} & FINAL_STATES:
        was_announced = False  # a queued or running job has never been announced (its runs reset the flag)
    else:
        was_announced = None
    if new_state is None and "completion_announced" not in changes:
        return _ANY
    if was_announced is True or (new_state is not None and new_state not in ANNOUNCED_STATES):
        return None
    if new_state is None:
        only = {JobState(s) for s in states}
        new_state = only.pop() if len(only) == 1 else None
    if new_state is None or was_announced is None:
        return UNKNOWN
    return announce_pending(new_state, was_announced)
