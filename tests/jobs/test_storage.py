"""The storage adapter on a local folder and on S3 (moto's server), through the same interface."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import urllib.request
from pathlib import Path

import pytest

from lifestream.errors import ConfigError, TransientError
from lifestream.storage import StorageMissing, get_storage, result_prefix, safe_name, upload_key
from lifestream.storage.local import LocalStorage
from lifestream.storage.s3 import DELETE_ATTEMPTS, S3Storage
from tests.support.faults import DeleteRefusingProxy
from tests.support.servers import aws_env, make_bucket, moto_url, unique  # noqa: F401  (fixtures)


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "data")
    url = request.getfixturevalue("moto_url")
    bucket = unique("lifestream")
    make_bucket(url, bucket)
    # A small multipart threshold, so the big-file test really goes up in parts.
    return S3Storage(bucket, prefix="team-a", endpoint_url=url, multipart_threshold=5 << 20,
                     multipart_chunksize=5 << 20)


def test_put_get_stat_list_delete(storage, tmp_path):
    a = storage.put("uploads/a.mp4", io.BytesIO(b"alpha"))
    assert (a.key, a.size) == ("uploads/a.mp4", 5) and a.etag
    storage.put("results/j1/minutes.md", io.BytesIO(b"# minutes"))
    storage.put("results/j1/keyframes/scene-001.jpg", io.BytesIO(b"\xff\xd8jpeg"))
    storage.put("results/j10/minutes.md", io.BytesIO(b"other job"))
    assert storage.stat("uploads/a.mp4").size == 5
    assert storage.stat("uploads/none.mp4") is None
    out = storage.get("results/j1/keyframes/scene-001.jpg", tmp_path / "out" / "k.jpg")
    assert out.read_bytes() == b"\xff\xd8jpeg"
    with pytest.raises(StorageMissing, match="uploads/none.mp4"):
        storage.get("uploads/none.mp4", tmp_path / "x")
    assert sorted(o.key for o in storage.list("results/j1/")) == [
        "results/j1/keyframes/scene-001.jpg", "results/j1/minutes.md"]
    assert len(storage.list("results/")) == 3
    assert storage.delete("results/j1/") == 2
    assert [o.key for o in storage.list("results/")] == ["results/j10/minutes.md"]  # j10 is not under j1/


def test_big_upload_streams_in_parts(storage, tmp_path):
    big = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    with big.open("wb") as fh:
        for _ in range(12):
            fh.write(block)
    with big.open("rb") as fh:
        obj = storage.put("uploads/big.bin", fh)
    assert obj.size == 12 << 20
    if isinstance(storage, S3Storage):
        assert obj.etag.endswith("-3")  # an S3 multipart ETag: 3 parts of 5 MiB, 5 MiB, 2 MiB
    back = storage.get("uploads/big.bin", tmp_path / "back.bin")
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(big.read_bytes()).digest()


def test_put_dir_replaces_the_whole_folder(storage, tmp_path):
    first = tmp_path / "r1"
    (first / "keyframes").mkdir(parents=True)
    (first / "minutes.md").write_text("v1")
    (first / "keyframes" / "old.jpg").write_bytes(b"old")
    storage.put_dir(first, result_prefix("job1"))
    second = tmp_path / "r2"
    (second / "keyframes").mkdir(parents=True)
    (second / "minutes.md").write_text("v2")
    (second / "meeting.json").write_text("{}")
    (second / "keyframes" / "new.jpg").write_bytes(b"new")
    keys = storage.put_dir(second, result_prefix("job1"))
    assert sorted(keys) == ["results/job1/keyframes/new.jpg", "results/job1/meeting.json", "results/job1/minutes.md"]
    assert sorted(o.key for o in storage.list("results/job1/")) == sorted(keys)  # old.jpg is gone
    assert storage.get("results/job1/minutes.md", tmp_path / "m.md").read_text() == "v2"


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/key", "uploads/../../x", "uploads/", "", "a\\b"])
def test_keys_cannot_escape_the_root(storage, key):
    with pytest.raises(ConfigError, match="invalid storage key"):
        storage.put(key, io.BytesIO(b"x"))


def test_presigned_urls_work_over_http(moto_url, tmp_path):  # noqa: F811
    bucket = unique("presign")
    make_bucket(moto_url, bucket)
    s3 = S3Storage(bucket, endpoint_url=moto_url, presign_seconds=60)
    put_url = s3.presign_put("uploads/from-bot.m4a")
    assert put_url.startswith(moto_url) and "Signature" in put_url
    body = os.urandom(4096)
    request = urllib.request.Request(put_url, data=body, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
    assert s3.stat("uploads/from-bot.m4a").size == 4096
    with urllib.request.urlopen(s3.presign_get("uploads/from-bot.m4a"), timeout=10) as resp:
        assert resp.read() == body
    # The signature covers the content type, so S3 refuses an upload with any other
    # (moto does not check signatures, so this is asserted on the URL itself).
    assert "X-Amz-SignedHeaders=content-type%3Bhost" in put_url or "X-Amz-SignedHeaders=content-type;host" in put_url


def test_local_presign_is_a_file_url_and_no_put(tmp_path):
    local = LocalStorage(tmp_path)
    local.put("results/j/minutes.md", io.BytesIO(b"# m"))
    url = local.presign_get("results/j/minutes.md")
    assert url.startswith("file://")
    with urllib.request.urlopen(url) as resp:
        assert resp.read() == b"# m"
    assert local.presign_put("uploads/x.mp4") is None


def test_get_storage_follows_settings(settings, moto_url):  # noqa: F811
    local = get_storage(settings)
    assert isinstance(local, LocalStorage) and local.root == Path(settings.data_dir).resolve()
    bucket = unique("cfg")
    make_bucket(moto_url, bucket)
    s3 = get_storage(settings.model_copy(update={"s3_bucket": bucket, "s3_endpoint_url": moto_url}))
    assert isinstance(s3, S3Storage)
    s3.put("uploads/x.wav", io.BytesIO(b"wav"))
    assert [o.key for o in s3.list("uploads/")] == ["uploads/x.wav"]


def test_missing_bucket_is_a_clear_error(moto_url):  # noqa: F811
    s3 = S3Storage(unique("nobucket"), endpoint_url=moto_url)
    with pytest.raises(ConfigError, match="bucket does not exist"):
        s3.put("uploads/x.wav", io.BytesIO(b"wav"))


def test_key_helpers():
    assert safe_name("../../My Meeting (final).MP4") == "My_Meeting_final_.MP4"
    assert upload_key("ab" * 32, "Team sync.MOV") == "uploads/" + "ab" * 32 + ".mov"
    assert result_prefix("0123") == "results/0123/"


def _results(folder: Path, version: str, keyframe: str) -> Path:
    (folder / "keyframes").mkdir(parents=True)
    (folder / "minutes.md").write_text(f"# minutes {version}")
    (folder / "transcript.vtt").write_text(f"WEBVTT {version}")
    (folder / "keyframes" / keyframe).write_bytes(version.encode())
    (folder / "meeting.json").write_text(json.dumps({"version": version, "keyframe": keyframe}))
    return folder


def _live(storage, tmp_path: Path, prefix: str) -> dict[str, str]:
    """The published files under ``prefix`` and their contents."""
    out = {}
    for obj in storage.list(prefix):
        out[obj.key.removeprefix(prefix)] = storage.get(obj.key, tmp_path / "read" / obj.key).read_text()
    return out


V1 = {"minutes.md": "# minutes v1", "transcript.vtt": "WEBVTT v1", "keyframes/scene-0000.jpg": "v1",
      "meeting.json": json.dumps({"version": "v1", "keyframe": "scene-0000.jpg"})}
V2 = {"minutes.md": "# minutes v2", "transcript.vtt": "WEBVTT v2", "keyframes/scene-0001.jpg": "v2",
      "meeting.json": json.dumps({"version": "v2", "keyframe": "scene-0001.jpg"})}


@pytest.mark.parametrize("crash_at", [1, 2, 3])
def test_a_local_publish_cut_short_at_any_step_leaves_one_whole_version(tmp_path, monkeypatch, crash_at):
    # A re-run publishes over the results people are reading. The process dying at any rename of the
    # publication must leave the old results or the new, whole: never none (the old two-rename swap
    # left a moment, and after a crash a state, with no results folder at all).
    storage = LocalStorage(tmp_path / "data")
    storage.put_dir(_results(tmp_path / "r1", "v1", "scene-0000.jpg"), result_prefix("job1"))
    calls = []
    real_rename = os.rename

    def dying_rename(src, dst):
        calls.append((src, dst))
        if len(calls) == crash_at:
            raise SystemExit("the worker died here")
        real_rename(src, dst)

    monkeypatch.setattr("lifestream.storage.local.os.rename", dying_rename)
    try:
        storage.put_dir(_results(tmp_path / "r2", "v2", "scene-0001.jpg"), result_prefix("job1"))
    except SystemExit:
        pass
    monkeypatch.undo()
    assert _live(storage, tmp_path, "results/job1/") in (V1, V2)


def test_readers_never_find_the_results_missing_or_partial_while_they_are_rewritten(storage, tmp_path):
    prefix = result_prefix("job1")
    storage.put_dir(_results(tmp_path / "r0", "v0", "scene-0000.jpg"), prefix)
    stop = threading.Event()
    seen: list[str] = []
    problems: list[str] = []

    def reader():
        n = 0
        while not stop.is_set():
            n += 1
            try:
                text = storage.get(prefix + "meeting.json", tmp_path / "reader" / f"{n}.json").read_text()
                seen.append(json.loads(text)["version"])
            except Exception as exc:  # noqa: BLE001  (any failure to read is the finding)
                problems.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(1, 16):
            storage.put_dir(_results(tmp_path / f"r{i}", f"v{i}", f"scene-{i:04d}.jpg"), prefix)
    finally:
        stop.set()
        thread.join(30)
    assert not problems, problems[:3]
    assert len(set(seen)) > 1  # the reader did read during the rewrites
    assert _live(storage, tmp_path, prefix)["minutes.md"] == "# minutes v15"


def test_an_s3_publish_that_fails_half_way_leaves_the_live_results_as_they_were(moto_url, tmp_path):  # noqa: F811
    bucket = unique("lifestream")
    make_bucket(moto_url, bucket)
    storage = S3Storage(bucket, prefix="team-a", endpoint_url=moto_url)
    prefix = result_prefix("job1")
    storage.put_dir(_results(tmp_path / "r1", "v1", "scene-0000.jpg"), prefix)
    assert _live(storage, tmp_path, prefix) == V1

    puts = []

    def connection_drops(**kwargs):
        puts.append(kwargs.get("params", {}).get("Key"))
        if len(puts) == 3:  # the network goes away after two files of the new version went up
            raise ConnectionResetError("connection reset by peer")

    storage.client.meta.events.register("provide-client-params.s3.PutObject", connection_drops)
    with pytest.raises(ConnectionResetError):
        storage.put_dir(_results(tmp_path / "r2", "v2", "scene-0001.jpg"), prefix)
    storage.client.meta.events.unregister("provide-client-params.s3.PutObject", connection_drops)
    assert all("/.versions/" in key for key in puts)  # the new version went up beside the live one
    assert _live(storage, tmp_path, prefix) == V1  # untouched, and the half version is cleared away

    storage.put_dir(_results(tmp_path / "r3", "v2", "scene-0001.jpg"), prefix)
    assert _live(storage, tmp_path, prefix) == V2  # the old keyframe gone, no version folder left


def test_checkpoints_go_to_the_result_folder_and_come_back_and_go_when_results_are_published(storage, tmp_path):
    from lifestream.workers import checkpoints

    made = tmp_path / "attempt1"
    (made / "scenes" / "keyframes").mkdir(parents=True)
    (made / "asr.json").write_text('{"key": "k", "value": 1}')
    (made / "scenes" / "keyframes" / "scene-0000.jpg").write_bytes(b"\xff\xd8jpeg")
    (made / ".asr.x1y2").write_text("a write cut short")
    checkpoints.keep(storage, "job1", made)
    assert storage.list(result_prefix("job1") + "minutes.md") == []  # no results: only checkpoints
    back = tmp_path / "attempt2"
    assert checkpoints.bring(storage, "job1", back) == 2
    assert (back / "asr.json").read_text() == '{"key": "k", "value": 1}'
    assert (back / "scenes" / "keyframes" / "scene-0000.jpg").read_bytes() == b"\xff\xd8jpeg"
    assert not (back / ".asr.x1y2").exists()
    # Published results replace the folder, checkpoints and all.
    storage.put_dir(_results(tmp_path / "r1", "v1", "scene-0000.jpg"), result_prefix("job1"))
    assert checkpoints.bring(storage, "job1", tmp_path / "attempt3") == 0
    assert _live(storage, tmp_path, result_prefix("job1")) == V1


def test_some_files_are_replaced_together_and_a_cut_short_s3_rewrite_changes_nothing(storage, tmp_path):
    prefix = result_prefix("job1")
    storage.put_dir(_results(tmp_path / "r1", "v1", "scene-0000.jpg"), prefix)
    renamed = {"minutes.md": (b"# minutes renamed", "text/markdown"), "transcript.vtt": (b"WEBVTT renamed", None),
               "meeting.json": (b'{"version": "renamed"}', "application/json")}
    if isinstance(storage, S3Storage):
        # A rename's rewrite loses the network after two of its three files went up: nothing live changed.
        puts = []

        def connection_drops(**kwargs):
            puts.append(kwargs["params"]["Key"])
            if len(puts) == 3:
                raise ConnectionResetError("connection reset by peer")

        storage.client.meta.events.register("provide-client-params.s3.PutObject", connection_drops)
        with pytest.raises(ConnectionResetError):
            storage.put_files(prefix, renamed)
        storage.client.meta.events.unregister("provide-client-params.s3.PutObject", connection_drops)
        assert _live(storage, tmp_path, prefix) == V1
    keys = storage.put_files(prefix, renamed)
    assert keys[-1] == prefix + "meeting.json"  # the file that marks a complete result, last
    assert _live(storage, tmp_path, prefix) == {**V1, "minutes.md": "# minutes renamed",
                                                "transcript.vtt": "WEBVTT renamed",
                                                "meeting.json": '{"version": "renamed"}'}
    if isinstance(storage, S3Storage):
        assert storage.stat(prefix + "minutes.md") is not None
        head = storage.client.head_object(Bucket=storage.bucket, Key=storage._key(prefix + "minutes.md"))
        assert head["ContentType"] == "text/markdown"  # the type goes with the copy


def _history(storage: S3Storage) -> tuple[dict[str, int], dict[str, int]]:
    """Every object version and delete marker in the bucket: key (without the storage prefix) -> how many."""
    versions: dict[str, int] = {}
    markers: dict[str, int] = {}
    for page in storage.client.get_paginator("list_object_versions").paginate(Bucket=storage.bucket):
        for found, entries in ((versions, page.get("Versions", [])), (markers, page.get("DeleteMarkers", []))):
            for entry in entries:
                key = entry["Key"].removeprefix(storage.prefix)
                found[key] = found.get(key, 0) + 1
    return versions, markers


def test_a_publication_in_a_versioned_bucket_leaves_no_staged_copies_behind(moto_url, tmp_path):  # noqa: F811
    # The deployed bucket keeps versions. Publishing stages each file under .versions/ and copies it over
    # the live key; the staged copy must go for good, not linger as a non-current version behind a delete
    # marker (results stored twice until the lifecycle rules expire them; and delete markers that moto's
    # emptying of a suspended bucket, `terraform destroy`, cannot take).
    bucket = unique("lifestream")
    make_bucket(moto_url, bucket)
    storage = S3Storage(bucket, prefix="team-a", endpoint_url=moto_url)
    storage.client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    prefix = result_prefix("job1")
    storage.put_dir(_results(tmp_path / "r1", "v1", "scene-0000.jpg"), prefix)
    storage.put_dir(_results(tmp_path / "r2", "v2", "scene-0001.jpg"), prefix)
    storage.put_files(prefix, {"minutes.md": (b"# minutes renamed", "text/markdown")})

    def connection_drops(**kwargs):  # a third publication loses the network after its first file
        if "scene-0002.jpg" not in kwargs["params"]["Key"]:
            raise ConnectionResetError("connection reset by peer")

    storage.client.meta.events.register("provide-client-params.s3.PutObject", connection_drops)
    with pytest.raises(ConnectionResetError):
        storage.put_dir(_results(tmp_path / "r3", "v3", "scene-0002.jpg"), prefix)
    storage.client.meta.events.unregister("provide-client-params.s3.PutObject", connection_drops)

    assert _live(storage, tmp_path, prefix) == {**V2, "minutes.md": "# minutes renamed"}
    versions, markers = _history(storage)
    assert not [key for key in {**versions, **markers} if "/.versions/" in key], (versions, markers)
    # What was live before stays restorable, as any replaced or deleted result does (deleted_object_days).
    assert versions == {f"{prefix}minutes.md": 3, f"{prefix}transcript.vtt": 2, f"{prefix}meeting.json": 2,
                        f"{prefix}keyframes/scene-0000.jpg": 1, f"{prefix}keyframes/scene-0001.jpg": 1}, versions
    assert markers == {f"{prefix}keyframes/scene-0000.jpg": 1}, markers  # v1's keyframe, which v2 has not


# --- DeleteObjects answers 200 even when it left keys in the bucket: each one is named in its <Error>s

def _bucket_with(moto_url: str, keys: list[str]) -> tuple[str, S3Storage]:  # noqa: F811
    bucket = unique("deletes")
    make_bucket(moto_url, bucket)
    direct = S3Storage(bucket, prefix="team-a", endpoint_url=moto_url)
    for key in keys:
        direct.put(key, io.BytesIO(key.encode()))
    return bucket, direct


def _refusing(schedule: dict[str, list[str]]):
    """refuse(key) for DeleteRefusingProxy: each key's codes in turn (``[code] * 99``: always), then none."""
    def refuse(key: str) -> str | None:
        codes = schedule.get(key.removeprefix("team-a/"), [])
        return codes.pop(0) if codes else None
    return refuse


MEETING = ["results/j1/minutes.md", "results/j1/meeting.json", "results/j1/keyframes/scene-0001.jpg"]


def test_keys_s3_refused_for_now_are_tried_again_until_they_go(moto_url):  # noqa: F811
    bucket, direct = _bucket_with(moto_url, [*MEETING, "results/j10/minutes.md"])
    schedule = {"results/j1/minutes.md": ["SlowDown", "InternalError"], "results/j1/meeting.json": ["ServiceUnavailable"]}
    with DeleteRefusingProxy(moto_url, _refusing(schedule)) as proxy:
        s3 = S3Storage(bucket, prefix="team-a", endpoint_url=proxy.url, delete_backoff=0.01)
        assert s3.delete("results/j1/") == 3
        # Both refused on the first try; only minutes.md on the second (alone); none on the third.
        assert proxy.refused[:2] in ([("team-a/results/j1/minutes.md", "SlowDown"),
                                      ("team-a/results/j1/meeting.json", "ServiceUnavailable")],
                                     [("team-a/results/j1/meeting.json", "ServiceUnavailable"),
                                      ("team-a/results/j1/minutes.md", "SlowDown")])
        assert proxy.refused[2:] == [("team-a/results/j1/minutes.md", "InternalError")]
    assert [o.key for o in direct.list("results/")] == ["results/j10/minutes.md"]  # read past the proxy


def test_keys_s3_keeps_refusing_for_now_are_a_transient_error_and_stay(moto_url):  # noqa: F811
    bucket, direct = _bucket_with(moto_url, MEETING)
    with DeleteRefusingProxy(moto_url, _refusing({"results/j1/minutes.md": ["SlowDown"] * 99})) as proxy:
        s3 = S3Storage(bucket, prefix="team-a", endpoint_url=proxy.url, delete_backoff=0.01)
        with pytest.raises(TransientError) as refused:
            s3.delete("results/j1/")
        assert len(proxy.refused) == DELETE_ATTEMPTS
    assert refused.value.message == (
        "delete of results/j1/: S3 refused to delete 1 of 3 object(s) (SlowDown; first results/j1/minutes.md: "
        f"SlowDown (injected by the test's proxy)) after {DELETE_ATTEMPTS} tries; they are still there, try again later.")
    assert [o.key for o in direct.list("results/")] == ["results/j1/minutes.md"]


def test_a_key_refused_for_good_is_not_retried_and_is_a_clear_error(moto_url):  # noqa: F811
    bucket, direct = _bucket_with(moto_url, MEETING)
    schedule = {"results/j1/minutes.md": ["AccessDenied"] * 99, "results/j1/meeting.json": ["SlowDown"]}
    with DeleteRefusingProxy(moto_url, _refusing(schedule)) as proxy:
        s3 = S3Storage(bucket, prefix="team-a", endpoint_url=proxy.url, delete_backoff=0.01)
        with pytest.raises(ConfigError, match=r"^delete of results/j1/: S3 refused to delete 1 of 3 object\(s\) "
                                              r"\(AccessDenied; first results/j1/minutes.md: .*check the bucket policy"):
            s3.delete("results/j1/")
        # AccessDenied once; the key refused for now was tried again, and went.
        assert sorted(code for _, code in proxy.refused) == ["AccessDenied", "SlowDown"]
    assert [o.key for o in direct.list("results/")] == ["results/j1/minutes.md"]


def test_a_bucket_policy_that_denies_deletion_is_named_and_lifting_it_lets_a_retry_finish(moto_url):  # noqa: F811
    # No proxy: moto applies the bucket's Deny to each key of a DeleteObjects, as S3 does.
    bucket, s3 = _bucket_with(moto_url, [*MEETING, "results/j2/minutes.md"])
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{bucket}/team-a/results/j1/*"}]}
    s3.client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    with pytest.raises(ConfigError) as refused:
        s3.delete("results/")
    assert refused.value.message.startswith(
        "delete of results/: S3 refused to delete 3 of 4 object(s) (AccessDenied x3; first results/j1/")
    assert sorted(o.key for o in s3.list("results/")) == sorted(MEETING)  # j2 went; j1's are all there
    s3.client.delete_bucket_policy(Bucket=bucket)
    assert s3.delete("results/") == 3 and s3.list("results/") == []
