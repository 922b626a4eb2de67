"""The ``lifestream`` command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import re
import shutil
import sys
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from pydantic import ValidationError
from tqdm import tqdm

from lifestream.threads import cap_threads

# Before numpy, CTranslate2 and torch are imported below: they size their thread pools when they load.
cap_threads()

from lifestream import meetings  # noqa: E402  (these imports load the heavy libraries)
from lifestream.bot import settings_choices
from lifestream.bot.notifiers import chat_notifiers
from lifestream.errors import ConfigError, LifeStreamError, MediaError
from lifestream.exports import FORMATS, export, stored_keyframes
from lifestream.links import link_secret
from lifestream.pipeline.asr_models import BUILTIN_MODELS, verify_asr_model
from lifestream.pipeline.diarization import configured_diarizer
from lifestream.pipeline.isolation import IndexScope, PipelineCrashed, PipelineRequest, process_isolated
from lifestream.pipeline.outputs import minutes_markdown
from lifestream.public_errors import RedactingFormatter, redact_urls
from lifestream.retention import sweep
from lifestream.samples import make_sample_video, sample_file
from lifestream.search import CLI_CONVERSATION, CLI_WORKSPACE, Scope, ask
from lifestream.server import serve
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import StorageMissing, result_prefix
from lifestream.web.auth import new_token
from lifestream.workers.jobstore import Job, JobState, iso
from lifestream.workers.recordings import rules_of
from lifestream.workers.runtime import run_worker
from lifestream.workers.status_line import status_line
from lifestream.workers.submit import (
    JobStateError,
    cancel_job,
    get_job,
    read_minutes,
    rerun_job,
    retry_job,
    submit_file,
)
from lifestream.workspaces import change_settings, finish_deletions, start_deletion


class _ProgressBars:
    """One tqdm bar per stage on a terminal; nothing at all when not a TTY."""

    def __init__(self) -> None:
        self._bars: dict[str, tqdm] = {}

    def __call__(self, event) -> None:
        bar = self._bars.get(event.stage)
        if event.state == "skipped":
            return
        if bar is None:
            bar = self._bars[event.stage] = tqdm(
                total=100, desc=f"{event.stage:<11}", unit="%", leave=True, file=sys.stderr,
                # A terminal that reports no size (0 columns) would get empty bars.
                ncols=min(100, shutil.get_terminal_size().columns),
                bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}",
            )
        bar.n = int(round(event.fraction * 100))
        bar.refresh()
        if event.state == "finished":
            bar.close()


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    """The process's one Settings (LIFESTREAM_* variables), with the command line's overrides."""
    updates = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "data_dir", None):
        updates["data_dir"] = Path(args.data_dir)
    return Settings().model_copy(update=updates)


_LINK = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _recording_path(arg: str) -> Path:
    """The recording named on the command line; a link is refused by name (as a path it would read "file not
    found"): the CLI reads local files only, and fetching links safely is the bots' job (``bot.fetcher``)."""
    if _LINK.match(arg):
        url = urlsplit(arg)
        name = PurePosixPath(url.path).name or url.hostname or "that link"
        raise MediaError(f"{name}: a link, not a file on this machine. Download it and give the file, or share the "
                         "link in Slack or Teams, where the bot fetches it.")
    return Path(arg)


def _cmd_process(args: argparse.Namespace) -> int:
    settings = _settings(args, asr_language=args.language or None)
    services = Services(settings)
    if args.async_:
        if args.min_speakers or args.max_speakers:
            raise ConfigError("--min-speakers/--max-speakers are not kept with queued jobs yet; use --speakers N.")
        return _cmd_process_async(args, services)
    progress = _ProgressBars() if sys.stderr.isatty() and not args.quiet else None
    request = PipelineRequest(_recording_path(args.path), settings, num_speakers=args.speakers,
                              min_speakers=args.min_speakers, max_speakers=args.max_speakers,
                              index=IndexScope(CLI_WORKSPACE, CLI_CONVERSATION))
    try:
        meeting = process_isolated(request, on_event=progress)
    except PipelineCrashed as exc:
        # One line, as a shell would say it, and the exit status a shell gives a process killed by that signal.
        print(f"lifestream: {exc.message}", file=sys.stderr)
        return 128 + exc.signal_number if exc.signal_number else 1
    result_dir = settings.results_dir / meeting.meeting_id
    if args.json:
        print(meeting.model_dump_json(indent=2))
    else:
        print(minutes_markdown(meeting))
        print(f"Results: {result_dir}", file=sys.stderr)
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    settings = _settings(args)
    for name in BUILTIN_MODELS:
        print(verify_asr_model(name, settings.model_dir))
    if args.diarization:
        configured_diarizer(settings).load_models()
        print(f"diarization: {settings.diarization_backend} loads")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    if args.video:
        print(make_sample_video(Path(args.video)))
    else:
        print(sample_file("sample.wav"))
    return 0


def _cmd_ask(args: argparse.Namespace) -> int:
    services = Services(_settings(args))
    scope = Scope(args.workspace or CLI_WORKSPACE, args.channel or [CLI_CONVERSATION])
    answer = ask(args.question, scope, settings=services.settings, index=services.index,
                 meeting_ids=tuple(args.meeting or ()))
    print(answer.model_dump_json(indent=2) if args.json else answer.text)
    return 0 if answer.found else 1


def _cmd_process_async(args: argparse.Namespace, services: Services) -> int:
    sub = submit_file(_recording_path(args.path), services=services, num_speakers=args.speakers)
    job = sub.job
    print(job.id)
    if sub.created:
        hint = " (start `lifestream worker` to process it)" if services.queue.embedded else ""
        print(f"queued job {job.id}{hint}; follow it with `lifestream jobs show {job.id}`", file=sys.stderr)
    else:
        print(f"already submitted: job {job.id} is {job.state.value}"
              + (f" ({job.reason})" if job.reason else "")
              + (f"; minutes: `lifestream jobs show {job.id} --minutes`" if sub.minutes else ""), file=sys.stderr)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    serve(Services(_settings(args, host=args.host, port=args.port)))
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    services = Services(_settings(args))
    # A worker apart from the bot's server tells the chat threads itself (progress, minutes,
    # failures) for every platform whose credentials it has; their links need a usable secret.
    notifiers = chat_notifiers(services)
    if notifiers:
        link_secret(services.settings)
    for notifier in notifiers:
        services.events.subscribe(notifier)
    return run_worker(services, threads=args.threads, hooks=args.hook)


def _job_line(job: Job) -> str:
    progress = status_line(job) if job.state.value == "processing" else "-"
    return (f"{job.id:<16}  {job.state.value:<10}  {progress:<44}  {job.attempts:>3}  {iso(job.updated_at):<25}  "
            f"{job.source_name}" + (f"  ({job.reason})" if job.reason else ""))


def _cmd_jobs(args: argparse.Namespace) -> int:
    services = Services(_settings(args))
    store = services.store
    if args.action == "list":
        jobs = store.list([JobState(args.state)] if args.state else None, limit=args.limit)
        if args.json:
            print(json.dumps([j.model_dump(mode="json") for j in jobs], indent=2))
            return 0
        print(f"{'ID':<16}  {'STATE':<10}  {'PROGRESS':<44}  {'TRY':>3}  {'UPDATED':<25}  SOURCE")
        for job in jobs:
            print(_job_line(job))
        return 0
    if args.action == "show":
        job = get_job(args.id, store)
        if args.minutes:
            minutes = read_minutes(job, services.storage)
            if minutes is None:
                raise JobStateError(f"job {job.id} is {job.state.value}; it has minutes once it has completed.")
            print(minutes)
        elif args.json:
            print(job.model_dump_json(indent=2))
        else:
            for key, value in job.model_dump(mode="json").items():
                if key.endswith("_at") or key in ("lease_until", "not_before"):
                    value = iso(value)
                print(f"{key:<21} {value}")
            if job.state is JobState.COMPLETED:
                print(f"{'results':<21} {job.result_prefix}")
        return 0
    if args.action == "delete":
        try:
            meetings.delete(services, get_job(args.id, store))
        except meetings.MeetingBusy:
            raise
        except LifeStreamError as exc:  # its job record is kept until everything else has gone
            raise LifeStreamError(f"meeting {args.id} was not deleted: {exc.message} Its job is kept: run "
                                  f"`lifestream jobs delete {args.id}` again to finish.") from exc
        print(f"deleted {args.id}: its recording, results, search records and job", file=sys.stderr)
        return 0
    action = {"retry": retry_job, "rerun": rerun_job, "cancel": cancel_job}[args.action]
    print(_job_line(action(args.id, services=services)))
    return 0

def _cmd_export(args: argparse.Namespace) -> int:
    services = Services(_settings(args))
    settings = services.settings
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args.meeting_id):
        raise LifeStreamError(f"{args.meeting_id!r} is not a meeting id.")
    prefix = result_prefix(args.meeting_id)
    try:
        meeting = meetings.load(services.storage, prefix)
    except StorageMissing:
        where = f"s3://{settings.s3_bucket}" if settings.s3_bucket else str(settings.data_dir)
        raise LifeStreamError(f"no processed meeting {args.meeting_id} in {where}.") from None
    out = export(meeting, args.format, stored_keyframes(services.storage, prefix), pdf_font=settings.pdf_font)
    path = Path(args.output) if args.output else Path(out.filename)
    path.write_bytes(out.data)
    print(path)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    services = Services(_settings(args))
    try:
        report = sweep(services, dry_run=args.dry_run)
    finally:
        services.close()
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2))
    else:
        verb = "would delete" if report.dry_run else "deleted"
        for meeting_id in report.meetings:
            print(f"{verb} meeting {meeting_id}")
        for meeting_id in report.recordings:
            print(f"{verb} the recording of meeting {meeting_id}")
        for key in report.leftovers:
            print(f"{verb} {key}")
        print(f"lifestream sweep: by default {rules_of(services.workspace_settings(None)).describe()}; {verb} {len(report.meetings)} "
              f"meeting(s), {len(report.recordings)} recording(s), {len(report.leftovers)} leftover(s) in "
              f"{report.seconds:.1f} s", file=sys.stderr)
    for error in report.errors:
        print(f"lifestream: error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def _cmd_workspaces(args: argparse.Namespace) -> int:
    services = Services(_settings(args))
    if args.action == "delete":
        if not args.yes:
            print(f"lifestream: error: this deletes every meeting of workspace {args.workspace} (recordings, minutes, "
                  "search records, jobs), its settings and its Slack installation; add --yes to go ahead",
                  file=sys.stderr)
            return 2
        if services.slack.oauth:
            services.slack.delete(args.workspace)
        start_deletion(services, args.workspace)
        refused = False
        for done in finish_deletions(services):
            if done.failed:
                refused = True
                state = (f"not finished: {len(done.failed)} could not be deleted ({done.failed[0]}); run this again "
                         "once that is fixed")
            else:
                state = "deleted" if done.done else f"{len(done.busy)} running jobs still stopping: run this again later"
            print(f"{done.workspace}: {len(done.deleted)} meetings deleted; {state}", file=sys.stderr)
        return 1 if refused else 0
    if args.change:
        try:
            picked = dict(change.split("=", 1) for change in args.change)
        except ValueError:
            print("lifestream: error: write each change as name=value (e.g. retention_days=30, llm=off)",
                  file=sys.stderr)
            return 2
        values, reset = settings_choices.read(picked)
        if unknown := set(picked) - set(values) - set(reset):
            print(f"lifestream: error: unknown setting {sorted(unknown)[0]!r}", file=sys.stderr)
            return 2
        change_settings(services, args.workspace, values, reset=reset, by="cli")
    current = services.workspace_settings(args.workspace)
    chosen = services.workspaces.overrides(args.workspace).chosen()
    for name, value in current.model_dump().items():
        print(f"{name:<24} {settings_choices.shown(name, value):<24} {'(chosen)' if name in chosen else '(server default)'}")
    return 0


def _cmd_api_token(args: argparse.Namespace) -> int:
    token, entry = new_token(args.workspace)
    print(token)
    print(entry)
    print(f"Line 1 is the token for the API client (shown only now); line 2 is its hashed entry for the server:\n"
          f"add it to LIFESTREAM_API_TOKENS, a JSON list, e.g. LIFESTREAM_API_TOKENS='[\"{entry}\"]'",
          file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifestream", description="Meeting recordings in, minutes out.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("process", help="process one recording and print its minutes")
    p.add_argument("path", help="a video or audio file (mp4, mov, mkv, webm, m4a, mp3, wav, ogg)")
    p.add_argument("--speakers", type=int, default=None, metavar="N", help="number of speakers, if known")
    p.add_argument("--min-speakers", type=int, default=None, metavar="N", help="at least this many speakers")
    p.add_argument("--max-speakers", type=int, default=None, metavar="N", help="at most this many speakers")
    p.add_argument("--language", default=None, help="spoken language code (default: detected)")
    p.add_argument("--data-dir", default=None, help="overrides LIFESTREAM_DATA_DIR")
    p.add_argument("--json", action="store_true", help="print meeting.json instead of the minutes")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.add_argument("--async", dest="async_", action="store_true",
                   help="store the file, submit a job for a worker, print the job id")
    p.set_defaults(func=_cmd_process)

    p = sub.add_parser("models", help="assemble and verify the bundled models")
    p.add_argument("--diarization", action="store_true", help="also load the diarization models")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser("sample", help="print the sample recording's path, or make the sample video")
    p.add_argument("--video", metavar="OUT.mp4", help="write the sample video here")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("ask", help="answer a question from processed meetings, with citations (exit 1: not found)")
    p.add_argument("question")
    p.add_argument("--meeting", action="append", metavar="ID", help="search only this meeting (repeatable)")
    p.add_argument("--channel", action="append", metavar="C",
                   help="a conversation to search (repeatable; default: cli, where `lifestream process` indexes)")
    p.add_argument("--workspace", default=None, help="the workspace (default: local)")
    p.add_argument("--data-dir", default=None, help="overrides LIFESTREAM_DATA_DIR")
    p.add_argument("--json", action="store_true", help="print the answer and its citations as JSON")
    p.set_defaults(func=_cmd_ask)

    p = sub.add_parser("serve", help="run the web server: Slack, Teams, API (and a worker, with the embedded broker)")
    p.add_argument("--host", default=None, help="overrides LIFESTREAM_HOST")
    p.add_argument("--port", type=int, default=None, help="overrides LIFESTREAM_PORT")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("worker", help="run a worker for the configured queue broker (LIFESTREAM_BROKER_URL)")
    p.add_argument("--threads", type=int, default=1, help="jobs at once (default 1: a job uses every core)")
    p.add_argument("--hook", action="append", default=[], metavar="MODULE:FUNCTION",
                   help="call this on job events (progress/completed/failed); repeatable")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("jobs", help="list, inspect, retry or cancel background jobs")
    jobs = p.add_subparsers(dest="action", required=True)
    q = jobs.add_parser("list", help="newest first")
    q.add_argument("--state", choices=["queued", "processing", "completed", "failed", "cancelled"])
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--json", action="store_true")
    q = jobs.add_parser("show", help="one job's record")
    q.add_argument("id")
    q.add_argument("--json", action="store_true")
    q.add_argument("--minutes", action="store_true", help="print the minutes of a completed job")
    q = jobs.add_parser("retry", help="queue a failed or cancelled job again")
    q.add_argument("id")
    q = jobs.add_parser("rerun", help="process a finished job's recording again (its new results replace the old)")
    q.add_argument("id")
    q = jobs.add_parser("cancel", help="cancel a queued or running job")
    q.add_argument("id")
    q = jobs.add_parser("delete", help="delete a meeting: its recording, results, search records and job")
    q.add_argument("id")
    p.set_defaults(func=_cmd_jobs)

    p = sub.add_parser("workspaces", help="a workspace's own settings, or deleting everything of a workspace")
    spaces = p.add_subparsers(dest="action", required=True)
    q = spaces.add_parser("settings", help="show (or change) a workspace's settings: name=value, or name=default")
    q.add_argument("workspace", help="a Slack team id, a Teams tenant id, or an API workspace")
    q.add_argument("change", nargs="*", metavar="NAME=VALUE",
                   help="retention_days=30|keep, recording_retention_days=7|keep, keep_recordings=on|off, redact=on|off, voiceprints=on|off, "
                        "minutes_language=de|meeting, llm=on|off; =default follows the server again")
    q = spaces.add_parser("delete", help="delete every meeting, the settings and the Slack installation of a workspace")
    q.add_argument("workspace")
    q.add_argument("--yes", action="store_true", help="really delete")
    p.set_defaults(func=_cmd_workspaces)

    p = sub.add_parser("export", help="write a processed meeting as Word, PDF, Markdown, subtitles or JSON")
    p.add_argument("meeting_id", help="the meeting's id (`lifestream process --json` prints it; a job's id)")
    p.add_argument("-f", "--format", default="pdf", choices=FORMATS)
    p.add_argument("-o", "--output", help="the file to write (default: the minutes' title, in this folder)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("sweep", help="delete the recordings and meetings the retention rules say are due")
    p.add_argument("--dry-run", action="store_true", help="only print what would be deleted")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--data-dir", default=None, help="overrides LIFESTREAM_DATA_DIR")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("api-token", help="make API tokens for the HTTP API (/api/v1)")
    tokens = p.add_subparsers(dest="action", required=True)
    q = tokens.add_parser("create", help="print a new token and the entry to add to LIFESTREAM_API_TOKENS")
    q.add_argument("--workspace", required=True, help="the workspace the token may see (e.g. a Slack team id)")
    p.set_defaults(func=_cmd_api_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = logging.StreamHandler()
    # Every log line, tracebacks and other libraries' lines included, with credentials in URLs masked.
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    logging.getLogger("lifestream.retention").setLevel(logging.INFO)  # every deletion is on the record
    if getattr(args, "speakers", None) is not None and args.speakers < 1:
        print("lifestream: error: --speakers must be 1 or more", file=sys.stderr)
        return 2
    try:
        if args.command == "process":
            from lifestream.pipeline.diarization import SpeakerCount

            SpeakerCount(args.speakers, args.min_speakers, args.max_speakers)  # refuse impossible bounds up front
        return args.func(args)
    except LifeStreamError as exc:
        print(f"lifestream: error: {redact_urls(exc.message)}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # a LIFESTREAM_* variable that does not parse
        first = exc.errors()[0]
        name = "LIFESTREAM_" + "_".join(str(p) for p in first["loc"]).upper()
        print(f"lifestream: error: {name}: {first['msg']}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lifestream: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
