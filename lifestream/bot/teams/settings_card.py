"""The workspace's (the tenant's) settings as an Adaptive Card: a form for its admins, the values for everyone else.

The form's Save comes back as ``{"action": "settings", "setting:<field>": "<choice>", …}``.
"""

from __future__ import annotations

from lifestream.bot.settings_choices import Form
from lifestream.bot.teams.cards import _heading, _text, card, md

SETTINGS = "settings"
FIELD_PREFIX = "setting:"
ADMINS_ONLY = (
    "Only this organization's LifeStream admins can change these (the server's LIFESTREAM_TEAMS_ADMINS names them)."
)


def settings_form_card(forms: list[Form]) -> dict:
    body: list[dict] = [
        _heading("LifeStream settings for this organization"),
        _text("*Server default* follows how this LifeStream server is set up.", isSubtle=True),
    ]
    for form in forms:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": FIELD_PREFIX + form.field,
                "label": form.label,
                "style": "compact",
                "value": form.selected,
                "isRequired": True,
                "choices": [{"title": c.label, "value": c.value} for c in form.choices],
            }
        )
    return card(body, [{"type": "Action.Submit", "title": "Save", "data": {"action": SETTINGS}}])


def settings_facts_card(summary: list[tuple[str, str]], note: str | None = ADMINS_ONLY) -> dict:
    body: list[dict] = [
        _heading("LifeStream settings for this organization"),
        {"type": "FactSet", "facts": [{"title": md(label, 80), "value": md(value, 120)} for label, value in summary]},
    ]
    if note:
        body.append(_text(note, isSubtle=True))
    return card(body)


def submitted(value: dict) -> dict[str, str]:
    """field -> choice, from the form's Save."""
    return {k.removeprefix(FIELD_PREFIX): str(v) for k, v in value.items() if k.startswith(FIELD_PREFIX)}
