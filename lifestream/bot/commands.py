"""What a person asks the bot in words: Slack's ``/ask …`` text, or a message to the Teams bot.

    help | ? | hi | hello | (nothing)      -> Help
    ask <question> | <question>            -> Ask
    rename SPEAKER_1 Alice                 -> Rename (the conversation's latest minutes)
    settings                               -> ShowSettings (the workspace's; admins may change them)
    my voice | my voiceprint               -> ShowVoice (what LifeStream keeps of the asker's voice)
    forget my voice                        -> ForgetVoice (delete it, and learn it no more)
    remember my voice                      -> RememberVoice (lift a "forget my voice")

Pure: the bots parse here and do the work themselves, so both understand the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HELP = frozenset({"", "help", "?", "hi", "hello", "ask"})
_SETTINGS = frozenset({"settings", "setting", "preferences"})
_ASK = re.compile(r"^ask\b[:\s]*(.*)$", re.IGNORECASE | re.DOTALL)
_RENAME = re.compile(r"^rename\s+(SPEAKER_\d+)\s+(.+)$", re.IGNORECASE | re.DOTALL)
_VOICE = r"(?:my\s+)?voice\s*(?:print)?s?[.!]?"
_SHOW_VOICE = re.compile(r"^(?:(?:show|list|what\s+is|what's)\s+)?my\s+voice\s*(?:print)?s?[?.!]?$", re.IGNORECASE)
_FORGET_VOICE = re.compile(rf"^(?:please\s+)?(?:forget|delete|remove|erase)\s+{_VOICE}$", re.IGNORECASE)
_REMEMBER_VOICE = re.compile(rf"^(?:please\s+)?(?:remember|learn|keep)\s+{_VOICE}$", re.IGNORECASE)


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Ask:
    question: str


@dataclass(frozen=True)
class Rename:
    label: str  # SPEAKER_<n>, as the minutes show it
    name: str


@dataclass(frozen=True)
class ShowSettings:
    pass


@dataclass(frozen=True)
class ShowVoice:
    pass


@dataclass(frozen=True)
class ForgetVoice:
    pass


@dataclass(frozen=True)
class RememberVoice:
    pass


Command = Help | Ask | Rename | ShowSettings | ShowVoice | ForgetVoice | RememberVoice


def parse_command(text: str | None) -> Command:
    text = " ".join((text or "").split())
    if text.lower() in _HELP:
        return Help()
    if text.lower() in _SETTINGS:
        return ShowSettings()
    if rename := _RENAME.match(text):
        return Rename(rename.group(1).upper(), rename.group(2).strip())
    if _FORGET_VOICE.match(text):
        return ForgetVoice()
    if _REMEMBER_VOICE.match(text):
        return RememberVoice()
    if _SHOW_VOICE.match(text):
        return ShowVoice()
    if asked := _ASK.match(text):
        question = asked.group(1).strip()
        return Ask(question) if question else Help()
    return Ask(text)
