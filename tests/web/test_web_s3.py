"""The API's upload with S3 storage (moto server): the client PUTs straight to S3 with a presigned URL,
and confirm checks what arrived, since S3 cannot hold a presigned PUT to a size."""

from __future__ import annotations

import urllib.request

import boto3

from tests.support.servers import aws_env, make_bucket, moto_url, unique  # noqa: F401  (fixtures)
from tests.support.web_server import start_server, stop_server

AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _put(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_presigned_s3_upload_then_confirm(moto_url, tmp_path):  # noqa: F811
    bucket = unique("uploads")
    make_bucket(moto_url, bucket)
    server = start_server(tmp_path, ["W"], LIFESTREAM_S3_BUCKET=bucket, LIFESTREAM_S3_ENDPOINT_URL=moto_url,
                          LIFESTREAM_INDEX_BACKEND="local", **AWS)
    try:
        token = server.tokens["W"]
        s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
        t = server.request("POST", "/api/v1/upload/presigned-url", token=token,
                           json_body={"filename": "clip.mp4", "size": 8}).json()
        assert t["upload_url"].startswith(moto_url) and f"/{bucket}/uploads/api/{t['job_id']}/clip.mp4" in t["upload_url"]
        assert _put(t["upload_url"], b"12345678", t["headers"]) == 200
        confirmed = server.request("POST", "/api/v1/upload/confirm", token=token,
                                   json_body={"upload_token": t["upload_token"]})
        assert confirmed.status == 201 and confirmed.json()["job_id"] == t["job_id"]
        assert server.request("POST", "/api/v1/upload/confirm", token=token,
                              json_body={"upload_token": t["upload_token"]}).json()["job_id"] == t["job_id"]

        # More than announced: S3 took it, confirm refuses it and removes it.
        big = server.request("POST", "/api/v1/upload/presigned-url", token=token,
                             json_body={"filename": "big.mp4", "size": 4}).json()
        assert _put(big["upload_url"], b"0123456789", big["headers"]) == 200
        refused = server.request("POST", "/api/v1/upload/confirm", token=token,
                                 json_body={"upload_token": big["upload_token"]})
        assert refused.status == 413
        key = f"uploads/api/{big['job_id']}/big.mp4"
        assert s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount") == 0
        assert server.request("GET", f"/api/v1/status/{big['job_id']}", token=token).status == 404
    finally:
        stop_server(server)
