"""Server-rendered pages: a meeting (minutes, timeline, keyframes, transcript, ask box) and a jobs list.

No JavaScript: links, an inline SVG, and a plain form POST. Jinja2 with
autoescaping renders everything a recording or a person typed. A page is
opened with a signed link (the bots post them) or a workspace's API token;
the page then links its images and its form with a fresh signed link, so a
browser never needs the token. Referrer-Policy keeps those links out of
other sites' logs.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import tempfile
from bisect import bisect_right
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from markupsafe import Markup

from lifestream.exports import FORMATS, Export, export, stored_keyframes
from lifestream.meetings import load as load_meeting
from lifestream.models import Meeting
from lifestream.pipeline import insights
from lifestream.public_errors import redact_urls
from lifestream.search import CLI_CONVERSATION, CLI_WORKSPACE, Scope, ask_async
from lifestream.services import Services
from lifestream.storage import StorageMissing, result_prefix
from lifestream.timefmt import clock
from lifestream.web import auth, insights_chart, timeline
from lifestream.web.state import services, tokens
from lifestream.workers import recordings
from lifestream.workers.fanout import early_minutes
from lifestream.workers.jobstore import FINAL_STATES, Job, JobState
from lifestream.workers.status_line import status_line

if TYPE_CHECKING:
    from lifestream.search.answers import Answer

_env = jinja2.Environment(loader=jinja2.PackageLoader("lifestream.web", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True)
_env.filters["clock"] = clock

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",  # the URL carries a signed link
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}
# The page's Download links, in the order people look for them.
DOWNLOADS = (("pdf", "PDF"), ("docx", "Word"), ("md", "Markdown"), ("vtt", "Subtitles (VTT)"), ("srt", "SRT"))
KEYFRAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.(jpg|jpeg|png|webp)")
FORM_LIMIT = 16 * 1024
# A long recording's early minutes are shown while the rest is worked on, and after the rest failed.
EARLY_STATES = (JobState.PROCESSING, JobState.FAILED)


class PageError(Exception):
    def __init__(self, status: int, heading: str, text: str) -> None:
        super().__init__(text)
        self.status, self.heading, self.text = status, heading, text


def render(template: str, status: int = 200, **context) -> web.Response:
    body = _env.get_template(template).render(**context)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)


@web.middleware
async def page_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except PageError as exc:
        return render("message.html", exc.status, page_title=exc.heading, heading=exc.heading, text=exc.text,
                      percent=None)


NOT_FOUND = PageError(404, "Meeting not found", "There is no such meeting, or it was deleted.")


async def meeting_access(request: web.Request, meeting_id: str) -> tuple[Job | None, dict[str, str]]:
    """The meeting's job (None for one processed without a job) and the link parameters for its sub-resources."""
    svc = services(request)
    if not auth.valid_id(meeting_id):
        raise NOT_FOUND
    link = auth.link_ok(svc.settings, meeting_id, request)
    if link is False:
        raise PageError(403, "This link has expired",
                        "This link is not valid any more. Ask the bot for the meeting again to get a fresh link.")
    job = await asyncio.to_thread(svc.store.get, meeting_id)
    if link:
        return job, {"exp": request.query["exp"], "sig": request.query["sig"]}
    ws = auth.bearer_workspace(request, tokens(request))
    if ws is None:
        raise PageError(401, "Sign-in needed", "Open this page from the link the bot posted with the minutes.")
    if job is None or auth.job_workspace(job) != ws:
        raise NOT_FOUND
    return job, auth.link_params(svc.settings, meeting_id)


def _load(svc: Services, meeting_id: str):
    return load_meeting(svc.storage, result_prefix(meeting_id))


def _scope(job: Job | None) -> tuple[str, str]:
    if job is not None and job.origin is not None:
        return job.origin.workspace, job.origin.conversation
    return CLI_WORKSPACE, CLI_CONVERSATION  # processed by `lifestream process`, which indexes there


async def _meeting_page(request: web.Request, *, question: str | None = None) -> web.Response:
    svc = services(request)
    meeting_id = request.match_info["meeting_id"]
    job, params = await meeting_access(request, meeting_id)
    if job is not None and job.state is not JobState.COMPLETED:
        active = job.state not in FINAL_STATES
        text = {"queued": "This recording is waiting for a worker.",
                "processing": f"This recording is being processed: {status_line(job)}.",
                "failed": f"Processing failed: {redact_urls(job.reason or 'unknown error')}.",
                "cancelled": "Processing was cancelled."}[job.state.value]
        if (gone := recordings.recording_gone(job)) is not None:
            text = f"{text} {gone}"
        early = await asyncio.to_thread(early_minutes, svc.storage, job.id) if job.state in EARLY_STATES else None
        if early is None:
            return render("message.html", page_title=job.source_name, heading=job.source_name, text=text,
                          percent=job.percent if active else None, refresh=10 if active else None)
        covered = f"the first {clock(early.transcript.duration if early.transcript else 0)} of " \
                  f"{clock(early.source.duration)}"
        banner = (f"Early minutes of {covered}. {text} The whole meeting's minutes will replace these; its "
                  "speakers may be numbered differently." if active else
                  f"Early minutes of {covered} only. {text}")
        # Refreshed less often than the bare status: a page with minutes on it is being read.
        return _meeting_view(request, job, params, early, early=banner, percent=job.percent if active else None,
                             refresh=60 if active else None)
    try:
        meeting = await asyncio.to_thread(_load, svc, meeting_id)
    except StorageMissing:
        raise NOT_FOUND from None
    answer = None
    if question is not None:
        ws, conversation = _scope(job)
        answer = await ask_async(question, Scope(ws, [conversation]), settings=svc.settings,
                                 index=svc.index, meeting_ids=(meeting_id,))
    rules = None if job is None else await asyncio.to_thread(recordings.rules_for(svc), recordings.workspace_of(job))
    note = None if job is None or rules is None else recordings.retention_note(job, rules)
    return _meeting_view(request, job, params, meeting, question=question, answer=answer, retention_note=note)


def _meeting_view(request: web.Request, job: Job | None, params: dict[str, str], meeting: Meeting, *,
                  question: str | None = None, answer: Answer | None = None, retention_note: str | None = None,
                  early: str | None = None, percent: float | None = None, refresh: int | None = None) -> web.Response:
    """The meeting page. ``early``: what the banner over a long recording's early minutes says; they cannot be
    downloaded or asked about yet (neither stored as the meeting nor indexed)."""
    meeting_id = request.match_info["meeting_id"]
    query = "?" + urlencode(params)
    base = f"/meetings/{meeting_id}"

    def keyframe_url(path: str) -> str | None:
        name = path.rsplit("/", 1)[-1]
        return f"{base}/keyframes/{name}{query}" if KEYFRAME.fullmatch(name) else None

    segments = meeting.transcript.segments if meeting.transcript else []
    starts = [s.start for s in segments]

    def stamp(seconds: float | None) -> Markup:
        if seconds is None or not segments:
            return Markup('<span class="ts">{}</span>').format(clock(seconds))
        seg = segments[max(0, bisect_right(starts, seconds + 0.25) - 1)]
        return Markup('<a class="ts" href="#seg-{}">{}</a>').format(seg.id, clock(seconds))

    title = meeting.minutes.title if meeting.minutes else meeting.source.name
    tl = timeline.build(meeting, keyframe_url)
    ins = insights.of(meeting)
    downloads = [] if early else [(label, f"{base}/download/{fmt}{query}") for fmt, label in DOWNLOADS]
    return render("meeting.html", page_title=title, title=title, meeting=meeting, timeline=tl, segments=segments,
                  stamp=stamp, names=meeting.with_names, speaker=meeting.speaker_name,
                  ask_action=None if early else f"{base}/ask{query}#answer", question=question, answer=answer,
                  jobs_href=None, insights=ins, insights_chart=insights_chart.build(meeting, ins, tl.colors),
                  downloads=downloads, retention_note=retention_note, early=early, percent=percent, refresh=refresh,
                  recording_gone=job is not None and job.recording_deleted_at is not None)


async def meeting_page(request: web.Request) -> web.Response:
    return await _meeting_page(request)


async def meeting_ask(request: web.Request) -> web.Response:
    if request.content_length is None or request.content_length > FORM_LIMIT:
        raise PageError(413, "Question too long", "Ask in at most 1000 characters.")
    form = await request.post()
    question = " ".join(str(form.get("question", "")).split())[:1000]
    if not question:
        return await _meeting_page(request)
    return await _meeting_page(request, question=question)


async def keyframe(request: web.Request) -> web.Response:
    svc = services(request)
    meeting_id, name = request.match_info["meeting_id"], request.match_info["name"]
    await meeting_access(request, meeting_id)
    if not KEYFRAME.fullmatch(name):
        raise NOT_FOUND
    key = f"results/{meeting_id}/keyframes/{name}"

    def read() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return svc.storage.get(key, Path(tmp) / name).read_bytes()

    try:
        data = await asyncio.to_thread(read)
    except StorageMissing:
        raise PageError(404, "Not found", "No such keyframe.") from None
    return web.Response(body=data, content_type=mimetypes.guess_type(name)[0] or "image/jpeg",
                        headers={**HEADERS, "Cache-Control": "private, max-age=3600"})


def attachment(out: Export) -> web.Response:
    """An export as a file to save; its name is ASCII by construction (exports.filename)."""
    return web.Response(body=out.data, headers={**HEADERS, "Content-Type": out.media_type,
                                                "Content-Disposition": f'attachment; filename="{out.filename}"'})


async def download(request: web.Request) -> web.Response:
    """The meeting as PDF, Word, Markdown, subtitles or JSON, with the page's own link (or a token)."""
    svc = services(request)
    meeting_id, fmt = request.match_info["meeting_id"], request.match_info["fmt"]
    await meeting_access(request, meeting_id)
    if fmt not in FORMATS:
        raise PageError(404, "Not found", f"There is no {fmt} download; try one of {', '.join(FORMATS)}.")
    try:
        meeting = await asyncio.to_thread(_load, svc, meeting_id)
    except StorageMissing:
        raise NOT_FOUND from None
    keyframes = stored_keyframes(svc.storage, result_prefix(meeting_id))
    out = await asyncio.to_thread(export, meeting, fmt, keyframes, pdf_font=svc.settings.pdf_font)
    return attachment(out)


async def jobs_page(request: web.Request) -> web.Response:
    svc = services(request)
    ws = request.query.get("workspace")
    if ws is not None:
        if not auth.WORKSPACE.fullmatch(ws) or not auth.link_ok(svc.settings, auth.jobs_subject(ws), request):
            raise PageError(403, "This link has expired", "This link is not valid any more.")
    else:
        ws = auth.bearer_workspace(request, tokens(request))
        if ws is None:
            raise PageError(401, "Sign-in needed", "Open this page from a jobs link, or with an API token.")
    jobs = await asyncio.to_thread(svc.store.list, None, 100, workspace=ws)
    rows = [{"id": j.id, "source_name": j.source_name, "state": j.state.value, "progress": status_line(j),
             "percent": j.percent, "reason": redact_urls(j.reason) if j.reason else None,
             "created": datetime.fromtimestamp(j.created_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "href": f"/meetings/{j.id}?{urlencode(auth.link_params(svc.settings, j.id))}"} for j in jobs]
    active = any(j.state not in FINAL_STATES for j in jobs)
    return render("jobs.html", page_title="Jobs", workspace=ws, jobs=rows, refresh=15 if active else None)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/meetings/{meeting_id}", meeting_page)
    r.add_post("/meetings/{meeting_id}/ask", meeting_ask)
    r.add_get("/meetings/{meeting_id}/keyframes/{name}", keyframe)
    r.add_get("/meetings/{meeting_id}/download/{fmt}", download)
    r.add_get("/jobs", jobs_page)
