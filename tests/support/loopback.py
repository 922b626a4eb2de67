"""Servers for tests, on 127.0.0.1 only: a base for the HTTP doubles, and `lifestream serve` as a process."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 180, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


class LoopbackServer:
    """An aiohttp app on its own event loop in a thread; subclasses add their routes in ``routes``."""

    def __init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def run(self, coro, timeout: float = 10):
        """Run a coroutine on the server's loop from a test thread."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def __enter__(self):
        self._thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *exc) -> None:
        self.run(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


# Settings a test server must not inherit from the developer's shell.
_PLATFORM_ENV = ("LIFESTREAM_BROKER_URL", "LIFESTREAM_SLACK_BOT_TOKEN", "LIFESTREAM_SLACK_SIGNING_SECRET",
                 "LIFESTREAM_SLACK_APP_TOKEN", "LIFESTREAM_TEAMS_APP_ID", "LIFESTREAM_TEAMS_APP_PASSWORD",
                 "LIFESTREAM_TEAMS_TENANT_ID", "LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED")


def start_serve(data_dir: Path, env: dict[str, str], *, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """`lifestream serve` (with its embedded worker) on a free loopback port; returns it once healthy."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if k not in _PLATFORM_ENV}
    full.update({"LIFESTREAM_DATA_DIR": str(data_dir), "LIFESTREAM_HOST": "127.0.0.1", "LIFESTREAM_PORT": str(port),
                 "LIFESTREAM_PUBLIC_URL": f"http://127.0.0.1:{port}",
                 "LIFESTREAM_FETCH_ALLOW_NETWORKS": '["127.0.0.1/32"]', **env})
    log = data_dir / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "lifestream", "serve"], env=full, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def healthy():
        try:
            return urllib.request.urlopen(f"{url}/healthz", timeout=1).status == 200
        except OSError:
            assert proc.poll() is None, log.read_text()
            return False

    wait_for(healthy, timeout, "the server to start")
    return proc, url


def stop_serve(proc: subprocess.Popen) -> None:
    """SIGTERM; a job still running gets its grace period, which a test need not wait for."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
