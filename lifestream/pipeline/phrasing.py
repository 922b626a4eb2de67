"""Action items as sentences about people: "Diane will send Sheila the deck by Friday."

The offline minutes keep each task as the words that were said after the commitment ("I'll *send my
notes*", "can you *send me the deck*?", "we need to *confirm our budget*"), with an owner and the
person who said it as speaker labels. Rendering turns that into a sentence with names at output time,
so a rename later re-renders with the right name and nothing generated has to be rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lifestream.models import ActionItem

TEAM = "team"

# A task that does not start with a verb cannot follow "will" ("I can take care of it" → "care of it").
_NOT_A_VERB = {
    "the", "a", "an", "this", "that", "these", "those", "it", "its", "care", "of", "on", "to", "for", "with",
    "over", "my", "your", "our", "their", "some", "all", "both", "each", "every", "no", "not",
}
_CLAUSE_START = {"before", "after", "when", "once", "if", "until", "while", "because", "so", "and", "or", "as",
                 "since", "unless", "whether", "than", "that"}


def _swap_pronouns(task: str, *, asker: str | None, listener: str | None, team: bool) -> str:
    """First and second person, as said, into third person about the owner (and the asker, the listener)."""
    words = task.split(" ")
    out = []
    for i, word in enumerate(words):
        core = re.sub(r"[^\w']", "", word)
        tail = word[len(word.rstrip(".,;:!?")):]
        lower = core.lower()
        if team:
            swap = {"we": "they", "us": "them", "our": "their", "ours": "theirs", "ourselves": "themselves"}.get(lower)
        elif asker is not None:
            # "can you send me your notes" — "me" is the asker, "you" the owner.
            previous = re.sub(r"[^\w']", "", words[i - 1]).lower() if i else ""
            swap = {"me": asker, "my": f"{asker}'s", "mine": f"{asker}'s", "i": asker,
                    "you": "they" if previous in _CLAUSE_START else "them", "your": "their",
                    "yours": "theirs", "yourself": "themselves"}.get(lower)
        else:
            # "I'll send you my notes before I leave": "I" is the owner, "you" whoever they were talking to.
            previous = re.sub(r"[^\w']", "", words[i - 1]).lower() if i else ""
            swap = {"i": "they", "me": "them", "my": "their", "mine": "theirs", "myself": "themselves"}.get(lower)
            if listener and previous not in _CLAUSE_START:
                swap = swap or {"you": listener, "your": f"{listener}'s"}.get(lower)
        out.append(swap + tail if swap else word)
    return " ".join(out)


def action_sentence(item: ActionItem, name: Callable[[str | None], str], listener: str | None = None) -> str:
    """"Diane will fix the login crash by Friday." — or the task alone when it cannot be said that way.

    ``listener`` is the label of who the owner was talking to when they committed ("I'll send you…").
    """
    task = item.task.strip().rstrip(".")
    if not task:
        return ""
    first = task.split()[0].lower()
    if item.owner is None or first in _NOT_A_VERB:
        return task[:1].upper() + task[1:] + "."
    team = item.owner == TEAM
    owner = "The team" if team else name(item.owner)
    asker = name(item.speaker) if item.speaker and item.speaker != item.owner and not team else None
    verb_phrase = task if task[:2].isupper() or first == "i" else task[:1].lower() + task[1:]
    heard_by = name(listener) if listener and listener != item.owner and asker is None and not team else None
    return f"{owner} will {_swap_pronouns(verb_phrase, asker=asker, listener=heard_by, team=team)}."
