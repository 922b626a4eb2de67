"""Speaker names read by an OpenAI-compatible model: the cues the rules miss.

One call per meeting. It gets the transcript's opening (where people introduce themselves) and every
other line that mentions a name, within a budget, and answers JSON validated with pydantic. The model
only suggests: a name that was never said, or a speaker that does not exist, is dropped, and what is
left joins the rules' evidence in :func:`lifestream.pipeline.naming.resolve`. A failing endpoint costs
the model's suggestions, never the meeting: the rules still name who they can.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from pydantic import BaseModel, Field, ValidationError

from lifestream.models import NameCandidate, Segment
from lifestream.pipeline.minutes_llm import format_transcript
from lifestream.pipeline.name_cues import given_names
from lifestream.settings import Settings

log = logging.getLogger(__name__)

# The model's confidence is not calibrated: alone it names a speaker only when quite sure (≥ 0.63 → 0.5),
# and it adds to a rule that agrees.
_TRUST = 0.8
_BUDGET_CHARS = 24_000
_OPENING_S = 600.0

SYSTEM_PROMPT = """You identify the speakers of a diarized meeting transcript by name.
Lines look like "[mm:ss] SPEAKER_N: text". A speaker can be named only from what is said:
- introducing themselves ("this is Diane", "I'm Sheila", "my name is ...", "Diane here");
- being addressed by name and answering ("Sheila, can you ...?" followed by that speaker's reply);
- being thanked or greeted by name right after or before they speak.
Use only names said in the transcript. Never guess from voice, topic, role or gender. A name said about
someone else ("ask Diane", "Diane's deck", "Diane couldn't come") names nobody. Leave out any speaker you
are unsure of; naming nobody is a fine answer. One name per speaker, one speaker per name.
Return JSON: {"speakers": [{"speaker": "SPEAKER_N", "name": "the name as said", "evidence": "the exact words
from the transcript that show it", "confidence": a number from 0 to 1}]}"""


class _Guess(BaseModel):
    speaker: str
    name: str = Field(min_length=1, max_length=60)
    evidence: str = ""
    confidence: float = Field(ge=0.0, le=1.0)


class _Answer(BaseModel):
    speakers: list[_Guess] = Field(default_factory=list)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w'’-]+", text.lower()))


def transcript_for_naming(segments: list[Segment], hints: Sequence[str] = (), budget: int = _BUDGET_CHARS) -> str:
    """The whole transcript when it fits; else the lines that say a name, then the opening, within ``budget``."""
    names = given_names() | {h.split()[0].lower() for h in hints}
    lines = [(s.start, s.speaker or "SPEAKER_1", s.text.strip()) for s in segments if s.text.strip()]
    if len(format_transcript(lines)) <= budget:
        return format_transcript(lines)
    with_names = [i for i, (_, _, text) in enumerate(lines)
                  if any(w[:1].isupper() and w.lower() in names for w in re.findall(r"[\w'’-]+", text))]
    opening = [i for i, (start, _, _) in enumerate(lines) if start < _OPENING_S]
    chosen: set[int] = set()
    used = 0
    for i in dict.fromkeys(with_names + opening):
        cost = len(format_transcript([lines[i]])) + 1
        if used + cost > budget:
            continue
        chosen.add(i)
        used += cost
    return format_transcript([lines[i] for i in sorted(chosen)])


class LlmNamer:
    def __init__(self, base_url: str, api_key: str | None, model: str, *, timeout: float = 120.0,
                 max_retries: int = 4) -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
                              max_retries=max_retries)
        self.model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmNamer:
        return cls(settings.llm_base_url or "", settings.llm_api_key, settings.llm_model,
                   timeout=settings.llm_timeout_seconds, max_retries=settings.llm_max_retries)

    @property
    def generator(self) -> str:
        return f"llm:{self.model}"

    def _ask(self, transcript: str) -> _Answer | None:
        import openai
        from openai.types.chat import ChatCompletionMessageParam
        from openai.types.shared_params import ResponseFormatJSONSchema

        messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": SYSTEM_PROMPT},
                                                      {"role": "user", "content": transcript}]
        answer_format: ResponseFormatJSONSchema = {
            "type": "json_schema", "json_schema": {"name": "speaker_names", "schema": _Answer.model_json_schema()}}
        for attempt in range(2):
            try:
                reply = self._client.chat.completions.create(model=self.model, messages=messages, temperature=0.0,
                                                             response_format=answer_format)
            except openai.APIError as exc:
                log.warning("speaker names: the model at the configured endpoint failed (%s); using the rules only",
                            exc)
                return None
            content = reply.choices[0].message.content or ""
            try:
                return _Answer.model_validate_json(content)
            except ValidationError as exc:
                if attempt:
                    log.warning("speaker names: the model's answer did not validate twice; using the rules only")
                    return None
                messages += [
                    {"role": "assistant", "content": content},
                    {"role": "user", "content": f"That JSON does not match the schema: {exc}. Reply with corrected JSON only."},
                ]
        return None

    def candidates(self, segments: list[Segment], speakers: list[str],
                   hints: Sequence[str] = ()) -> list[NameCandidate] | None:
        """The model's suggestions that hold up, as evidence; None when the model could not be asked."""
        transcript = transcript_for_naming(segments, hints)
        if not transcript or not speakers:
            return []
        answer = self._ask(transcript)
        if answer is None:
            return None
        said = _words(transcript)
        said_text = " ".join(transcript.lower().split())
        out = []
        for guess in answer.speakers:
            name = " ".join(guess.name.split())
            if guess.speaker not in speakers or not name or not _words(name) <= said:
                log.info("speaker names: dropped the model's %r for %s (not said, or no such speaker)",
                         guess.name, guess.speaker)
                continue
            evidence = " ".join(guess.evidence.split())
            confidence = _TRUST * guess.confidence
            if evidence.lower() not in said_text:  # a paraphrase, or made up: worth less
                confidence /= 2
            out.append(NameCandidate(speaker=guess.speaker, name=name.title() if name.islower() else name,
                                     source="llm", confidence=round(confidence, 3), evidence=evidence[:300]))
        return out
