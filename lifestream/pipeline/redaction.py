"""Mask personal data in a meeting before anything of it is stored, indexed or posted (opt-in).

What is masked: e-mail addresses, phone numbers, payment card numbers, IBANs
and US social security numbers. Each candidate is validated, not just
pattern-matched, because a meeting is full of numbers (budgets, dates, times,
versions, lists of years) that must survive: phone numbers by libphonenumber's
metadata for the configured regions (an international ``+`` number for any
region), card numbers by length, issuer prefix and the Luhn check digit,
IBANs by their country length and ISO 7064 mod-97 checksum (python-stdnum),
SSNs by the ranges the SSA never issues.

Speech recognition does not write what people read out the way they type it:
"call me on plus one, four one five, ..." comes back as digit words or as
comma-separated digit groups, and "john dot smith at example dot com" as
"john .smith and example .com". Those forms are recognised too, with a cue
word ("call", "card", "email", …) required wherever the bare form also reads
as ordinary speech.

A match is replaced by a tag (``[email]``, ``[phone]``, …) in the transcript's
words and segments, the chunks, the minutes, the insights and the source
name; the words it covered are dropped, so the original never reaches
meeting.json, the index, the exports or a chat message. Detection runs over
the words joined across segment boundaries, so a number read out across a
speaker change is still found.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.us import ssn as stdnum_ssn

from lifestream.models import ActionItem, Meeting, Minutes, Point, Segment, SpeakerPoints, Word

KINDS = ("email", "phone", "card", "iban", "ssn")
TAGS = {kind: f"[{kind}]" for kind in KINDS}
DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES")

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w@-])")
# 13–19 digits in groups of at least two, split by single spaces or dashes, not part of a longer number.
_CARD = re.compile(r"(?<![\d.,])(?:\d{2,}[ -]?){3,}\d+(?![\d]|[.,]\d)")
# Two letters, two check digits, then groups of letters and digits; validated (and trimmed) below.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")

# Speech recognition writes a number read out digit by digit as words ("five five five, two six
# seven one") or as digit groups split by stray commas ("4111 ,111"): each token's digits.
_DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9"}
# Homophones the recogniser writes for digits; counted only between two digit tokens ("one for one").
_DIGIT_HOMOPHONES = {"for": "4", "to": "2", "too": "2"}
_TOKEN = re.compile(r"\S+")
_TOKEN_DIGITS = re.compile(r"[(\[]?\+?\d+[)\]]?(?:[-./]\d+)*")
# Read-out numbers that the recogniser writes as digit groups ("plus 1, 415, 555, 2671") look like
# lists of numbers ("2019, 2020, 2021"); they count only after a word that says what follows.
_PHONE_CUE = re.compile(r"(?i)\b(?:phone|call|calling|mobile|cell|dial|fax|reach|plus|whatsapp|extension|text me|"
                        r"number is|number's)\b")
_CARD_CUE = re.compile(r"(?i)\b(?:card|credit|debit|visa|mastercard|amex|american express)\b")
# A spoken address: "anna dot schmidt at example dot com", "anna.schmidt at example.com", and the
# recogniser's "anna .schmidt and example .com" (accepted only after a cue, below).
_SEP = r"(?:\s+dot\s+|\s?\.)"
_SPOKEN_EMAIL = re.compile(
    rf"(?i)(?<![\w.])(?P<local>[a-z0-9][\w-]*(?:{_SEP}[a-z0-9][\w-]*)*)\s+(?P<conn>at|and)\s+"
    rf"[a-z0-9][\w-]*(?:{_SEP}[a-z0-9][\w-]*)*{_SEP}"
    r"(?:com|org|net|edu|gov|io|co|de|fr|es|it|nl|be|ch|at|uk|eu|info)\b")
_EMAIL_CUE = re.compile(r"(?i)\b(?:e-?mail|mail|address|write|contact|reach|send)\b")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str


def _cards(text: str) -> Iterable[Span]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        # Issuers' ranges start with 2 (Mastercard 2-series) to 6 (Discover, UnionPay…).
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn.is_valid(digits):
            yield Span(m.start(), m.end(), "card")


def _ibans(text: str) -> Iterable[Span]:
    for m in _IBAN.finditer(text):
        candidate = m.group()
        # The pattern may run on into a following upper-case word or number; shorten it a
        # character at a time until the checksum holds (an IBAN is 15–34 characters).
        for end in range(len(candidate), 14, -1):
            if candidate[end - 1] != " " and stdnum_iban.is_valid(candidate[:end]):
                yield Span(m.start(), m.start() + end, "iban")
                break


def _ssns(text: str) -> Iterable[Span]:
    for m in _SSN.finditer(text):
        if stdnum_ssn.is_valid(m.group()):
            yield Span(m.start(), m.end(), "ssn")


def _emails(text: str) -> Iterable[Span]:
    for m in _EMAIL.finditer(text):
        yield Span(m.start(), m.end(), "email")


def _spoken_emails(text: str) -> Iterable[Span]:
    for m in _SPOKEN_EMAIL.finditer(text):
        dotted = bool(re.search(_SEP, m.group("local")))
        cued = bool(_EMAIL_CUE.search(text[max(0, m.start() - 60):m.start()]))
        if (dotted and cued) or (m.group("conn").lower() == "at" and (dotted or cued)):
            yield Span(m.start(), m.end(), "email")


def _token_digits(token: str, previous_is_digit: bool, next_token: str | None) -> str | None:
    word = token.strip(",.;:!?").lower()
    if word in _DIGIT_WORDS:
        return _DIGIT_WORDS[word]
    if word in _DIGIT_HOMOPHONES and previous_is_digit and next_token is not None \
            and next_token.strip(",.;:!?").lower() in _DIGIT_WORDS:
        return _DIGIT_HOMOPHONES[word]
    if _TOKEN_DIGITS.fullmatch(token.strip(",.;:!?")):
        return re.sub(r"[^\d+]", "", token)
    return None


def _spoken_numbers(text: str, regions: Sequence[str]) -> Iterable[Span]:
    """Card and phone numbers read out as runs of digit words or digit groups."""
    tokens = list(_TOKEN.finditer(text))
    digits: list[str | None] = []
    for n, t in enumerate(tokens):
        following = tokens[n + 1].group() if n + 1 < len(tokens) else None
        digits.append(_token_digits(t.group(), bool(digits and digits[-1] is not None), following))
    n = 0
    while n < len(tokens):
        if digits[n] is None:
            n += 1
            continue
        end = n
        while end + 1 < len(tokens) and digits[end + 1] is not None:
            end += 1
        # Only runs of several tokens: a single written number is the other detectors' business.
        found = _number_in_run(text, tokens, digits, n, end, regions) if end > n else None
        if found:
            yield found
            n = max(i for i in range(n, end + 1) if tokens[i].start() < found.end) + 1
            continue
        n = end + 1


def _number_in_run(text: str, tokens, digits, first: int, last: int, regions: Sequence[str]) -> Span | None:
    """A card or phone number read out within tokens[first..last]: the whole run is masked then,
    since what the recogniser split off it (a stray group, a misheard digit) is part of the number too.

    A run of mostly single digits ("five five five, two six seven one") is a number read out; a run
    of digit groups is one only after a cue word (``_PHONE_CUE``, ``_CARD_CUE``) shortly before it,
    since "2019, 2020, 2021" validates as a US phone number.
    """
    single = [len(d) == 1 for d in digits[first:last + 1]]
    spelled = sum(single) >= 0.6 * len(single)
    before = text[max(0, tokens[first].start() - 40):tokens[first].start()]
    phone_ok = spelled or bool(_PHONE_CUE.search(before))
    card_cued = bool(_CARD_CUE.search(before))
    card_ok = spelled or card_cued
    if not (phone_ok or card_ok):
        return None
    plus = first > 0 and tokens[first - 1].group().lower().strip(",.") == "plus"
    start = tokens[first - 1].start() if plus else tokens[first].start()
    # The run's last token may end the sentence: its punctuation stays.
    end = tokens[last].start() + len(tokens[last].group().rstrip(",.;:!?"))
    for i in range(first, last + 1):
        for j in range(last, i, -1):
            number = "".join(d for d in digits[i:j + 1] if d).replace("+", "")
            if card_ok and 13 <= len(number) <= 19 and number[0] in "23456" and luhn.is_valid(number):
                return Span(tokens[first].start(), end, "card")
            # Said right after "card", a card-length number is one even when a misheard digit
            # breaks its check digit: the recogniser drops or doubles digits of numbers read out.
            if card_cued and i == first and j == last and 12 <= len(number) <= 19:
                return Span(tokens[first].start(), end, "card")
            if phone_ok and 7 <= len(number) <= 15 \
                    and _valid_phone(("+" if plus and i == first else "") + number, regions):
                return Span(start, end, "phone")
    return None


def _valid_phone(number: str, regions: Sequence[str]) -> bool:
    for region in ([None] if number.startswith("+") else regions):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(number, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _phones(text: str, regions: Sequence[str]) -> Iterable[Span]:
    for region in regions:
        # VALID: the number must exist in the region's numbering plan, not merely look like one.
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            yield Span(match.start, match.end, "phone")


def find(text: str, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> list[Span]:
    """Non-overlapping personal-data spans in ``text``, in order.

    The stricter detectors go first and win an overlap: a card number is also
    a string of digits a phone matcher might accept.
    """
    taken: list[Span] = []
    detectors: list[Callable[[str], Iterable[Span]]] = [
        _emails, _spoken_emails, _ibans, _cards, _ssns, lambda t: _phones(t, phone_regions),
        lambda t: _spoken_numbers(t, phone_regions)]
    for detect in detectors:
        for span in detect(text):
            if not any(span.start < t.end and t.start < span.end for t in taken):
                taken.append(span)
    return sorted(taken, key=lambda s: s.start)


@dataclass
class Redactor:
    """Masks text and meetings; counts what it masked, by kind.

    ``known`` maps what was masked in the transcript to its tag, so the same words quoted
    elsewhere (a minutes point cut from its cue: "4111, 1111, ...") are masked there too.
    It lives in memory for one redaction and is never stored.
    """

    phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS
    known: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def text(self, text: str) -> str:
        spans = find(text, self.phone_regions)
        for span in reversed(spans):
            text = text[:span.start] + TAGS[span.kind] + text[span.end:]
        self.counts.update(s.kind for s in spans)
        for original in sorted(self.known, key=len, reverse=True):
            if original in text:
                text = text.replace(original, self.known[original])
        return text

    def optional(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)

    def segments(self, segments: list[Segment]) -> list[Segment]:
        """Segments with their words masked, found over the words of all segments joined."""
        words = [(i, w) for i, seg in enumerate(segments) for w in seg.words]
        joined, offsets = _join([w.text for _, w in words])
        spans = find(joined, self.phone_regions)
        self.counts.update(s.kind for s in spans)
        self.known.update({joined[sp.start:sp.end]: TAGS[sp.kind] for sp in spans})
        # Which words each span covers; a span crossing a segment boundary masks its part in each.
        replaced: dict[int, tuple[Span, list[int]]] = {}
        for span in spans:
            covered = [n for n, (start, end) in enumerate(offsets) if start < span.end and span.start < end]
            by_segment: dict[int, list[int]] = {}
            for n in covered:
                by_segment.setdefault(words[n][0], []).append(n)
            for group in by_segment.values():
                replaced[group[0]] = (span, group)
        dropped = {n for _, group in replaced.values() for n in group[1:]}

        new_words: list[list[Word]] = [[] for _ in segments]
        for n, (i, word) in enumerate(words):
            if n in dropped:
                continue
            if n in replaced:
                span, group = replaced[n]
                first, last = words[group[0]][1], words[group[-1]][1]
                prefix = first.text[:max(0, span.start - offsets[group[0]][0])]
                suffix = last.text[max(0, span.end - offsets[group[-1]][0]):] if span.end <= offsets[group[-1]][1] else ""
                word = Word(start=first.start, end=last.end, text=prefix + TAGS[span.kind] + suffix,
                            probability=min(words[k][1].probability for k in group), speaker=first.speaker)
            new_words[i].append(word)

        out = []
        for seg, seg_words in zip(segments, new_words):
            if seg.words:
                # After alignment a segment's text is its words joined; keep it so.
                text = " ".join(w.text for w in seg_words) if seg.text == " ".join(w.text for w in seg.words) \
                    else self.text(seg.text)
            else:
                text = self.text(seg.text)
            out.append(seg.model_copy(update={"text": text, "words": seg_words}))
        return out

    def point(self, point: Point) -> Point:
        return point.model_copy(update={"text": self.text(point.text)})

    def minutes(self, minutes: Minutes) -> Minutes:
        return minutes.model_copy(update={
            "title": self.text(minutes.title),
            "summary": self.text(minutes.summary),
            "key_points": [SpeakerPoints(speaker=sp.speaker, points=[self.point(p) for p in sp.points])
                           for sp in minutes.key_points],
            "decisions": [self.point(p) for p in minutes.decisions],
            "action_items": [self.action_item(a) for a in minutes.action_items],
            "open_questions": [self.point(p) for p in minutes.open_questions],
        })

    def action_item(self, item: ActionItem) -> ActionItem:
        return item.model_copy(update={"task": self.text(item.task), "owner": self.optional(item.owner),
                                       "due": self.optional(item.due)})


def _join(texts: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The words joined by single spaces, and each word's (start, end) in the result."""
    offsets, pos = [], 0
    for text in texts:
        offsets.append((pos, pos + len(text)))
        pos += len(text) + 1
    return " ".join(texts), offsets


def redact_meeting(meeting: Meeting, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> Meeting:
    """A copy of ``meeting`` with personal data masked everywhere it holds text, and what was masked counted.

    Run it before the minutes are written, the meeting is indexed or any
    result is stored; masking minutes here too covers minutes written before
    (a re-run) and anything a language model echoed.
    """
    # Two counters: what people said (the transcript) is what the count reports; the minutes,
    # chunks and insights quote it, and masking them again must not count it twice.
    said = Redactor(phone_regions)
    derived = Redactor(phone_regions, known=said.known)
    update: dict = {}
    by_id: dict[int, Segment] = {}
    if meeting.transcript is not None:
        segments = said.segments(meeting.transcript.segments)
        by_id = {s.id: s for s in segments}
        update["transcript"] = meeting.transcript.model_copy(update={"segments": segments})
    update["source"] = meeting.source.model_copy(update={"name": derived.text(meeting.source.name)})
    # A chunk's text is its segments' text joined (chunking.make_chunks): rebuilt from the masked ones.
    update["chunks"] = [
        c.model_copy(update={"text": " ".join(by_id[i].text for i in c.segment_ids)
                             if c.segment_ids and all(i in by_id for i in c.segment_ids) else derived.text(c.text)})
        for c in meeting.chunks]
    if meeting.minutes is not None:
        update["minutes"] = derived.minutes(meeting.minutes)
    update["chunk_minutes"] = [cm.model_copy(update={"minutes": derived.minutes(cm.minutes)})
                               for cm in meeting.chunk_minutes]
    if meeting.insights is not None:
        update["insights"] = meeting.insights.model_copy(update={
            "questions": [q.model_copy(update={"text": derived.text(q.text)}) for q in meeting.insights.questions]})
    counts = Counter(meeting.redactions or {})
    counts.update(said.counts if meeting.transcript is not None else derived.counts)
    update["redactions"] = {kind: counts[kind] for kind in KINDS if counts[kind]}
    return meeting.model_copy(update=update)
