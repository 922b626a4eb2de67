"""Seen keys in the DynamoDB idempotency table (``LIFESTREAM_IDEMPOTENCY_TABLE``): shared by every bot task.

One conditional ``PutItem`` per key: it succeeds for the first caller and fails
(``ConditionalCheckFailedException``) for everyone after, whichever task they
run in. Each item carries its expiry in the table's TTL attribute
(``LIFESTREAM_DYNAMODB_TTL_ATTRIBUTE``, as Terraform's ``ttl_attribute``), so
DynamoDB deletes old keys by itself. That deletion is lazy (it may take days),
so the condition also lets a put replace an item whose expiry has passed: an
expired key counts as new, whether or not DynamoDB has got round to it.

The table's hash key is read from the table itself (Terraform's
``idempotency_hash_key``); a table that does not exist is created (on-demand,
TTL on), which only happens against a local emulator: the deployed roles
cannot create tables.
"""

from __future__ import annotations

import math
import time
from typing import Any

from lifestream.dynamo_tables import create_with_ttl
from lifestream.errors import ConfigError, TransientError
from lifestream.seen.base import KEEP_SECONDS, SeenStore

_BUSY = ("ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError",
         "RequestLimitExceeded", "ServiceUnavailable")


class DynamoSeenStore(SeenStore):
    def __init__(self, table_name: str, *, endpoint_url: str | None = None, region: str = "us-east-1",
                 ttl_attribute: str = "expires_at", keep_seconds: float = KEEP_SECONDS, client: Any = None) -> None:
        import boto3
        from botocore.config import Config

        self.table_name = table_name
        self.ttl_attribute = ttl_attribute
        self.keep_seconds = keep_seconds
        # A client, not a resource: the Slack handlers call this from several threads at once.
        self._client = client or boto3.client(
            "dynamodb", endpoint_url=endpoint_url, region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 5}))
        self.hash_key: str = self._call(self._ensure_table)

    def first_time(self, key: str) -> bool:
        now = time.time()
        try:
            self._call(
                self._client.put_item, TableName=self.table_name,
                Item={self.hash_key: {"S": key},
                      self.ttl_attribute: {"N": str(math.ceil(now + self.keep_seconds))}},
                ConditionExpression="attribute_not_exists(#key) OR #expires < :now",
                ExpressionAttributeNames={"#key": self.hash_key, "#expires": self.ttl_attribute},
                ExpressionAttributeValues={":now": {"N": repr(now)}})
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def forget(self, key: str) -> None:
        self._call(self._client.delete_item, TableName=self.table_name, Key={self.hash_key: {"S": key}})

    def _ensure_table(self) -> str:
        try:
            table = self._client.describe_table(TableName=self.table_name)["Table"]
            return next(k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH")
        except self._client.exceptions.ResourceNotFoundException:
            pass
        create_with_ttl(self._client, {
            "TableName": self.table_name, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}, self.ttl_attribute)
        return "id"

    def _call(self, fn, *args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return fn(*args, **kwargs)
        except NoCredentialsError as exc:
            raise ConfigError(f"DynamoDB table {self.table_name}: no AWS credentials.") from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise
            if code in _BUSY:
                raise TransientError(f"DynamoDB table {self.table_name} is busy ({code}).") from exc
            raise ConfigError(f"DynamoDB table {self.table_name}: {code}: {error.get('Message', '')}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"cannot reach DynamoDB ({exc}).") from exc
