"""The chaos run: recordings shared through the Slack double into the cloud shape of LifeStream, under faults.

The shape: `lifestream serve` (the bot, no embedded worker) and `lifestream worker` processes, on a Redis
broker, with S3 storage on moto's server and the job store (SQLite) in a data dir they share. In front of
the Slack double, moto and Redis sit fault proxies (``tests.support.faults``) answering 500s, resetting
connections and stalling at seeded rates. In the middle of the run a worker holding a job is killed with
SIGKILL, and Redis is killed and started again empty (no persistence: every queued message is lost).

The outcome (``ChaosResult``) says, per recording, what its thread got: the minutes (speech) or a failure
notice (recordings without speech, which fail in the pipeline and say so), and how many times. Used by
``bench/chaos.py`` (30 recordings) and ``tests/jobs/test_chaos.py`` (a few).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.doubles.slack import BOT_TOKEN, TEAM, SlackDouble
from tests.support.faults import FaultPlan, HttpFaultProxy, RedisServer, TcpFaultProxy
from tests.support.loopback import ROOT, start_serve, stop_serve
from tests.support.media import silent_audio
from tests.support.slack_events import SIGNING_SECRET, event_body, file_share_event, post_signed
from tests.support.web_server import LINK_SECRET

CHANNEL, USER = "C100", "U1"
LEASE_SECONDS = 6  # a killed worker's job is taken over this long after its last renewal


@dataclass(frozen=True)
class ChaosConfig:
    speech: int = 3  # recordings with speech: each must get its minutes
    silent: int = 1  # recordings without speech: each must get one failure notice
    workers: int = 2
    seed: int = 14
    slack_rates: tuple[float, float, float] = (0.08, 0.08, 0.04)  # 500, reset, stall per Web API call
    s3_rates: tuple[float, float, float] = (0.05, 0.05, 0.03)  # per S3 request
    redis_rates: tuple[float, float, float] = (0.0, 0.004, 0.004)  # per chunk sent to Redis (reset, stall)
    stall_seconds: float = 2.0
    share_every_s: float = 0.5
    redis_outage_s: float = 3.0
    asr_model: str = "tiny.en"  # the suite's quick model (tests/jobs/test_isolation.py); diarization stays on
    timeout_s: float = 900


@dataclass
class Thread:
    name: str
    speech: bool
    ts: str
    minutes: int = 0  # minutes posted in the thread (their first message, the header)
    failure_notices: int = 0  # "I couldn't process …" (a failed job, announced)
    refusals: int = 0  # the status message edited to "I can't process …" (intake failed)

    @property
    def settled(self) -> bool:
        return self.minutes + self.failure_notices + self.refusals > 0

    @property
    def ok(self) -> bool:
        """Speech: its minutes once, nothing else. Silence: its failure once, nothing else."""
        if self.speech:
            return self.minutes == 1 and self.failure_notices == 0 and self.refusals == 0
        return self.failure_notices == 1 and self.minutes == 0 and self.refusals == 0


@dataclass
class ChaosResult:
    threads: list[Thread]
    faults: dict[str, Counter]  # "slack" / "s3" / "redis" -> kind -> count
    requests: dict[str, int]
    job_attempts: dict[str, int]  # job id -> attempts it took
    announcements_resumed: int  # announcements cut short by faults and taken over later
    worker_killed_holding: str | None  # the job the SIGKILLed worker held
    messages_resent: int  # jobs whose message the recovery loop sent again (lost with Redis)
    duplicated_posts: int  # identical chat.postMessage calls that reached Slack
    wall_s: float
    logs: dict[str, str] = field(default_factory=dict)

    @property
    def lost(self) -> list[str]:
        return [t.name for t in self.threads if t.minutes + t.failure_notices == 0]

    @property
    def duplicated(self) -> list[str]:
        return [t.name for t in self.threads if t.minutes > 1 or t.failure_notices > 1]

    @property
    def retries(self) -> int:
        return sum(max(0, n - 1) for n in self.job_attempts.values())

    def summary(self) -> str:
        faults = ", ".join(f"{target} {dict(sorted(kinds.items()))} of {self.requests[target]}"
                           for target, kinds in self.faults.items())
        speech = sum(t.speech for t in self.threads)
        return (f"{len(self.threads)} recordings ({speech} with speech, {len(self.threads) - speech} without); "
                f"faults injected: {faults}; worker SIGKILLed holding job {self.worker_killed_holding}; "
                f"Redis killed and restarted empty; job retries {self.retries} "
                f"(attempts {dict(sorted(Counter(self.job_attempts.values()).items()))}); messages re-sent after "
                f"the restart {self.messages_resent}; announcements resumed {self.announcements_resumed}; "
                f"minutes posted {sum(t.minutes for t in self.threads)}, failures announced "
                f"{sum(t.failure_notices for t in self.threads)}; duplicates {len(self.duplicated)} "
                f"(identical posts {self.duplicated_posts}); lost {len(self.lost)}; wall {self.wall_s:.0f} s")


def speech_recordings(sample: Path, folder: Path, n: int) -> list[Path]:
    """``n`` different recordings of the real sample: each ends in its own length of silence, so each has
    its own content hash (its own job) and the same real speech."""
    with wave.open(str(sample), "rb") as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    out = []
    for i in range(n):
        path = folder / f"meeting-{i:02d}.wav"
        pad = b"\x00" * (params.sampwidth * params.nchannels * int(params.framerate * 0.02 * (i + 1)))
        with wave.open(str(path), "wb") as w:
            w.setparams(params)
            w.writeframes(frames + pad)
        out.append(path)
    return out


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen([sys.executable, "-m", "lifestream", "-v", "worker"], env=env, cwd=ROOT,
                                     stdout=log.open("ab"), stderr=subprocess.STDOUT)

    def ready(self) -> bool:
        return "lifestream worker: ready" in self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _wait(predicate: Callable[[], object], timeout: float, what: str, check: Callable[[], None] = lambda: None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check()
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _slack_error(request: web.Request) -> web.Response:
    return web.json_response({"ok": False, "error": "internal_error"}, status=500)


def _s3_error(request: web.Request) -> web.Response:
    return web.Response(status=500, content_type="application/xml",
                        text="<?xml version='1.0' encoding='UTF-8'?><Error><Code>InternalError</Code>"
                             "<Message>injected</Message></Error>")


def run_chaos(config: ChaosConfig, sample: Path, workdir: Path, *, log: Callable[[str], None] = print) -> ChaosResult:
    import boto3
    from moto.server import ThreadedMotoServer

    from lifestream.services import Services
    from lifestream.settings import Settings

    started = time.monotonic()
    data_dir = workdir / "data"
    media = workdir / "media"
    for folder in (data_dir, media):
        folder.mkdir(parents=True, exist_ok=True)
    recordings = [(p, True) for p in speech_recordings(sample, media, config.speech)]
    recordings += [(silent_audio(media / f"quiet-{i:02d}.wav", seconds=3 + i), False) for i in range(config.silent)]
    # spread the silent ones among the others
    recordings.sort(key=lambda r: (int(r[0].stem.split("-")[-1]) * (config.speech + 1) // max(1, config.silent)
                                   if not r[1] else int(r[0].stem.split("-")[-1])))

    def plan(rates: tuple[float, float, float], salt: int) -> FaultPlan:
        return FaultPlan(seed=config.seed * 1000 + salt, rates=dict(zip(("500", "reset", "stall"), rates)),
                         stall_seconds=config.stall_seconds)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request otherwise
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    env_aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket="chaos")

    slack_plan, s3_plan, redis_plan = plan(config.slack_rates, 1), plan(config.s3_rates, 2), plan(config.redis_rates, 3)
    for p in (slack_plan, s3_plan, redis_plan):
        p.enabled = False  # on once everything has started: the chaos is in the run, not in the start-up
    workers: list[Worker] = []
    serve = None
    killed_job: str | None = None
    with SlackDouble() as slack, RedisServer(workdir) as redis, TcpFaultProxy(redis.port, redis_plan) as redis_proxy, \
            HttpFaultProxy(f"http://127.0.0.1:{slack.port}", slack_plan, error_body=_slack_error,
                           faulty=lambda r: r.path.startswith("/api/")) as slack_proxy, \
            HttpFaultProxy(moto_url, s3_plan, error_body=_s3_error) as s3_proxy:
        slack.memberships[USER] = [CHANNEL]
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LIFESTREAM_")}
        env = {**inherited, **env_aws, "LIFESTREAM_DATA_DIR": str(data_dir),
               "LIFESTREAM_BROKER_URL": f"redis://127.0.0.1:{redis_proxy.port}/0",
               "LIFESTREAM_S3_BUCKET": "chaos", "LIFESTREAM_S3_ENDPOINT_URL": s3_proxy.url,
               "LIFESTREAM_SLACK_BOT_TOKEN": BOT_TOKEN, "LIFESTREAM_SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "LIFESTREAM_SLACK_API_URL": f"{slack_proxy.url}/api/", "LIFESTREAM_LINK_SECRET": LINK_SECRET,
               "LIFESTREAM_JOB_LEASE_SECONDS": str(LEASE_SECONDS), "LIFESTREAM_ASR_MODEL": config.asr_model,
               "LIFESTREAM_ASR_BEAM_SIZE": "1", "LIFESTREAM_JOB_RETRY_MIN_BACKOFF_MS": "1000",
               "LIFESTREAM_JOB_RETRY_MAX_BACKOFF_MS": "5000"}
        store = Services(Settings(data_dir=data_dir)).store
        try:
            serve, url = start_serve(data_dir, env)
            for n in range(config.workers):
                workers.append(Worker(env, workdir / f"worker-{n}.log"))
            _wait(lambda: all(w.ready() for w in workers), 120, "the workers to start")
            for p in (slack_plan, s3_plan, redis_plan):
                p.enabled = True
            log(f"chaos: serve and {len(workers)} workers up in {time.monotonic() - started:.0f} s; sharing "
                f"{len(recordings)} recordings")

            def alive() -> None:
                if serve.poll() is not None:
                    raise AssertionError("lifestream serve died:\n" + (data_dir / "serve.log").read_text()[-3000:])

            threads: list[Thread] = []
            kill_at, restart_at = len(recordings) // 3, (2 * len(recordings)) // 3
            for i, (path, speech) in enumerate(recordings):
                file = slack.add_file(f"F{i:03d}", path, "audio/wav")
                file["url_private_download"] = file["url_private_download"].replace(str(slack.port),
                                                                                    str(slack_proxy.port))
                ts = slack.next_ts()
                slack.messages[CHANNEL].append({"ts": ts, "user": USER, "text": "", "files": [file]})
                body = event_body(file_share_event(CHANNEL, USER, ts, file), team=TEAM, event_id=f"EvChaos{i}")
                ack = post_signed(url, body, "application/json")
                assert ack.status == 200, f"the bot answered {ack.status} to a file share"
                threads.append(Thread(path.name, speech, ts))
                time.sleep(config.share_every_s)
                if i == kill_at:
                    killed_job = _kill_a_worker_mid_job(store, workers, env, workdir, log, alive)
                if i == restart_at:
                    log(f"chaos: killing Redis (its queue is lost) for {config.redis_outage_s:.0f} s")
                    redis.kill()
                    time.sleep(config.redis_outage_s)
                    redis.start()

            def settled() -> bool:
                _count(slack, threads)
                jobs = store.list(limit=10_000)
                done = all(j.final and j.completion_announced for j in jobs)
                return all(t.settled for t in threads) and done

            _wait(settled, config.timeout_s, "every recording's minutes or failure", alive)
            log(f"chaos: every thread settled after {time.monotonic() - started:.0f} s; waiting for strays")
            time.sleep(LEASE_SECONDS + 4)  # anything that would be posted twice has had the time to be
            _count(slack, threads)
        finally:
            for w in workers:
                w.stop()
            if serve is not None:
                stop_serve(serve)
            moto.stop()
        posts = [json.dumps(a, sort_keys=True) for a in slack.calls_to("chat.postMessage")]
        logs = {"serve": (data_dir / "serve.log").read_text(errors="replace")}
        logs.update({w.log.stem: w.log.read_text(errors="replace") for w in workers})
        everything = "\n".join(logs.values())
        jobs = store.list(limit=10_000)
        return ChaosResult(
            threads=threads,
            faults={"slack": slack_plan.counts, "s3": s3_plan.counts, "redis": redis_plan.counts},
            requests={"slack": slack_proxy.requests, "s3": s3_proxy.requests, "redis": redis_proxy.connections},
            job_attempts={j.id: j.attempts for j in jobs},
            announcements_resumed=everything.count("failed on completed") + everything.count("failed on failed"),
            worker_killed_holding=killed_job,
            messages_resent=everything.count("no message in Redis (lost in a restart?); sent again"),
            duplicated_posts=len(posts) - len(set(posts)),
            wall_s=time.monotonic() - started,
            logs=logs,
        )


def _kill_a_worker_mid_job(store, workers: list[Worker], env: dict[str, str], workdir: Path, log,
                           alive: Callable[[], None]) -> str:
    """SIGKILL a worker while it holds a job (its pipeline running), and start another in its place."""
    from lifestream.workers.jobstore import JobState

    def held() -> tuple[Worker, str] | None:
        for job in store.list([JobState.PROCESSING]):
            pid = int(job.owner.split(":")[1]) if job.owner and job.owner.count(":") >= 2 else None
            for w in workers:
                if w.proc.pid == pid and w.proc.poll() is None and job.stage in ("asr", "diarization", "extract"):
                    return w, job.id
        return None

    victim, job_id = _wait(held, 300, "a worker holding a job", alive)
    log(f"chaos: SIGKILL worker {victim.proc.pid} holding job {job_id}")
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(30)
    workers.append(Worker(env, workdir / f"worker-{len(workers)}.log"))
    return job_id


def _count(slack: SlackDouble, threads: list[Thread]) -> None:
    for t in threads:
        replies = [m for m in slack.thread(CHANNEL, t.ts) if m["ts"] != t.ts and m.get("user") == "UBOT"]
        t.minutes = sum(1 for m in replies if m.get("blocks") and m["blocks"][0].get("type") == "header")
        t.failure_notices = sum(1 for m in replies if "couldn't process" in m.get("text", ""))
        t.refusals = sum(1 for m in replies if "can't process" in m.get("text", ""))
