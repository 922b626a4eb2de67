"""The fix tests/support/moto_fixes.py makes to moto's server, shown on moto's server with and without it.

What `terraform destroy` does to a bucket that held deletions: versioning suspended (the provider's
delete of aws_s3_bucket_versioning), then every version and delete marker deleted by VersionId.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.infra.terraform_tools import ROOT
from tests.support.servers import aws_env, free_port, wait_for_port  # noqa: F401  (fixture)


@contextmanager
def _moto(module: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _empty_as_terraform_destroy_does(url: str) -> None:
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    s3.put_bucket_versioning(Bucket="data", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="data", Key="results/job1/minutes.md", Body=b"v1")
    s3.put_object(Bucket="data", Key="results/job1/minutes.md", Body=b"v2")
    s3.delete_object(Bucket="data", Key="results/job1/minutes.md")  # a delete marker over both
    s3.put_bucket_versioning(Bucket="data", VersioningConfiguration={"Status": "Suspended"})
    listed = s3.list_object_versions(Bucket="data")
    entries = [{"Key": v["Key"], "VersionId": v["VersionId"]}
               for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]
    assert len(entries) == 3
    s3.delete_objects(Bucket="data", Delete={"Objects": entries, "Quiet": True})
    listed = s3.list_object_versions(Bucket="data")
    assert not listed.get("Versions") and not listed.get("DeleteMarkers"), listed
    s3.delete_bucket(Bucket="data")
    assert not s3.list_buckets()["Buckets"]


def test_moto_crashes_on_a_delete_marker_in_a_suspended_bucket():
    # If this fails, moto has fixed it: tests/support/moto_fixes.py can go.
    with _moto("moto.server") as url, pytest.raises(ClientError) as refused:
        _empty_as_terraform_destroy_does(url)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_with_the_fix_the_bucket_is_emptied_and_deleted():
    with _moto("tests.support.moto_fixes") as url:
        _empty_as_terraform_destroy_does(url)
