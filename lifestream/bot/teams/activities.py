"""Reading an incoming activity: its files, its text without the bot's @mention, its search scope. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class SharedFile:
    name: str
    url: str | None
    mimetype: str | None


def shared_files(activity: Activity) -> list[SharedFile]:
    """Files attached to a message: Teams' file download info, or plain attachments (the Emulator, Web Chat)."""
    files = []
    for a in activity.attachments or []:
        content = a.content if isinstance(a.content, dict) else {}
        if a.content_type == FILE_DOWNLOAD_INFO:
            # downloadUrl is a short-lived pre-authenticated SharePoint URL: no token goes with it.
            name = a.name or f"recording.{content.get('fileType', '')}".rstrip(".")
            files.append(SharedFile(name, content.get("downloadUrl"), None))
        elif a.content_url and not (a.content_type or "").startswith(("text/html", "application/vnd.microsoft.")):
            name = a.name or urlsplit(a.content_url).path.rsplit("/", 1)[-1] or "recording"
            files.append(SharedFile(name, a.content_url, a.content_type))
    return files


def command_text(activity: Activity) -> str:
    """The message text without the bot's @mention (Teams writes it as <at>Name</at>) and without markup.

    Not ``TurnContext.remove_recipient_mention``: it deletes the bot's name everywhere in the text (as a
    regex), and a question may well name the bot or a person. Only the mention entities that point at the
    bot are removed; other people's mentions keep their names ("what did <at>Diane</at> promise?").
    """
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for mention in TurnContext.get_mentions(activity):
        props = mention.additional_properties or {}
        if (props.get("mentioned") or {}).get("id") == bot_id and props.get("text"):
            text = text.replace(props["text"], " ")
    text = _MENTION.sub(lambda m: re.sub(r"<[^>]+>", "", m.group(0)), text)
    text = re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ")
    return " ".join(text.split())


def channel_data(activity: Activity) -> dict:
    return activity.channel_data if isinstance(activity.channel_data, dict) else {}


def search_scope(activity: Activity) -> tuple[str, str]:
    """(workspace, conversation) under which this conversation's meetings are indexed and searched.

    The workspace is the tenant. The conversation is the channel for channel
    messages (Teams adds ";messageid=…" to a reply chain's id; all chains of a
    channel share its meetings), else the group chat or 1:1 chat itself.
    """
    data = channel_data(activity)
    tenant = (data.get("tenant") or {}).get("id") or getattr(activity.conversation, "tenant_id", None) or "teams"
    channel = (data.get("channel") or {}).get("id")
    conversation = channel or (activity.conversation.id or "").split(";", 1)[0]
    return tenant, conversation
