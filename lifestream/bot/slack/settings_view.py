"""The workspace's settings in Slack: the modal admins change them in, and the App Home tab that shows them."""

from __future__ import annotations

import json

from lifestream.bot.settings_choices import Form
from lifestream.bot.slack.blocks import escape

SETTINGS_MODAL = "workspace_settings_modal"
OPEN_SETTINGS = "open_settings"
ADMINS_ONLY = "Only workspace admins and owners can change these."


def _option(value: str, label: str) -> dict:
    return {"text": {"type": "plain_text", "text": label[:75], "emoji": False}, "value": value}


def settings_modal(forms: list[Form], workspace: str) -> dict:
    """One select per setting; submitting it comes back as a view_submission of SETTINGS_MODAL."""
    blocks: list[dict] = [
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": (
                        "These apply to this workspace only. *Server default* follows how this LifeStream server is set up."
                    ),
                }
            ],
        }
    ]
    for form in forms:
        options = [_option(c.value, c.label) for c in form.choices]
        selected = next(o for o in options if o["value"] == form.selected)
        blocks.append(
            {
                "type": "input",
                "block_id": form.field,
                "label": {"type": "plain_text", "text": form.label},
                "element": {
                    "type": "static_select",
                    "action_id": "choice",
                    "options": options,
                    "initial_option": selected,
                },
            }
        )
    return {
        "type": "modal",
        "callback_id": SETTINGS_MODAL,
        "private_metadata": json.dumps({"workspace": workspace}),
        "title": {"type": "plain_text", "text": "LifeStream settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def submitted(view: dict) -> dict[str, str]:
    """field -> the choice picked, from a SETTINGS_MODAL submission."""
    return {
        field: (block.get("choice", {}).get("selected_option") or {}).get("value", "")
        for field, block in view["state"]["values"].items()
    }


def settings_text(summary: list[tuple[str, str]]) -> str:
    return "\n".join(f"• {escape(label)}: *{escape(value)}*" for label, value in summary)


def home_view(help_text: str, summary: list[tuple[str, str]], *, can_edit: bool) -> dict:
    """The App Home tab: what LifeStream does, and this workspace's settings (with a button for admins)."""
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": help_text}},
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "This workspace's settings"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": settings_text(summary)}},
    ]
    if can_edit:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": OPEN_SETTINGS,
                        "text": {"type": "plain_text", "text": "Change settings"},
                    }
                ],
            }
        )
    else:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": ADMINS_ONLY}]})
    return {"type": "home", "blocks": blocks}
