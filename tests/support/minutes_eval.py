"""The minutes evaluation set (tests/data/minutes_eval/) and how a set of minutes is scored against it.

Each scripted meeting is ``<name>.txt`` (one line per utterance, ``A: text``,
the letter a voice of tests/media.py) and ``<name>.json`` beside it: the
action items, decisions and open questions a careful human minute-taker would
write, each tied to the script lines that state it, with a few ``keywords``
(word prefixes) that name it. The annotation rules are in the folder's
README.md. The real sample (pyannote's Diane and Sheila) has ``sample.json``.

A predicted item matches an expected one when it was said on one of the
expected lines (by timestamp, a second of slack) and names it (at least half
the keywords). Matching is one-to-one, so a duplicate is a false positive;
entries marked ``optional`` (a reasonable minute-taker could go either way)
count neither way. Owners are compared as voices: a diarized label stands for
the voice that spoke most of its words.

Transcripts come two ways: ``typed`` (the script itself, one segment per line,
for fast tests of the rules) and ``spoken`` (espeak-ng voices through the
whole pipeline: real ASR and diarization, cached on disk keyed on the script,
the voices and the models, since that takes minutes).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lifestream.models import Minutes, Segment, Word

EVAL_DIR = Path(__file__).parents[1] / "data" / "minutes_eval"
FIELDS = ("action_items", "owners", "due_dates", "decisions", "open_questions")
SLACK_S = 1.0


@dataclass
class EvalMeeting:
    name: str
    lines: list[tuple[str, str]]  # (voice, text); empty for a real recording
    expected: dict

    @property
    def split(self) -> str:
        return self.expected.get("split", "dev")

    @property
    def reference_date(self) -> date:
        return date.fromisoformat(self.expected["reference_date"])


@dataclass
class Transcribed:
    """A meeting's transcript and where each script line lies in it."""

    segments: list[Segment]
    spans: list[tuple[float, float]]  # per script line; empty for a real recording
    label_voice: dict[str, str]  # diarized label -> voice letter


def load_set(split: str = "all") -> list[EvalMeeting]:
    meetings = []
    for spec in sorted(EVAL_DIR.glob("*.json")):
        expected = json.loads(spec.read_text())
        script = spec.with_suffix(".txt")
        lines = []
        if script.exists():
            for row in script.read_text().splitlines():
                voice, _, text = row.partition(":")
                lines.append((voice.strip(), text.strip()))
        m = EvalMeeting(spec.stem, lines, expected)
        if split in ("all", m.split):
            meetings.append(m)
    return meetings


# --- transcripts -------------------------------------------------------------------------------------------------

def typed_segments(lines: list[tuple[str, str]]) -> list[Segment]:
    """Lines as a transcript: one segment per line, words at 2.5 a second, voice "A" as SPEAKER_1 and so on."""
    segments, t = [], 0.0
    for i, (voice, text) in enumerate(lines):
        words = []
        for token in text.split():
            words.append(Word(start=round(t, 2), end=round(t + 0.35, 2), text=token))
            t += 0.4
        segments.append(Segment(id=i, start=words[0].start, end=words[-1].end, text=text,
                                speaker=f"SPEAKER_{ord(voice) - ord('A') + 1}", words=words))
        t += 0.7
    return segments


def typed(meeting: EvalMeeting) -> Transcribed:
    """The script as the transcript, for the rules without recognition errors."""
    segments = typed_segments(meeting.lines)
    return Transcribed(segments, [(s.start, s.end) for s in segments],
                       {f"SPEAKER_{ord(v) - ord('A') + 1}": v for v, _ in meeting.lines})


def spoken(meeting: EvalMeeting, cache_dir: Path, *, refresh: bool = False) -> Transcribed:
    """The script spoken by espeak-ng and run through the whole offline pipeline (cached)."""
    from lifestream.settings import Settings
    from tests.support.media import VOICES

    settings = Settings()
    key = hashlib.sha256(json.dumps([meeting.lines, [VOICES[v] for v, _ in meeting.lines], settings.asr_model,
                                     settings.diarization_backend]).encode()).hexdigest()[:16]
    cached = cache_dir / f"{meeting.name}.{key}.json"
    if cached.exists() and not refresh:
        data = json.loads(cached.read_text())
        segments = [Segment.model_validate(s) for s in data["segments"]]
        spans = [tuple(s) for s in data["spans"]]
    else:
        segments, spans = _run_pipeline(meeting, cache_dir)
        cache_dir.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps({"segments": [s.model_dump() for s in segments], "spans": spans}))
    return Transcribed(segments, spans, voices_of_labels(segments, spans, [v for v, _ in meeting.lines]))


def _run_pipeline(meeting: EvalMeeting, cache_dir: Path) -> tuple[list[Segment], list[tuple[float, float]]]:
    import tempfile

    from lifestream.pipeline.runner import process_recording
    from lifestream.settings import Settings
    from tests.support.media import speak_timed

    with tempfile.TemporaryDirectory(dir=cache_dir.parent if cache_dir.parent.exists() else None) as tmp:
        wav, spans = speak_timed(meeting.lines, Path(tmp) / f"{meeting.name}.wav")
        result = process_recording(wav, settings=Settings(data_dir=Path(tmp) / "data"),
                                   reference_date=meeting.reference_date)
    assert result.transcript is not None
    return result.transcript.segments, spans


def real_recording(meeting: EvalMeeting, wav: Path, cache_dir: Path, *, refresh: bool = False) -> Transcribed:
    """A real recording (no script) through the pipeline, cached like the spoken ones."""
    import tempfile

    from lifestream.pipeline.runner import process_recording
    from lifestream.settings import Settings

    settings = Settings()
    digest = hashlib.sha256(wav.read_bytes()).hexdigest()[:12]
    key = hashlib.sha256(f"{digest}{settings.asr_model}{settings.diarization_backend}".encode()).hexdigest()[:16]
    cached = cache_dir / f"{meeting.name}.{key}.json"
    if cached.exists() and not refresh:
        segments = [Segment.model_validate(s) for s in json.loads(cached.read_text())["segments"]]
    else:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            result = process_recording(wav, settings=Settings(data_dir=Path(tmp) / "data"),
                                       reference_date=meeting.reference_date)
        assert result.transcript is not None
        segments = result.transcript.segments
        cached.write_text(json.dumps({"segments": [s.model_dump() for s in segments], "spans": []}))
    return Transcribed(segments, [], {})


def voices_of_labels(segments: list[Segment], spans: list[tuple[float, float]], voices: list[str]) -> dict[str, str]:
    """Each diarized label -> the voice whose lines hold most of its words."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for seg in segments:
        for w in seg.words or [Word(start=seg.start, end=seg.end, text=seg.text)]:
            line = line_at(spans, (w.start + w.end) / 2)
            if line is not None:
                votes[seg.speaker or "SPEAKER_1"][voices[line]] += 1
    return {label: c.most_common(1)[0][0] for label, c in votes.items()}


def line_at(spans: list[tuple[float, float]], t: float) -> int | None:
    best, best_gap = None, SLACK_S
    for i, (start, end) in enumerate(spans):
        gap = 0.0 if start <= t <= end else min(abs(t - start), abs(t - end))
        if gap <= best_gap:
            best, best_gap = i, gap
            if gap == 0.0:
                return i
    return best


# --- scoring -----------------------------------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))


def names(text: str, keywords: list[str], share: float = 0.5) -> bool:
    """At least ``share`` of the keywords (each a word prefix, or several words) occur in the text."""
    words = _words(text)
    joined = " " + " ".join(words)

    def found(kw: str) -> bool:
        return (" " + " ".join(_words(kw))) in joined if " " in kw.strip() else any(w.startswith(kw.lower()) for w in words)

    return bool(keywords) and sum(found(k) for k in keywords) >= share * len(keywords)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Score:
    fields: dict[str, Counts] = field(default_factory=lambda: {f: Counts() for f in FIELDS})
    covered: int = 0  # expected decisions and action items the whole-meeting summary mentions
    coverable: int = 0
    titles_ok: int = 0
    titles: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for f in FIELDS:
            self.fields[f].add(other.fields[f])
        self.covered += other.covered
        self.coverable += other.coverable
        self.titles_ok += other.titles_ok
        self.titles += other.titles
        self.misses += other.misses

    @property
    def coverage(self) -> float:
        return self.covered / self.coverable if self.coverable else 1.0


def heard(t: Transcribed, lines: list[int]) -> str:
    """What the transcript has on these script lines (typed: the lines themselves)."""
    if not t.spans:
        return " ".join(seg.text for seg in t.segments)
    out = []
    for seg in t.segments:
        for w in seg.words or [Word(start=seg.start, end=seg.end, text=seg.text)]:
            if line_at(t.spans, (w.start + w.end) / 2) in lines:
                out.append(w.text)
    return " ".join(out)


def reachable(keywords: list[str], t: Transcribed, lines: list[int]) -> list[str]:
    """The keywords the recogniser actually heard on those lines: minutes cannot name a word ASR lost
    ("hall" heard as "hole"), so those are not required; none left means the match is by time alone."""
    said = heard(t, lines)
    return [k for k in keywords if names(said, [k])]


def _match(predicted: list[tuple[float | None, str]], expected: list[dict], t: Transcribed
           ) -> tuple[dict[int, int], set[int]]:
    """Expected index -> predicted index for matched pairs, and predicted items that only matched optional entries."""
    def said_on(at: float | None, lines: list[int]) -> bool:
        if at is None:
            return False
        if not t.spans:
            return True
        return any(t.spans[i][0] - SLACK_S <= at <= t.spans[i][1] + SLACK_S for i in lines)

    pairs = {}
    taken: set[int] = set()
    # Required entries claim their predictions first; optional ones only excuse what is left.
    # Within each, entries whose keywords were heard go first, so a keyword match is never
    # taken by an entry that matches by time alone.
    order = sorted(range(len(expected)), key=lambda i: bool(expected[i].get("optional")))
    for e in order:
        exp = expected[e]
        keywords = reachable(exp["keywords"], t, exp["lines"])
        candidates = [p for p, (at, _) in enumerate(predicted) if p not in taken and said_on(at, exp["lines"])]
        named = [p for p in candidates if keywords and names(predicted[p][1], keywords)]
        pick = named[0] if named else (candidates[0] if candidates and not keywords else None)
        if pick is not None:
            pairs[e] = pick
            taken.add(pick)
    excused = {p for e, p in pairs.items() if expected[e].get("optional")}
    return {e: p for e, p in pairs.items() if not expected[e].get("optional")}, excused


def _counts(n_predicted: int, n_expected: int, matched: dict[int, int], excused: set[int]) -> Counts:
    tp = len(matched)
    return Counts(tp=tp, fp=n_predicted - tp - len(excused), fn=n_expected - tp)


def _due_set(exp: dict) -> set[str | None]:
    due = exp.get("due_date")
    return set(due) if isinstance(due, list) else {due}


def score(minutes: Minutes, meeting: EvalMeeting, t: Transcribed) -> Score:
    exp = meeting.expected
    s = Score()
    where = meeting.name

    # action items, then their owners and due dates over the same matching
    acts = [(a.timestamp, a.task) for a in minutes.action_items]
    expected_acts = exp.get("action_items", [])
    matched, excused = _match(acts, expected_acts, t)
    required = [e for e in expected_acts if not e.get("optional")]
    s.fields["action_items"] = _counts(len(acts), len(required), matched, excused)
    counted = [p for p in range(len(acts)) if p not in excused]
    owners_ok = 0
    due_ok, due_predicted = 0, 0
    for e, p in matched.items():
        item, want = minutes.action_items[p], expected_acts[e]
        got = "team" if item.owner == "team" else t.label_voice.get(item.owner or "", item.owner)
        if got == want["owner"]:
            owners_ok += 1
        else:
            s.misses.append(f"{where}: owner of {item.task!r} is {got}, expected {want['owner']}")
        if item.due_date and item.due_date in _due_set(want):
            due_ok += 1
        elif item.due_date != want.get("due_date"):
            s.misses.append(f"{where}: due of {item.task!r} is {item.due_date}, expected {want.get('due_date')}")
    due_predicted = sum(1 for p in counted if minutes.action_items[p].due_date)
    due_expected = sum(1 for e in required if e.get("due_date"))
    s.fields["owners"] = Counts(tp=owners_ok, fp=len(counted) - owners_ok, fn=len(required) - owners_ok)
    s.fields["due_dates"] = Counts(tp=due_ok, fp=due_predicted - due_ok, fn=due_expected - due_ok)
    s.misses += [f"{where}: missed action item {expected_acts[e]['task']!r}" for e in range(len(expected_acts))
                 if e not in matched and not expected_acts[e].get("optional")]
    s.misses += [f"{where}: extra action item {minutes.action_items[p].task!r} ({minutes.action_items[p].owner})"
                 for p in counted if p not in matched.values()]

    for name, items in (("decisions", minutes.decisions), ("open_questions", minutes.open_questions)):
        predicted = [(d.timestamp, d.text) for d in items]
        expected = exp.get(name, [])
        matched, excused = _match(predicted, expected, t)
        required = [e for e in expected if not e.get("optional")]
        s.fields[name] = _counts(len(predicted), len(required), matched, excused)
        s.misses += [f"{where}: missed {name[:-1].replace('_', ' ')} {expected[e]['text']!r}" for e in range(len(expected))
                     if e not in matched and not expected[e].get("optional")]
        s.misses += [f"{where}: extra {name[:-1].replace('_', ' ')} {items[p].text!r}" for p in range(len(items))
                     if p not in matched.values() and p not in excused]

    for e in exp.get("decisions", []) + exp.get("action_items", []):
        if e.get("optional"):
            continue
        keywords = reachable(e["keywords"], t, e["lines"])
        if not keywords:
            continue  # the recogniser lost every word that names it: no fair test of the summary
        s.coverable += 1
        if names(minutes.summary, keywords, share=1.0):
            s.covered += 1
        else:
            s.misses.append(f"{where}: summary does not mention {e.get('text') or e.get('task')!r}")

    s.titles = 1
    if title_ok(minutes.title, exp.get("title_words", [])):
        s.titles_ok = 1
    else:
        s.misses.append(f"{where}: title {minutes.title!r}")
    return s


def title_ok(title: str, topic_words: list[str]) -> bool:
    """Names the topic and is cased like a title: no "He'S", no shouting, no lower-case start."""
    if re.search(r"'[A-Z]", title) or not title[:1].isupper() or title.isupper():
        return False
    return names(title, topic_words, share=1 / max(1, len(topic_words))) if topic_words else True
