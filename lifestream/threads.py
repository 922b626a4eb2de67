"""Keep the parallel pipeline branches from oversubscribing a small machine.

ASR (CTranslate2) and diarization (torch) are given explicit thread counts;
the BLAS/OpenMP pools of numpy, scikit-learn and OpenCV default to one thread
each, because several of them running at once would otherwise each start a
thread per core. Call before the heavy libraries are imported.
"""

from __future__ import annotations

import os

_POOLS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def cap_threads(per_pool: int = 1) -> None:
    for name in _POOLS:
        os.environ.setdefault(name, str(per_pool))
