"""Hand the C heap's free pages back to the system between the big steps of a long job.

glibc keeps what a thread frees on its arena's free lists and gives back to the system only the top of each heap.
A pipeline process reads a long recording window after window (ASR) and block after block (diarization); each
step's buffers (CTranslate2's, ONNX Runtime's, numpy's) are freed below the next step's live ones, and the holes stay
resident. On an hour of speech the arenas held ~450 MB in use and 600-750 MB free, all of it counted in the
process's RSS and kept for the rest of the job and for the idle worker after it (bench/README.md, Long meetings: "freed heap pages go back").
``malloc_trim(0)`` (glibc 2.8 and later) returns every whole free page of every arena.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS): their allocators return
    free memory themselves, or offer no such call."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _malloc_trim()


def trim() -> bool:
    """Give the heap's free pages back to the system; whether any came back. Called where a step of a long job
    has just ended: glibc locks each arena while it walks it, so a thread allocating meanwhile waits (a trim took
    60 ms, at most 170, after each window and block of a 20-minute recording: 0.2% of the run)."""
    if _TRIM is None:
        return False
    return bool(_TRIM(0))
