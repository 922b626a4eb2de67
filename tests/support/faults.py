"""Fault-injecting proxies on 127.0.0.1, for the chaos tests and bench/chaos.py.

- ``HttpFaultProxy``: an aiohttp reverse proxy in front of an HTTP server (the Slack double, moto's S3).
  A request it picks answers 500, has its connection reset, or is held (stalled) before it is passed on.
- ``DeleteRefusingProxy``: in front of moto's S3, has a DeleteObjects refuse the keys it picks with a per-key
  ``<Error>`` in its 200 answer (as S3 does with SlowDown, InternalError, AccessDenied...), leaving them there.
- ``TcpFaultProxy``: a TCP proxy in front of Redis. A chunk it picks resets both connections, or is held
  before it is passed on.
- ``RedisServer``: a redis-server on a fixed port that can be killed (SIGKILL, no persistence: its queue
  is lost) and started again on the same port.

Every fault is decided *before* the request or chunk reaches the server behind the proxy, so a fault
never hides an effect the server had: a client that retries cannot make a duplicate because of it. (A
response lost after Slack acted cannot be made exactly-once without an idempotency key, which
chat.postMessage does not take; that case is not injected.) Decisions come from one seeded
``random.Random`` per proxy, so a run's faults are reproducible given the same order of requests.
"""

from __future__ import annotations

import asyncio
import logging
import random
import shutil
import subprocess
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import aiohttp
from aiohttp import web

from tests.support.loopback import LoopbackServer, free_port
from tests.support.servers import wait_for_port

FAULT_KINDS = ("500", "reset", "stall")
# Headers that belong to one hop, not to the request or response passed on.
_HOP = {"host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
        "proxy-authenticate", "content-length"}


@dataclass
class FaultPlan:
    """How often each kind of fault is drawn (a probability per request or chunk), seeded."""

    seed: int
    rates: dict[str, float]
    stall_seconds: float = 2.0
    enabled: bool = True
    counts: Counter = field(default_factory=Counter)  # kind -> faults injected
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        """The fault for this request or chunk, or None; counted."""
        with self._lock:
            if not self.enabled:
                return None
            roll = self._rng.random()
            for kind in FAULT_KINDS:
                rate = self.rates.get(kind, 0.0)
                if roll < rate:
                    self.counts[kind] += 1
                    return kind
                roll -= rate
            return None


class _NotTheInjectedResets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and "reset by the fault proxy" in str(record.exc_info[1]))


class HttpFaultProxy(LoopbackServer):
    """Passes every request on to ``upstream`` (``http://host:port``); ``faulty(request)`` says which may fail."""

    def __init__(self, upstream: str, plan: FaultPlan, *, faulty: Callable[[web.Request], bool] = lambda r: True,
                 error_body: Callable[[web.Request], web.Response] | None = None) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.plan = plan
        self.faulty = faulty
        self.error_body = error_body or (lambda request: web.Response(status=500, text="injected fault"))
        self.requests = 0
        self._session: aiohttp.ClientSession | None = None
        logging.getLogger("aiohttp.server").addFilter(_NotTheInjectedResets())  # aiohttp logs each as an error

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._forward)
        app.on_cleanup.append(self._close_session)

    async def _close_session(self, app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        body = await request.read()
        fault = self.plan.draw() if self.faulty(request) else None
        if fault == "500":
            return self.error_body(request)
        if fault == "reset":  # the connection goes away with no answer at all
            assert request.transport is not None
            request.transport.abort()
            raise ConnectionResetError("reset by the fault proxy")
        if fault == "stall":
            await asyncio.sleep(self.plan.stall_seconds)
        return await self._pass_on(request, body, {k: v for k, v in request.headers.items() if k.lower() not in _HOP})

    async def _pass_on(self, request: web.Request, body: bytes, headers: dict[str, str]) -> web.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=False, timeout=aiohttp.ClientTimeout(total=120))
        async with self._session.request(request.method, self.upstream + request.rel_url.path_qs, headers=headers,
                                         data=body if body else None, allow_redirects=False) as upstream:
            payload = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
            if request.method == "HEAD" and "Content-Length" in upstream.headers:
                out["Content-Length"] = upstream.headers["Content-Length"]  # boto reads an object's size from it
                return web.Response(status=upstream.status, headers=out)
            return web.Response(status=upstream.status, headers=out, body=payload)


_S3 = "{http://s3.amazonaws.com/doc/2006-03-01/}"
ElementTree.register_namespace("", _S3[1:-1])  # S3's namespace unprefixed, as S3 and moto write and read it
# A body rewritten on its way no longer matches the checksum the client sent with it.
_BODY_CHECKS = ("content-md5", "x-amz-content-sha256", "x-amz-sdk-checksum-algorithm")


class DeleteRefusingProxy(HttpFaultProxy):
    """In front of moto's S3: DeleteObjects answers a per-key ``<Error>`` (with its 200) for the keys it picks.

    ``refuse(key)`` gives the error code for a key named in a DeleteObjects (``SlowDown``, ``AccessDenied``...)
    or None. A refused key is taken out of the request before it reaches moto, so, as in S3, it really is
    still there afterwards; the others are deleted by moto as asked. ``refused`` records (key, code) of each.
    """

    def __init__(self, upstream: str, refuse: Callable[[str], str | None]) -> None:
        super().__init__(upstream, FaultPlan(seed=0, rates={}, enabled=False))
        self.refuse = refuse
        self.refused: list[tuple[str, str]] = []

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST" or "delete" not in request.query:
            return await super()._forward(request)
        self.requests += 1
        asked = ElementTree.fromstring(await request.read())
        errors = []
        for obj in asked.findall(f"{_S3}Object"):
            key = obj.findtext(f"{_S3}Key") or ""
            code = self.refuse(key)
            if code is not None:
                asked.remove(obj)
                errors.append((key, code))
        self.refused += errors
        if asked.find(f"{_S3}Object") is not None:
            headers = {k: v for k, v in request.headers.items()
                       if k.lower() not in _HOP and k.lower() not in _BODY_CHECKS and not k.lower().startswith("x-amz-checksum")}
            answer = await self._pass_on(request, ElementTree.tostring(asked), headers)
            if answer.status != 200 or not errors:
                return answer
            assert isinstance(answer.body, bytes)
            result = ElementTree.fromstring(answer.body)
        else:  # every key refused: nothing for moto to do
            result = ElementTree.Element(f"{_S3}DeleteResult")
        for key, code in errors:
            error = ElementTree.SubElement(result, f"{_S3}Error")
            for name, text in (("Key", key), ("Code", code), ("Message", f"{code} (injected by the test's proxy)")):
                ElementTree.SubElement(error, f"{_S3}{name}").text = text
        return web.Response(status=200, body=ElementTree.tostring(result, xml_declaration=True, encoding="utf-8"),
                            content_type="application/xml")


class TcpFaultProxy:
    """A TCP proxy on its own event loop: ``127.0.0.1:port`` → ``127.0.0.1:upstream_port``."""

    def __init__(self, upstream_port: int, plan: FaultPlan) -> None:
        self.upstream_port = upstream_port
        self.plan = plan
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> TcpFaultProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        async def stop() -> None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:  # the server behind is down: so is the proxy, as far as the client can tell
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._writers.update(pair)

        def reset() -> None:
            for w in pair:
                w.transport.abort()

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, faulty: bool) -> None:
            try:
                while data := await src.read(65536):
                    fault = self.plan.draw() if faulty else None
                    if fault in ("reset", "500"):  # a TCP stream has no status code: a reset stands for both
                        reset()
                        return
                    if fault == "stall":
                        await asyncio.sleep(self.plan.stall_seconds)
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                reset()

        try:
            await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False))
        finally:
            self._writers.difference_update(pair)


class RedisServer:
    """redis-server on a fixed loopback port, without persistence: a kill loses everything queued."""

    def __init__(self, folder: Path) -> None:
        self.exe = shutil.which("redis-server")
        if not self.exe:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()
