"""Voices remembered, by consent: opt-in per workspace (``LIFESTREAM_VOICEPRINTS``, off by default).

When a speaker is linked to a member of the chat (a rename, or a heard name that fits one member),
LifeStream keeps that speaker's voice embedding as the member's voiceprint in that workspace
(``store.py``: embedding centroids only, no audio). In the workspace's later meetings, a speaker whose
voice matches a voiceprint above a threshold calibrated for the number of voiceprints
(``matching.py``) is named after that person, marked "recognised by voice" — evidence the same
resolver weighs against what the recording says. A person lists and deletes theirs (``/ask my voice``,
``/ask forget my voice``, or the same words to the Teams bot); deleting a meeting deletes no
voiceprint; deleting a workspace deletes them all (``workspaces.delete_workspace`` calls
``lifestream.people.forget_workspace``); a
voiceprint is never read outside its workspace.
"""

from __future__ import annotations

from lifestream.models import Meeting
from lifestream.settings import Settings
from lifestream.storage import Storage
from lifestream.voiceprints.learning import Learned, learn_from_meeting, learnable
from lifestream.voiceprints.matching import CALIBRATION, Calibration, matches, recognise
from lifestream.voiceprints.store import Voiceprint, VoiceprintStore, VoiceSample
from lifestream.voiceprints.voices import EMBEDDING_MODEL, VOICES_FILE, MeetingVoices, SpeakerVoice, load_voices

__all__ = [
    "CALIBRATION",
    "EMBEDDING_MODEL",
    "VOICES_FILE",
    "Calibration",
    "Learned",
    "MeetingVoices",
    "SpeakerVoice",
    "VoiceSample",
    "Voiceprint",
    "VoiceprintStore",
    "enabled",
    "learn_from_meeting",
    "learnable",
    "load_voices",
    "matches",
    "recognise",
    "settle",
]


def enabled(settings: Settings, workspace: str | None) -> bool:
    """Whether a workspace remembers voices: the one place that decides.

    ``settings`` are the workspace's (``Services.settings_for``): its ``voiceprints`` setting, else
    ``LIFESTREAM_VOICEPRINTS`` (off by default). A recording with no workspace (the command line) never does.
    """
    return bool(workspace) and settings.voiceprints


def settle(storage: Storage, workspace: str, meeting: Meeting, result_prefix: str) -> Learned | None:
    """Learn (or unlearn) from a meeting whose speakers were just named: after processing, after a rename.

    None when the meeting kept no voices (voiceprints were off when it was processed).
    """
    voices = load_voices(storage, result_prefix)
    if voices is None:
        return None
    return learn_from_meeting(VoiceprintStore(storage), workspace, meeting, voices)
