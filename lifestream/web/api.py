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
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from lifestream import meetings
from lifestream.downloads import DownloadsBusy
from lifestream.errors import LifeStreamError, MediaError, TransientError
from lifestream.exports import export, stored_keyframes
from lifestream.links import meeting_link
from lifestream.origin import API_CONVERSATION_PREFIX, ApiOrigin, Origin
from lifestream.pipeline import insights
from lifestream.pipeline.limits import check_duration, stored_duration
from lifestream.pipeline.outputs import minutes_markdown
from lifestream.public_errors import public_reason, redact_urls
from lifestream.retention_rules import RetentionRules
from lifestream.search import Scope, ask_async
from lifestream.search.answers import NOT_FOUND_TEXT, Answer
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import StorageMissing, api_upload_prefix, safe_name
from lifestream.web import auth, schemas
from lifestream.web.openapi import spec
from lifestream.web.state import services, tokens
from lifestream.workers import recordings
from lifestream.workers.jobstore import Job, JobState, iso, job_id_for
from lifestream.workers.status_line import seconds_left, stage_name, status_line
from lifestream.workers.submit import submit_stored

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
        return error_response(503, public_reason(exc, log=log, context=f"{request.method} {request.path}"),
                              {"Retry-After": "30"})
    except Exception as exc:  # a misconfiguration or a bug: a plain reason and a ref; the details are logged
        return error_response(500, public_reason(exc, log=log, context=f"{request.method} {request.path}"))


# --- request helpers


def workspace(request: web.Request) -> str:
    found = auth.bearer_workspace(request, tokens(request))
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
    job = await asyncio.to_thread(svc.store.get, job_id)
    if job is None or auth.job_workspace(job) != ws:  # another workspace's job is not there, for this token
        raise ApiError(404, f"no meeting {job_id} in this workspace")
    return job


def _rules(svc: Services, job: Job) -> RetentionRules:
    return recordings.rules_for(svc)(recordings.workspace_of(job))


def _date(ts: float | None) -> str | None:
    return recordings.day(ts) if ts is not None else None


def progress_fields(job: Job) -> schemas.ProgressFields | None:
    """A running job's progress as its chat thread shows it; None once it is not running."""
    if job.state is not JobState.PROCESSING:
        return None
    left = seconds_left(job)
    return schemas.ProgressFields(text=status_line(job), stage_name=stage_name(job.stage),
                                  eta_at=iso(job.eta_at) if job.eta_at is not None else None,
                                  seconds_left=None if left is None else round(left))


def status_body(svc: Services, job: Job) -> dict:
    error = redact_urls(job.reason) if job.reason and job.state is not JobState.COMPLETED else None
    rules = _rules(svc, job)
    return schemas.JobStatus(
        job_id=job.id, state=job.state.value, stage=job.stage, percent=job.percent, error=error,
        progress=progress_fields(job),
        retryable=job.retryable and job.recording_deleted_at is None, source_name=job.source_name,
        created_at=iso(job.created_at), updated_at=iso(job.updated_at),
        finished_at=iso(job.finished_at) if job.finished_at else None,
        page_url=meeting_link(svc.settings, job.id, ttl=auth.PAGE_LINK_TTL),
        recording_deleted_at=iso(job.recording_deleted_at) if job.recording_deleted_at else None,
        recording_deleted_on=_date(rules.recording_until(job.created_at)) if job.recording_deleted_at is None else None,
        meeting_deleted_on=_date(rules.meeting_until(job.created_at)),
        retention_note=recordings.retention_note(job, rules)).model_dump(mode="json")


def _max_bytes(settings: Settings) -> int:
    return settings.max_upload_mb * MiB


# --- handlers


async def presigned_url(request: web.Request) -> web.Response:
    svc = services(request)
    ws = workspace(request)
    body = await read_body(request, schemas.UploadRequest)
    if body.size > _max_bytes(svc.settings):
        raise ApiError(413, f"the recording is over the limit of {svc.settings.max_upload_mb} MiB")
    nonce = secrets.token_hex(16)
    job_id = job_id_for(auth.upload_idempotency_key(nonce))
    source_name = (PurePosixPath(body.filename.replace("\\", "/")).name.strip() or safe_name(body.filename))[:200]
    key = api_upload_prefix(job_id) + safe_name(body.filename)
    expires = int(time.time()) + svc.settings.presign_seconds
    ticket = auth.make_ticket(svc.settings, auth.UploadClaim(
        nonce=nonce, workspace=ws, conversation=body.conversation or "api", key=key, filename=source_name,
        size=body.size, expires=expires))
    url = await asyncio.to_thread(svc.storage.presign_put, key, svc.settings.presign_seconds)
    if not url:  # local storage: upload to this server instead
        url = f"{svc.settings.public_base_url}{API}/upload/direct?token={ticket}"
    return web.json_response(schemas.UploadTicket(
        job_id=job_id, upload_token=ticket, upload_url=url, headers={"Content-Type": "application/octet-stream"},
        expires_at=iso(expires), max_bytes=body.size).model_dump(mode="json"))


async def direct_upload(request: web.Request) -> web.Response:
    """The upload URL when storage has no presigned URLs: the signed token is the permission."""
    svc = services(request)
    claim = auth.read_ticket(svc.settings, request.query.get("token"))
    if claim is None:
        raise ApiError(403, "this upload URL is not valid")
    if claim.expires < time.time():
        raise ApiError(403, "this upload URL has expired; ask for a new one")
    job_id = claim.job_id
    if await asyncio.to_thread(svc.store.get, job_id) is not None:
        raise ApiError(409, f"upload {job_id} is already confirmed")
    cap = min(claim.size, _max_bytes(svc.settings))
    if request.content_length is not None and request.content_length > cap:
        raise ApiError(413, f"the body is larger than the {cap} bytes announced")
    downloads = svc.downloads
    try:
        with downloads.slot(f"api:{claim.workspace}", cap):  # room for what was announced, before a byte
            return await _receive_upload(request, svc, claim, cap, downloads.folder)
    except DownloadsBusy as busy:  # nothing is kept: the same upload URL works again later
        raise ApiError(503, busy.message, {"Retry-After": str(busy.retry_after)}) from None


async def _receive_upload(request: web.Request, svc: Services, claim: auth.UploadClaim, cap: int,
                          folder: Path) -> web.Response:
    job_id = claim.job_id
    with tempfile.TemporaryFile(dir=folder) as tmp:
        size = 0
        while chunk := await request.content.read(_BLOCK):
            size += len(chunk)
            if size > cap:
                raise ApiError(413, f"the body is larger than the {cap} bytes announced")
            tmp.write(chunk)
        if size == 0:
            raise ApiError(400, "the body is empty")
        tmp.seek(0)
        await asyncio.to_thread(svc.storage.put, claim.key, tmp, content_type="application/octet-stream")
    return web.json_response(schemas.UploadReceived(job_id=job_id, size=size).model_dump())


async def confirm(request: web.Request) -> web.Response:
    svc = services(request)
    ws = workspace(request)
    body = await read_body(request, schemas.ConfirmRequest)
    claim = auth.read_ticket(svc.settings, body.upload_token)
    if claim is None or claim.workspace != ws:
        raise ApiError(404, "no such upload in this workspace")
    job_id = claim.job_id
    existing = await asyncio.to_thread(svc.store.get, job_id)
    if existing is not None:  # confirmed before: the same job, whatever its state
        return web.json_response(await asyncio.to_thread(status_body, svc, existing))
    found = await asyncio.to_thread(svc.storage.stat, claim.key)
    if found is None:
        raise ApiError(409, "nothing has been uploaded yet: PUT the file to upload_url first")
    if found.size > min(claim.size, _max_bytes(svc.settings)):
        await asyncio.to_thread(svc.storage.delete, claim.key)
        raise ApiError(413, "the uploaded file is larger than announced; it was discarded")
    duration = await asyncio.to_thread(stored_duration, svc.storage, claim.key, claim.filename)
    try:
        check_duration(duration, claim.filename, svc.settings)
    except MediaError as exc:
        await asyncio.to_thread(svc.storage.delete, claim.key)
        raise ApiError(413, f"{exc.message} It was discarded.") from None
    origin = ApiOrigin(workspace=ws, conversation=claim.conversation)
    try:
        sub = await asyncio.to_thread(submit_stored, claim.key, services=svc, source_name=claim.filename,
                                      origin=origin, num_speakers=body.num_speakers, duration=duration,
                                      idempotency_key=claim.idempotency_key)
    except MediaError as exc:
        raise ApiError(409, exc.message) from None
    return web.json_response(await asyncio.to_thread(status_body, svc, sub.job), status=201 if sub.created else 200)


async def status(request: web.Request) -> web.Response:
    job = await owned_job(request, workspace(request))
    return web.json_response(await asyncio.to_thread(status_body, services(request), job))


def _summary_format(request: web.Request) -> str:
    fmt = request.query.get("format")
    if fmt is None:
        return "md" if "text/markdown" in request.headers.get("Accept", "") else "json"
    if fmt not in schemas.SUMMARY_FORMATS:
        raise ApiError(400, f"format must be one of {', '.join(schemas.SUMMARY_FORMATS)}")
    return fmt


async def summary(request: web.Request) -> web.Response:
    svc = services(request)
    ws = workspace(request)
    fmt = _summary_format(request)
    job = await owned_job(request, ws)
    if job.state is not JobState.COMPLETED:
        detail = f" ({status_line(job)})" if job.state is JobState.PROCESSING and job.stage else ""
        raise ApiError(409, f"job {job.id} is {job.state.value}{detail}; minutes come once it has completed")
    try:
        meeting = await asyncio.to_thread(meetings.load, svc.storage, job.result_prefix)
    except StorageMissing:
        raise ApiError(404, f"the results of {job.id} are gone") from None
    if fmt == "md":
        return web.Response(text=minutes_markdown(meeting), content_type="text/markdown", charset="utf-8")
    if fmt != "json":  # a file: Word, PDF or subtitles
        out = await asyncio.to_thread(export, meeting, fmt, stored_keyframes(svc.storage, job.result_prefix),
                                      pdf_font=svc.settings.pdf_font)
        return web.Response(body=out.data, headers={"Content-Type": out.media_type,
                                                    "Content-Disposition": f'attachment; filename="{out.filename}"'})
    minutes = meeting.minutes
    rules = await asyncio.to_thread(_rules, svc, job)
    return web.json_response(schemas.MeetingSummary(
        job_id=job.id, title=minutes.title if minutes else meeting.source.name, source_name=job.source_name,
        duration=meeting.source.duration, language=meeting.language,
        speakers=[schemas.SpeakerName(label=s, name=meeting.speaker_name(s)) for s in meeting.speakers],
        minutes=minutes, insights=insights.of(meeting),
        page_url=meeting_link(svc.settings, job.id, ttl=auth.PAGE_LINK_TTL),
        recording_deleted_at=iso(job.recording_deleted_at) if job.recording_deleted_at else None,
        retention_note=recordings.retention_note(job, rules)).model_dump(mode="json"))


async def workspace_jobs(svc: Services, ws: str, states=None, limit: int = 100_000) -> list[Job]:
    """The workspace's jobs, newest first (a Query on the job store's workspace index, never a scan)."""
    return await asyncio.to_thread(svc.store.list, states, limit, workspace=ws)


async def query(request: web.Request) -> web.Response:
    svc = services(request)
    ws = workspace(request)
    body = await read_body(request, schemas.QueryRequest)
    question = " ".join(body.question.split())
    if not question:
        raise ApiError(400, "question: empty")
    jobs = await workspace_jobs(svc, ws, [JobState.COMPLETED])
    conversations = {j.origin.conversation for j in jobs if j.origin is not None}
    if body.conversations:  # a name is a chat's conversation id or an API conversation's name
        conversations &= set(body.conversations) | {API_CONVERSATION_PREFIX + c for c in body.conversations}
    if not conversations:
        answer = Answer(text=NOT_FOUND_TEXT, found=False)
    else:
        settings = await asyncio.to_thread(svc.settings_for, ws)  # the workspace's LLM choice
        answer = await ask_async(question, Scope(ws, sorted(conversations)), settings=settings,
                                 index=svc.index, meeting_ids=tuple(body.meeting_ids))
    return web.json_response(answer.model_dump(mode="json"))


def _conversation_name(origin: Origin | None) -> str | None:
    """As the API caller named it (API uploads), or the chat's conversation id."""
    if origin is None:
        return None
    return origin.name if isinstance(origin, ApiOrigin) else origin.conversation


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
    jobs = await workspace_jobs(svc, ws, [JobState(state)] if state else None, limit)
    items = [schemas.MeetingItem(
        job_id=j.id, source_name=j.source_name, state=j.state.value, stage=j.stage, percent=j.percent,
        progress=progress_fields(j),
        conversation=_conversation_name(j.origin), created_at=iso(j.created_at),
        page_url=meeting_link(svc.settings, j.id, ttl=auth.PAGE_LINK_TTL),
        recording_deleted_at=iso(j.recording_deleted_at) if j.recording_deleted_at else None) for j in jobs[:limit]]
    rules = await asyncio.to_thread(recordings.rules_for(svc), ws)
    return web.json_response(schemas.MeetingList(meetings=items, jobs_page_url=auth.jobs_url(svc.settings, ws),
                                                 retention=_retention(rules)).model_dump(mode="json"))


def _retention(rules: RetentionRules) -> schemas.Retention:
    return schemas.Retention(recording_days=rules.recording_days, meeting_days=rules.meeting_days,
                             keep_recordings=rules.keep_recordings, description=rules.describe())


async def delete_meeting(request: web.Request) -> web.Response:
    svc = services(request)
    job = await owned_job(request, workspace(request))
    try:
        await asyncio.to_thread(meetings.delete, svc, job)
    except meetings.MeetingBusy as exc:
        raise ApiError(409, exc.message, {"Retry-After": str(exc.retry_after)}) from None
    except LifeStreamError as exc:  # storage refused (part of) it: the job record stays, so deleting again finishes
        reason = public_reason(exc, log=log, context=f"deleting meeting {job.id}")
        transient = isinstance(exc, TransientError)
        raise ApiError(503 if transient else 500, f"meeting {job.id} was not deleted: {reason}; it is still listed "
                       "and can be deleted again" + (" in a while" if transient else " once that is fixed"),
                       {"Retry-After": "30"} if transient else None) from None
    return web.Response(status=204)


async def openapi(request: web.Request) -> web.Response:
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
