"""`lifestream serve` as a real process, for the API and page tests, and a small HTTP client for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lifestream.web.auth import new_token
from tests.support.loopback import free_port

LINK_SECRET = "test-link-secret-for-loopback-servers-only"  # at least 32 bytes, as the server demands


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)  # workspace -> token
    proc: subprocess.Popen | None = None

    def request(self, method: str, path: str, *, token: str | None = None, body: bytes | None = None,
                json_body=None, headers: dict | None = None, timeout: float = 60) -> Reply:
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = path if path.startswith("http") else self.url + path
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers), exc.read())

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.time() + timeout
        while time.time() < deadline:
            result = predicate()
            if result:
                return result
            assert self.proc is None or self.proc.poll() is None, f"the server died:\n{self.log.read_text()[-5000:]}"
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}\n{self.log.read_text()[-3000:]}")


def start_server(data_dir: Path, workspaces: list[str], **env_extra: str) -> LiveServer:
    port = free_port()
    tokens, entries = {}, []
    for ws in workspaces:
        tokens[ws], entry = new_token(ws)
        entries.append(entry)
    # The embedded defaults (local storage, SQLite jobs, in-process broker) unless the test says otherwise.
    backends = ("BROKER_URL", "S3_", "JOBS_TABLE", "DYNAMODB_", "SQS_", "INDEX_BACKEND", "PINECONE_", "SLACK_",
                "TEAMS_", "LLM_BASE_URL", "API_TOKENS", "LINK_SECRET", "MAX_UPLOAD_MB")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(tuple(f"LIFESTREAM_{b}" for b in backends))}
    env = {**inherited, "LIFESTREAM_DATA_DIR": str(data_dir), "LIFESTREAM_HOST": "127.0.0.1",
           "LIFESTREAM_PORT": str(port), "LIFESTREAM_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "LIFESTREAM_LINK_SECRET": LINK_SECRET, "LIFESTREAM_API_TOKENS": json.dumps(entries), **env_extra}
    log = data_dir / "serve.log"
    server = LiveServer(url=f"http://127.0.0.1:{port}", data_dir=data_dir, log=log, tokens=tokens)
    # -v: the access log, which shows what a browser fetched
    server.proc = subprocess.Popen([sys.executable, "-m", "lifestream", "-v", "serve"], env=env,
                                   stdout=log.open("w"), stderr=subprocess.STDOUT)

    def healthy():
        try:
            return server.request("GET", "/healthz", timeout=2).status == 200
        except OSError:
            return False

    server.wait_for(healthy, 90, "the server to start")
    return server


def stop_server(server: LiveServer) -> None:
    if server.proc is not None:
        server.proc.terminate()
        try:
            server.proc.wait(30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(10)
