"""The load run: Slack events and API calls at a steady rate against `lifestream serve` while two jobs run.

`lifestream serve` (embedded broker: its own worker thread takes one job) and one `lifestream worker` on the
same data dir (it takes the other) process two recordings shared through the Slack double, each through the
real pipeline. Once both are processing, requests go out open-loop (each at its scheduled time, whatever
the earlier ones are doing) for a bounded time, round robin: signed Slack events (a message, an
@mention that gets a reply, a `/ask` command) over real HTTP to the bot's aiohttp server, and API calls
(`GET meetings`, `POST query`) with a workspace token. Slack wants every request acknowledged within
3 seconds; what counts is the time to the whole HTTP answer. Used by ``bench/load.py`` and
``tests/bots/test_load.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import wave
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.doubles.slack import BOT_TOKEN, TEAM, SlackDouble
from tests.support.loopback import ROOT
from tests.support.slack_events import (
    SIGNING_SECRET,
    Ack,
    event_body,
    file_share_event,
    post_signed,
)
from tests.support.web_server import LINK_SECRET, start_server, stop_server

CHANNEL, USER = "C100", "U1"
SLACK_KINDS = ("message", "mention", "command")
API_KINDS = ("api meetings", "api query")


@dataclass(frozen=True)
class LoadConfig:
    rate: float = 8.0  # requests per second, all kinds together
    seconds: float = 20.0  # how long the load lasts
    loops: int = 6  # each recording is the real sample repeated this many times (30 s each)
    asr_model: str = "tiny.en"


@dataclass
class LoadResult:
    latencies: dict[str, list[float]]  # kind -> seconds to the whole answer
    errors: dict[str, int]  # kind -> answers that were not 200 (or no answer)
    both_processing: float  # share of the load window during which both jobs were processing
    sent: int
    late_starts: int  # requests that went out over 100 ms after their scheduled time (the load generator lagged)
    load_average: tuple[float, float] = (0.0, 0.0)
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)  # requests that got no answer, and why
    cold_api_s: float = 0.0  # an API call made while the server's first questions load the embedding model
    cold_answer_s: float = 0.0  # and when the first of those questions was answered

    def slack(self) -> list[float]:
        return [s for kind in SLACK_KINDS for s in self.latencies.get(kind, [])]

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")

    def rows(self) -> list[tuple[str, int, float, float, float, int]]:
        """(kind, count, p50, p95, max, errors) per kind, then all Slack requests together."""
        out = [(k, len(v), self.pct(v, .5), self.pct(v, .95), max(v), self.errors.get(k, 0))
               for k, v in sorted(self.latencies.items()) if v]
        slack = self.slack()
        out.append(("Slack (all)", len(slack), self.pct(slack, .5), self.pct(slack, .95), max(slack),
                    sum(self.errors.get(k, 0) for k in SLACK_KINDS)))
        return out

    def table(self) -> str:
        lines = ["| requests | n | p50 | p95 | max | not 200 |", "|---|---|---|---|---|---|"]
        lines += [f"| {k} | {n} | {p50 * 1000:.0f} ms | {p95 * 1000:.0f} ms | {mx * 1000:.0f} ms | {err} |"
                  for k, n, p50, p95, mx, err in self.rows()]
        return "\n".join(lines)


def long_recording(sample: Path, out: Path, loops: int, tag: int) -> Path:
    """The real sample ``loops`` times over (plus ``tag`` frames of silence: a content hash of its own)."""
    with wave.open(str(sample), "rb") as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(frames * loops + b"\x00" * (params.sampwidth * (tag + 1) * 160))
    return out


def run_load(config: LoadConfig, sample: Path, workdir: Path, *, log: Callable[[str], None] = print) -> LoadResult:
    from lifestream.services import Services
    from lifestream.settings import Settings
    from lifestream.workers.jobstore import JobState

    started = time.monotonic()
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Services(Settings(data_dir=data_dir)).store
    worker = None
    with SlackDouble() as slack:
        slack.memberships[USER] = [CHANNEL]
        backend = {"LIFESTREAM_SLACK_BOT_TOKEN": BOT_TOKEN, "LIFESTREAM_SLACK_SIGNING_SECRET": SIGNING_SECRET,
                   "LIFESTREAM_SLACK_API_URL": slack.base_url, "LIFESTREAM_ASR_MODEL": config.asr_model,
                   "LIFESTREAM_ASR_BEAM_SIZE": "1", "LIFESTREAM_FETCH_ALLOW_NETWORKS": '["127.0.0.1/32"]'}
        server = start_server(data_dir, ["W1"], **backend)
        try:
            inherited = {k: v for k, v in os.environ.items() if not k.startswith("LIFESTREAM_")}
            worker_log = workdir / "worker.log"
            worker = subprocess.Popen([sys.executable, "-m", "lifestream", "worker"], cwd=ROOT, stdout=worker_log.open("wb"),
                                      stderr=subprocess.STDOUT,
                                      env={**inherited, **backend, "LIFESTREAM_DATA_DIR": str(data_dir),
                                           "LIFESTREAM_LINK_SECRET": LINK_SECRET,
                                           "LIFESTREAM_PUBLIC_URL": server.url})
            server.wait_for(lambda: "lifestream worker: ready" in worker_log.read_text(errors="replace"), 120,
                            "the worker to start")
            for n in range(2):
                path = long_recording(sample, workdir / f"allhands-{n}.wav", config.loops, n)
                file = slack.add_file(f"FL{n}", path, "audio/wav")
                ts = slack.next_ts()
                slack.messages[CHANNEL].append({"ts": ts, "user": USER, "text": "", "files": [file]})
                ack = post_signed(server.url, event_body(file_share_event(CHANNEL, USER, ts, file), team=TEAM,
                                                         event_id=f"EvShare{n}"), "application/json")
                assert ack.status == 200, ack

            cold = _first_questions(server, slack)
            log(f"load: the API answered in {cold[0]:.1f} s while the first questions loaded the embedding model "
                f"(first answer after {cold[1]:.1f} s)")

            def processing() -> int:
                refused = [m["text"] for m in slack.messages[CHANNEL] if "can't process" in m.get("text", "")]
                assert not refused, refused
                return len(store.list([JobState.PROCESSING]))

            server.wait_for(lambda: processing() == 2, 240, "both jobs to be processing")
            log(f"load: both jobs processing after {time.monotonic() - started:.0f} s; "
                f"{config.rate:g} requests/s for {config.seconds:g} s")
            load_before = os.getloadavg()[0]
            result = _drive(config, server, slack, processing)
            result.load_average = (load_before, os.getloadavg()[0])
            result.cold_api_s, result.cold_answer_s = cold
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGKILL)  # its job is not waited for: the figures are in
                worker.wait(30)
            if server.proc is not None:
                server.proc.send_signal(signal.SIGKILL)
                server.proc.wait(30)
            stop_server(server)
    result.wall_s = time.monotonic() - started
    return result


def _first_questions(server, slack: SlackDouble, questions: int = 8) -> tuple[float, float]:
    """Questions to a cold server (its first load the embedding model, tens of seconds on a busy machine),
    and an API call right after them: how long the API call took, and when the first answer came."""
    begun = time.perf_counter()
    for n in range(questions):
        body = urllib.parse.urlencode({
            "command": "/ask", "text": "what did we decide?", "team_id": TEAM, "channel_id": CHANNEL,
            "user_id": USER, "response_url": f"http://127.0.0.1:{slack.port}/respond/cold{n}", "trigger_id": f"c{n}"})
        assert post_signed(server.url, body, "application/x-www-form-urlencoded").status == 200
    reply = server.request("GET", "/api/v1/meetings", token=server.tokens["W1"], timeout=300)
    assert reply.status == 200, reply.text
    api_s = time.perf_counter() - begun
    server.wait_for(lambda: any(name == "response_url" for name, _ in slack.calls), 300, "the first answer")
    return api_s, time.perf_counter() - begun


def _drive(config: LoadConfig, server, slack: SlackDouble, processing: Callable[[], int]) -> LoadResult:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    token = server.tokens["W1"]

    def slack_request(kind: str, n: int) -> Ack:
        ts = slack.next_ts()
        if kind == "message":
            event = {"type": "message", "channel": CHANNEL, "user": USER, "ts": ts, "text": f"status update {n}"}
        elif kind == "mention":
            event = {"type": "app_mention", "channel": CHANNEL, "user": USER, "ts": ts, "text": "<@UBOT> hello"}
        else:
            body = urllib.parse.urlencode({
                "command": "/ask", "text": "what was decided?", "team_id": TEAM, "channel_id": CHANNEL,
                "user_id": USER, "response_url": f"http://127.0.0.1:{slack.port}/respond/load{n}",
                "trigger_id": f"t{n}"})
            return post_signed(server.url, body, "application/x-www-form-urlencoded")
        return post_signed(server.url, event_body(event, team=TEAM, event_id=f"EvLoad{n}"), "application/json")

    def api_request(kind: str) -> Ack:
        begun = time.perf_counter()
        if kind == "api meetings":
            reply = server.request("GET", "/api/v1/meetings", token=token, timeout=30)
        else:
            reply = server.request("POST", "/api/v1/query", token=token, json_body={"question": "what was decided?"},
                                   timeout=30)
        return Ack(reply.status, time.perf_counter() - begun)

    failures: list[str] = []

    def one(kind: str, n: int) -> None:
        begun = time.perf_counter()
        try:
            ack = slack_request(kind, n) if kind in SLACK_KINDS else api_request(kind)
        except OSError as exc:  # no answer at all (a timeout, a refused connection): an error, at its length
            ack = Ack(0, time.perf_counter() - begun)
            with lock:
                failures.append(f"{kind}: {exc!r} after {ack.seconds:.1f} s")
        with lock:
            latencies[kind].append(ack.seconds)
            if ack.status != 200:
                errors[kind] += 1

    kinds = SLACK_KINDS + API_KINDS
    total = int(config.rate * config.seconds)
    late, both = 0, []
    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.perf_counter()
        next_sample = start
        for n in range(total):
            due = start + n / config.rate
            while (now := time.perf_counter()) < due:
                if now >= next_sample:  # how often both jobs are running while the load lasts
                    both.append(processing() == 2)
                    next_sample = now + 1.0
                time.sleep(min(0.01, max(0.0, due - time.perf_counter())))
            late += time.perf_counter() - due > 0.1
            pool.submit(one, kinds[n % len(kinds)], n)
    return LoadResult(latencies=dict(latencies), errors=dict(errors), sent=total, late_starts=late,
                      both_processing=sum(both) / len(both) if both else 0.0,
                      notes=failures)
