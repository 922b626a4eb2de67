"""What happens to a whole workspace, whichever surface asks: its settings changed, or everything of it deleted.

A workspace (a Slack team, a Teams tenant, an API token's workspace) owns the
meetings whose job origin names it. Uninstalling the Slack app
(``app_uninstalled``, ``tokens_revoked``) and ``lifestream workspaces delete``
delete one; a workspace admin changes its settings from Slack, Teams, the API
or the command line, all through ``change_settings``.

Each workspace's retention settings (``retention_days``,
``recording_retention_days``, ``keep_recordings``) are applied by the retention
sweeper, ``lifestream.retention``.

Deleting a workspace takes a while (a running job stops at its worker's next
lease renewal before its meeting can go) and must survive a restart, so it is
recorded when it starts (``start_deletion``) and finished by
``finish_deletions``, which the server also runs when it starts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lifestream.errors import LifeStreamError
from lifestream.installations import WorkspaceSettings
from lifestream.meetings import MeetingBusy, delete
from lifestream.people import forget_workspace
from lifestream.services import Services
from lifestream.workers.jobstore import Job

log = logging.getLogger(__name__)

ALL_JOBS = 1_000_000  # the job store lists newest first up to a limit; a workspace deletion wants every one
DAY = 86_400.0
ATTEMPTS = 10  # passes of a deletion before it is left to the next start (each waits for running jobs to stop)


def change_settings(
    services: Services, workspace: str, values: Mapping[str, Any], *, reset: Iterable[str] = (), by: str
) -> WorkspaceSettings:
    """Choose ``values`` (and return the ``reset`` ones to the server's) for the workspace; the settings in force.

    ``by`` names who, for the record ("slack:T1:U2"). Raises SettingsError (its message is for the person)
    for an unknown setting or an invalid value.
    """
    chosen = services.workspaces.overrides(workspace).change(values, reset)
    services.workspaces.save(workspace, chosen, by=by)
    log.info("workspace %s: settings changed by %s to %s", workspace, by, chosen.chosen())
    return services.workspace_settings(workspace)


@dataclass
class WorkspaceDeletion:
    """What ``delete_workspace`` did, and what it had to leave for a later pass."""

    workspace: str
    deleted: list[str] = field(default_factory=list)  # meetings (job ids) deleted
    busy: list[str] = field(default_factory=list)  # jobs that were running: cancelled, deletable after retry_after
    retry_after: int = 0
    failed: list[str] = field(default_factory=list)  # "what: why" of what storage (or a store) refused to delete

    @property
    def done(self) -> bool:
        return not self.busy and not self.failed


def delete_workspace(services: Services, workspace: str, *, before: float | None = None) -> WorkspaceDeletion:
    """One pass over everything the workspace left here (shared before ``before``, if given); repeatable.

    The workspace's settings go first. Then every meeting, as ``meetings.delete`` deletes one: its
    recording (unless a meeting of another workspace is of the same recording), results, keyframes and
    posted-message records, search records, and last its job record. Queued and running jobs are cancelled
    first, so no more work is done for the workspace; a job that was running is deleted by a later pass,
    once its worker has stopped (``busy``, ``retry_after``). The Slack installation (its tokens) is the
    Slack bot's to delete, in bolt's installation store.
    """
    result = WorkspaceDeletion(workspace)
    services.workspaces.delete(workspace)
    # Its people (chat rosters, voiceprints) go with it: nothing about them outlives the workspace.
    forget_workspace(services.storage, workspace)
    own = [j for j in services.store.list(None, ALL_JOBS, workspace=workspace)
           if before is None or j.created_at <= before]
    for job in own:
        # Recordings are stored once per content: only another workspace's meeting keeps one alive.
        others = [j for j in services.store.with_recording(job.storage_key) if not _of(j, workspace)]
        try:
            delete(services, job, jobs=others)
        except MeetingBusy as exc:
            result.busy.append(job.id)
            result.retry_after = max(result.retry_after, exc.retry_after)
        except LifeStreamError as exc:  # its job record stays, so a later pass finds it again; the others go on
            result.failed.append(f"meeting {job.id}: {exc.message}")
        else:
            result.deleted.append(job.id)
    log.info("workspace %s: %d meetings deleted, %d still stopping, %d not deleted", workspace, len(result.deleted),
             len(result.busy), len(result.failed))
    return result


def _of(job: Job, workspace: str) -> bool:
    return job.origin is not None and job.origin.workspace == workspace


def start_deletion(services: Services, workspace: str) -> float:
    """Record that everything the workspace has now is to be deleted (see ``finish_deletions``); since when."""
    since = time.time()
    services.workspaces.start_deletion(workspace, since)
    log.info("workspace %s: deletion of its data started", workspace)
    return since


def finish_deletions(
    services: Services, *, attempts: int = ATTEMPTS, wait: Callable[[float], object] = time.sleep
) -> list[WorkspaceDeletion]:
    """Carry every recorded deletion through: passes of ``delete_workspace`` until nothing of it is left.

    Between passes ``wait`` waits for running jobs to stop; if it returns True (a ``threading.Event``'s
    ``wait`` when the process is stopping) the rest is left for the next call, as is a deletion whose jobs
    have not stopped after ``attempts`` passes, or one that storage (or a store) refused in part (``failed``:
    an AccessDenied stays until the bucket or the role is changed, so it is not tried again at once).
    """
    results = []
    for workspace, since in services.workspaces.deletions().items():
        total = WorkspaceDeletion(workspace)
        for attempt in range(attempts):
            try:
                one = delete_workspace(services, workspace, before=since)
            except LifeStreamError as exc:  # its settings or people could not be deleted: none of it is finished
                one = WorkspaceDeletion(workspace, failed=[exc.message])
            total.deleted += one.deleted
            total.busy, total.retry_after, total.failed = one.busy, one.retry_after, one.failed
            if one.done:
                services.workspaces.finish_deletion(workspace, since)
                log.info("workspace %s: deleted (%d meetings)", workspace, len(total.deleted))
                break
            if one.failed:  # refused, not busy: passes a few seconds apart would be refused alike
                log.warning("workspace %s: %d thing(s) could not be deleted (first: %s); the deletion stays recorded "
                            "and is carried on at the next start of the server or `lifestream workspaces delete`",
                            workspace, len(one.failed), one.failed[0])
                break
            if attempt + 1 < attempts and wait(one.retry_after) is True:
                results.append(total)
                return results
        results.append(total)
    return results
