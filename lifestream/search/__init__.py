"""Search and cited answers over past meetings (what ``/ask`` and ``lifestream ask`` stand on).

    index = services.index  # get_index(settings) opens one; a process keeps one in its Services
    process_recording(path, settings=settings, indexers=[Indexer(index, workspace="T123", conversation="C456")])
    answer = ask("What did Alice promise?", Scope("T123", ["C456", "C789"]), settings=settings, index=index)

Heavy libraries (torch, the SDKs) load on first use, not on import.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from lifestream.search.index_base import Hit, Scope, SearchFilter, SearchIndex
from lifestream.settings import Settings

if TYPE_CHECKING:
    import numpy as np

    from lifestream.models import Meeting
    from lifestream.search.answers import Answer, LlmAnswerWriter
    from lifestream.search.embeddings import Embedder
    from lifestream.search.retrieval import Retriever

__all__ = ["CLI_CONVERSATION", "CLI_WORKSPACE", "Hit", "Indexer", "Scope", "SearchFilter", "SearchIndex", "answer_writer", "ask", "ask_async",
           "get_index",
           "get_retriever", "local_index_path"]

# Where ``lifestream process`` indexes and ``lifestream ask`` looks by default.
CLI_WORKSPACE = "local"
CLI_CONVERSATION = "cli"


def local_index_path(settings: Settings) -> Path:
    return settings.data_dir / "search.sqlite3"


def get_index(settings: Settings) -> SearchIndex:
    """A new index for ``settings`` (the process's one is ``Services.index``)."""
    if settings.index_backend == "pinecone":
        from lifestream.search.pinecone_index import PineconeIndex

        return PineconeIndex(api_key=settings.pinecone_api_key or "", index_name=settings.pinecone_index,
                             host=settings.pinecone_host)
    from lifestream.search.local_index import LocalIndex

    return LocalIndex(local_index_path(settings))


def get_embedder_for(settings: Settings) -> Embedder:
    from lifestream.search.embeddings import get_embedder

    return get_embedder(settings.embedding_model)


def get_retriever(settings: Settings, index: SearchIndex) -> Retriever:
    from lifestream.search.retrieval import Retriever

    return Retriever(index=index, embedder=get_embedder_for(settings),
                     min_similarity=settings.search_min_similarity)


def answer_writer(settings: Settings) -> LlmAnswerWriter | None:
    if not settings.llm_base_url:
        return None
    from lifestream.search.answers import LlmAnswerWriter

    return LlmAnswerWriter(settings.llm_base_url, settings.llm_api_key, settings.llm_model,
                           timeout=settings.llm_timeout_seconds)


# Questions a server answers run in a pool of their own. The first one loads the embedding model (torch:
# tens of seconds on a busy machine) and the others wait for it; in the event loop's default pool they
# held every thread, and with them every request that needs one (bench/load.py: API calls timed out).
_QUESTIONS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lifestream-ask")


async def ask_async(question: str, scope: Scope, **kwargs) -> Answer:
    """``ask`` from async code (the bots, the API, the pages), in the questions' own threads."""
    call = functools.partial(ask, question, scope, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_QUESTIONS, call)


def ask(question: str, scope: Scope, *, settings: Settings, index: SearchIndex,
        meeting_ids: tuple[str, ...] = (), speakers: tuple[str, ...] = (), date_from: date | None = None,
        date_to: date | None = None) -> Answer:
    """Answer ``question`` from the meetings ``scope`` may see: LLM when configured, quotes otherwise."""
    from lifestream.search.answers import answer_question

    flt = SearchFilter(scope=scope, meeting_ids=tuple(meeting_ids), speakers=tuple(speakers), date_from=date_from,
                       date_to=date_to)
    return answer_question(question, flt, retriever=get_retriever(settings, index), writer=answer_writer(settings),
                           top_k=settings.search_top_k)


class Indexer:
    """The pipeline's last stage: a meeting's windows and minutes items into the index, replacing old ones.

    Built per job with the workspace and conversation the recording came from,
    which is what every later search is scoped by.
    """

    def __init__(self, index: SearchIndex, *, workspace: str, conversation: str,
                 embedder: Embedder | None = None, settings: Settings | None = None) -> None:
        if not workspace or not conversation:
            raise ValueError("a meeting needs a workspace and a conversation to be searchable")
        self.index = index
        self.workspace = workspace
        self.conversation = conversation
        self._embedder = embedder
        self._settings = settings
        self._ahead: dict[str, np.ndarray] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from lifestream.search.embeddings import get_embedder

            self._embedder = get_embedder(self._settings.embedding_model if self._settings else None)
        return self._embedder

    def embed_ahead(self, meeting: Meeting) -> None:
        """Embed the meeting's passages now, while its minutes are being written: they need only the
        transcript and the names. ``index_meeting`` then embeds only what is new (the minutes' items);
        a passage whose text changed in between is embedded again there, so nothing stale is indexed."""
        from lifestream.search.records import passage_records

        texts = [r.embedding_text() for r in passage_records(meeting, workspace=self.workspace,
                                                              conversation=self.conversation)]
        self._ahead = dict(zip(texts, self.embedder.encode(texts), strict=True))

    def index_meeting(self, meeting: Meeting) -> int:
        import numpy as np

        from lifestream.search.records import records_for_meeting

        records = records_for_meeting(meeting, workspace=self.workspace, conversation=self.conversation)
        texts = [r.embedding_text() for r in records]
        ahead, self._ahead = self._ahead, {}
        missing = list(dict.fromkeys(t for t in texts if t not in ahead))
        ahead.update(zip(missing, self.embedder.encode(missing), strict=True))
        vectors = (np.stack([ahead[t] for t in texts]) if texts
                   else np.zeros((0, self.embedder.dimension), dtype=np.float32))
        self.index.replace_meeting(meeting.meeting_id, records, vectors)
        return len(records)

    def delete_meeting(self, meeting_id: str) -> None:
        self.index.delete_meeting(meeting_id)
