"""Which languages the offline minutes have rules for, and the table of each.

A language with a table gets the whole minutes: sentences read as an exchange,
action items, decisions, open questions, and a summary phrased in that
language. Any other language gets summary-only minutes (see
``summary_only.py``): its own central sentences as said, and a note that no
rules exist for it, never English cues read over another language's words.
"""

from __future__ import annotations

from lifestream.pipeline.language_names import base_language
from lifestream.pipeline.minutes_offline.cues import ENGLISH, Cues
from lifestream.pipeline.minutes_offline.cues_de import GERMAN
from lifestream.pipeline.minutes_offline.cues_es import SPANISH
from lifestream.pipeline.minutes_offline.cues_fr import FRENCH

TABLES: dict[str, Cues] = {c.language: c for c in (ENGLISH, GERMAN, SPANISH, FRENCH)}


def cues_for(language: str | None) -> Cues | None:
    """The table for ``language`` (an ISO 639-1 code as the recogniser reports it), or None: no rules.

    An unknown language (a transcript typed in, nothing detected) reads as English, as it always has.
    """
    code = base_language(language)
    return ENGLISH if code is None else TABLES.get(code)


def has_rules(language: str | None) -> bool:
    return cues_for(language) is not None
