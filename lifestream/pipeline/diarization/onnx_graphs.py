"""The diarizer's torch models as ONNX Runtime sessions: the same results for less CPU.

onnxruntime is already installed (faster-whisper's VAD runs on it) and picks
its kernels by what the CPU has at run time, so it stays portable. A model is
exported with ``torch.onnx`` (seconds) and cached under the model folder
(``LIFESTREAM_MODEL_DIR``/diarization), in a file named by everything it is
made of (``fingerprint``: the weights, the code that builds and exports it, the
torch version). A worker after the first loads it in well under a second; a
stale or broken file is never read, because its name would differ or ONNX
Runtime refuses it and it is made again.

Anything that goes wrong here leaves that model on torch (the same results,
slower) with a warning: an export is not worth a failed meeting.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)

OPSET = 17
_THIS = Path(__file__)


def fingerprint(weights: Path, *sources: Path) -> str:
    """A name for the graph made from ``weights`` by the code in ``sources`` (and this module)."""
    digest = hashlib.sha256()
    digest.update(hashlib.sha256(weights.read_bytes()).digest())
    for source in (*sources, _THIS):
        digest.update(source.read_bytes())
    digest.update(f"torch {torch.__version__} opset {OPSET}".encode())
    return digest.hexdigest()[:16]


def session(what: str, stem: str, export: Callable[[], bytes], *, weights: Path, sources: tuple[Path, ...],
            threads: int, cache_dir: Path | None) -> Any | None:
    """An ONNX Runtime session for the graph ``export`` makes from ``weights`` with the code in ``sources``,
    cached as ``<stem>-<fingerprint>.onnx``; None: stay on torch. ``what``: the model, as the warning names it."""
    try:
        import onnxruntime as ort

        name = f"{stem}-{fingerprint(weights, *sources)}"
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # a spinning thread pool burns a core that ASR beside it needs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # batches change shape (lengths are bucketed, counts vary): a memory plan per shape is waste
        options.enable_mem_pattern = False
        graph = _cached_graph(name, export, cache_dir)
        try:
            return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception:
            if not isinstance(graph, str):
                raise
            log.warning("The cached %s graph %s does not load; exporting it again", what, graph)
            Path(graph).unlink(missing_ok=True)
            return ort.InferenceSession(_cached_graph(name, export, cache_dir), options,
                                        providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - any failure here only costs speed
        log.warning("%s stays on torch (slower, same results): ONNX Runtime could not take it: %s", what, exc)
        return None


def _cached_graph(name: str, export: Callable[[], bytes], cache_dir: Path | None) -> str | bytes:
    """The exported graph: a file path in ``cache_dir`` (made if missing), else the bytes."""
    if cache_dir is None:
        return export()
    path = Path(cache_dir) / "diarization" / f"{name}.onnx"
    if path.is_file():
        return str(path)
    data = export()
    written = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # another worker may export at the same time: each writes its own file, the rename is atomic
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}.", delete=False) as tmp:
            written = Path(tmp.name)
            tmp.write(data)
        written.chmod(0o644)  # a temporary file is private; the graph is for every worker
        os.replace(written, path)
    except OSError as exc:
        if written is not None:
            written.unlink(missing_ok=True)
        log.info("Cannot cache the %s graph in %s (%s); using it from memory", name, path.parent, exc)
        return data
    return str(path)
