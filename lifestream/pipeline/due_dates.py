"""Find a spoken deadline ("by Friday", "end of the month") and resolve it to a date.

English, German, Spanish and French: each language has a pattern of its deadline phrases ("bis Freitag",
"para el viernes", "d'ici vendredi", "Ende des Monats") and says each found phrase again in English
words ("friday", "end of the month"), which one resolver turns into a date.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
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


def find_due(text: str, reference: date, language: str | None = None) -> tuple[str | None, str | None]:
    """(the phrase as said, ISO date or None) for the first deadline in ``text``.

    Only called on sentences already known to be commitments, where any time
    reference ("on Friday", "next week") is the deadline, unless it was refused.
    A language without deadline rules finds none.
    """
    words = _DUE_WORDS.get(_base(language))
    if words is None:
        return None, None
    for match in words.pattern.finditer(text):
        if words.refused_before.search(text[:match.start()]) or words.refused_after.match(text[match.end():]):
            continue
        said = match.group(0).strip()
        resolved = resolve(words.in_english(match.group("phrase")), reference)
        return said, resolved.isoformat() if resolved else None
    return None, None


def due_pattern(language: str | None = None) -> re.Pattern[str]:
    """The deadline phrases of ``language``, to take out of a task's words ("send the deck by Friday")."""
    words = _DUE_WORDS.get(_base(language))
    return words.pattern if words else _NOTHING


def _base(language: str | None) -> str:
    return (language or "en").replace("_", "-").split("-")[0].lower()


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
    if p == "day after tomorrow":
        return reference + timedelta(days=2)
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


_NOTHING = re.compile(r"(?!x)x")


@dataclass(frozen=True)
class _DueWords:
    pattern: re.Pattern[str]  # the phrase with its preposition; group "phrase" without it
    in_english: Callable[[str], str]  # the phrase again in the words ``resolve`` reads
    refused_before: re.Pattern[str] = _NOTHING  # "I can't do Friday"
    refused_after: re.Pattern[str] = _NOTHING  # "Freitag schaffe ich nicht"


def _numbers(words: list[str], start: int = 1) -> dict[str, int]:
    return {w: n for n, w in enumerate(words, start=start) if w}


def _alternatives(words: dict[str, int] | list[str]) -> str:
    return "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len, reverse=True))


def _translator(table: list[tuple[str, str]], days: dict[str, str], months: dict[str, str],
                day_numbers: dict[str, int]) -> Callable[[str], str]:
    """Say a matched phrase in English: fixed phrases by table, weekdays, "<day> <month>" as "<month> <day>"."""
    compiled = [(re.compile(pattern + r"$", re.IGNORECASE), english) for pattern, english in table]

    def in_english(phrase: str) -> str:
        p = re.sub(r"\s+", " ", phrase.lower().strip())
        for pattern, english in compiled:
            if pattern.match(p):
                return english
        for said, english in days.items():
            if re.search(rf"\b{said}\b", p):
                return ("next " if re.search(r"\b(?:nächst\w*|kommend\w*|próximo|que viene|prochain)\b", p) else "") + english
        for said, month in months.items():
            if re.search(rf"\b{said}\b", p):
                number = re.search(r"\d{1,2}|" + _alternatives(day_numbers), p)
                if number:
                    n = re.sub(r"\s+", " ", number.group(0))
                    return f"{month} {int(n) if n.isdigit() else day_numbers[n]}"
        return p

    return in_english


# --- German ------------------------------------------------------------------------------------------------------

_DE_DAYS = {"montag": "monday", "dienstag": "tuesday", "mittwoch": "wednesday", "donnerstag": "thursday",
            "freitag": "friday", "samstag": "saturday", "sonntag": "sunday"}
_DE_MONTHS = {"januar": "january", "februar": "february", "märz": "march", "april": "april", "mai": "may",
              "juni": "june", "juli": "july", "august": "august", "september": "september", "oktober": "october",
              "november": "november", "dezember": "december"}
_DE_UNITS = ["ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"]
_DE_ORDINALS = _numbers(["erst", "zweit", "dritt", "viert", "fünft", "sechst", "siebt", "acht", "neunt", "zehnt",
                         "elft", "zwölft", "dreizehnt", "vierzehnt", "fünfzehnt", "sechzehnt", "siebzehnt",
                         "achtzehnt", "neunzehnt", "zwanzigst"])
_DE_ORDINALS.update({f"{u}undzwanzigst": 21 + n for n, u in enumerate(_DE_UNITS)})
_DE_ORDINALS.update({"dreißigst": 30, "einunddreißigst": 31})
_DE_ORDINALS = {f"{stem}{end}": n for stem, n in _DE_ORDINALS.items() for end in ("e", "en", "er")}
_DE_DAY = r"(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)"
_DE_MONTH = "(?:" + "|".join(_DE_MONTHS) + ")"

_GERMAN = _DueWords(
    pattern=re.compile(
        r"(?<![\w])(?:(?:bis(?:\s+(?:zum|zur|spätestens))?|vor\s+dem|vor|am|zum|spätestens(?:\s+am)?|ab)\s+)?"
        r"(?P<phrase>"
        r"(?:(?:das\s+)?ende|bis\s+ende)\s+(?:der|dieser|des|diesen|dieses|nächster|nächsten)?\s*"
        r"(?:woche|monats|monat|quartals|jahres)"
        r"|monatsende|wochenende|jahresende|quartalsende|feierabend"
        r"|(?-i:heute)(?:\s+(?:abend|nachmittag|mittag))?|(?-i:übermorgen)|(?-i:morgen)(?:\s+früh|\s+(?:vormittag|nachmittag|abend))?"
        r"|(?:diese|dieser|diesen|nächste|nächster|nächsten|kommende|kommenden)\s+(?:woche|monat)"
        r"|(?:diesen|nächsten|kommenden)\s+" + _DE_DAY +
        r"|" + _DE_DAY +
        r"|(?:\d{1,2}\.?|" + _alternatives(_DE_ORDINALS) + r")\s+" + _DE_MONTH +
        r")\b",
        re.IGNORECASE),
    in_english=_translator([
        (r"(?:das )?(?:bis )?ende (?:der|dieser|diesen) woche|wochenende", "end of the week"),
        (r"(?:das )?(?:bis )?ende (?:der )?(?:nächster|nächsten) woche", "end of next week"),
        (r"(?:das )?(?:bis )?ende (?:des|dieses) monats|monatsende|(?:das )?ende (?:des )?monat", "end of the month"),
        (r"(?:das )?(?:bis )?ende (?:des|dieses) quartals|quartalsende", "end of the quarter"),
        (r"(?:das )?(?:bis )?ende (?:des|dieses) jahres|jahresende", "end of the year"),
        (r"heute.*|feierabend", "today"), (r"übermorgen", "day after tomorrow"), (r"morgen.*", "tomorrow"),
        (r"(?:diese|dieser|diesen) woche", "this week"), (r"(?:diesen|dieser) monat", "this month"),
        (r"(?:nächste|nächster|nächsten|kommende|kommenden) woche", "next week"),
        (r"(?:nächste|nächster|nächsten|kommende|kommenden) monat", "next month"),
    ], _DE_DAYS, _DE_MONTHS, _DE_ORDINALS),
    refused_after=re.compile(r"\s+(?:\w+\s+){0,2}(?:nicht|kaum)\b", re.IGNORECASE),
    refused_before=re.compile(r"\bnicht\s+(?:\w+\s+){0,1}$", re.IGNORECASE),
)

# --- Spanish -----------------------------------------------------------------------------------------------------

_ES_DAYS = {"lunes": "monday", "martes": "tuesday", "miércoles": "wednesday", "jueves": "thursday",
            "viernes": "friday", "sábado": "saturday", "domingo": "sunday"}
_ES_MONTHS = {"enero": "january", "febrero": "february", "marzo": "march", "abril": "april", "mayo": "may",
              "junio": "june", "julio": "july", "agosto": "august", "septiembre": "september",
              "setiembre": "september", "octubre": "october", "noviembre": "november", "diciembre": "december"}
_ES_NUMBERS = _numbers(["uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once",
                        "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve",
                        "veinte", "veintiuno", "veintidós", "veintitrés", "veinticuatro", "veinticinco",
                        "veintiséis", "veintisiete", "veintiocho", "veintinueve", "treinta", "treinta y uno"])
_ES_NUMBERS["primero"] = 1
_ES_DAY = r"(?:lunes|martes|miércoles|jueves|viernes|sábado|domingo)"
_ES_MONTH = "(?:" + "|".join(_ES_MONTHS) + ")"

_SPANISH = _DueWords(
    pattern=re.compile(
        r"(?<![\w])(?:(?:para|antes\s+de|antes\s+del|hasta|a\s+más\s+tardar|como\s+muy\s+tarde)\s+)?"
        r"(?P<phrase>"
        r"(?:(?:a|para)\s+)?(?:finales|final|fin)\s+de(?:l)?\s+(?:la\s+)?(?:semana|mes|trimestre|año)"
        r"|hoy(?:\s+mismo)?|esta\s+(?:tarde|noche)|pasado\s+mañana|(?<!esta\s)(?<!la\s)(?<!por\s)mañana(?:\s+por\s+la\s+(?:mañana|tarde))?"
        r"|(?:esta|este)\s+(?:semana|mes)"
        r"|(?:la|el)\s+(?:semana|mes)\s+que\s+viene|(?:la|el)\s+(?:próxima\s+semana|próximo\s+mes|semana\s+próxima)"
        r"|(?:el\s+)?(?:próximo\s+)?" + _ES_DAY + r"(?:\s+que\s+viene|\s+próximo)?"
        r"|(?:el\s+)?(?:\d{1,2}|" + _alternatives(_ES_NUMBERS) + r")\s+de\s+" + _ES_MONTH +
        r")\b",
        re.IGNORECASE),
    in_english=_translator([
        (r"(?:(?:a|para) )?(?:finales|final|fin) de(?:l)? (?:la )?semana", "end of the week"),
        (r"(?:(?:a|para) )?(?:finales|final|fin) de(?:l)? mes", "end of the month"),
        (r"(?:(?:a|para) )?(?:finales|final|fin) de(?:l)? trimestre", "end of the quarter"),
        (r"(?:(?:a|para) )?(?:finales|final|fin) de(?:l)? año", "end of the year"),
        (r"hoy.*|esta (?:tarde|noche)", "today"), (r"pasado mañana", "day after tomorrow"),
        (r"mañana.*", "tomorrow"), (r"esta semana", "this week"), (r"este mes", "this month"),
        (r"(?:la )?(?:semana que viene|próxima semana|semana próxima)", "next week"),
        (r"(?:el )?(?:mes que viene|próximo mes)", "next month"),
    ], _ES_DAYS, _ES_MONTHS, _ES_NUMBERS),
    refused_before=re.compile(r"\bno\s+(?:\w+\s+){0,3}$", re.IGNORECASE),
)

# --- French ------------------------------------------------------------------------------------------------------

_FR_DAYS = {"lundi": "monday", "mardi": "tuesday", "mercredi": "wednesday", "jeudi": "thursday",
            "vendredi": "friday", "samedi": "saturday", "dimanche": "sunday"}
_FR_MONTHS = {"janvier": "january", "février": "february", "mars": "march", "avril": "april", "mai": "may",
              "juin": "june", "juillet": "july", "août": "august", "septembre": "september", "octobre": "october",
              "novembre": "november", "décembre": "december"}
_FR_NUMBERS = _numbers(["premier", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
                        "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf", "vingt",
                        "vingt et un", "vingt-deux", "vingt-trois", "vingt-quatre", "vingt-cinq", "vingt-six",
                        "vingt-sept", "vingt-huit", "vingt-neuf", "trente", "trente et un"])
_FR_NUMBERS["un"] = 1
_FR_DAY = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_FR_MONTH = "(?:" + "|".join(_FR_MONTHS) + ")"

_FRENCH = _DueWords(
    pattern=re.compile(
        r"(?<![\w'])(?:(?:d'ici(?:\s+à)?|avant(?:\s+de)?|pour|jusqu'à|au\s+plus\s+tard|dès)\s+)?"
        r"(?P<phrase>"
        r"(?:la\s+)?fin\s+(?:de\s+la\s+semaine|du\s+mois|de\s+l'année|du\s+trimestre|de\s+semaine|de\s+mois)"
        r"(?:\s+prochaine)?"
        r"|aujourd'hui|ce\s+soir|cet\s+après-midi|après-demain|demain(?:\s+(?:matin|soir|après-midi))?"
        r"|cette\s+semaine|ce\s+mois-ci|la\s+semaine\s+prochaine|le\s+mois\s+prochain"
        r"|(?:le\s+|ce\s+)?" + _FR_DAY + r"(?:\s+prochain)?"
        r"|(?:le\s+)?(?:\d{1,2}|" + _alternatives(_FR_NUMBERS) + r")\s+" + _FR_MONTH +
        r")\b",
        re.IGNORECASE),
    in_english=_translator([
        (r"(?:la )?fin de (?:la )?semaine prochaine", "end of next week"),
        (r"(?:la )?fin de (?:la )?semaine", "end of the week"),
        (r"(?:la )?fin (?:du|de) mois", "end of the month"),
        (r"(?:la )?fin du trimestre", "end of the quarter"), (r"(?:la )?fin de l'année", "end of the year"),
        (r"aujourd'hui|ce soir|cet après-midi", "today"), (r"après-demain", "day after tomorrow"),
        (r"demain.*", "tomorrow"), (r"cette semaine", "this week"), (r"ce mois-ci", "this month"),
        (r"la semaine prochaine", "next week"), (r"le mois prochain", "next month"),
    ], _FR_DAYS, _FR_MONTHS, _FR_NUMBERS),
    refused_before=re.compile(r"\b(?:pas|plus)\s+(?:\w+\s+){0,2}$", re.IGNORECASE),
)

_DUE_WORDS: dict[str, _DueWords] = {
    "en": _DueWords(DUE_PATTERN, lambda phrase: phrase, refused_before=_REFUSED),
    "de": _GERMAN,
    "es": _SPANISH,
    "fr": _FRENCH,
}
