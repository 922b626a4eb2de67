"""Answers with citations: one grounded LLM call when an endpoint is configured, quotes otherwise.

Both paths cite the same way, ``[meeting title, speaker, mm:ss]``, and both
see only the passages retrieval returned for the asker's scope; the prompt
is built from those hits and nothing else, so the model cannot leak a
meeting the asker may not see.
"""

from __future__ import annotations

import logging

import numpy as np
from pydantic import BaseModel, Field

from lifestream.search.index_base import Hit, SearchFilter
from lifestream.search.records import Line, SearchRecord
from lifestream.search.retrieval import Retriever
from lifestream.timefmt import clock

log = logging.getLogger(__name__)

NOT_FOUND_TEXT = "I couldn't find that in your meetings."
NOT_FOUND_MARKER = "NOT_FOUND"
EXTRACTIVE_QUOTES = 3
SHORT_LINE_WORDS = 8  # a best line shorter than this is quoted with its continuation by the same speaker


class Citation(BaseModel):
    meeting_id: str
    title: str
    speaker: str
    start: float
    end: float
    channel: str
    quote: str
    kind: str = "passage"

    @property
    def label(self) -> str:
        return f"[{self.title}, {self.speaker}, {clock(self.start)}]"


class Answer(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    found: bool
    generator: str = "extractive"


def _citation(record: SearchRecord, lines: list[Line]) -> Citation:
    return Citation(meeting_id=record.meeting_id, title=record.title, speaker=lines[0].speaker, start=lines[0].start,
                    end=lines[-1].end, channel=record.conversation, quote=" ".join(line.text for line in lines),
                    kind=record.kind)


def _best_lines(record: SearchRecord, similarities: np.ndarray) -> list[Line]:
    best = int(np.argmax(similarities))
    lines = [record.lines[best]]
    following = record.lines[best + 1] if best + 1 < len(record.lines) else None
    if following and following.speaker == lines[0].speaker and len(lines[0].text.split()) < SHORT_LINE_WORDS:
        lines.append(following)
    return lines


def extractive_answer(question: str, hits: list[Hit], retriever: Retriever) -> Answer:
    """The lines of the best passages closest to the question, quoted with their citations."""
    chosen = [h for h in hits if h.record.lines][:EXTRACTIVE_QUOTES]
    texts = [line.text for h in chosen for line in h.record.lines]
    vectors = retriever.embedder.encode([question, *texts])
    question_vector, line_vectors = vectors[0], vectors[1:]
    citations: list[Citation] = []
    seen: set[tuple[str, float]] = set()
    offset = 0
    for hit in chosen:
        n = len(hit.record.lines)
        lines = _best_lines(hit.record, line_vectors[offset:offset + n] @ question_vector)
        offset += n
        key = (hit.record.meeting_id, lines[0].start)
        if key in seen:  # overlapping windows can pick the same line twice
            continue
        seen.add(key)
        citations.append(_citation(hit.record, lines))
    bullets = [f'- "{c.quote}" {c.label}' if c.kind == "passage" else f"- {c.quote} {c.label}" for c in citations]
    return Answer(text="From your meetings:\n" + "\n".join(bullets), citations=citations, found=True)


ANSWER_SYSTEM_PROMPT = f"""You answer questions about past meetings using only the transcript passages provided.
Each transcript line starts with its citation in square brackets: [meeting title, speaker, mm:ss].
Rules:
- Use only facts stated in the passages. Do not use outside knowledge and do not guess.
- End every sentence that states a fact with the citation of the line it comes from, copied exactly.
- Be brief: a few sentences at most.
- If the passages do not answer the question, reply with exactly {NOT_FOUND_MARKER} and nothing else."""


def build_prompt(question: str, hits: list[Hit]) -> str:
    """The user message: the question, then each retrieved passage as citation-labelled lines."""
    blocks = []
    for n, hit in enumerate(hits, start=1):
        record = hit.record
        kind = {"action_item": "Action item from the minutes", "decision": "Decision from the minutes"}.get(
            record.kind, "Transcript passage")
        header = f'Passage {n} ({kind}; meeting "{record.title}" on {record.date}):'
        body = "\n".join(f"{record.citation_label(line)} {line.text}" for line in record.lines)
        blocks.append(f"{header}\n{body}")
    return f"Question: {question}\n\n" + "\n\n".join(blocks)


class LlmAnswerWriter:
    """One chat-completion call against any OpenAI-compatible endpoint."""

    def __init__(self, base_url: str, api_key: str | None, model: str, *, timeout: float = 120.0,
                 max_retries: int = 2) -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
                              max_retries=max_retries)
        self.model = model

    @property
    def generator(self) -> str:
        return f"llm:{self.model}"

    def complete(self, question: str, hits: list[Hit]) -> str:
        reply = self._client.chat.completions.create(
            model=self.model, temperature=0.0,
            messages=[{"role": "system", "content": ANSWER_SYSTEM_PROMPT},
                      {"role": "user", "content": build_prompt(question, hits)}])
        return (reply.choices[0].message.content or "").strip()

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        text = self.complete(question, hits)
        if not text or text.strip().strip(".") == NOT_FOUND_MARKER:
            return Answer(text=NOT_FOUND_TEXT, found=False, generator=self.generator)
        citations = [_citation(h.record, [line]) for h in hits for line in h.record.lines
                     if h.record.citation_label(line) in text]
        # Deduplicate (overlapping windows repeat lines) while keeping the order of the passages.
        unique = list({(c.meeting_id, c.start, c.speaker): c for c in citations}.values())
        if not unique:
            # The model cited nothing we can resolve: point at the passages it was given instead.
            unique = [_citation(h.record, h.record.lines[:1]) for h in hits if h.record.lines]
        return Answer(text=text, citations=unique, found=True, generator=self.generator)


def answer_question(question: str, flt: SearchFilter, *, retriever: Retriever, writer: LlmAnswerWriter | None = None,
                    top_k: int = 5) -> Answer:
    hits = retriever.search(question, flt, top_k=top_k)
    if not hits:
        return Answer(text=NOT_FOUND_TEXT, found=False, generator=writer.generator if writer else "extractive")
    if writer is not None:
        import openai

        try:
            return writer.answer(question, hits)
        except openai.APIError as exc:
            # A chat answer with quotes beats an error message; the log says the endpoint failed.
            log.warning("The answer model failed (%s); answering with quotes instead.", exc)
    return extractive_answer(question, hits, retriever)
