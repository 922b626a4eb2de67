"""The job store in a DynamoDB table (``LIFESTREAM_JOBS_TABLE``), one item per job.

Transitions are ``UpdateItem`` calls with a ``ConditionExpression`` on the
expected state (and owner, lease, announcement flag); a failed condition is
DynamoDB's own compare-and-set saying "someone else got there first".

Nothing the app does on a request or in a worker's loop scans the table: every
listing is a ``Query`` on a global secondary index (``INDEXES`` in ``dynamodb_schema``, declared the
same in infrastructure/modules/tables), newest first (range key
``created_at``), page by page:

- ``by-state`` (``state``): recovery (running jobs whose lease ran out, queued
  jobs due), ``lifestream jobs list``;
- ``by-announcement`` (``announce_pending``: the state of a completed or failed
  job nobody has announced yet, absent otherwise, so the index holds only
  those): the announcer's poll, every few seconds in every worker;
- ``by-workspace`` (``workspace``: its origin's; absent for a recording
  processed from the command line): the jobs page, the API's listings, a
  workspace's deletion, a chat's latest meeting;
- ``by-recording`` (``storage_key``): whether another job still keeps a
  recording that is being deleted.

``workspace`` and ``announce_pending`` are written here, in the same
conditional write as the fields they derive from. Index reads are eventually
consistent (a job shows in a listing a moment after it is written); every
decision is still a conditional write on the item itself.

A finished job carries the table's TTL attribute
(``LIFESTREAM_DYNAMODB_TTL_ATTRIBUTE``) from ``expiry`` (its workspace's
retention, see ``Services``), so DynamoDB forgets it if the sweeper never
does; a queued or running job never carries it: every write that changes a
job's state sets or removes it in that same write.

A table that does not exist is created (on-demand, with its indexes and TTL):
against a local emulator only, the deployed roles cannot create tables. A
table from before the indexes (DEPLOY.md, "Upgrading") is listed with a Scan
until its indexes are ACTIVE, and ``settle_records`` (the sweeper's pass)
fills in its old items' derived attributes.
"""

from __future__ import annotations

import builtins
import json
import logging
import math
import time
from collections.abc import Collection, Iterator
from decimal import Decimal
from typing import Any

from lifestream.dynamo_tables import create_with_ttl
from lifestream.errors import ConfigError, TransientError
from lifestream.workers.jobstore.base import (
    _ANY,
    ANNOUNCED_STATES,
    FINAL_STATES,
    JSON_FIELDS,
    Job,
    JobState,
    JobStore,
    RecordExpiry,
)
from lifestream.workers.jobstore.dynamodb_schema import (
    DERIVED,
    INDEXES,
    UNKNOWN,
    announce_pending,
    pending_after,
    table_definition,
)

log = logging.getLogger(__name__)

_EVERY = 10**9  # "no limit" for a listing that wants every match
_RECHECK_INDEXES_S = 60.0  # how often a store without its indexes looks again (they are being built)


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, JobState):
        return value.value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):  # float(): numpy floats (stage fractions) repr as "np.float64(...)"
        return Decimal(repr(float(value)))
    if isinstance(value, dict):  # the origin map: kept as JSON so any value type survives
        return json.dumps(value, sort_keys=True)
    return value


def _from_item(item: dict[str, Any]) -> Job:
    data = {}
    for key, value in item.items():
        if isinstance(value, Decimal):
            value = int(value) if key == "attempts" or key == "num_speakers" else float(value)
        data[key] = value
    for name in JSON_FIELDS:
        text = data.pop(name, None)
        if text:  # absent: a record from before the field gets its default
            data[name] = json.loads(text)
    return Job.model_validate(data)


class DynamoJobStore(JobStore):
    def __init__(self, table_name: str, *, endpoint_url: str | None = None, region: str = "us-east-1",
                 ttl_attribute: str = "expires_at", expiry: RecordExpiry | None = None, client: Any = None) -> None:
        import boto3
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
        from botocore.config import Config

        self.table_name = table_name
        self.ttl_attribute = ttl_attribute
        self.expiry = expiry
        # The low-level client, not a boto3 resource: a worker uses the store from several
        # threads at once (the job, its lease renewal, the recovery loop), and only clients
        # are thread-safe.
        self._client = client or boto3.client(
            "dynamodb", endpoint_url=endpoint_url, region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 5}))
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize
        self._indexes_ready = False
        self._indexes_checked = -_RECHECK_INDEXES_S
        self._call(self._ensure_table)

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: self._serialize(v) for k, v in values.items()}

    def _job(self, item: dict[str, Any]) -> Job:
        data = {k: self._deserialize(v) for k, v in item.items() if k not in DERIVED}
        data["expires_at"] = data.pop(self.ttl_attribute, None)
        return _from_item(data)

    def _expires(self, job: Job) -> int | None:
        """The TTL of a finished job's record (whole seconds, as DynamoDB's TTL reads them); None: none."""
        if self.expiry is None or not job.final:
            return None
        at = self.expiry(job)
        return None if at is None else math.ceil(at)

    def _call(self, fn, *args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return fn(*args, **kwargs)
        except NoCredentialsError as exc:
            raise ConfigError(f"DynamoDB table {self.table_name}: no AWS credentials.") from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise
            if code in ("ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError",
                        "RequestLimitExceeded", "ServiceUnavailable"):
                raise TransientError(f"DynamoDB table {self.table_name} is busy ({code}).") from exc
            raise ConfigError(f"DynamoDB table {self.table_name}: {code}: "
                              f"{exc.response.get('Error', {}).get('Message', '')}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"cannot reach DynamoDB ({exc}).") from exc

    # --- the table and its indexes

    def _ensure_table(self) -> None:
        try:
            self._client.describe_table(TableName=self.table_name)
            return
        except self._client.exceptions.ResourceNotFoundException:
            pass
        create_with_ttl(self._client, table_definition(self.table_name), self.ttl_attribute)

    def _indexed(self) -> bool:
        """Whether the table's indexes are all ACTIVE (a table from before them: not until they are built)."""
        if self._indexes_ready or time.monotonic() - self._indexes_checked < _RECHECK_INDEXES_S:
            return self._indexes_ready
        self._indexes_checked = time.monotonic()
        table = self._call(self._client.describe_table, TableName=self.table_name)["Table"]
        active = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", []) if i.get("IndexStatus") == "ACTIVE"}
        self._indexes_ready = set(INDEXES) <= active
        if not self._indexes_ready:
            log.warning("DynamoDB table %s: the indexes %s are missing or still being built; jobs are listed with a "
                        "Scan until they are ACTIVE (DEPLOY.md, Upgrading)", self.table_name,
                        ", ".join(sorted(set(INDEXES) - active)))
        return self._indexes_ready

    # --- primitives

    def _item(self, job: Job) -> dict[str, Any]:
        data = {k: _to_dynamo(v) for k, v in job.model_dump().items() if k != "expires_at"}
        if job.origin is not None:
            data["workspace"] = job.origin.workspace
        pending = announce_pending(job.state, job.completion_announced)
        if pending is not None:
            data["announce_pending"] = pending
        expires = self._expires(job)
        if expires is not None:
            data[self.ttl_attribute] = expires
        return self._values(data)

    def _insert(self, job: Job) -> bool:
        try:
            self._call(self._client.put_item, TableName=self.table_name, Item=self._item(job),
                       ConditionExpression="attribute_not_exists(#id)", ExpressionAttributeNames={"#id": "id"})
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, job_id: str) -> Job | None:
        item = self._call(self._client.get_item, TableName=self.table_name, Key=self._values({"id": job_id}),
                          ConsistentRead=True).get("Item")
        return self._job(item) if item else None

    def delete(self, job_id: str) -> bool:
        old = self._call(self._client.delete_item, TableName=self.table_name, Key=self._values({"id": job_id}),
                         ReturnValues="ALL_OLD")
        return bool(old.get("Attributes"))

    # --- listings: Query on an index, page by page

    def list(self, states: Collection[JobState] | None = None, limit: int = 100, *,
             announced: bool | None = None, workspace: str | None = None) -> builtins.list[Job]:
        wanted = list(dict.fromkeys(JobState(s) for s in states)) if states else list(JobState)
        if not self._indexed():
            return self._scan_list(wanted, limit, announced=announced, workspace=workspace)
        if workspace is not None:
            return self._query("by-workspace", workspace, limit, states=wanted if states else None,
                               announced=announced)
        found: builtins.list[Job] = []
        for state in wanted:  # each state's newest `limit`: together they hold the newest `limit` of all
            if announced is False and state in ANNOUNCED_STATES:
                found += self._query("by-announcement", state.value, limit)
            else:
                found += self._query("by-state", state.value, limit, announced=announced)
        return sorted(found, key=lambda j: j.created_at, reverse=True)[:limit]

    def with_recording(self, storage_key: str) -> builtins.list[Job]:
        if not self._indexed():
            return [j for j in self._scan_list(list(JobState), _EVERY) if j.storage_key == storage_key]
        return self._query("by-recording", storage_key, _EVERY)

    def _query(self, index: str, key: str, limit: int, *, states: Collection[JobState] | None = None,
               announced: bool | None = None) -> builtins.list[Job]:
        names = {"#key": INDEXES[index]}
        values: dict[str, Any] = {":key": key}
        filters = []
        if states:
            names["#state"] = "state"
            for i, state in enumerate(states):
                values[f":s{i}"] = state.value
            filters.append(f"#state IN ({', '.join(f':s{i}' for i in range(len(states)))})")
        if announced is not None:
            names["#announced"] = "completion_announced"
            values[":announced"] = announced
            filters.append("#announced = :announced")
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "IndexName": index, "KeyConditionExpression": "#key = :key",
            "ScanIndexForward": False,  # newest first
            "Limit": max(1, min(limit, 1000)),  # a page no bigger than asked for (before filters)
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": self._values(values)}
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        jobs: builtins.list[Job] = []
        while len(jobs) < limit:
            page = self._call(self._client.query, **kwargs)
            jobs += [self._job(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return jobs[:limit]

    def _scan_items(self) -> Iterator[dict[str, Any]]:
        """Every item. Only two callers: ``settle_records`` (the sweeper's maintenance pass) and listings of
        a table whose indexes do not exist yet or are still being built (an upgrade); never otherwise."""
        kwargs: dict[str, Any] = {"TableName": self.table_name, "ConsistentRead": True}
        while True:
            page = self._call(self._client.scan, **kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _scan_list(self, states: Collection[JobState], limit: int, *, announced: bool | None = None,
                   workspace: str | None = None) -> builtins.list[Job]:
        jobs = [j for j in map(self._job, self._scan_items())
                if j.state in states and (announced is None or j.completion_announced == announced)
                and (workspace is None or (j.origin is not None and j.origin.workspace == workspace))]
        return sorted(jobs, key=lambda j: j.created_at, reverse=True)[:limit]

    # --- maintenance

    def settle_records(self) -> int:
        changed = 0
        for item in self._scan_items():
            job = self._job(item)
            want: dict[str, Any] = {"workspace": job.origin.workspace if job.origin is not None else None,
                                    "announce_pending": announce_pending(job.state, job.completion_announced),
                                    self.ttl_attribute: self._expires(job)}
            have = {name: self._deserialize(item[name]) if name in item else None for name in want}
            stale = {name: value for name, value in want.items() if have[name] != value}
            if stale and self._set_derived(job, stale):
                changed += 1
        return changed

    def _set_derived(self, job: Job, attributes: dict[str, Any]) -> bool:
        """Set (or remove, for None) derived attributes, unless the job moved on since it was read."""
        names = {"#state": "state", "#announced": "completion_announced"}
        values: dict[str, Any] = {":state": job.state.value, ":announced": job.completion_announced}
        sets, removes = [], []
        for i, (name, value) in enumerate(attributes.items()):
            names[f"#d{i}"] = name
            if value is None:
                removes.append(f"#d{i}")
            else:
                values[f":d{i}"] = value
                sets.append(f"#d{i} = :d{i}")
        update = " ".join(part for part in ("SET " + ", ".join(sets) if sets else "",
                                             "REMOVE " + ", ".join(removes) if removes else "") if part)
        try:
            self._call(self._client.update_item, TableName=self.table_name, Key=self._values({"id": job.id}),
                       UpdateExpression=update,
                       ConditionExpression="#state = :state AND #announced = :announced",
                       ExpressionAttributeNames=names, ExpressionAttributeValues=self._values(values))
        except self._client.exceptions.ConditionalCheckFailedException:
            return False  # a transition wrote its own, current, values
        return True

    # --- compare-and-set

    def _cas(self, job_id: str, changes: dict[str, Any], *, states: Collection[JobState], owner: Any = _ANY,
             lease_before: float | None = None, announced: bool | None = None,
             add_attempt: bool = False) -> Job | None:
        changes = {**changes, "updated_at": time.time()}
        derived: dict[str, Any] = {}
        pending = pending_after(changes, states, announced)
        if pending is not _ANY and pending is not UNKNOWN:
            derived["announce_pending"] = pending
        if "state" in changes:  # a finished job's record gets its expiry; any other has none, in the same write
            expires = None
            if JobState(changes["state"]) in FINAL_STATES and self.expiry is not None:
                current = self.get(job_id)  # its creation time and workspace never change: known before the write
                if current is None:
                    return None
                try:
                    expires = self._expires(current.model_copy(update={"state": JobState(changes["state"])}))
                except Exception:  # the workspace's settings unreadable: kept for now, the sweeper's pass sets it
                    log.warning("job %s: its record's expiry is left to the next sweep", job_id, exc_info=True)
            derived[self.ttl_attribute] = expires
        names: dict[str, str] = {"#id": "id", "#state": "state"}
        values: dict[str, Any] = {}
        sets, removes = [], []
        for i, (key, value) in enumerate(changes.items()):
            names[f"#c{i}"] = key
            values[f":c{i}"] = _to_dynamo(value)
            sets.append(f"#c{i} = :c{i}")
        for i, (key, value) in enumerate(derived.items()):
            names[f"#d{i}"] = key
            if value is None:
                removes.append(f"#d{i}")
            else:
                values[f":d{i}"] = value
                sets.append(f"#d{i} = :d{i}")
        if add_attempt:
            names["#attempts"] = "attempts"
            values[":one"] = 1
            sets.append("#attempts = #attempts + :one")
        conds = ["attribute_exists(#id)"]
        state_keys = []
        for i, state in enumerate(states):
            values[f":s{i}"] = JobState(state).value
            state_keys.append(f":s{i}")
        conds.append(f"#state IN ({', '.join(state_keys)})")
        if owner is not _ANY:
            names["#owner"] = "owner"
            values[":owner"] = owner
            conds.append("#owner = :owner")
        if lease_before is not None:
            values[":lease"] = _to_dynamo(lease_before)
            values[":null"] = "NULL"
            names["#lease"] = "lease_until"
            conds.append("(attribute_not_exists(#lease) OR attribute_type(#lease, :null) OR #lease < :lease)")
        if announced is not None:
            values[":ann"] = announced
            conds.append("completion_announced = :ann")
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            result = self._call(
                self._client.update_item, TableName=self.table_name, Key=self._values({"id": job_id}),
                UpdateExpression=update, ConditionExpression=" AND ".join(conds),
                ExpressionAttributeNames=names, ExpressionAttributeValues=self._values(values),
                ReturnValues="ALL_NEW")
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        job = self._job(result["Attributes"])
        if pending is UNKNOWN:  # a transition that did not say enough: the written item does
            self._set_derived(job, {"announce_pending": announce_pending(job.state, job.completion_announced)})
        return job
