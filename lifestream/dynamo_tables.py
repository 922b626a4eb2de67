"""Make a DynamoDB table the app owns when Terraform has not (local runs, tests), safely from many processes."""

from __future__ import annotations

from typing import Any


def create_with_ttl(client: Any, definition: dict[str, Any], ttl_attribute: str) -> None:
    """Create the table ``definition`` describes unless another process already did, wait for it, and turn on
    expiry by ``ttl_attribute`` (once, whoever gets there first)."""
    from botocore.exceptions import ClientError

    name = definition["TableName"]
    try:
        client.create_table(**definition)
    except client.exceptions.ResourceInUseException:
        pass  # another process created it first
    client.get_waiter("table_exists").wait(TableName=name)
    try:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": ttl_attribute})
    except ClientError as exc:  # another process turned it on first
        if "already enabled" not in exc.response.get("Error", {}).get("Message", ""):
            raise
