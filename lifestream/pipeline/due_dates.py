"""Find a spoken deadline ("by Friday", "end of the month") and resolve it to a date."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})

_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)"
# Day numbers as digits or words: recognisers write "December 15th" and "December fifteenth" alike.
_ORDINAL_WORDS = {
    word: n for n, word in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
        "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), start=1)
}
_ORDINAL_WORDS.update({f"twenty {w}": 20 + n for w, n in list(_ORDINAL_WORDS.items())[:9]})
_ORDINAL_WORDS.update({"thirtieth": 30, "thirty first": 31})
_ORD = r"(?:\d{1,2}(?:st|nd|rd|th)?|" + "|".join(
    w.replace(" ", r"[\s-]+") for w in sorted(_ORDINAL_WORDS, key=len, reverse=True)) + ")"

DUE_PATTERN = re.compile(
    r"\b(?:(?:by|before|until|on|due|for)\s+)?"
    r"(?P<phrase>"
    r"(?:the\s+)?end\s+of\s+(?:the\s+)?(?:day|week|month|quarter|year)"
    r"|eod|eow|cob"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+)?next\s+week"
    r"|today|tonight|tomorrow|tomorrow\s+morning|tomorrow\s+afternoon|this\s+(?:morning|afternoon|evening)|later\s+today"
    r"|this\s+weekend"
    r"|(?:this|next)\s+(?:week|month|" + _DAY[3:-1] + r")"
    r"|(?:next\s+)?" + _DAY +
    r"|" + _MONTH + r"\s+" + _ORD +
    r"|(?:the\s+)?" + _ORD + r"\s+of\s+" + _MONTH +
    r")\b",
    re.IGNORECASE,
)


# "I can't do Friday, Monday would work": a date just after a refusal is not the deadline.
_REFUSED = re.compile(r"(?:can't|cannot|can not|won't|not|n't)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


def find_due(text: str, reference: date) -> tuple[str | None, str | None]:
    """(the phrase as said, ISO date or None) for the first deadline in ``text``.

    Only called on sentences already known to be commitments, where any time
    reference ("on Friday", "next week") is the deadline, unless it was refused.
    """
    for match in DUE_PATTERN.finditer(text):
        if _REFUSED.search(text[:match.start()]):
            continue
        said = match.group(0).strip()
        resolved = resolve(match.group("phrase"), reference)
        return said, resolved.isoformat() if resolved else None
    return None, None


def _next_weekday(reference: date, weekday: int) -> date:
    """The coming ``weekday``; "by Friday" said on a Friday means next week's."""
    return reference + timedelta(days=(weekday - reference.weekday()) % 7 or 7)


def resolve(phrase: str, reference: date) -> date | None:
    p = re.sub(r"\s+", " ", phrase.lower().strip())
    p = p.removeprefix("the ")
    if p in ("today", "tonight", "eod", "cob", "end of day", "end of the day", "this morning", "this afternoon",
             "this evening", "later today"):
        return reference
    if p == "this weekend":
        return reference + timedelta(days=(5 - reference.weekday()) % 7)
    if p in ("end of next week", "end of the next week"):
        return reference + timedelta(days=(7 - reference.weekday()) + 4)
    if p.startswith("tomorrow"):
        return reference + timedelta(days=1)
    if p in ("eow", "end of week", "end of the week", "this week"):
        return reference + timedelta(days=(4 - reference.weekday()) % 7)
    if p == "next week":
        return reference + timedelta(days=7 - reference.weekday())
    if p in ("end of month", "end of the month", "this month"):
        return reference.replace(day=calendar.monthrange(reference.year, reference.month)[1])
    if p == "next month":
        year, month = (reference.year + 1, 1) if reference.month == 12 else (reference.year, reference.month + 1)
        return date(year, month, 1)
    if p in ("end of quarter", "end of the quarter"):
        last_month = ((reference.month - 1) // 3 + 1) * 3
        return date(reference.year, last_month, calendar.monthrange(reference.year, last_month)[1])
    if p in ("end of year", "end of the year"):
        return date(reference.year, 12, 31)
    words = p.split()
    if words[-1] in _WEEKDAYS:
        weekday = _WEEKDAYS[words[-1]]
        if words[0] == "next":
            # "next Friday" said on a Monday is the Friday after this week's.
            return reference + timedelta(days=(7 - reference.weekday()) + weekday)
        return _next_weekday(reference, weekday)
    p = re.sub(r"-", " ", p)
    day_at = r"(?P<d>\d{1,2}|" + "|".join(sorted(_ORDINAL_WORDS, key=len, reverse=True)) + ")"
    month_day = re.match(r"(?P<m>[a-z]+) " + day_at, p) or re.match(day_at + r"(?:st|nd|rd|th)? of (?P<m>[a-z]+)", p)
    if month_day and month_day.group("m") in _MONTHS:
        said_day = month_day.group("d")
        month, day = _MONTHS[month_day.group("m")], int(said_day) if said_day.isdigit() else _ORDINAL_WORDS[said_day]
        if not 1 <= day <= calendar.monthrange(reference.year, month)[1]:
            return None
        candidate = date(reference.year, month, day)
        # A date already past this year means next year's.
        return candidate if candidate >= reference else date(reference.year + 1, month, day)
    return None
