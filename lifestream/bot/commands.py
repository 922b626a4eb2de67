"""What a person asks the bot in words: Slack's ``/ask …`` text, or a message to the Teams bot.

    help | ? | hi | hello | (nothing)      -> Help
    ask <question> | <question>            -> Ask
    rename SPEAKER_1 Alice                 -> Rename (the conversation's latest minutes)
    settings                               -> ShowSettings (the workspace's; admins may change them)

Pure: the bots parse here and do the work themselves, so both understand the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HELP = frozenset({"", "help", "?", "hi", "hello", "ask"})
_SETTINGS = frozenset({"settings", "setting", "preferences"})
_ASK = re.compile(r"^ask\b[:\s]*(.*)$", re.IGNORECASE | re.DOTALL)
_RENAME = re.compile(r"^rename\s+(SPEAKER_\d+)\s+(.+)$", re.IGNORECASE | re.DOTALL)


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


Command = Help | Ask | Rename | ShowSettings


def parse_command(text: str | None) -> Command:
    text = " ".join((text or "").split())
    if text.lower() in _HELP:
        return Help()
    if text.lower() in _SETTINGS:
        return ShowSettings()
    if rename := _RENAME.match(text):
        return Rename(rename.group(1).upper(), rename.group(2).strip())
    if asked := _ASK.match(text):
        question = asked.group(1).strip()
        return Ask(question) if question else Help()
    return Ask(text)
