"""Small text operations the minutes share: content words, clause clean-up, casing."""

from __future__ import annotations

import re

from lifestream.pipeline.minutes_offline.cues import Cues

WORD = re.compile(r"[\w']+")
_REPEATED = re.compile(r"\b(\w+)\s+(?i:\1)\b")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def content_words(text: str, cues: Cues) -> list[str]:
    return content_words_in(text, cues.stopwords)


def content_words_in(text: str, stopwords: frozenset[str]) -> list[str]:
    return [w for w in words(text) if w not in stopwords and len(w) > 2 and not w.isdigit()]


def overlap(a: str, b: str, cues: Cues) -> float:
    """Share of the smaller text's content words found in the other; 0 unless they share two or more."""
    wa, wb = set(content_words(a, cues)), set(content_words(b, cues))
    shared = wa & wb
    if len(shared) < 2:
        return 0.0
    return len(shared) / min(len(wa), len(wb))


def clean_clause(text: str, cues: Cues) -> str:
    """A clause as a list item: no discourse lead-in, no trailing reason or dangling conjunction."""
    text = text.strip().rstrip(" .!?;:,")
    lowered = text.lower()
    lead = cues.lead_in.match(lowered)
    if lead:
        text = text[lead.end():]
    text = cues.clause_cut.sub("", text).strip().rstrip(" .!?;:,")
    # A restart the recogniser kept ("and the / the alert threshold" -> "the the alert threshold").
    return _REPEATED.sub(r"\1", text)


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def lower_first(text: str, cues: Cues | None = None) -> str:
    """Lower-case the first letter, unless the first word is an acronym ("QR codes") or "I" - or, where
    nouns are capitalised (German), anything but a function word ("die Einladungen", "Einladungen")."""
    first = text.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or sum(c.isupper() for c in first) > 1:
        return text
    if cues is not None and cues.capitalises_nouns and first.lower() not in cues.stopwords:
        return text
    return text[:1].lower() + text[1:]


def title_case(phrase: str, cues: Cues) -> str:
    """A title cased as the language does: English headline style (small words low, acronyms and names as
    said, "he's" as "He's"); elsewhere sentence case, the first letter up and every word as said."""
    if cues.title_style == "sentence":
        return capitalise(phrase.strip())
    out = []
    for i, word in enumerate(phrase.split()):
        if any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word):
            out.append(word)  # QR, iPhone, Q3
        elif i and word.lower() in cues.title_small_words:
            out.append(word.lower())
        else:
            out.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
    return " ".join(out)


def join_list(items: list[str], and_: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {and_} {items[1]}"
    return ", ".join(items[:-1]) + f", {and_} {items[-1]}"


def anaphoric(text: str, cues: Cues, *, enough: int | None = None) -> bool:
    """ "fix it by Friday", "do that", "write to her": the thing meant is named somewhere before.
    ("send these notes" names it: a pointing word before a noun is a determiner, not a pronoun; and with
    ``enough`` content words, "keep it at three datasets and mention the fourth as future work" says enough.)"""
    ws = words(text)
    if enough is not None and len(content_words(text, cues)) >= enough:
        return False
    for n in range(1, min(4, len(ws))):
        w, after = ws[n], ws[n + 1] if n + 1 < len(ws) else None
        if w in cues.person_pronouns or (w in cues.anaphora and (after is None or after in cues.stopwords)):
            return True
    return bool(ws) and ws[0] in cues.light_verbs and len(content_words(" ".join(ws), cues)) < 2
