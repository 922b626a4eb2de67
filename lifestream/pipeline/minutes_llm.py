"""Minutes from any OpenAI-compatible endpoint: one call per chunk, then one reduce call.

Answers must be JSON matching the ``Minutes`` schema; a reply that does not
validate is sent back once with the validation error before giving up.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from pydantic import BaseModel, ValidationError

from lifestream.errors import TransientError
from lifestream.models import ActionItem, Minutes, Point, SpeakerPoints


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
Return JSON with: title (short), summary (3-6 sentences), key_points (per speaker: speaker label and points),
decisions (text, speaker, timestamp), action_items (task, owner = speaker label or name, due as said or null,
due_date as YYYY-MM-DD or null, timestamp, speaker), open_questions (text, speaker, timestamp).
{style}The meeting date is {today}."""

DIARY_STYLE = "This recording is one person talking (a diary or vlog): write a diary-style summary, not meeting minutes.\n"

REDUCE_PROMPT = """These are minutes of consecutive parts of one recording, as JSON.
Merge them into minutes of the whole recording in the same JSON shape: one title, a summary of the whole,
key points per speaker without repeats, and every decision, action item and open question kept once."""


def format_transcript(lines: list[tuple[float, str, str]]) -> str:
    return "\n".join(f"[{int(t // 60):02d}:{int(t % 60):02d}] {speaker}: {text}" for t, speaker, text in lines)


class LlmMinutesWriter:
    def __init__(self, base_url: str, api_key: str | None, model: str, *, concurrency: int = 4,
                 timeout: float = 120.0, max_retries: int = 4) -> None:
        from openai import OpenAI

        # The client retries 429/5xx/connection errors itself, with exponential backoff.
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
                              max_retries=max_retries)
        self.model = model
        self.concurrency = max(1, concurrency)

    @property
    def generator(self) -> str:
        return f"llm:{self.model}"

    def _ask(self, system: str, user: str) -> Minutes:
        import openai

        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        for attempt in range(2):
            try:
                reply = self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,
                    temperature=0.2,
                    response_format={
                        "type": "json_schema",
                        "json_schema": {"name": "minutes", "schema": _LlmMinutes.model_json_schema()},
                    },
                )
            except openai.APIError as exc:
                raise TransientError(f"The minutes model at the configured endpoint failed: {exc}") from exc
            content = reply.choices[0].message.content or ""
            try:
                parsed = _LlmMinutes.model_validate_json(content)
                return Minutes(**parsed.model_dump(), generator=self.generator)
            except ValidationError as exc:
                if attempt:
                    raise TransientError(f"The minutes model returned invalid JSON twice: {exc.errors()[:1]}") from exc
                messages += [
                    {"role": "assistant", "content": content},
                    {"role": "user", "content": f"That JSON does not match the schema: {exc}. Reply with corrected JSON only."},
                ]
        raise AssertionError("unreachable")

    def chunk_minutes(self, transcripts: list[str], *, diary: bool, today: date) -> list[Minutes]:
        system = SYSTEM_PROMPT.format(style=DIARY_STYLE if diary else "", today=today.isoformat())
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            results = list(pool.map(lambda text: self._ask(system, text), transcripts))
        kind = "diary" if diary else "minutes"
        return [m.model_copy(update={"kind": kind}) for m in results]

    def reduce(self, parts: list[Minutes], *, diary: bool, today: date) -> Minutes:
        kind = "diary" if diary else "minutes"
        if len(parts) == 1:
            return parts[0].model_copy(update={"kind": kind})
        system = SYSTEM_PROMPT.format(style=DIARY_STYLE if diary else "", today=today.isoformat())
        payload = json.dumps([p.model_dump(exclude={"kind", "generator"}) for p in parts])
        return self._ask(system, f"{REDUCE_PROMPT}\n\n{payload}").model_copy(update={"kind": kind})
