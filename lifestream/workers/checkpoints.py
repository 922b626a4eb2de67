"""A job's checkpoints in its storage: brought to the pipeline before an attempt, kept after it, dropped when done.

The pipeline writes checkpoints to a local folder in the worker's scratch space (its child process
needs no storage credentials, and a crash of the child leaves the folder where the worker can read
it); this module moves that folder from and to ``results/<job_id>/.checkpoints/`` in the storage (a local
folder or S3), so a retry on another worker resumes too. Inside the result folder, they share its access
rights and retention rules, go when the meeting is deleted, and are replaced when the results are published.

Which actions reuse them:
- an automatic retry (an LLM or storage outage, a crashed pipeline process, a worker that died) and
  a manual Retry of a failed job: yes, the recording and the settings are the same;
- a Re-run of a completed job: no. The checkpoints are dropped when a job completes, and again when
  it is re-run, so a Re-run (after a model upgrade, say) transcribes and diarizes anew;
- a changed setting (model, language, speaker bounds...) makes the stale checkpoint not count (its
  key differs, see ``lifestream.pipeline.checkpoints``) wherever it is found;
- deleting the meeting deletes them with its results.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lifestream.storage import Storage, checkpoint_prefix, fanout_prefix

log = logging.getLogger(__name__)


def bring(storage: Storage, job_id: str, folder: Path) -> int:
    """Copy the job's checkpoints from storage into ``folder``; how many files. Trouble: none, the stages run."""
    prefix = checkpoint_prefix(job_id)
    try:
        # Hidden names are not checkpoints: a version of them being published (S3), a write cut short.
        found = [obj for obj in storage.list(prefix)
                 if not any(part.startswith(".") for part in obj.key[len(prefix):].split("/"))]
        for obj in found:
            storage.get(obj.key, folder / obj.key[len(prefix):])
    except Exception:  # a checkpoint saves time; never worth failing an attempt
        log.warning("job %s: its checkpoints could not be read; the costly stages run again", job_id, exc_info=True)
        return 0
    return len(found)


def _stage_files(folder: Path, stage: str) -> list[tuple[str, Path]]:
    """The stage's files in the folder, each with its name under the job's checkpoint prefix; not the hidden ones
    (being written)."""
    files = folder / stage
    if not files.is_dir():
        return []
    return [(path.relative_to(folder).as_posix(), path) for path in sorted(files.rglob("*"))
            if path.is_file() and not path.name.startswith(".")]


def files_of(folder: Path, stage: str) -> set[str]:
    """The stage's files in the folder, as ``keep_stage`` names them (after ``bring``: the ones stored)."""
    return {name for name, _ in _stage_files(folder, stage)}


def has_costly(folder: Path) -> bool:
    """Whether an earlier attempt's speech recognition and diarization are both here (maybe stale: the
    pipeline checks their keys and runs a stale one again)."""
    return (folder / "asr.json").is_file() and (folder / "diarization.json").is_file()


def keep_stage(storage: Storage, job_id: str, folder: Path, stage: str, *, stored: set[str] | None = None) -> None:
    """Store one stage's checkpoint as soon as the pipeline has written it, so that even a worker that dies
    (a Spot interruption, the OOM killer) leaves it for the next attempt; its files first, its record last.

    ``stored``: for a stage whose files never change once written (the minutes model's answers, kept one by
    one as they come), the ones in storage already; they are not sent again, and the new ones are added.
    """
    prefix = checkpoint_prefix(job_id)
    try:
        for name, path in _stage_files(folder, stage):
            if stored is None or name not in stored:
                with path.open("rb") as fh:
                    storage.put(prefix + name, fh)
                if stored is not None:
                    stored.add(name)
        with (folder / f"{stage}.json").open("rb") as fh:
            storage.put(f"{prefix}{stage}.json", fh, content_type="application/json")
    except Exception:  # kept at the end of the attempt instead (keep), if it fails
        log.warning("job %s: the %s checkpoint could not be stored yet", job_id, stage, exc_info=True)


def keep(storage: Storage, job_id: str, folder: Path) -> None:
    """Store what the attempt checkpointed (after it failed or crashed), replacing the earlier checkpoints."""
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    try:
        storage.put_dir(folder, checkpoint_prefix(job_id))
    except Exception:
        log.warning("job %s: its checkpoints could not be stored; a retry runs every stage", job_id, exc_info=True)


def drop(storage: Storage, job_id: str) -> None:
    """Delete the job's checkpoints and fanned-out segments (it completed, is re-run, or is deleted)."""
    try:
        storage.delete(checkpoint_prefix(job_id))
        storage.delete(fanout_prefix(job_id))
    except Exception:  # left behind: a Re-run drops them again, deleting the meeting too
        log.warning("job %s: its checkpoints could not be deleted", job_id, exc_info=True)
