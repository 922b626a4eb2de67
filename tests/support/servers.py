"""Real servers for the job and storage tests: redis-server and moto's S3/DynamoDB/SQS server.

Both listen on 127.0.0.1 at a free port, are started by the fixture and
stopped after it. Import the fixtures into a test module to use them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A fresh redis-server for one test."""
    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait(timeout=10)


class _OneDynamoDBRequestAtATime:
    """DynamoDB applies each conditional write atomically; moto checks the condition and writes in several
    Python steps with no lock, so two racing requests (two workers claiming one job) can both "win" there.
    Its DynamoDB requests go one at a time, as atomic as the real service's; other services' (S3, SQS long
    polls) still run in parallel."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def _moto_server():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:  # as moto's, with DynamoDB's atomicity around the app
            app = _OneDynamoDBRequestAtATime(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return Server(ip_address="127.0.0.1", port=0, verbose=False)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's standalone server (S3, DynamoDB, SQS) in a thread of the test process."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one INFO line per request otherwise
    server = _moto_server()
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch) -> None:
    """Dummy credentials: boto3 signs requests, moto accepts any key. Never the real ones."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def make_bucket(moto_url: str, bucket: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1").create_bucket(Bucket=bucket)


# --- a completion hook, as a bot registers one: loaded by `lifestream worker --hook tests.support.servers:record_job_event`

HOOK_LOG = "hook-events.jsonl"


def record_job_event(event) -> None:
    """Append every completed/failed event to <data_dir>/hook-events.jsonl (O_APPEND: one line per write)."""
    if event.kind == "progress":
        return
    path = Path(os.environ["LIFESTREAM_DATA_DIR"]) / HOOK_LOG
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"kind": event.kind, "job": event.job.id, "pid": os.getpid()}) + "\n")


def hook_events(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / HOOK_LOG
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
