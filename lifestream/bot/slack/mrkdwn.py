"""Text for Slack's mrkdwn: everything a recording, a person or an error supplies goes through here.

Slack reads ``<…>`` as markup: ``<!channel>`` notifies everyone, ``<@U1>`` a
person, ``<https://x|label>`` is a link whose label hides its address. A file
name, a speaker's name, a line of transcript or an error message must never
become one of those, so they are escaped (``&``, ``<``, ``>``, which Slack
asks for and shows back as the characters). Links and mentions the bot means
to make are built here too, from parts that cannot break out of them.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# Slack's own ids (users, channels): letters and digits only.
_SLACK_ID = re.compile(r"[A-Z0-9]{2,30}")
# What may stay as it is in a URL inside <…|…>: reserved and unreserved characters, not < > | " or spaces.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def escape(text: object) -> str:
    """Any text, shown as itself: no mentions, links or channel-wide notifications inside it."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """``label`` (escaped) linking to ``url``; ``<``, ``>``, ``|`` and spaces in the URL are percent-encoded,
    so it stays one link to that address."""
    return f"<{quote(url, safe=_URL_SAFE)}|{escape(label)}>"


def bold(text: object) -> str:
    return f"*{escape(text)}*"


def code(text: object) -> str:
    """Inline code; a backtick inside would end it early, so it is replaced by a look-alike."""
    return f"`{escape(text).replace('`', 'ˋ')}`"


def mention(user_id: str) -> str:
    """A mention of a Slack user by id; anything that is not an id is shown as text."""
    return f"<@{user_id}>" if _SLACK_ID.fullmatch(user_id or "") else escape(user_id)
