"""From local speakers' embeddings to global speakers.

Agglomerative clustering (centroid linkage on unit-length CAM++ embeddings, as
pyannote's pipelines do) with a distance threshold calibrated on the trn clips
of pyannote's test data. Unlike an eigen-gap, a threshold does not collapse
a room to one speaker when the similarity matrix is small, nor split a long
recording into many: it asks "are these two voices the same?" the same way
at any length. A known count or bounds cut the same dendrogram elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from lifestream.pipeline.diarization.types import SpeakerCount


@dataclass(frozen=True)
class ClusteringOptions:
    """Tuned on the trn clips of pyannote.audio's test data (bench/diarization.py --tune)."""

    # Stage 1: units closer than this (Euclidean between unit vectors, sqrt(2 - 2 cos), average
    # linkage) are surely one voice: small, pure groups.
    group_threshold: float = 0.7
    # Stage 2: groups whose centroids are closer than this are one speaker. Centroids rest on
    # more speech than single units, so they are steadier and the line can be drawn tighter.
    threshold: float = 1.0
    # Units of less solo speech than this only join a speaker; they do not shape one.
    min_clean_seconds: float = 1.0
    # A group with less solo speech than this, or than this share of all of it, is a fragment of
    # someone, not a speaker (the share matters on long recordings, where fragments add up).
    min_speaker_seconds: float = 1.0
    min_speaker_share: float = 0.0
    # Two local speakers of one chunk who each speak alone this long are two people: their
    # groups never merge (unless a maximum count forces it).
    distinct_seconds: float = 2.0
    # After clustering, a speaker whose ~1.5 s windows fall in two groups this far apart, each on
    # this many seconds of windows (a second of speech is windowed in about two chunks) and this
    # share of all windowed speech, is two people (None: never split). Two close voices that the
    # segmentation hears as one local speaker make impure units, and the units then find one
    # speaker for both. On the trn clips 0.9-0.99 splits only trn07's main pair of voices (counts
    # within one 9 of 10 instead of 8, DER 0.215 -> 0.217; one speaker's two halves lie 0.4-0.9
    # apart); the dev clips go 0.272 -> 0.217. The share keeps a long recording's fragments from
    # splitting off: without it the 26-minute concatenation of 25 people finds 30, with any share
    # of 1-4% the 27 it finds unsplit, and nothing else moves (bench/README.md, sixth pass).
    split_threshold: float | None = 0.95
    split_seconds: float = 4.0
    split_share: float = 0.02
    # After the windows have placed them, two speakers closer than this are one voice (None: never
    # merge), unless the segmentation heard them side by side, as two local speakers of one chunk, in
    # ``same_voice_apart_share`` or more of the chunks in which the smaller one speaks. Stage 2 kept them
    # apart on the word of a single chunk (``distinct_seconds``), and that word can come from a few
    # chunks in which the segmentation split one voice; on a long recording a few chunks add up to a
    # speaker of real mass. Two people in conversation are heard side by side in nearly every chunk
    # either speaks in (0.96-1.0 in bench/README.md's inputs, and espeak's two voices, which lie as
    # close as 0.81); one voice's two pieces in under a third of them (0-0.30). The distance line is
    # drawn on the trn clips, below their closest pair (trn04 at 0.88); one person's pieces lie as
    # close as 0.63, two people of the real clips no closer than 0.87 (twelfth pass).
    same_voice_distance: float | None = 0.84
    same_voice_apart_share: float = 0.5
    # ...or heard side by side, each alone this long, in this many chunks or more: the word of stage 2's
    # ``distinct_seconds``, asked for more than once. In a meeting of three or four, two people are heard side by
    # side in only some of the chunks either speaks in (espeak's A and B of the minutes evaluation set: 28-47%,
    # 0.71-0.79 apart, so ``merge_close`` made them one), but each holds the floor for seconds in several of
    # those: 3-7 chunks with 2.5 s or more each. One voice that the segmentation split does that in at most one
    # (the long loops of the real clips, up to an hour: 0-1). Measured in bench/README.md (2026-12-05): with 2.5 s
    # and two chunks no figure of the real clips moves; 2 s changes the hours of 4 and 25 people, 3 s misses
    # most espeak pairs.
    same_voice_apart_seconds: float = 2.5
    same_voice_apart_chunks: int = 2


# k-means steps of the centroids over the short windows (refine).
REFINE_ITERATIONS = 3

# AHC's distance matrix is N^2: past this many units (about an hour of dense speech), stage 1 groups
# them a stretch of the recording at a time, and stage 2 merges the groups of every stretch.
MAX_CLUSTERED = 3000


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def mean_direction(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The unit vector of (N, D) ``vectors``' directions summed with (N,) ``weights``, in float64: one voice's
    embedding from several pieces of its speech."""
    return unit((unit(vectors.astype(np.float64)) * weights[:, None]).sum(0))


def estimate_speakers(embeddings: np.ndarray, seconds: np.ndarray, heard: np.ndarray, count: SpeakerCount,
                      options: ClusteringOptions) -> np.ndarray:
    """(K, D) unit centroids of the speakers found in (N, D) unit embeddings.

    ``heard`` (N, 2) gives each unit's chunk and local speaker: the segmentation's
    word that two voices of one chunk are different people.
    """
    x = unit(embeddings.astype(np.float64))
    keep = seconds >= options.min_clean_seconds
    if keep.sum() < 2:
        # Nobody speaks alone for long: cluster what there is.
        keep = np.ones(len(x), bool)
    x, weight, heard, seconds = x[keep], np.maximum(seconds[keep], 0.1), heard[keep], seconds[keep]
    groups = _pure_groups(x, heard[:, 0], options.group_threshold)
    sums = np.zeros((groups.max() + 1, x.shape[1]))
    np.add.at(sums, groups, x * weight[:, None])
    mass = np.bincount(groups, weights=weight)
    # who each group is heard beside: {chunk: local speakers}, from units of real solo speech
    voices: list[dict[int, set[int]]] = [{} for _ in range(len(mass))]
    for g, (chunk, speaker), sec in zip(groups, heard.tolist(), seconds):
        if sec >= options.distinct_seconds:
            voices[g].setdefault(chunk, set()).add(speaker)
    return _merge(sums, mass, voices, count, options)


def _pure_groups(x: np.ndarray, chunks: np.ndarray, threshold: float) -> np.ndarray:
    """Stage 1: each unit's group (average linkage, cut at ``threshold``), numbered from 0. Past
    MAX_CLUSTERED units, one stretch of the recording (in chunk order) at a time: every unit keeps
    its say. Keeping only the 3000 units resting on most speech instead dropped the quiet people's
    (and, among units of equal speech, the later ones): three hours of the trn/dev clips looped found
    11 speakers for 25 (DER 0.279), where their first hour found 26; a stretch at a time, 32 (0.248)."""
    if len(x) == 1:
        return np.zeros(1, int)
    groups = np.empty(len(x), int)
    in_order = np.argsort(chunks, kind="stable")
    found = 0
    # even stretches: one of 2-3000 units, or several of at least 1500
    for stretch in np.array_split(in_order, -(-len(x) // MAX_CLUSTERED)):
        labels = fcluster(linkage(x[stretch], method="average", metric="euclidean"), threshold, criterion="distance")
        groups[stretch] = labels - 1 + found
        found += int(labels.max())
    return groups


def _distinct(a: dict[int, set[int]], b: dict[int, set[int]]) -> bool:
    return any(a[c] != b[c] or len(a[c]) > 1 for c in a.keys() & b.keys())


def _merge(sums: np.ndarray, mass: np.ndarray, voices: list[dict[int, set[int]]], count: SpeakerCount,
           options: ClusteringOptions) -> np.ndarray:
    """Stage 2: merge the two groups with the closest centroids, again and again; stop at the
    threshold, or where the count the person gave is met. Returns the speakers' centroids."""
    sums, mass = sums.copy(), mass.copy()
    alive = np.ones(len(mass), bool)
    cos = unit(sums) @ unit(sums).T
    np.fill_diagonal(cos, -np.inf)
    vetoed = np.zeros_like(cos, bool)
    for i in range(len(mass)):
        for j in range(i + 1, len(mass)):
            vetoed[i, j] = vetoed[j, i] = _distinct(voices[i], voices[j])

    least = max(options.min_speaker_seconds, options.min_speaker_share * float(mass.sum()))

    def speakers(alive_mask: np.ndarray, sums_: np.ndarray, mass_: np.ndarray) -> list[int]:
        idx = np.flatnonzero(alive_mask)
        ranked = [int(i) for i in idx[np.argsort(-mass_[idx], kind="stable")]]
        return [i for i in ranked if mass_[i] >= least] or ranked[:1]

    start_sums, start_mass = sums.copy(), mass.copy()
    merges: list[tuple[int, int]] = []  # to step back for a minimum count, replay fewer of them
    while alive.sum() > 1:
        n_big = len(speakers(alive, sums, mass))
        forced = n_big > count.clamp(n_big)  # more speakers than the person allows
        live = np.outer(alive, alive) & (forced | ~vetoed)
        if not live.any():
            break
        i, j = (int(v) for v in np.unravel_index(np.argmax(np.where(live, cos, -np.inf)), cos.shape))
        if np.sqrt(max(0.0, 2 - 2 * cos[i, j])) >= options.threshold and not forced:
            break
        sums[i] += sums[j]
        mass[i] += mass[j]
        alive[j] = False
        merges.append((i, j))
        for c, local in voices[j].items():
            voices[i].setdefault(c, set()).update(local)
        vetoed[i] = vetoed[:, i] = [_distinct(voices[i], v) for v in voices]
        cos[j, :] = cos[:, j] = -np.inf
        row = unit(sums[i]) @ unit(sums).T
        cos[i, :] = cos[:, i] = np.where(alive, row, -np.inf)
        cos[i, i] = -np.inf
    chosen = speakers(alive, sums, mass)
    if len(chosen) < count.clamp(len(chosen)):
        # A minimum (or exact) count above what was found: undo merges, latest first.
        for undo in range(len(merges) - 1, -1, -1):
            sums, mass, alive = _replay(start_sums, start_mass, merges[:undo])
            chosen = speakers(alive, sums, mass)
            if len(chosen) >= count.clamp(len(chosen)):
                break
    wanted = count.clamp(len(chosen))
    if len(chosen) < wanted:
        # not enough groups with real speech: take the largest ones
        idx = np.flatnonzero(alive)
        chosen = [int(i) for i in idx[np.argsort(-mass[idx], kind="stable")][:wanted]]
    return unit(sums[chosen[:wanted]]).astype(np.float32)


def _replay(sums: np.ndarray, mass: np.ndarray, merges: list[tuple[int, int]]):
    sums, mass = sums.copy(), mass.copy()
    alive = np.ones(len(mass), bool)
    for i, j in merges:
        sums[i] += sums[j]
        mass[i] += mass[j]
        alive[j] = False
    return sums, mass, alive


def refine_on_windows(centroids: np.ndarray, embeddings: np.ndarray, seconds: np.ndarray, count: SpeakerCount,
                      options: ClusteringOptions, heard: np.ndarray | None = None) -> np.ndarray:
    """The unit clustering's speakers, moved onto the short windows, split where their windows
    are two voices (unless the person fixed the count or its maximum is reached), and merged where
    two of them are one voice (unless the person fixed the count; never below its minimum). ``heard``
    (N, 2) gives each window's chunk and local speaker; without it nothing is merged."""
    centroids = refine(centroids, embeddings, seconds)
    room = 0 if count.exact else (count.max_speakers or len(centroids) * 2) - len(centroids)
    if options.split_threshold is not None and room > 0:
        least = max(options.split_seconds, options.split_share * float(seconds.sum()))
        split = split_mixed(centroids, embeddings, seconds, options.split_threshold, least, room)
        if len(split) > len(centroids):
            centroids = refine(split, embeddings, seconds)
    if options.same_voice_distance is None or count.exact or heard is None:
        return centroids
    return merge_close(centroids, embeddings, seconds, heard, options.same_voice_distance,
                       options.same_voice_apart_share, count.min_speakers or 1,
                       apart_seconds=options.same_voice_apart_seconds, apart_chunks=options.same_voice_apart_chunks)


def merge_close(centroids: np.ndarray, embeddings: np.ndarray, seconds: np.ndarray, heard: np.ndarray,
                distance: float, apart_share: float, fewest: int, *, apart_seconds: float = np.inf,
                apart_chunks: int = 1) -> np.ndarray:
    """Merge the closest two speakers nearer than ``distance`` whom the segmentation rarely hears side by
    side (under ``apart_share`` of the chunks the smaller one speaks in, and in fewer than ``apart_chunks``
    chunks with ``apart_seconds`` or more of each), again and again; keep ``fewest``.

    The speaker resting on fewer seconds of windows is dropped and the rest
    take a few k-means steps again, so its windows go to whoever is nearest.
    """
    if not len(embeddings):
        return centroids
    x = unit(embeddings.astype(np.float64))
    current = centroids
    while len(current) > fewest:
        labels = (x @ current.T.astype(np.float64)).argmax(axis=1)
        similarity = current.astype(np.float64) @ current.T.astype(np.float64)
        close = np.argwhere(np.triu(np.sqrt(np.maximum(0.0, 2 - 2 * similarity)) < distance, k=1))
        if not len(close):
            break
        heard_in = _heard_alone(heard, labels, seconds, len(current))
        mass = np.bincount(labels, weights=seconds, minlength=len(current))
        for i, j in sorted(close.tolist(), key=lambda p: -similarity[p[0], p[1]]):
            together = heard_in[i].keys() & heard_in[j].keys()
            fewer = min(len(heard_in[i]), len(heard_in[j]))
            held_floor = sum(min(heard_in[i][c], heard_in[j][c]) >= apart_seconds for c in together)
            if len(together) < apart_share * max(fewer, 1) and held_floor < apart_chunks:
                current = refine(np.delete(current, i if mass[i] < mass[j] else j, axis=0), embeddings, seconds)
                break
        else:
            break
    return current


def _heard_alone(heard: np.ndarray, labels: np.ndarray, seconds: np.ndarray, k: int) -> list[dict[int, float]]:
    """For each speaker, the chunks with a local speaker all of whose windows are that speaker's, and the
    seconds of the longest such local speaker in each."""
    key = heard[:, 0].astype(np.int64) * 8 + heard[:, 1]
    order = np.argsort(key, kind="stable")
    key, labels, seconds = key[order], labels[order], seconds[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    lowest, highest = np.minimum.reduceat(labels, starts), np.maximum.reduceat(labels, starts)
    held = np.add.reduceat(seconds.astype(np.float64), starts)
    out: list[dict[int, float]] = [{} for _ in range(k)]
    pure = lowest == highest
    for chunk, label, secs in zip((key[starts][pure] // 8).tolist(), lowest[pure].tolist(), held[pure].tolist()):
        out[label][chunk] = max(out[label].get(chunk, 0.0), secs)
    return out


def refine(centroids: np.ndarray, embeddings: np.ndarray, seconds: np.ndarray,
           iterations: int = REFINE_ITERATIONS) -> np.ndarray:
    """Move each speaker's centroid to the mean of the short windows closest to it (k-means steps).

    The centroids come from units of ~5 s, and where the segmentation lumped
    two close voices into one local speaker those units average both people,
    so a centroid can sit between them. Windows of ~1.5 s mostly hear one
    voice: a few steps over them pull each centroid onto the voice it is
    nearest. The number of speakers does not change (it was decided on the
    steadier units, or given by the person).
    """
    if not len(embeddings) or len(centroids) < 2:
        return centroids
    x = unit(embeddings.astype(np.float64)) * seconds[:, None]
    current = centroids.astype(np.float64)
    for _ in range(iterations):
        nearest = (x @ current.T).argmax(axis=1)
        sums = np.zeros_like(current)
        np.add.at(sums, nearest, x)
        has = np.bincount(nearest, minlength=len(current)) > 0
        moved = np.where(has[:, None], unit(sums), current)  # a speaker no window is near keeps its place
        if np.allclose(moved, current):
            break
        current = moved
    return current.astype(np.float32)


def split_mixed(centroids: np.ndarray, embeddings: np.ndarray, seconds: np.ndarray, threshold: float,
                least: float, room: int) -> np.ndarray:
    """Split a speaker whose windows fall in two groups farther apart than ``threshold``, each
    resting on ``least`` seconds or more; at most ``room`` new speakers.

    Two close voices that the segmentation keeps hearing as one local
    speaker make impure units, and the unit clustering may then find one
    speaker for both; their short windows still fall on two sides (split
    along the direction the windows spread most, then 2-means).
    """
    x = unit(embeddings.astype(np.float64))
    out = [c.astype(np.float64) for c in centroids]
    nearest = (x @ centroids.T.astype(np.float64)).argmax(axis=1)
    for k in range(len(centroids)):
        if room <= 0:
            break
        mine = np.flatnonzero(nearest == k)
        if len(mine) < 4:
            continue
        xm, wm = x[mine], seconds[mine]
        centred = (xm - (xm * wm[:, None]).sum(0) / wm.sum()) * np.sqrt(wm)[:, None]
        axis = np.linalg.svd(centred, full_matrices=False)[2][0]  # the direction the windows spread most
        side = (xm - xm.mean(0)) @ axis > 0
        for _ in range(10):
            if side.all() or not side.any():
                break
            a, b = unit((xm[~side] * wm[~side, None]).sum(0)), unit((xm[side] * wm[side, None]).sum(0))
            side = (xm @ b) > (xm @ a)
            if side.all() or not side.any():
                break
        if side.all() or not side.any():
            continue
        a, b = unit((xm[~side] * wm[~side, None]).sum(0)), unit((xm[side] * wm[side, None]).sum(0))
        dist = np.sqrt(max(0.0, 2 - 2 * float(a @ b)))
        others = np.delete(centroids, k, axis=0).astype(np.float64)
        # a new speaker is a new voice: neither half may lie as close to a speaker found already
        apart = not len(others) or np.sqrt(np.maximum(0, 2 - 2 * (np.stack([a, b]) @ unit(others).T))).min() >= threshold
        if dist >= threshold and apart and wm[side].sum() >= least and wm[~side].sum() >= least:
            out[k] = a
            out.append(b)
            room -= 1
    return np.array(out, np.float32)


def assign(embeddings: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """(N, 2): each unit's closest speaker and the runner-up (the same when there is only one)."""
    order = np.argsort(-(unit(embeddings) @ centroids.T), axis=1, kind="stable")
    return order[:, [0, min(1, order.shape[1] - 1)]]
