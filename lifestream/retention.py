"""The retention sweeper: recordings and meetings deleted when their workspace's rules say so.

One pass (``sweep``) over the job store:

1. a finished meeting past its meeting period is deleted as people delete one
   (``meetings.delete``: results and keyframes, the recording, the search
   records, the job record last);
2. otherwise, a finished meeting past its recording period, or a completed one
   whose workspace keeps no recordings, loses its recording
   (``workers.recordings``); the minutes stay, and the job says when it went;
3. then what no job accounts for: result folders without a job (``lifestream
   process`` writes them) past the meeting period, uploads no kept recording
   uses (an API upload never confirmed, a deletion storage failed half-way
   through) and job scratch folders a dead worker left, once a day old;
4. last, the job store's own upkeep (``JobStore.settle_records``): on DynamoDB,
   finished jobs' record expiries (the table's TTL, a week past their meeting
   period) follow the rules in force, and records older than the table's
   indexes get their index keys.

Queued and running jobs are left alone (a re-run holds its recording); the
next pass comes back to them. Every deletion is logged on
``lifestream.retention``, and a pass returns what it did (``SweepReport``).

Who sweeps: ``lifestream serve`` in the embedded mode, every
``LIFESTREAM_RETENTION_SWEEP_SECONDS`` (``Sweeper``); in the cloud a scheduled
task runs ``lifestream sweep`` (infrastructure/, hourly), because the workers
scale to zero when idle and the bot runs several copies. On S3, lifecycle
rules from the same periods delete whatever the sweeper has not (a backstop,
not the mechanism: they cannot reach the index or the job store).

The rules come from a callable (``rules_for(workspace)``), by default
``workers.recordings.rules_for``: each workspace's settings in force
(``Services.workspace_settings``: ``retention_days``, ``recording_retention_days``,
``keep_recordings``, its own choice or the server's ``LIFESTREAM_*`` default).
This is the only retention sweeper: nothing else deletes by age.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lifestream import meetings
from lifestream.errors import LifeStreamError
from lifestream.retention_rules import RetentionRules, RulesFor
from lifestream.services import Services
from lifestream.storage import RESULTS, UPLOADS, StoredObject, api_upload_prefix
from lifestream.workers import recordings
from lifestream.workers.jobstore import Job, JobState
from lifestream.workers.recordings import ALL_JOBS, day, keeps_recording, workspace_of

log = logging.getLogger("lifestream.retention")

# What no job accounts for is deleted only once this old: a recording is stored a moment before its job is
# made, and an API upload waits for its confirm; a day is far longer than either takes.
LEFTOVER_GRACE_S = 86_400.0
SCRATCH = "tmp"  # under the data dir: a worker's job-<id>-* scratch folders


@dataclass
class SweepReport:
    """What a pass deleted (or, dry, would delete)."""

    dry_run: bool = False
    meetings: list[str] = field(default_factory=list)  # meeting ids, with everything of them
    recordings: list[str] = field(default_factory=list)  # meeting ids whose recording went
    leftovers: list[str] = field(default_factory=list)  # storage keys and scratch folders no job accounted for
    errors: list[str] = field(default_factory=list)  # "what: why"; the next pass tries again
    records_settled: int = 0  # job records whose expiry or index keys were brought up to date (DynamoDB)
    seconds: float = 0.0

    @property
    def deleted(self) -> int:
        return len(self.meetings) + len(self.recordings) + len(self.leftovers)


def recording_due(job: Job, rules: RetentionRules, now: float) -> bool:
    """Whether a finished job's recording is to go now (it still has one)."""
    if not keeps_recording(job) or not job.final:
        return False
    if job.state is JobState.COMPLETED and not rules.keep_recordings:
        return True
    until = rules.recording_until(job.created_at)
    return until is not None and until <= now


def meeting_due(job: Job, rules: RetentionRules, now: float) -> bool:
    until = rules.meeting_until(job.created_at)
    return job.final and until is not None and until <= now


class _Pass:
    def __init__(self, services: Services, rules_for: RulesFor, now: float, dry_run: bool) -> None:
        self.services, self.rules_for, self.now, self.dry_run = services, rules_for, now, dry_run
        self.report = SweepReport(dry_run=dry_run)
        # Every job, kept current as this pass deletes, so a shared recording goes with its last user.
        self.jobs: dict[str, Job] = {j.id: j for j in services.store.list(None, ALL_JOBS)}
        # Keys and folders this pass's meetings and recordings cover (a dry run must not report them twice).
        self.covered: set[str] = set()

    def _failed(self, what: str, exc: Exception) -> None:
        reason = exc.message if isinstance(exc, LifeStreamError) else f"{type(exc).__name__}: {exc}"
        self.report.errors.append(f"{what}: {reason}")
        log.warning(
            "retention: could not delete %s: %s; the next sweep tries again",
            what,
            reason,
            exc_info=not isinstance(exc, LifeStreamError),
        )

    def jobs_pass(self) -> None:
        for job in list(self.jobs.values()):
            rules = self.rules_for(workspace_of(job))
            try:
                if meeting_due(job, rules, self.now):
                    self.delete_meeting(job, rules)
                elif recording_due(job, rules, self.now):
                    self.delete_recording(job, rules)
            except meetings.MeetingBusy:
                pass  # cancelled a moment ago and still stopping: the next pass
            except Exception as exc:  # one meeting's trouble never stops the others'
                self._failed(f"meeting {job.id}", exc)

    def delete_meeting(self, job: Job, rules: RetentionRules) -> None:
        if not self.dry_run:
            meetings.delete(self.services, job, jobs=list(self.jobs.values()))
            log.info(
                "retention: deleted meeting %s (%s, workspace %s, shared %s; %s): recording, results, "
                "keyframes, search records and job record",
                job.id,
                job.source_name,
                workspace_of(job) or "-",
                day(job.created_at),
                rules.describe(),
            )
        self.jobs.pop(job.id, None)
        self.covered |= {job.result_prefix, job.storage_key, api_upload_prefix(job.id)}
        self.report.meetings.append(job.id)

    def delete_recording(self, job: Job, rules: RetentionRules) -> None:
        self.covered |= {job.storage_key, api_upload_prefix(job.id)}
        if self.dry_run:
            self.report.recordings.append(job.id)
            return
        marked = recordings.delete_recording(
            self.services, job, why=rules.describe(), jobs=list(self.jobs.values()), now=self.now
        )
        if marked is not None:
            self.jobs[job.id] = marked
            self.report.recordings.append(job.id)

    # --- what no job accounts for

    def _old(self, objects: Iterable[StoredObject]) -> bool:
        newest = max((o.modified or self.now for o in objects), default=self.now)
        return newest + LEFTOVER_GRACE_S <= self.now

    def leftovers_pass(self) -> None:
        storage = self.services.storage

        def uncovered(objects: list[StoredObject]) -> list[StoredObject]:
            return [o for o in objects if o.key not in self.covered and _folder(o.key) not in self.covered]

        self._orphan_results(uncovered(storage.list(RESULTS)))
        self._unused_uploads(uncovered(storage.list(UPLOADS)))
        self._dead_scratch()

    def _orphan_results(self, objects: list[StoredObject]) -> None:
        """Result folders without a job: meetings processed from the command line, kept by the server's rules."""
        folders: dict[str, list[StoredObject]] = {}
        for obj in objects:
            meeting_id = obj.key[len(RESULTS) :].split("/", 1)[0]
            folders.setdefault(meeting_id, []).append(obj)
        rules = self.rules_for(None)
        for meeting_id, found in folders.items():
            if meeting_id in self.jobs:
                continue
            written = max((o.modified or self.now for o in found), default=self.now)
            until = rules.meeting_until(written)
            if until is None or until > self.now:
                continue
            try:
                if not self.dry_run:
                    self.services.storage.delete(f"{RESULTS}{meeting_id}/")
                    self.services.index.delete_meeting(meeting_id)
                    log.info(
                        "retention: deleted meeting %s (processed without a job, written %s; %s): results, "
                        "keyframes and search records",
                        meeting_id,
                        day(written),
                        rules.describe(),
                    )
                self.report.meetings.append(meeting_id)
            except Exception as exc:
                self._failed(f"meeting {meeting_id}", exc)

    def _unused_uploads(self, objects: list[StoredObject]) -> None:
        kept = [j for j in self.jobs.values() if keeps_recording(j)]
        used = {j.storage_key for j in kept}
        api_folders = {api_upload_prefix(j.id) for j in kept}
        for obj in objects:
            if obj.key in used or any(obj.key.startswith(folder) for folder in api_folders):
                continue
            if not self._old([obj]):
                continue
            try:
                if not self.dry_run:
                    self.services.storage.delete(obj.key)
                    log.info(
                        "retention: deleted %s: a recording no meeting keeps (stored %s)",
                        obj.key,
                        day(obj.modified or self.now),
                    )
                self.report.leftovers.append(obj.key)
            except Exception as exc:
                self._failed(obj.key, exc)

    def _dead_scratch(self) -> None:
        """Scratch folders of jobs no worker here is running (a worker that died mid-job leaves one)."""
        root = self.services.settings.data_dir / SCRATCH
        running = {j.id for j in self.jobs.values() if j.state is JobState.PROCESSING}
        for folder in sorted(root.glob("job-*")) if root.is_dir() else []:
            job_id = folder.name.split("-")[1] if folder.name.count("-") >= 2 else ""
            try:
                old = folder.stat().st_mtime + LEFTOVER_GRACE_S <= self.now
            except OSError:
                continue
            if job_id in running or not old:
                continue
            if not self.dry_run:
                shutil.rmtree(folder, ignore_errors=True)
                log.info("retention: deleted the scratch folder %s a stopped job left", folder)
            self.report.leftovers.append(str(Path(SCRATCH) / folder.name))


def _folder(key: str) -> str:
    """The per-meeting folder a key is in (results/<id>/, uploads/api/<id>/), else the key."""
    depth = 3 if key.startswith(UPLOADS + "api/") else 2 if key.startswith(RESULTS) else 0
    parts = key.split("/")
    return "/".join(parts[:depth]) + "/" if depth and len(parts) > depth else key


def sweep(
    services: Services, *, rules_for: RulesFor | None = None, now: float | None = None, dry_run: bool = False
) -> SweepReport:
    """One pass: delete what the retention rules say is due (``dry_run``: only say what)."""
    started = time.monotonic()
    one = _Pass(services, rules_for or recordings.rules_for(services), time.time() if now is None else now, dry_run)
    one.jobs_pass()
    one.leftovers_pass()
    report = one.report
    if not dry_run:
        # Expiries follow retention changes, and records from before the job store's indexes get their keys.
        try:
            report.records_settled = services.store.settle_records()
        except LifeStreamError as exc:
            one._failed("the job records' expiries and index keys", exc)
    report.seconds = round(time.monotonic() - started, 2)
    if report.deleted or report.errors:
        log.info(
            "retention sweep%s: %d meeting(s), %d recording(s), %d leftover(s)%s in %.1f s",
            " (dry run)" if dry_run else "",
            len(report.meetings),
            len(report.recordings),
            len(report.leftovers),
            f", {len(report.errors)} error(s)" if report.errors else "",
            report.seconds,
        )
    return report


class Sweeper:
    """Sweeps every ``interval`` seconds on a thread of its own, from start until stop (``lifestream serve``)."""

    def __init__(self, services: Services, *, interval: float, rules_for: RulesFor | None = None) -> None:
        self.services, self.interval, self.rules_for = services, interval, rules_for
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lifestream-retention", daemon=True)
        self.passes = 0

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sweep(self.services, rules_for=self.rules_for)
            except Exception:  # the store or storage is down: the next pass tries again
                log.warning("retention sweep failed; next in %.0f s", self.interval, exc_info=True)
            self.passes += 1
            self._stopping.wait(self.interval)
