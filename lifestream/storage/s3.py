"""Storage in an S3 bucket, or any S3-compatible server (MinIO, moto, R2...).

Uploads stream through boto3's managed transfer: files above
``multipart_threshold`` go up in parallel parts, so a two-hour recording is
never held in memory and a failed part is retried alone.

Presigned PUT URLs are signed for ``Content-Type: application/octet-stream``:
the uploader must send exactly that header or S3 rejects the signature.
"""

from __future__ import annotations

import builtins
import io
import logging
import mimetypes
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from lifestream.errors import ConfigError, LifeStreamError, TransientError
from lifestream.storage.base import StorageMissing, StoredObject, check_key

PUT_CONTENT_TYPE = "application/octet-stream"
VERSIONS = ".versions/"  # under a result prefix: versions being published (see put_dir)
_MiB = 1 << 20
# Per-key errors of a DeleteObjects that answered 200: these may clear up on their own, so those keys are
# tried again; any other (AccessDenied, an object lock...) stays until someone changes the bucket or the role.
TRANSIENT_DELETE_CODES = frozenset({"InternalError", "SlowDown", "ServiceUnavailable"})
DELETE_ATTEMPTS = 4  # tries of a key S3 answered with a transient code; waits 0.25, 0.5, 1 s between them

log = logging.getLogger(__name__)


def _s3_error(exc: Exception, what: str) -> Exception:
    """Turn a boto error into one a person can act on (and the job runner can classify)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return ConfigError(f"{what}: no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a role).")
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in ("404", "NoSuchKey", "NotFound"):
            return StorageMissing(f"{what}: no such object.")
        if code == "NoSuchBucket":
            return ConfigError(f"{what}: the bucket does not exist (LIFESTREAM_S3_BUCKET).")
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return ConfigError(f"{what}: access denied ({code}); check the credentials and bucket policy.")
        if status >= 500 or code in ("SlowDown", "Throttling", "RequestTimeout"):
            return TransientError(f"{what}: S3 is unavailable for now ({code}).")
        return ConfigError(f"{what}: S3 refused the request ({code}).")
    if isinstance(exc, BotoCoreError):  # connection refused, timeouts, DNS
        return TransientError(f"{what}: cannot reach S3 ({exc}).")
    return exc


def _refused_error(refused: Sequence[Mapping[str, str]], total: int, what: str) -> Exception:
    """One error for the keys a DeleteObjects left in the bucket: how many, and the codes S3 gave."""
    codes = Counter(str(r.get("Code", "?")) for r in refused)
    first = refused[0]
    said = ", ".join(f"{code} x{n}" if n > 1 else code for code, n in codes.most_common(3))
    detail = (f"{what}: S3 refused to delete {len(refused)} of {total} object(s) ({said}; first "
              f"{first.get('Key', '?')}: {first.get('Message', '')})")
    if all(code in TRANSIENT_DELETE_CODES for code in codes):
        return TransientError(f"{detail} after {DELETE_ATTEMPTS} tries; they are still there, try again later.")
    return ConfigError(f"{detail}; they are still there: check the bucket policy, any object lock, and that the "
                       "role may s3:DeleteObject under this prefix.")


def _reader(path: Path) -> Callable[[], BinaryIO]:
    return lambda: path.open("rb")


def _epoch(when: Any) -> float | None:
    return when.timestamp() if when is not None else None


class S3Storage:
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        presign_seconds: int = 3600,
        multipart_threshold: int = 64 * _MiB,
        multipart_chunksize: int = 16 * _MiB,
        client: Any = None,
        delete_backoff: float = 0.25,
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.presign_seconds = presign_seconds
        self.delete_backoff = delete_backoff  # seconds before the second try of a refused key, doubling after
        # Path-style addressing: an S3-compatible server on an IP/port has no per-bucket host names.
        config = Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 5},
                        s3={"addressing_style": "path" if endpoint_url else "auto"})
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
        self.transfer = TransferConfig(multipart_threshold=multipart_threshold, multipart_chunksize=multipart_chunksize)

    def _key(self, key: str, *, prefix: bool = False) -> str:
        return self.prefix + check_key(key, prefix=prefix)

    def put(self, key: str, fileobj: BinaryIO, *, content_type: str | None = None) -> StoredObject:
        return self._put(key, fileobj, content_type=content_type)[0]

    def _put(self, key: str, fileobj: BinaryIO, *, content_type: str | None = None) -> tuple[StoredObject, str | None]:
        """Upload, then read the object back: what was stored, and its version id where the bucket keeps versions."""
        full = self._key(key)
        extra = {"ContentType": content_type or mimetypes.guess_type(key)[0] or PUT_CONTENT_TYPE}
        try:
            self.client.upload_fileobj(fileobj, self.bucket, full, ExtraArgs=extra, Config=self.transfer)
        except Exception as exc:
            raise _s3_error(exc, f"upload of {key}") from exc
        found = self._head(key)
        if found is None:
            raise TransientError(f"upload of {key}: S3 accepted it but does not list it yet.")
        return found

    def get(self, key: str, dest: Path) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self.bucket, self._key(key), str(dest), Config=self.transfer)
        except Exception as exc:
            raise _s3_error(exc, f"download of {key}") from exc
        return dest

    def stat(self, key: str) -> StoredObject | None:
        found = self._head(key)
        return found[0] if found else None

    def _head(self, key: str) -> tuple[StoredObject, str | None] | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            err = _s3_error(exc, key)
            if isinstance(err, StorageMissing):
                return None
            raise err from exc
        return (StoredObject(key=key, size=head["ContentLength"], etag=head["ETag"].strip('"'),
                             modified=_epoch(head.get("LastModified"))), head.get("VersionId"))

    def list(self, prefix: str = "") -> list[StoredObject]:
        if prefix:
            check_key(prefix, prefix=True)
        found = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for obj in page.get("Contents", []):
                    found.append(StoredObject(key=obj["Key"][len(self.prefix):], size=obj["Size"],
                                              etag=obj["ETag"].strip('"'), modified=_epoch(obj.get("LastModified"))))
        except Exception as exc:
            raise _s3_error(exc, f"listing {prefix or '/'}") from exc
        return found

    def _delete_batches(self, objects: builtins.list[dict[str, str]]) -> builtins.list[dict[str, str]]:
        """One DeleteObjects per 1000 of ``objects``; the per-key errors S3 answered (with a 200) for them."""
        refused = []
        for start in range(0, len(objects), 1000):  # DeleteObjects takes at most 1000 keys
            try:
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects[start:start + 1000], "Quiet": True})
            except Exception as exc:
                raise _s3_error(exc, "delete") from exc
            refused += answer.get("Errors", [])
        return refused

    def _delete_objects(self, objects: builtins.list[dict[str, str]]) -> builtins.list[dict[str, str]]:
        """DeleteObjects on ``objects`` (full keys, with a VersionId or not); the ones S3 refused for good.

        A request that fails whole is retried by botocore; one that succeeds may still name keys it did not
        delete. Those with a transient code (``TRANSIENT_DELETE_CODES``) are tried again, alone, with backoff.
        """
        pending, refused = objects, []
        for attempt in range(DELETE_ATTEMPTS):
            if attempt:
                time.sleep(self.delete_backoff * 2 ** (attempt - 1))
            answered = self._delete_batches(pending)
            again = [r for r in answered if r.get("Code") in TRANSIENT_DELETE_CODES]
            refused += [r for r in answered if r.get("Code") not in TRANSIENT_DELETE_CODES]
            if not again or attempt + 1 == DELETE_ATTEMPTS:
                return refused + again
            log.info("S3 did not delete %d object(s) for now (%s); trying them again", len(again), again[0].get("Code"))
            retry = {(r.get("Key"), r.get("VersionId") or None) for r in again}
            pending = [o for o in pending if (o["Key"], o.get("VersionId")) in retry]
        return refused

    def _delete_keys(self, keys: builtins.list[str], what: str = "delete") -> None:
        """Delete ``keys`` (under this storage's prefix); raises unless S3 deleted every one."""
        refused = self._delete_objects([{"Key": self.prefix + k} for k in keys])
        if refused:
            raise _refused_error([{**r, "Key": r.get("Key", "")[len(self.prefix):]} for r in refused], len(keys), what)

    def _discard(self, staged: Mapping[str, str | None]) -> None:
        """Delete a publication's staged copies (key -> version id) for good.

        They were only ever a way to switch the live keys over whole; once copied (or once an upload failed)
        they have no value. In a versioned bucket a plain delete would keep each one as a non-current
        version behind a delete marker, for ``deleted_object_days``: every publication would store its
        results twice meanwhile. Deleting the version itself leaves nothing. Where the bucket keeps no
        versions (no VersionId came back), a plain delete is all there is.
        """
        objects = [{"Key": self.prefix + key, **({"VersionId": vid} if vid else {})} for key, vid in staged.items()]
        refused = self._delete_objects(objects)
        if refused:  # e.g. a task role without s3:DeleteObjectVersion: the lifecycle rules remove them later
            log.warning("%d staged copies were not deleted (%s: %s); the bucket's lifecycle rules will remove them",
                        len(refused), refused[0].get("Code"), refused[0].get("Message"))

    def delete(self, prefix: str) -> int:
        check_key(prefix, prefix=True)
        keys = [obj.key for obj in self.list(prefix)]
        if keys:
            self._delete_keys(keys, f"delete of {prefix}")
        return len(keys)

    def _copy(self, source: str, key: str) -> None:
        try:  # server-side: no byte comes back through this process
            self.client.copy_object(Bucket=self.bucket, Key=self._key(key),
                                    CopySource={"Bucket": self.bucket, "Key": self._key(source)})
        except Exception as exc:
            raise _s3_error(exc, f"copy of {source} to {key}") from exc

    def _publish(self, prefix: str, files: Sequence[tuple[str, Callable[[], BinaryIO], str | None]],
                 *, replace_all: bool) -> builtins.list[str]:
        """Upload ``files`` (name, opener, content type) as a new version, then switch the live keys to it.

        Every file goes up under ``<prefix>.versions/<token>/`` first: an upload that fails or a process
        that dies while uploading (the long part) leaves the live files as they were. The switch copies
        the version over the live keys inside S3, ``meeting.json`` last (its presence and content mark a
        complete result, as in the local folder), then deletes the staged copies for good (``_discard``)
        and, with ``replace_all``, whatever else is under the prefix (kept by a versioned bucket as
        non-current versions for ``deleted_object_days``, as any deleted result is). Each object is replaced whole (S3 never shows half an object);
        a crash during the switch leaves whole files of both, which publishing again sets right (a job is
        completed only once its publication returns; a rename can be repeated).
        """
        prefix = check_key(prefix.rstrip("/") + "/", prefix=True)
        version = f"{prefix}{VERSIONS}{uuid.uuid4().hex[:12]}/"
        files = sorted(files, key=lambda f: (f[0] == "meeting.json", f[0]))
        staged: dict[str, str | None] = {}  # staged key -> its S3 version id
        try:
            for name, opener, content_type in files:
                with opener() as fh:
                    key = version + check_key(name)
                    staged[key] = self._put(key, fh, content_type=content_type)[1]
        except BaseException:
            try:
                self._discard(staged)
                self.delete(version)  # an upload that went up but failed its check
            except Exception:  # left behind: the next publication under this prefix deletes it
                pass
            raise
        for name, _, _ in files:
            self._copy(version + name, prefix + name)
        self._discard(staged)
        keys = [prefix + name for name, _, _ in files]
        published = set(keys)
        stale = [obj.key for obj in self.list(prefix) if obj.key not in published
                 and (replace_all or obj.key.startswith(version))]
        if stale:
            try:
                self._delete_keys(stale, f"removal of the replaced files under {prefix}")
            except LifeStreamError as exc:  # the new version is live and whole; the meeting's deletion tries again
                log.warning("%s", exc.message)
        return keys

    def put_dir(self, local_dir: Path, prefix: str) -> builtins.list[str]:
        """Publish a folder as a new version of everything under ``prefix`` (see ``_publish``)."""
        local_dir = Path(local_dir)
        files = [(p.relative_to(local_dir).as_posix(), _reader(p), None) for p in local_dir.rglob("*") if p.is_file()]
        return self._publish(prefix, files, replace_all=True)

    def put_files(self, prefix: str, files: Mapping[str, tuple[bytes, str | None]]) -> builtins.list[str]:
        """Replace some files under ``prefix`` together, as a new version (see ``_publish``); the rest stay."""
        return self._publish(prefix, [(name, partial(io.BytesIO, data), content_type)
                                      for name, (data, content_type) in files.items()], replace_all=False)

    def presign_get(self, key: str, expires: int | None = None) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)},
            ExpiresIn=expires or self.presign_seconds)

    def presign_put(self, key: str, expires: int | None = None) -> str | None:
        return self.client.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": self._key(key), "ContentType": PUT_CONTENT_TYPE},
            ExpiresIn=expires or self.presign_seconds)
