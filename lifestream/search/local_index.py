"""The embedded index: one SQLite file with FTS5 for BM25 and exact vector search in numpy.

Why SQLite rather than LanceDB: it ships with Python (no new native
dependency), FTS5's bm25() is the keyword half of hybrid search for free, a
meeting's records are replaced in one transaction (re-indexing can never
leave duplicates or half a meeting), WAL lets the bots and the CLI read
while a worker writes, and the whole index is one file to back up. The
vector half is exact: at the sizes one deployment holds (10^5 windows is
about 1,000 hours of meetings) a float32 matrix-vector product over 384
dimensions takes milliseconds on one core, so an approximate index would add
recall loss and a dependency for no gain. The matrix is loaded from the file
on first search and reloaded when any writer, in any process, has bumped
the generation counter.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lifestream.errors import ConfigError
from lifestream.search.index_base import Hit, SearchFilter
from lifestream.search.keywords import FTS_TOKENIZER, fts_query
from lifestream.search.records import SearchRecord
from lifestream.sqlite_files import open_shared

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a cached matrix row cannot come to mean another record
    id TEXT NOT NULL UNIQUE,
    meeting_id TEXT NOT NULL,
    workspace TEXT NOT NULL,
    conversation TEXT NOT NULL,
    kind TEXT NOT NULL,
    timestamp REAL NOT NULL,
    payload TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_meeting ON records (meeting_id);
CREATE INDEX IF NOT EXISTS records_scope ON records (workspace, conversation);
-- Rows carry their payload and vector, so a scan reads the whole file: every filter column gets an index.
CREATE INDEX IF NOT EXISTS records_kind ON records (kind);
CREATE INDEX IF NOT EXISTS records_timestamp ON records (timestamp);
CREATE TABLE IF NOT EXISTS record_speakers (record_rowid INTEGER NOT NULL, speaker_key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS record_speakers_key ON record_speakers (speaker_key);
CREATE INDEX IF NOT EXISTS record_speakers_rowid ON record_speakers (record_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5 (text, speakers, title, scope, tokenize='{FTS_TOKENIZER}');
"""

# bm25() column weights: text, speakers, title, scope. A name in the speaker list is strong evidence;
# the scope column only selects, it must not rank.
_BM25 = "bm25(records_fts, 1.0, 2.0, 0.5, 0.0)"


def scope_token(workspace: str, conversation: str) -> str:
    """One FTS token per (workspace, conversation), so the full-text index itself applies the scope.

    Matching ``scope : (token OR ...)`` makes FTS5 intersect posting lists before it scores anything;
    filtering a joined table instead would score every record that shares a common word with the
    question first (measured: 40-85 ms at 100k records against 1-8 ms this way).
    """
    digest = hashlib.blake2b(f"{workspace}\0{conversation}".encode(), digest_size=10).hexdigest()
    return f"scope{digest}"


@dataclass
class _Matrix:
    """Everything a vector search needs, as arrays aligned with ``rowids`` (ascending)."""

    generation: int
    rowids: np.ndarray
    vectors: np.ndarray
    workspace: np.ndarray
    conversation: np.ndarray
    meeting: np.ndarray
    kind: np.ndarray
    timestamp: np.ndarray
    codes: dict[str, dict[str, int]]

    def codes_of(self, column: str, values: Sequence[str]) -> list[int]:
        table = self.codes[column]
        return [table[v] for v in values if v in table]


def _in_scope(record: SearchRecord, flt: SearchFilter) -> bool:
    return record.workspace == flt.scope.workspace and record.conversation in flt.scope.conversations


def _encode_column(values: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    uniques, inverse = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    return inverse.astype(np.int32), {str(v): i for i, v in enumerate(uniques)}


class LocalIndex:
    supports_keyword_search = True

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # One connection shared under a lock: searches are milliseconds, and sqlite3 objects are not thread-safe.
        # secure_delete: a deleted meeting's text is overwritten, not freed.
        self._conn = open_shared(self.path, "PRAGMA synchronous=NORMAL;\nPRAGMA secure_delete=ON;\n" + _SCHEMA)
        self._lock = threading.RLock()
        self._matrix: _Matrix | None = None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- writing

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _generation(self) -> int:
        return int(self._meta("generation") or 0)

    def _bump_generation(self) -> None:
        self._conn.execute("INSERT INTO meta (key, value) VALUES ('generation', '1') "
                           "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def _check_dimension(self, dimension: int) -> None:
        stored = self._meta("dimension")
        if stored is None:
            self._conn.execute("INSERT INTO meta (key, value) VALUES ('dimension', ?)", (str(dimension),))
        elif int(stored) != dimension:
            raise ConfigError(
                f"The search index at {self.path} holds {stored}-dimensional vectors but the embedding model makes "
                f"{dimension}: delete the file to re-index with the new model, or set the old model back.")

    def _delete_meeting_rows(self, meeting_id: str) -> None:
        rowids = [r for (r,) in self._conn.execute("SELECT rowid FROM records WHERE meeting_id = ?", (meeting_id,))]
        if not rowids:
            return
        self._conn.executemany("DELETE FROM records_fts WHERE rowid = ?", [(r,) for r in rowids])
        self._conn.executemany("DELETE FROM record_speakers WHERE record_rowid = ?", [(r,) for r in rowids])
        self._conn.execute("DELETE FROM records WHERE meeting_id = ?", (meeting_id,))

    def add_records(self, records: Sequence[SearchRecord], vectors: np.ndarray) -> None:
        """Insert (or overwrite by id) records without touching the rest of their meeting."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(records) != len(vectors):
            raise ValueError("one vector per record")
        if not records:
            return
        with self._writing():
            self._check_dimension(vectors.shape[1])
            self._insert(records, vectors)

    @contextmanager
    def _writing(self):
        """One write transaction: readers see the records before it or after it, never half of it."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._bump_generation()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._matrix = None

    def _insert(self, records: Sequence[SearchRecord], vectors: np.ndarray) -> None:
        for record, vector in zip(records, vectors):
            old = self._conn.execute("SELECT rowid FROM records WHERE id = ?", (record.id,)).fetchone()
            if old:
                self._conn.execute("DELETE FROM records_fts WHERE rowid = ?", old)
                self._conn.execute("DELETE FROM record_speakers WHERE record_rowid = ?", old)
                self._conn.execute("DELETE FROM records WHERE rowid = ?", old)
            cur = self._conn.execute(
                "INSERT INTO records (id, meeting_id, workspace, conversation, kind, timestamp, payload, vector) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.id, record.meeting_id, record.workspace, record.conversation, record.kind, record.timestamp,
                 record.model_dump_json(), vector.tobytes()))
            rowid = cur.lastrowid
            self._conn.execute("INSERT INTO records_fts (rowid, text, speakers, title, scope) VALUES (?, ?, ?, ?, ?)",
                               (rowid, record.text, " ".join(record.speakers), record.title,
                                scope_token(record.workspace, record.conversation)))
            self._conn.executemany("INSERT INTO record_speakers (record_rowid, speaker_key) VALUES (?, ?)",
                                   [(rowid, key) for key in record.speaker_keys])

    def replace_meeting(self, meeting_id: str, records: Sequence[SearchRecord], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(records) != len(vectors):
            raise ValueError("one vector per record")
        if any(r.meeting_id != meeting_id for r in records):
            raise ValueError("every record must belong to the meeting being replaced")
        # One transaction: readers see the old records or the new ones, never both or neither.
        with self._writing():
            if records:
                self._check_dimension(vectors.shape[1])
            self._delete_meeting_rows(meeting_id)
            self._insert(records, vectors)

    def delete_meeting(self, meeting_id: str) -> None:
        self.replace_meeting(meeting_id, [], np.zeros((0, 0), dtype=np.float32))
        self._erase_deleted()

    def _erase_deleted(self) -> None:
        """Leave no copy of deleted records on disk (retention): the keyword index is merged without their
        words, and the write-ahead log, which still holds their old pages, is checkpointed and emptied. A
        reader in another process can hold the log back; the next deletion empties it then."""
        with self._lock:
            self._conn.execute("INSERT INTO records_fts (records_fts) VALUES ('optimize')")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def count(self, meeting_id: str | None = None) -> int:
        with self._lock:
            if meeting_id is None:
                return self._conn.execute("SELECT count(*) FROM records").fetchone()[0]
            return self._conn.execute("SELECT count(*) FROM records WHERE meeting_id = ?", (meeting_id,)).fetchone()[0]

    # --- reading

    def _load_matrix(self) -> _Matrix:
        generation = self._generation()
        if self._matrix is not None and self._matrix.generation == generation:
            return self._matrix
        rows = self._conn.execute(
            "SELECT rowid, workspace, conversation, meeting_id, kind, timestamp, vector FROM records ORDER BY rowid"
        ).fetchall()
        dimension = int(self._meta("dimension") or 0)
        codes: dict[str, dict[str, int]] = {}
        columns = {}
        for i, name in enumerate(("workspace", "conversation", "meeting", "kind"), start=1):
            columns[name], codes[name] = _encode_column([r[i] for r in rows])
        self._matrix = _Matrix(
            generation=generation,
            rowids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
            vectors=np.frombuffer(b"".join(r[6] for r in rows), dtype=np.float32).reshape(len(rows), dimension),
            timestamp=np.fromiter((r[5] for r in rows), dtype=np.float64, count=len(rows)),
            codes=codes, **columns,
        )
        return self._matrix

    def _allowed(self, matrix: _Matrix, flt: SearchFilter) -> np.ndarray:
        """A boolean mask over the matrix rows that ``flt`` lets through."""
        if flt.scope.empty or flt.scope.workspace not in matrix.codes["workspace"]:
            return np.zeros(len(matrix.rowids), dtype=bool)
        mask = matrix.workspace == matrix.codes["workspace"][flt.scope.workspace]
        mask &= np.isin(matrix.conversation, matrix.codes_of("conversation", flt.scope.conversations))
        if flt.meeting_ids:
            mask &= np.isin(matrix.meeting, matrix.codes_of("meeting", flt.meeting_ids))
        if flt.kinds:
            mask &= np.isin(matrix.kind, matrix.codes_of("kind", flt.kinds))
        lo, hi = flt.timestamp_range
        if lo is not None:
            mask &= matrix.timestamp >= lo
        if hi is not None:
            mask &= matrix.timestamp <= hi
        if flt.speakers:
            keys = flt.speaker_keys
            rowids = [r for (r,) in self._conn.execute(
                f"SELECT record_rowid FROM record_speakers WHERE speaker_key IN ({','.join('?' * len(keys))})", keys)]
            mask &= np.isin(matrix.rowids, np.asarray(rowids, dtype=np.int64))
        return mask

    def _records(self, rowids: Sequence[int]) -> dict[int, SearchRecord]:
        if not rowids:
            return {}
        rows = self._conn.execute(
            f"SELECT rowid, payload FROM records WHERE rowid IN ({','.join('?' * len(rowids))})", list(rowids))
        return {rowid: SearchRecord.model_validate_json(payload) for rowid, payload in rows}

    def vector_search(self, vector: np.ndarray, flt: SearchFilter, top_k: int) -> list[Hit]:
        with self._lock:
            matrix = self._load_matrix()
            if not len(matrix.rowids):
                return []
            candidates = np.flatnonzero(self._allowed(matrix, flt))
            if not len(candidates):
                return []
            query = np.asarray(vector, dtype=np.float32)
            # Gathering rows copies them: worth it only when the scope is a small part of the index.
            if len(candidates) * 3 < len(matrix.rowids):
                scores = matrix.vectors[candidates] @ query
            else:
                scores = (matrix.vectors @ query)[candidates]
            k = min(top_k, len(candidates))
            best = np.argpartition(-scores, k - 1)[:k]
            best = best[np.argsort(-scores[best])]
            rowids = [int(matrix.rowids[candidates[i]]) for i in best]
            records = self._records(rowids)
            # A record another process deleted since the matrix was loaded is skipped; the scope is checked
            # again on the record itself, so even a stale matrix cannot hand out another conversation's text.
            return [Hit(record=records[r], similarity=float(scores[i])) for r, i in zip(rowids, best)
                    if r in records and _in_scope(records[r], flt)]

    def keyword_search(self, text: str, vector: np.ndarray, flt: SearchFilter, top_k: int) -> list[Hit]:
        terms = fts_query(text)
        if terms is None or flt.scope.empty:
            return []
        scopes = " OR ".join(scope_token(flt.scope.workspace, c) for c in flt.scope.conversations)
        match = f"scope : ({scopes}) AND {{text speakers title}} : ({terms})"
        extra, params = self._extra_conditions(flt)
        # Rank rowids first and fetch the wide columns for the top ones only: the sorter then carries
        # two numbers per matching record instead of its whole payload and vector.
        sql = (f"WITH ranked AS (SELECT rowid, {_BM25} AS score FROM records_fts WHERE records_fts MATCH ?"
               + (f" AND rowid IN (SELECT rowid FROM records WHERE {' AND '.join(extra)})" if extra else "")
               + " ORDER BY score LIMIT ?) "
               "SELECT r.payload, r.vector, ranked.score FROM ranked JOIN records r ON r.rowid = ranked.rowid "
               "ORDER BY ranked.score")
        with self._lock:
            rows = self._conn.execute(sql, [match, *params, top_k]).fetchall()
        if not rows:
            return []
        # The vectors come with the rows (not from the cached matrix), so a write by another process
        # since the matrix's last reload cannot pair a record with a wrong vector.
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        similarities = vectors @ np.asarray(vector, dtype=np.float32)
        hits = [Hit(record=SearchRecord.model_validate_json(payload), similarity=float(sim), keyword_score=-float(score))
                for (payload, _, score), sim in zip(rows, similarities)]
        # The scope token is a hash; checking the record itself costs nothing and rules out a collision.
        return [h for h in hits if _in_scope(h.record, flt)]

    @staticmethod
    def _extra_conditions(flt: SearchFilter) -> tuple[list[str], list]:
        """The filters besides the scope, as SQL conditions on ``records``, with their parameters."""
        conditions: list[str] = []
        params: list = []
        if flt.meeting_ids:
            conditions.append(f"meeting_id IN ({','.join('?' * len(flt.meeting_ids))})")
            params += flt.meeting_ids
        if flt.kinds:
            conditions.append(f"kind IN ({','.join('?' * len(flt.kinds))})")
            params += flt.kinds
        lo, hi = flt.timestamp_range
        if lo is not None:
            conditions.append("timestamp >= ?")
            params.append(lo)
        if hi is not None:
            conditions.append("timestamp <= ?")
            params.append(hi)
        if flt.speakers:
            conditions.append("rowid IN (SELECT record_rowid FROM record_speakers WHERE speaker_key IN "
                              f"({','.join('?' * len(flt.speakers))}))")
            params += flt.speaker_keys
        return conditions, params

    def meetings(self) -> list[dict]:
        """Indexed meetings with their scope, for listing and admin."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT meeting_id, workspace, conversation, count(*) FROM records GROUP BY meeting_id, workspace, conversation")
            return [dict(meeting_id=m, workspace=w, conversation=c, records=n) for m, w, c, n in rows]
