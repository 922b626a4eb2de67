"""Which chat events and shared files were already handled: SQLite in the data dir (default) or DynamoDB.

Slack re-sends an event it thinks we missed (X-Slack-Retry-Num), and the same
file can arrive as two events; each must lead to one reply, not two. With
several bot tasks behind a load balancer (or one task replaced by a redeploy)
the retry may reach another task, so in the cloud the record lives in the
shared idempotency table (``LIFESTREAM_IDEMPOTENCY_TABLE``); on one machine a
SQLite file in the data dir does.
"""

from __future__ import annotations

from lifestream.seen.base import KEEP_SECONDS, SeenStore
from lifestream.settings import Settings

__all__ = ["KEEP_SECONDS", "SeenStore", "get_seen_store"]


def get_seen_store(settings: Settings) -> SeenStore:
    """DynamoDB when ``LIFESTREAM_IDEMPOTENCY_TABLE`` is set, else ``<data_dir>/seen.sqlite3``."""
    if settings.idempotency_table:
        from lifestream.seen.dynamodb import DynamoSeenStore

        return DynamoSeenStore(settings.idempotency_table, endpoint_url=settings.dynamodb_endpoint_url,
                               region=settings.s3_region, ttl_attribute=settings.dynamodb_ttl_attribute)
    from lifestream.seen.sqlite import SQLiteSeenStore

    return SQLiteSeenStore(settings.data_dir / "seen.sqlite3")
