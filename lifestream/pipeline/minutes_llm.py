"""Minutes from any OpenAI-compatible endpoint: one call per chunk, then one reduce call.

The model gets what the offline rules found (a draft: action items with owners
and dates, decisions, open questions) and the speakers with their names, and
is asked to check the draft against the transcript, correct and complete it.
Answers must be JSON matching the ``Minutes`` schema; a reply that does not
validate is sent back once with the validation error before giving up. A reply
that validates but is not grounded in the meeting (an owner nobody mentioned,
a timestamp outside the part, a date that is not a date) is sent back once
with the problems; what is still wrong after that is dropped, not kept.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from lifestream.errors import TransientError
from lifestream.models import ActionItem, Minutes, Point, SpeakerPoints
from lifestream.pipeline.language_names import base_language, described
from lifestream.pipeline.llm_answers import AnswerStore


class _LlmMinutes(BaseModel):
    """What the model fills in; provenance fields (kind, generator) are ours."""

    title: str
    summary: str
    key_points: list[SpeakerPoints] = []
    decisions: list[Point] = []
    action_items: list[ActionItem] = []
    open_questions: list[Point] = []


SYSTEM_PROMPT = """You write meeting minutes from a diarized transcript.
Use only what is said in the transcript; never invent people, facts or dates.
Lines look like "[mm:ss] SPEAKER: text"; timestamps in your answer are seconds from the start.
{speakers}
Return JSON with: title (short, naming the topic; in title case if English), summary (3-6 sentences of prose: what the meeting
was for, what was decided, who will do what by when, what is still open; refer to people by name where known,
never as "SPEAKER_1:" quotes), key_points (per speaker: speaker label and points), decisions (text, speaker,
timestamp), action_items (task, owner, due as said or null, due_date as YYYY-MM-DD or null, timestamp, speaker),
open_questions (text, speaker, timestamp).
In every speaker and owner field use the speaker label (SPEAKER_1, …); an owner may also be "team" (the group) or a
person who is named in the transcript but does not speak.
A decision is what the group settled; an action item is a task someone took on or accepted; an open question is one
nobody answered. A request that was accepted is an action item, not a question.
{language}
{style}The meeting date is {today}."""

DRAFT_INTRO = """Draft minutes found by simple rules (they can be wrong or incomplete: check every item against the
transcript, fix owners and dates, add what they missed, drop what is not supported):"""

DIARY_STYLE = "This recording is one person talking (a diary or vlog): write a diary-style summary, not meeting minutes.\n"

def language_line(written: str | None, spoken: str | None) -> str:
    """What the prompt says about language: the minutes in ``written`` (LIFESTREAM_MINUTES_LANGUAGE) or else
    in the meeting's own ``spoken`` language, as detected (ISO 639-1 codes)."""
    written, spoken = base_language(written), base_language(spoken)
    if written and spoken and written != spoken:
        return (f"The meeting was held in {described(spoken)}. Write the title, summary and every text field of the "
                f"minutes in {described(written)}, translating what was said; keep names as said.")
    if written or spoken:
        return (f"The meeting was held in {described(written or spoken)}. Write the title, summary and every text "
                f"field of the minutes in {described(written or spoken)} too, not in English unless that is it.")
    return "Write the minutes in the language the meeting was held in."


REDUCE_PROMPT = """These are minutes of consecutive parts of one recording, as JSON.
Merge them into minutes of the whole recording in the same JSON shape: one title, a summary of the whole,
key points per speaker without repeats, and every decision, action item and open question kept once."""


def system_prompt(*, diary: bool, today: date, speakers: str, language: str = "") -> str:
    """``language``: what ``language_line`` says (the meeting's language, or the workspace's choice)."""
    return SYSTEM_PROMPT.format(style=DIARY_STYLE if diary else "", today=today.isoformat(), speakers=speakers,
                                language=language or language_line(None, None))


def format_transcript(lines: list[tuple[float, str, str]]) -> str:
    return "\n".join(f"[{int(t // 60):02d}:{int(t % 60):02d}] {speaker}: {text}" for t, speaker, text in lines)


def speakers_line(labels: list[str], names: dict[str, str]) -> str:
    """ "Speakers: SPEAKER_1 is Diane; SPEAKER_2 (name not known)." - the names the prompt carries."""
    if not labels:
        return ""
    said = [f"{label} is {names[label]}" if names.get(label) else f"{label} (name not known)" for label in labels]
    return "Speakers: " + "; ".join(said) + "."


def draft_json(draft: Minutes) -> str:
    """The rules' structure for the prompt: what to verify, not the prose."""
    return json.dumps({
        "decisions": [d.model_dump() for d in draft.decisions],
        "action_items": [a.model_dump() for a in draft.action_items],
        "open_questions": [q.model_dump() for q in draft.open_questions],
    }, ensure_ascii=False)


@dataclass
class Grounding:
    """What an answer may refer to: the speakers, the people named, the time span of the transcript it was given."""

    labels: set[str]
    names: dict[str, str] = field(default_factory=dict)  # label -> name
    text: str = ""
    start: float = 0.0
    end: float = float("inf")

    SLACK_S = 5.0

    def owner(self, owner: str | None) -> tuple[str | None, str | None]:
        """(the owner as a label where possible, or a problem)."""
        if owner is None or owner in self.labels or owner.lower() == "team":
            return (owner.lower() if owner and owner.lower() == "team" else owner), None
        by_name = {n.lower(): label for label, n in self.names.items()}
        by_name.update({n.split()[0].lower(): label for label, n in self.names.items() if n.split()})
        if owner.lower() in by_name:
            return by_name[owner.lower()], None
        if re.search(rf"\b{re.escape(owner)}\b", self.text, re.IGNORECASE):
            return owner, None  # a person named in the meeting who does not speak
        return None, f"owner {owner!r} is neither a speaker ({', '.join(sorted(self.labels))}), 'team', nor named in the transcript"

    def problems(self, m: Minutes) -> tuple[Minutes, list[str]]:
        """The answer with owners mapped to labels, and what is not grounded (each also removed from the copy)."""
        problems: list[str] = []
        if not self.labels and not self.text:
            return m, problems  # nothing known to check against

        def when(t: float | None, what: str) -> float | None:
            if t is not None and not (self.start - self.SLACK_S <= t <= self.end + self.SLACK_S):
                problems.append(f"{what} has timestamp {t}, outside this transcript ({self.start:.0f}-{self.end:.0f} s)")
                return None
            return t

        def who(label: str | None, what: str) -> str | None:
            if label is not None and label not in self.labels:
                mapped, _ = self.owner(label)
                if mapped in self.labels:
                    return mapped
                problems.append(f"{what} names speaker {label!r}, who is not one of {', '.join(sorted(self.labels))}")
                return None
            return label

        items = []
        for a in m.action_items:
            owner, problem = self.owner(a.owner)
            if problem:
                problems.append(f"action item {a.task!r}: {problem}")
            due_date = a.due_date
            if due_date is not None:
                try:
                    date.fromisoformat(due_date)
                except ValueError:
                    problems.append(f"action item {a.task!r}: due_date {due_date!r} is not YYYY-MM-DD")
                    due_date = None
            items.append(a.model_copy(update={"owner": owner, "due_date": due_date,
                                              "timestamp": when(a.timestamp, f"action item {a.task!r}"),
                                              "speaker": who(a.speaker, f"action item {a.task!r}")}))
        points = {name: [p.model_copy(update={"timestamp": when(p.timestamp, f"{name[:-1]} {p.text!r}"),
                                              "speaker": who(p.speaker, f"{name[:-1]} {p.text!r}")})
                         for p in getattr(m, name)] for name in ("decisions", "open_questions")}
        key_points = [kp for kp in m.key_points if who(kp.speaker, "key points") is not None]
        return m.model_copy(update={"action_items": items, "key_points": key_points, **points}), problems


class LlmMinutesWriter:
    def __init__(self, base_url: str, api_key: str | None, model: str, *, concurrency: int = 4,
                 timeout: float = 120.0, max_retries: int = 4, answers: AnswerStore | None = None) -> None:
        from openai import OpenAI

        # The client retries 429/5xx/connection errors itself, with exponential backoff.
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
                              max_retries=max_retries)
        self.model = model
        self.concurrency = max(1, concurrency)
        self._answers = answers  # an earlier attempt's accepted answers, and where this one's go

    @property
    def generator(self) -> str:
        return f"llm:{self.model}"

    def _complete(self, messages: list[Any]) -> str:
        import openai

        # The schema is ours and plain JSON; the client's typed dicts add nothing here.
        response_format: Any = {"type": "json_schema",
                                "json_schema": {"name": "minutes", "schema": _LlmMinutes.model_json_schema()}}
        try:
            reply = self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=0.2,
                response_format=response_format,
            )
        except openai.APIError as exc:
            raise TransientError(f"The minutes model at the configured endpoint failed: {exc}") from exc
        return reply.choices[0].message.content or ""

    def _ask(self, system: str, user: str, grounding: Grounding) -> Minutes:
        if self._answers is None:
            return self._ask_model(system, user, grounding)
        key = self._answers.key(self.model, system, user)
        kept = self._answers.get(key)
        if kept is not None:
            try:
                return Minutes.model_validate_json(kept)
            except ValidationError:
                self._answers.forget(key)
        minutes = self._ask_model(system, user, grounding)
        self._answers.put(key, minutes.model_dump_json())
        return minutes

    def _ask_model(self, system: str, user: str, grounding: Grounding) -> Minutes:
        messages: list[Any] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        schema_retried = grounding_retried = False
        while True:
            content = self._complete(messages)
            try:
                parsed = _LlmMinutes.model_validate_json(content)
            except ValidationError as exc:
                if schema_retried:
                    raise TransientError(f"The minutes model returned invalid JSON twice: {exc.errors()[:1]}") from exc
                schema_retried = True
                messages += [
                    {"role": "assistant", "content": content},
                    {"role": "user", "content": f"That JSON does not match the schema: {exc}. Reply with corrected JSON only."},
                ]
                continue
            minutes, problems = grounding.problems(Minutes(**parsed.model_dump(), generator=self.generator))
            if problems and not grounding_retried:
                grounding_retried = True
                messages += [
                    {"role": "assistant", "content": content},
                    {"role": "user", "content": "That JSON is not grounded in the transcript: " + "; ".join(problems)
                     + ". Reply with corrected JSON only."},
                ]
                continue
            return minutes  # what is still not grounded has been dropped from it

    def chunk_minutes(self, transcripts: list[str], *, diary: bool, today: date, speakers: str = "",
                      drafts: list[str] | None = None, groundings: list[Grounding] | None = None,
                      language: str = "") -> list[Minutes]:
        system = system_prompt(diary=diary, today=today, speakers=speakers, language=language)
        drafts = drafts or [""] * len(transcripts)
        groundings = groundings or [Grounding(set()) for _ in transcripts]

        def one(n: int) -> Minutes:
            user = transcripts[n] if not drafts[n] else f"{DRAFT_INTRO}\n{drafts[n]}\n\nTranscript:\n{transcripts[n]}"
            return self._ask(system, user, groundings[n])

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            results = list(pool.map(one, range(len(transcripts))))
        kind = "diary" if diary else "minutes"
        return [m.model_copy(update={"kind": kind}) for m in results]

    def reduce(self, parts: list[Minutes], *, diary: bool, today: date, speakers: str = "",
               grounding: Grounding | None = None, language: str = "") -> Minutes:
        kind = "diary" if diary else "minutes"
        if len(parts) == 1:
            return parts[0].model_copy(update={"kind": kind})
        system = system_prompt(diary=diary, today=today, speakers=speakers, language=language)
        payload = json.dumps([p.model_dump(exclude={"kind", "generator"}) for p in parts])
        return self._ask(system, f"{REDUCE_PROMPT}\n\n{payload}", grounding or Grounding(set())).model_copy(
            update={"kind": kind})
