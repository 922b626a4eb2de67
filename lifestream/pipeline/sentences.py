"""Sentences with their speaker and time, the unit the offline minutes work on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lifestream.models import Segment, Word

_END = re.compile(r"[.?!…][\"')\]»]*$")
# Words that end in a full stop without ending the sentence, per language: titles and abbreviations
# ("Dr. Weber", "z. B.", "Sra. López", "M. Dupont").
_ABBREVIATIONS = {
    "en": {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "e.g.", "i.e.", "approx."},
    "de": {"dr.", "prof.", "hr.", "fr.", "z.", "b.", "z.b.", "d.", "h.", "d.h.", "bzw.", "ca.", "nr.", "evtl.", "ggf.",
           "inkl.", "u.a.", "vgl.", "bspw.", "sog.", "max.", "min."},
    "es": {"sr.", "sra.", "srta.", "dr.", "dra.", "ud.", "uds.", "p.", "ej.", "aprox.", "núm.", "pág.", "lic.", "ing."},
    "fr": {"m.", "mme.", "mlle.", "dr.", "pr.", "p.", "ex.", "cf.", "env.", "n°.", "réf."},
}
_ORDINAL_DOT = re.compile(r"^\d{1,2}\.$")  # German "am 14. Dezember", "der 3. Punkt"
# Whisper sometimes ends a segment mid-sentence; the sentence goes on in the
# next segment when the same speaker resumes within this many seconds.
_CONTINUE_GAP_S = 1.5
# A word or two at a turn change, unfinished, before another speaker's sentence
# that starts in lower case ("I" | "can get three quotes…") is the start of that
# sentence that diarization gave to the wrong side of the boundary.
_STRAY_WORDS = 2
# Whisper now and then leaves a stretch of speech unpunctuated, but still capitalises the words that open its
# sentences ("…what I'm having is So we had a long problem…"). Past this many words without a full stop, such a
# word opens a new sentence, so a key point is not sixty words long.
_UNPUNCTUATED_WORDS = 20
_OPENERS = {
    "en": frozenset("so well and but the we it you that this what yeah yes okay now then they he she there if when "
                    "because actually anyway our my".split()),
}


@dataclass(frozen=True)
class Sentence:
    text: str
    speaker: str
    start: float
    end: float
    segment_id: int

    @property
    def words(self) -> list[str]:
        return re.findall(r"[\w']+", self.text.lower())

    @property
    def is_question(self) -> bool:
        # "¿Quién se ocupa de la música" is one even when the recogniser leaves off the closing mark.
        return self.text.rstrip().endswith("?") or self.text.lstrip().startswith("¿")


def _reattach_stray_words(segments: list[Segment]) -> list[Segment]:
    out = list(segments)
    for n in range(len(out) - 1):
        stray, after = out[n], out[n + 1]
        if not (stray.words and after.words) or stray.speaker == after.speaker or len(stray.words) > _STRAY_WORDS:
            continue
        if _END.search(stray.words[-1].text) or after.words[0].start - stray.words[-1].end > 1.0:
            continue
        if not after.words[0].text.strip()[:1].islower():
            continue
        # Their timing was as wrong as their speaker: they start the sentence where it starts.
        at = after.words[0].start
        moved = [w.model_copy(update={"start": at, "end": at, "speaker": after.speaker}) for w in stray.words]
        out[n] = stray.model_copy(update={"words": [], "text": ""})
        out[n + 1] = after.model_copy(update={"words": moved + after.words,
                                              "text": " ".join(w.text for w in moved + after.words)})
    return [seg for seg in out if seg.words or seg.text.strip()]


def _ends(word: str, following: str | None, language: str | None) -> bool:
    """Whether ``word`` ends a sentence: a full stop after an abbreviation, or after a German ordinal
    followed by more of the sentence ("bis zum 14. Dezember"), does not."""
    if not _END.search(word):
        return False
    token = word.strip().lower()
    if token.endswith(".") and not token.endswith(".."):
        code = (language or "en").split("-")[0].lower()
        if token in _ABBREVIATIONS.get(code, set()) and following is not None:
            return False
        if code == "de" and _ORDINAL_DOT.match(token) and following is not None:
            return following.strip().lower().strip(",.") in _GERMAN_SENTENCE_STARTS
    return True


# After "am 14." a capitalised word is a month or a noun ("14. Dezember", "3. Punkt"), unless it opens the
# next sentence.
_GERMAN_SENTENCE_STARTS = {"ich", "wir", "du", "ihr", "sie", "er", "es", "das", "der", "die", "und", "aber",
                           "dann", "also", "ja", "nein", "gut", "okay"}


def _resumes(seg: Segment, rest: list[Segment]) -> str | None:
    """The first word of the next segment when it goes on with the same speaker's sentence ("bis zum 14." |
    "Dezember."), else None."""
    if not rest or not rest[0].words or not seg.words or (rest[0].speaker or "SPEAKER_1") != (seg.speaker or "SPEAKER_1"):
        return None
    return rest[0].words[0].text if rest[0].words[0].start - seg.words[-1].end <= _CONTINUE_GAP_S else None


def split_sentences(segments: list[Segment], language: str | None = None) -> list[Sentence]:
    """Sentences from the recogniser's segments; ``language`` (ISO 639-1) picks the abbreviations that a
    full stop does not end."""
    segments = _reattach_stray_words(segments)
    openers = _OPENERS.get((language or "en").split("-")[0].lower(), frozenset())
    out: list[Sentence] = []
    run: list[Word] = []
    run_speaker, run_segment = "", 0
    for k, seg in enumerate(segments):
        speaker = seg.speaker or "SPEAKER_1"
        if run and (speaker != run_speaker or not seg.words or seg.words[0].start - run[-1].end > _CONTINUE_GAP_S):
            out.append(_join(run, run_speaker, run_segment))
            run = []
        if not seg.words:
            out.append(Sentence(_tidy(seg.text), speaker, seg.start, seg.end, seg.id))
            continue
        if not run:
            run_speaker, run_segment = speaker, seg.id
        for n, word in enumerate(seg.words):
            if run and _opens_unpunctuated(run, word.text, openers):
                out.append(_join(run, run_speaker, run_segment))
                run, run_segment = [], seg.id
            run.append(word)
            following = seg.words[n + 1].text if n + 1 < len(seg.words) else _resumes(seg, segments[k + 1:])
            if _ends(word.text, following, language):
                out.append(_join(run, run_speaker, run_segment))
                run, run_segment = [], seg.id
    if run:
        out.append(_join(run, run_speaker, run_segment))
    return [s for s in out if s.text]


def _opens_unpunctuated(run: list[Word], word: str, openers: frozenset[str]) -> bool:
    """Whether ``word``, capitalised, opens a sentence that Whisper did not punctuate the end of: the run before
    it is long and its last word has no mark."""
    token = word.strip()
    return (len(run) >= _UNPUNCTUATED_WORDS and token[:1].isupper() and token.lower().strip(",") in openers
            and not re.search(r"[.,;:?!…]$", run[-1].text.strip()))


def _tidy(text: str) -> str:
    # Typographic apostrophes ("I’ll") read as plain ones, so every rule sees one spelling.
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


def _join(words: list[Word], speaker: str, segment_id: int) -> Sentence:
    return Sentence(_tidy(" ".join(w.text for w in words)), speaker, words[0].start, words[-1].end, segment_id)
