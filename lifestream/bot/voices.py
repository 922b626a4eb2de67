"""What a person asks about their own voiceprint, in either chat: see it, delete it, allow it again.

The asker is identified by the chat (Slack user id, Teams user id) and only ever reaches their own
voiceprint, in the workspace they are asking from. Plain sentences: both bots send them as they are.
"""

from __future__ import annotations

import time

from lifestream.bot.commands import ForgetVoice, RememberVoice, ShowVoice
from lifestream.services import Services
from lifestream.voiceprints import VoiceprintStore, enabled

VoiceCommand = ShowVoice | ForgetVoice | RememberVoice


def _age(at: float) -> str:
    days = int((time.time() - at) // 86400)
    return "today" if days < 1 else "yesterday" if days == 1 else f"{days} days ago"


def voice_reply(command: VoiceCommand, services: Services, workspace: str, person_id: str) -> str:
    store = VoiceprintStore(services.storage)
    on = enabled(services.settings_for(workspace), workspace)
    if isinstance(command, ForgetVoice):
        had = store.forget(workspace, person_id)
        done = "I deleted your voiceprint" if had else "I had no voiceprint of you"
        return (
            f"{done}, and I won't learn your voice in this workspace again. "
            'Say "remember my voice" if you change your mind.'
        )
    if isinstance(command, RememberVoice):
        if not store.allow(workspace, person_id):
            return "Nothing to undo: you haven't asked me to forget your voice here." + (
                "" if on else " Voiceprints are off in this workspace, so I don't learn anyone's voice."
            )
        return (
            "OK: when you are named in a meeting again, I'll learn your voice."
            if on
            else "OK. Voiceprints are off in this workspace, though, so I don't learn anyone's voice."
        )
    found = store.get(workspace, person_id)
    if found is not None and found.forgotten:
        return "You asked me to forget your voice: I keep no voiceprint of you here."
    if found is None or not found.samples:
        return "I keep no voiceprint of you in this workspace." + (
            "" if on else " Voiceprints are off here: I don't learn anyone's voice."
        )
    return (
        f"I keep a voiceprint of you as {found.name}: learned from {len(found.samples)} "
        f"meeting{'s' if len(found.samples) != 1 else ''} ({found.seconds:.0f} s of your speech), last updated "
        f"{_age(found.updated_at)}. It is numbers describing your voice, no recording. "
        'Say "forget my voice" to delete it.'
    )
