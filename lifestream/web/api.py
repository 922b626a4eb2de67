"""The HTTP API under /api/v1: upload, status, minutes, questions, listing and deleting meetings.

Every route but the spec and the direct upload (whose signed URL is its own
permission) needs a workspace's bearer token, and sees only that workspace's
meetings. Errors are ``{"error": "..."}`` with a 4xx code saying whose fault
it was; a 5xx is a bug or an outage (503: a backend is unavailable).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from lifestream.errors import MediaError, TransientError
from lifestream.settings import Settings
from lifestream.storage import UPLOADS, Storage, StorageMissing, get_storage, safe_name
from lifestream.web import auth, schemas
from lifestream.workers.jobstore import Job, JobState, JobStore, get_job_store, iso, job_id_for

log = logging.getLogger(__name__)

API = "/api/v1"
JSON_LIMIT = 64 * 1024  # request bodies are small JSON; recordings go to the upload URL
MiB = 1 << 20
_BLOCK = 256 * 1024

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def error_response(status: int, message: str, headers: Any = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def api_errors(request: web.Request, handler):
    """JSON errors for everything under /api/v1, unknown routes and wrong methods included."""
    if not request.path.startswith(API + "/"):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "WWW-Authenticate")}
        return error_response(exc.status, exc.reason, headers)
    except TransientError as exc:
        return error_response(503, exc.message, {"Retry-After": "30"})
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal error")


@dataclass
class Services:
    settings: Settings
    store: JobStore
    storage: Storage
    tokens: dict[str, str]

    async def run(self, fn, *args, **kwargs):
        return await asyncio.to_thread(fn, *args, **kwargs)


SERVICES = web.AppKey("lifestream_api", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def make_services(settings: Settings) -> Services:
    return Services(settings=settings, store=get_job_store(settings), storage=get_storage(settings),
                    tokens=auth.token_table(settings))


# --- request helpers


def workspace(request: web.Request) -> str:
    found = auth.bearer_workspace(request, services(request).tokens)
    if found is None:
        raise ApiError(401, "a valid API token is required (Authorization: Bearer <token>)",
                       {"WWW-Authenticate": 'Bearer realm="lifestream"'})
    return found


async def read_body(request: web.Request, model: type[M]) -> M:
    if request.content_length is not None and request.content_length > JSON_LIMIT:
        raise ApiError(413, f"the request body is over {JSON_LIMIT // 1024} KiB")
    if request.content_type != "application/json":
        raise ApiError(415, "send a JSON body (Content-Type: application/json)")
    data = bytearray()
    while chunk := await request.content.read(_BLOCK):
        data += chunk
        if len(data) > JSON_LIMIT:
            raise ApiError(413, f"the request body is over {JSON_LIMIT // 1024} KiB")
    try:
        return model.model_validate_json(bytes(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ApiError(400, f"{where}: {first['msg']}" if where else first["msg"]) from None


def job_id_param(request: web.Request) -> str:
    job_id = request.match_info["job_id"]
    if not auth.valid_id(job_id):
        raise ApiError(400, "invalid job id: expected 16 hex digits")
    return job_id


async def owned_job(request: web.Request, ws: str) -> Job:
    svc = services(request)
    job_id = job_id_param(request)
    job = await svc.run(svc.store.get, job_id)
    if job is None or auth.job_workspace(job) != ws:  # another workspace's job is not there, for this token
        raise ApiError(404, f"no meeting {job_id} in this workspace")
    return job


def status_body(settings: Settings, job: Job) -> dict:
    error = job.reason if job.state is not JobState.COMPLETED else None
    return schemas.JobStatus(
        job_id=job.id, state=job.state.value, stage=job.stage, percent=job.percent, error=error,
        retryable=job.retryable, source_name=job.source_name, created_at=iso(job.created_at),
        updated_at=iso(job.updated_at), finished_at=iso(job.finished_at) if job.finished_at else None,
        page_url=auth.meeting_url(settings, job.id)).model_dump(mode="json")


def _max_bytes(settings: Settings) -> int:
    return settings.max_upload_mb * MiB


def _ticket_job_id(ticket: dict) -> str:
    return job_id_for(f"api-upload:{ticket['n']}")


# --- handlers


async def presigned_url(request: web.Request) -> web.Response:
    svc = services(request)
    ws = workspace(request)
    body = await read_body(request, schemas.UploadRequest)
    if body.size > _max_bytes(svc.settings):
        raise ApiError(413, f"the recording is over the limit of {svc.settings.max_upload_mb} MiB")
    nonce = secrets.token_hex(16)
    job_id = job_id_for(f"api-upload:{nonce}")
    source_name = (PurePosixPath(body.filename.replace("\\", "/")).name.strip() or safe_name(body.filename))[:200]
    key = f"{UPLOADS}api/{job_id}/{safe_name(body.filename)}"
    expires = int(time.time()) + svc.settings.presign_seconds
    ticket = auth.make_ticket(svc.settings, {"v": 1, "n": nonce, "w": ws, "c": body.conversation or "api",
                                             "k": key, "f": source_name, "s": body.size, "e": expires})
    url = await svc.run(svc.storage.presign_put, key, svc.settings.presign_seconds)
    if not url:  # local storage: upload to this server instead
        url = f"{svc.settings.public_url.rstrip('/')}{API}/upload/direct?token={ticket}"
    return web.json_response(schemas.UploadTicket(
        job_id=job_id, upload_token=ticket, upload_url=url, headers={"Content-Type": "application/octet-stream"},
        expires_at=iso(expires), max_bytes=body.size).model_dump(mode="json"))


async def direct_upload(request: web.Request) -> web.Response:
    """The upload URL when storage has no presigned URLs: the signed token is the permission."""
    svc = services(request)
    ticket = auth.read_ticket(svc.settings, request.query.get("token"))
    if ticket is None:
        raise ApiError(403, "this upload URL is not valid")
    if ticket["e"] < time.time():
        raise ApiError(403, "this upload URL has expired; ask for a new one")
    job_id = _ticket_job_id(ticket)
    if await svc.run(svc.store.get, job_id) is not None:
        raise ApiError(409, f"upload {job_id} is already confirmed")
    cap = min(int(ticket["s"]), _max_bytes(svc.settings))
    if request.content_length is not None and request.content_length > cap:
        raise ApiError(413, f"the body is larger than the {cap} bytes announced")
    scratch = svc.settings.data_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=scratch) as tmp:
        size = 0
        while chunk := await request.content.read(_BLOCK):
            size += len(chunk)
            if size > cap:
                raise ApiError(413, f"the body is larger than the {cap} bytes announced")
            tmp.write(chunk)
        if size == 0:
            raise ApiError(400, "the body is empty")
        tmp.seek(0)
        await svc.run(svc.storage.put, ticket["k"], tmp, content_type="application/octet-stream")
    return web.json_response(schemas.UploadReceived(job_id=job_id, size=size).model_dump())


async def confirm(request: web.Request) -> web.Response:
    from lifestream.pipeline.limits import check_duration, stored_duration
    from lifestream.workers.submit import submit_stored

    svc = services(request)
    ws = workspace(request)
    body = await read_body(request, schemas.ConfirmRequest)
    ticket = auth.read_ticket(svc.settings, body.upload_token)
    if ticket is None or ticket.get("w") != ws:
        raise ApiError(404, "no such upload in this workspace")
    job_id = _ticket_job_id(ticket)
    existing = await svc.run(svc.store.get, job_id)
    if existing is not None:  # confirmed before: the same job, whatever its state
        return web.json_response(status_body(svc.settings, existing))
    found = await svc.run(svc.storage.stat, ticket["k"])
    if found is None:
        raise ApiError(409, "nothing has been uploaded yet: PUT the file to upload_url first")
    if found.size > min(int(ticket["s"]), _max_bytes(svc.settings)):
        await svc.run(svc.storage.delete, ticket["k"])
        raise ApiError(413, "the uploaded file is larger than announced; it was discarded")
    duration = await svc.run(stored_duration, svc.storage, ticket["k"], ticket["f"])
    try:
        check_duration(duration, ticket["f"], svc.settings)
    except MediaError as exc:
        await svc.run(svc.storage.delete, ticket["k"])
        raise ApiError(413, f"{exc.message} It was discarded.") from None
    origin = {"platform": "api", "workspace": ws, "conversation": ticket["c"]}
    try:
        sub = await svc.run(submit_stored, ticket["k"], settings=svc.settings, source_name=ticket["f"],
                            origin=origin, num_speakers=body.num_speakers, duration=duration,
                            idempotency_key=f"api-upload:{ticket['n']}", store=svc.store, storage=svc.storage)
    except MediaError as exc:
        raise ApiError(409, exc.message) from None
    return web.json_response(status_body(svc.settings, sub.job), status=201 if sub.created else 200)


async def status(request: web.Request) -> web.Response:
    job = await owned_job(request, workspace(request))
    return web.json_response(status_body(services(request).settings, job))


def _summary_format(request: web.Request) -> str:
    fmt = request.query.get("format")
    if fmt is None:
        return "md" if "text/markdown" in request.headers.get("Accept", "") else "json"
    if fmt not in ("json", "md"):
        raise ApiError(400, "format must be json or md")
    return fmt


async def summary(request: web.Request) -> web.Response:
    from lifestream.meetings import load
    from lifestream.pipeline.outputs import minutes_markdown

    svc = services(request)
    ws = workspace(request)
    fmt = _summary_format(request)
    job = await owned_job(request, ws)
    if job.state is not JobState.COMPLETED:
        detail = f" ({job.stage} {job.percent:.0f}%)" if job.state is JobState.PROCESSING and job.stage else ""
        raise ApiError(409, f"job {job.id} is {job.state.value}{detail}; minutes come once it has completed")
    try:
        meeting = await svc.run(load, svc.storage, job.result_prefix)
    except StorageMissing:
        raise ApiError(404, f"the results of {job.id} are gone") from None
    if fmt == "md":
        return web.Response(text=minutes_markdown(meeting), content_type="text/markdown", charset="utf-8")
    minutes = meeting.minutes
    return web.json_response(schemas.MeetingSummary(
        job_id=job.id, title=minutes.title if minutes else meeting.source.name, source_name=job.source_name,
        duration=meeting.source.duration, language=meeting.language,
        speakers=[schemas.SpeakerName(label=s, name=meeting.speaker_name(s)) for s in meeting.speakers],
        minutes=minutes, page_url=auth.meeting_url(svc.settings, job.id)).model_dump(mode="json"))


async def workspace_jobs(svc: Services, ws: str, states=None) -> list[Job]:
    jobs = await svc.run(svc.store.list, states, 100_000)
    return [j for j in jobs if auth.job_workspace(j) == ws]


async def query(request: web.Request) -> web.Response:
    from lifestream.search import Scope, ask
    from lifestream.search.answers import NOT_FOUND_TEXT, Answer

    svc = services(request)
    ws = workspace(request)
    body = await read_body(request, schemas.QueryRequest)
    question = " ".join(body.question.split())
    if not question:
        raise ApiError(400, "question: empty")
    jobs = await workspace_jobs(svc, ws, [JobState.COMPLETED])
    conversations = {c for j in jobs if isinstance(c := j.origin.get("conversation"), str)}
    if body.conversations:
        conversations &= set(body.conversations)
    if not conversations:
        answer = Answer(text=NOT_FOUND_TEXT, found=False)
    else:
        answer = await svc.run(ask, question, Scope(ws, sorted(conversations)), settings=svc.settings,
                               meeting_ids=tuple(body.meeting_ids))
    return web.json_response(answer.model_dump(mode="json"))


def _int_param(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise ApiError(400, f"{name} must be a whole number from {lo} to {hi}")
    return int(raw)


async def list_meetings(request: web.Request) -> web.Response:
    svc = services(request)
    ws = workspace(request)
    limit = _int_param(request, "limit", 50, 1, 500)
    state = request.query.get("state")
    if state is not None and state not in {s.value for s in JobState}:
        raise ApiError(400, f"state must be one of {', '.join(s.value for s in JobState)}")
    jobs = await workspace_jobs(svc, ws, [JobState(state)] if state else None)
    items = [schemas.MeetingItem(
        job_id=j.id, source_name=j.source_name, state=j.state.value, stage=j.stage, percent=j.percent,
        conversation=j.origin.get("conversation"), created_at=iso(j.created_at),
        page_url=auth.meeting_url(svc.settings, j.id)) for j in jobs[:limit]]
    return web.json_response(schemas.MeetingList(meetings=items, jobs_page_url=auth.jobs_url(svc.settings, ws))
                             .model_dump(mode="json"))


async def delete_meeting(request: web.Request) -> web.Response:
    """Files, index records, then the job record (last: a failed delete can be repeated)."""
    from lifestream.search import get_index

    svc = services(request)
    job = await owned_job(request, workspace(request))
    wait = int(svc.settings.job_lease_seconds) + 5
    if job.state is JobState.PROCESSING:
        # Its worker notices at its next lease renewal and stops; deleting now could race its last writes.
        await svc.run(svc.store.cancel, job.id)
        raise ApiError(409, f"job {job.id} was processing and is now cancelled; delete it again in {wait} s",
                       {"Retry-After": str(wait)})
    if job.state is JobState.QUEUED:
        if await svc.run(svc.store.cancel, job.id) is None:  # a worker claimed it just now
            raise ApiError(409, f"job {job.id} has just started; delete it again in {wait} s",
                           {"Retry-After": str(wait)})
    elif job.state is JobState.CANCELLED and job.started_at and (job.finished_at or 0) > time.time() - wait:
        raise ApiError(409, f"job {job.id} is still stopping; delete it again in {wait} s", {"Retry-After": str(wait)})
    await svc.run(svc.storage.delete, job.result_prefix)
    upload_folder = f"{UPLOADS}api/{job.id}/"
    if job.storage_key.startswith(upload_folder):
        await svc.run(svc.storage.delete, upload_folder)
    else:  # a recording stored by content: keep it while another job still uses it
        others = await svc.run(svc.store.list, None, 100_000)
        if not any(j.storage_key == job.storage_key and j.id != job.id for j in others):
            await svc.run(svc.storage.delete, job.storage_key)
    await svc.run(get_index(svc.settings).delete_meeting, job.id)
    await svc.run(svc.store.delete, job.id)
    return web.Response(status=204)


async def openapi(request: web.Request) -> web.Response:
    from lifestream.web.openapi import spec

    return web.json_response(spec(services(request).settings))


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{API}/openapi.json", openapi)
    r.add_post(f"{API}/upload/presigned-url", presigned_url)
    r.add_put(f"{API}/upload/direct", direct_upload)
    r.add_post(f"{API}/upload/confirm", confirm)
    r.add_get(f"{API}/status/{{job_id}}", status)
    r.add_get(f"{API}/summary/{{job_id}}", summary)
    r.add_post(f"{API}/query", query)
    r.add_get(f"{API}/meetings", list_meetings)
    r.add_delete(f"{API}/meetings/{{job_id}}", delete_meeting)
