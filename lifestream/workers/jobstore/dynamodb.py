"""The job store in a DynamoDB table (``LIFESTREAM_JOBS_TABLE``), one item per job.

Transitions are ``UpdateItem`` calls with a ``ConditionExpression`` on the
expected state (and owner, lease, announcement flag); a failed condition is
DynamoDB's own compare-and-set saying "someone else got there first".

The table needs only a string hash key ``id``; it is created (on-demand
billing) on first use if it does not exist. Listing is a Scan filtered on
state: fine for the thousands of jobs a team makes, and the place to add a
state index if that ever grows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from lifestream.errors import ConfigError, TransientError
from lifestream.workers.jobstore.base import _ANY, Job, JobState, JobStore


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
    data["origin"] = json.loads(data.get("origin") or "{}")
    return Job.model_validate(data)


class DynamoJobStore(JobStore):
    def __init__(self, table_name: str, *, endpoint_url: str | None = None, region: str = "us-east-1",
                 client: Any = None) -> None:
        import boto3
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
        from botocore.config import Config

        self.table_name = table_name
        # The low-level client, not a boto3 resource: a worker uses the store from several
        # threads at once (the job, its lease renewal, the recovery loop), and only clients
        # are thread-safe.
        self._client = client or boto3.client(
            "dynamodb", endpoint_url=endpoint_url, region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 5}))
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize
        self._call(self._ensure_table)

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: self._serialize(v) for k, v in values.items()}

    def _job(self, item: dict[str, Any]) -> Job:
        return _from_item({k: self._deserialize(v) for k, v in item.items()})

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

    def _ensure_table(self) -> None:
        try:
            self._client.describe_table(TableName=self.table_name)
            return
        except self._client.exceptions.ResourceNotFoundException:
            pass
        try:
            self._client.create_table(
                TableName=self.table_name, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        except self._client.exceptions.ResourceInUseException:
            pass  # another process created it first
        self._client.get_waiter("table_exists").wait(TableName=self.table_name)

    def _insert(self, job: Job) -> bool:
        item = self._values({k: _to_dynamo(v) for k, v in job.model_dump().items()})
        try:
            self._call(self._client.put_item, TableName=self.table_name, Item=item,
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

    def list(self, states: Collection[JobState] | None = None, limit: int = 100, *,
             announced: bool | None = None) -> list[Job]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        filters = []
        if states:
            names["#state"] = "state"
            keys = []
            for i, state in enumerate(states):
                values[f":s{i}"] = JobState(state).value
                keys.append(f":s{i}")
            filters.append(f"#state IN ({', '.join(keys)})")
        if announced is not None:
            values[":ann"] = announced
            filters.append("completion_announced = :ann")
        kwargs: dict[str, Any] = {"TableName": self.table_name, "ConsistentRead": True}
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
            kwargs["ExpressionAttributeValues"] = self._values(values)
            if names:
                kwargs["ExpressionAttributeNames"] = names
        items: list[dict[str, Any]] = []
        while True:
            page = self._call(self._client.scan, **kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        jobs = sorted((self._job(i) for i in items), key=lambda j: j.created_at, reverse=True)
        return jobs[:limit]

    def _cas(self, job_id: str, changes: dict[str, Any], *, states: Collection[JobState], owner: Any = _ANY,
             lease_before: float | None = None, announced: bool | None = None,
             add_attempt: bool = False) -> Job | None:
        changes = {**changes, "updated_at": time.time()}
        names: dict[str, str] = {"#id": "id", "#state": "state"}
        values: dict[str, Any] = {}
        sets = []
        for i, (key, value) in enumerate(changes.items()):
            names[f"#c{i}"] = key
            values[f":c{i}"] = _to_dynamo(value)
            sets.append(f"#c{i} = :c{i}")
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
        try:
            result = self._call(
                self._client.update_item, TableName=self.table_name, Key=self._values({"id": job_id}),
                UpdateExpression="SET " + ", ".join(sets), ConditionExpression=" AND ".join(conds),
                ExpressionAttributeNames=names, ExpressionAttributeValues=self._values(values),
                ReturnValues="ALL_NEW")
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return self._job(result["Attributes"])
