"""Search latency on the local index at 10k and 100k records, beside a brute-force numpy baseline.

    .venv/bin/python bench/search.py [--sizes 10000 100000] [--queries 200] [--no-readme]

Corpus (synthetic, built from real transcripts): each record is 4-10 lines
drawn from the real sample's transcript (pyannote's sample.stm) and the
constructed meetings of tests/data, with 15% of its words replaced by words
from a 20,000-word Zipf-distributed vocabulary of made-up words, so keyword
posting lists have realistic lengths instead of every record sharing the
sample's 80 words. Records are spread over 8 workspaces x 50 conversations.
Embedding 100k texts would take most of an hour on 2 cores, so 2,000 base
texts are embedded for real and each record's vector is its base's plus
Gaussian noise (cosine about 0.9 to the base), re-normalised; the embedding
throughput is measured separately and the time to embed N records is
extrapolated from it.

Timed per query, in this process, same matrix:
- baseline: brute-force numpy dot product over all vectors + top-5 (no filter, no BM25);
- hybrid: LifeStream's retrieval without the embedding: scope mask + exact vector top-50, FTS5 BM25 top-50
  inside the same scope, reciprocal-rank fusion, the relevance threshold, records decoded;
- hybrid + embed: the same plus embedding the question (what `ask` pays before the LLM).
Scopes: one conversation a person may see out of the 50 of their workspace (typical), and all 50 (worst).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/queue.py would shadow the standard library's queue module for everything imported from here.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from lifestream.threads import cap_threads  # noqa: E402

cap_threads()

import numpy as np  # noqa: E402

from lifestream.search.embeddings import get_embedder  # noqa: E402
from lifestream.search.index_base import Scope, SearchFilter  # noqa: E402
from lifestream.search.local_index import LocalIndex  # noqa: E402
from lifestream.search.records import Line, SearchRecord  # noqa: E402
from lifestream.search.retrieval import Retriever  # noqa: E402

WORKSPACES = 8
CONVERSATIONS = 50
BASE_TEXTS = 2000
RECORDS_PER_MEETING = 20


def real_lines() -> list[tuple[str, str]]:
    """(speaker, text) lines of real transcripts: the sample's reference transcript and the constructed meetings."""
    from lifestream.samples import sample_file

    lines = []
    for row in sample_file("sample.stm").read_text().splitlines():
        parts = row.split()
        if len(parts) > 5:
            lines.append((parts[2], " ".join(parts[5:])))
    meetings = json.loads((ROOT / "tests" / "data" / "search_meetings.json").read_text())["meetings"]
    lines += [(s["speaker"], s["text"]) for m in meetings for s in m["segments"]]
    return lines


def made_up_vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def build_corpus(n: int, embedder, rng: random.Random):
    lines = real_lines()
    vocab = made_up_vocabulary(rng)
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.07
    zipf /= zipf.sum()
    np_rng = np.random.default_rng(rng.randint(0, 2**31))
    bases = [rng.sample(lines, rng.randint(4, 10)) for _ in range(BASE_TEXTS)]
    t = time.perf_counter()
    base_vectors = embedder.encode(["\n".join(f"{s}: {x}" for s, x in b) for b in bases])
    embed_rate = BASE_TEXTS / (time.perf_counter() - t)
    noise = np_rng.normal(0, 0.021, size=(n, base_vectors.shape[1])).astype(np.float32)
    picks = np_rng.integers(0, BASE_TEXTS, size=n)
    vectors = base_vectors[picks] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    replacements = iter(np_rng.choice(len(vocab), size=n * 40, p=zipf))
    records = []
    for i in range(n):
        meeting = i // RECORDS_PER_MEETING
        start = (i % RECORDS_PER_MEETING) * 30.0
        out_lines = []
        for k, (speaker, text) in enumerate(bases[picks[i]]):
            words = [vocab[next(replacements)] if rng.random() < 0.15 else w for w in text.split()]
            out_lines.append(Line(start=start + 5 * k, end=start + 5 * k + 4.5, speaker=speaker, text=" ".join(words)))
        records.append(SearchRecord(
            id=f"bench-{meeting}:p{i % RECORDS_PER_MEETING}", kind="passage", meeting_id=f"bench-{meeting}",
            workspace=f"ws{meeting % WORKSPACES}", conversation=f"c{(meeting // WORKSPACES) % CONVERSATIONS}",
            title=f"Bench meeting {meeting}", date="2025-01-01",
            timestamp=datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp() + meeting * 3600,
            start=start, end=start + 45.0, speaker=out_lines[0].speaker,
            speakers=sorted({ln.speaker for ln in out_lines}),
            text="\n".join(f"{ln.speaker}: {ln.text}" for ln in out_lines), lines=out_lines))
    return records, vectors, embed_rate


def questions() -> list[str]:
    spec = json.loads((ROOT / "tests" / "data" / "search_questions.json").read_text())
    return [q["q"] for q in spec["questions"]] + spec["not_found"]


def percentiles(samples: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples, 50)) * 1000, float(np.percentile(samples, 95)) * 1000


def run_size(n: int, n_queries: int, embedder, rng: random.Random, workdir: Path) -> dict:
    t = time.perf_counter()
    records, vectors, embed_rate = build_corpus(n, embedder, rng)
    generate_s = time.perf_counter() - t

    index = LocalIndex(workdir / f"search-{n}.sqlite3")
    t = time.perf_counter()
    for start in range(0, n, 2000):  # one transaction per 2,000 records, as a bulk re-index would
        index.add_records(records[start:start + 2000], vectors[start:start + 2000])
    insert_s = time.perf_counter() - t
    t = time.perf_counter()
    index._load_matrix()
    load_s = time.perf_counter() - t
    size_mb = (workdir / f"search-{n}.sqlite3").stat().st_size / 1e6

    retriever = Retriever(index, embedder)
    qs = questions()
    qs = [qs[i % len(qs)] for i in range(n_queries)]
    qvecs = embedder.encode(qs)  # warm-up and per-query vectors for the "without embedding" rows
    matrix = index._load_matrix().vectors
    scopes = {"1 of 50 conversations": lambda i: Scope(f"ws{i % WORKSPACES}", [f"c{i % CONVERSATIONS}"]),
              "all 50 conversations": lambda i: Scope(f"ws{i % WORKSPACES}", [f"c{k}" for k in range(CONVERSATIONS)])}

    rows = {}
    baseline = []
    for q in qvecs:
        t = time.perf_counter()
        scores = matrix @ q
        top = np.argpartition(-scores, 5)[:5]
        top[np.argsort(-scores[top])]
        baseline.append(time.perf_counter() - t)
    rows["baseline: numpy dot, no filter, no BM25"] = percentiles(baseline)
    embed_times = []
    for q in qs:
        t = time.perf_counter()
        embedder.encode_one(q)
        embed_times.append(time.perf_counter() - t)
    rows["embed the question only"] = percentiles(embed_times)
    for name, scope_of in scopes.items():
        without, with_embed = [], []
        for i, (q, v) in enumerate(zip(qs, qvecs)):
            flt = SearchFilter(scope=scope_of(i))
            t = time.perf_counter()
            retriever.search_with_vector(q, v, flt)
            without.append(time.perf_counter() - t)
            t = time.perf_counter()
            retriever.search(q, flt)
            with_embed.append(time.perf_counter() - t)
        rows[f"hybrid, scope {name}"] = percentiles(without)
        rows[f"hybrid + embed, scope {name}"] = percentiles(with_embed)
    index.close()
    return {"n": n, "rows": rows, "insert_s": insert_s, "load_s": load_s, "generate_s": generate_s,
            "embed_rate": embed_rate, "size_mb": size_mb}


def table(results: list[dict]) -> str:
    names = list(results[0]["rows"])
    header = "| per query (p50 / p95 ms) | " + " | ".join(f"{r['n']:,} records" for r in results) + " |"
    lines = [header, "|" + "---|" * (len(results) + 1)]
    for name in names:
        cells = [f"{r['rows'][name][0]:.1f} / {r['rows'][name][1]:.1f}" for r in results]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| index build: insert + FTS (s) | " + " | ".join(f"{r['insert_s']:.1f}" for r in results) + " |")
    lines.append("| first search: load matrix (s) | " + " | ".join(f"{r['load_s']:.2f}" for r in results) + " |")
    lines.append("| embedding all records, extrapolated (s) | "
                 + " | ".join(f"{r['n'] / r['embed_rate']:.0f}" for r in results) + " |")
    lines.append("| index file (MB) | " + " | ".join(f"{r['size_mb']:.0f}" for r in results) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-readme", action="store_true", help="print only; do not append to bench/README.md")
    args = parser.parse_args()

    rng = random.Random(7)
    embedder = get_embedder()
    workdir = Path(tempfile.mkdtemp(prefix="lifestream-bench-search-"))
    try:
        results = [run_size(n, args.queries, embedder, rng, workdir) for n in args.sizes]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load = os.getloadavg()[0]
    context = (f"{os.cpu_count()} CPUs, load average {load:.1f} at the end, {platform.python_version()}, "
               f"{args.queries} queries per row, embedding throughput {results[0]['embed_rate']:.0f} texts/s")
    text = table(results)
    print(context)
    print(text)
    if not args.no_readme:
        readme = ROOT / "bench" / "README.md"
        with readme.open("a") as fh:  # others append their sections too: never rewrite the file
            fh.write(f"\n## Search\n\n`.venv/bin/python bench/search.py` ({datetime.now():%Y-%m-%d}; {context}). "
                     "How the corpus is made and what each row times: the docstring of bench/search.py.\n\n"
                     f"{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
