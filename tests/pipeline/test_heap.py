"""heap.trim gives freed heap pages back: the process's resident memory falls, measured, in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from lifestream.pipeline import heap

# A fresh interpreter, so that the test's own heap is all there is: 240 MB in 4 KB blocks (above pymalloc's
# 512 bytes, so from malloc), then 15 of every 16 freed. The live 16th blocks pin the holes between them,
# which free() alone never returns: only the top of a heap goes back by itself.
_FRAGMENT_THEN_TRIM = textwrap.dedent("""
    import json
    from pathlib import Path

    from lifestream.pipeline import heap

    def anonymous_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024

    start = anonymous_mb()
    blocks = [bytes(4096) for _ in range(60_000)]
    live = blocks[::16]
    del blocks
    freed = anonymous_mb()
    released = heap.trim()
    print(json.dumps({"start": start, "freed": freed, "trimmed": anonymous_mb(), "released": released,
                      "live": len(live)}))
""")


@pytest.mark.skipif(heap._TRIM is None, reason="the C library has no malloc_trim (not glibc)")
def test_trim_returns_the_free_pages_between_live_blocks():
    out = subprocess.run([sys.executable, "-c", _FRAGMENT_THEN_TRIM], capture_output=True, text=True, check=True,
                         env={"MALLOC_ARENA_MAX": "2", "PATH": "/usr/bin:/bin"})
    mb = json.loads(out.stdout)
    # the premise: freeing alone left the holes resident
    assert mb["freed"] - mb["start"] > 180, mb
    assert mb["released"] is True
    # ~15 MB of blocks are still live; nearly all of the ~225 MB freed around them goes back
    assert mb["freed"] - mb["trimmed"] > 150, mb


def test_without_malloc_trim_trim_does_nothing(monkeypatch):
    # musl, macOS: no such call, and nothing to do
    monkeypatch.setattr(heap, "_TRIM", None)
    assert heap.trim() is False
