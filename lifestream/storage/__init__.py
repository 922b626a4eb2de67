"""Where recordings and results live: a local folder (default) or S3."""

from __future__ import annotations

from lifestream.settings import Settings
from lifestream.storage.base import (
    RESULTS,
    UPLOADS,
    Storage,
    StorageMissing,
    StoredObject,
    api_upload_prefix,
    checkpoint_prefix,
    fanout_prefix,
    result_prefix,
    safe_name,
    upload_key,
)

__all__ = ["RESULTS", "UPLOADS", "Storage", "StorageMissing", "StoredObject", "api_upload_prefix", "checkpoint_prefix",
           "fanout_prefix", "get_storage", "result_prefix", "safe_name", "upload_key"]


def get_storage(settings: Settings) -> Storage:
    """S3 when ``LIFESTREAM_S3_BUCKET`` is set, else the data dir (whose results/ is settings.results_dir)."""
    if settings.s3_bucket:
        from lifestream.storage.s3 import S3Storage

        return S3Storage(settings.s3_bucket, prefix=settings.s3_prefix, endpoint_url=settings.s3_endpoint_url,
                         region=settings.s3_region, presign_seconds=settings.presign_seconds)
    from lifestream.storage.local import LocalStorage

    return LocalStorage(settings.data_dir)
