"""A recorded-contract DOUBLE of Pinecone's data-plane HTTP API, served by aiohttp on 127.0.0.1.

Not Pinecone: an in-memory stand-in that answers the requests the real
``pinecone`` SDK (10.x, API version 2026-07) sends, in the shapes the SDK
decodes, so the adapter is tested through the real SDK end to end. The
contract was taken from the SDK's own request builders and response models
(``pinecone/index/__init__.py``, ``pinecone/models/vectors/responses.py``) and
Pinecone's documented rules:

- ``Api-Key`` header required (401 otherwise); ``X-Pinecone-Api-Version`` sent;
- ``POST /vectors/upsert``: ids 1-512 ASCII chars, ``values`` of the index
  dimension, metadata values only string / number / bool / list of strings
  (no null, no nested objects), at most 40 KB of metadata per vector;
  answers ``{"upsertedCount": n}``;
- ``POST /query``: cosine scores, ``topK`` 1-10000, metadata filter applied
  before ranking; answers ``{"matches": [...], "namespace", "usage"}``;
- ``POST /vectors/delete``: exactly one of ``ids`` / ``deleteAll`` / ``filter``;
- ``POST /describe_index_stats``; ``GET /vectors/list`` by id prefix.

Filter language: ``$eq $ne $gt $gte $lt $lte $in $nin $exists $and $or`` and the
``{"field": value}`` shorthand for ``$eq``. On a list-of-strings field ``$eq`` /
``$in`` match when any element matches, ``$ne`` / ``$nin`` when none does.
Every request is recorded in ``requests`` for assertions.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from typing import Any

from aiohttp import web

API_KEY = "test-key-for-the-double"
METADATA_LIMIT_BYTES = 40 * 1024
BODY = web.RequestKey("body", dict)
_COMPARISONS = {"$gt": lambda a, b: a > b, "$gte": lambda a, b: a >= b, "$lt": lambda a, b: a < b,
                "$lte": lambda a, b: a <= b}


class BadRequest(Exception):
    pass


def _check_metadata(metadata: Any) -> None:
    if not isinstance(metadata, dict):
        raise BadRequest("Metadata must be a JSON object")
    for key, value in metadata.items():
        ok = (isinstance(value, (str, bool)) or (isinstance(value, (int, float)) and math.isfinite(value))
              or (isinstance(value, list) and all(isinstance(v, str) for v in value)))
        if not ok:
            raise BadRequest(f"Metadata value for field '{key}' must be a string, number, boolean or list of strings, "
                             f"got {json.dumps(value)[:40]}")
    if len(json.dumps(metadata).encode()) > METADATA_LIMIT_BYTES:
        raise BadRequest(f"Metadata size exceeds the limit of {METADATA_LIMIT_BYTES} bytes per vector")


def _condition(value: Any, op: str, operand: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if op == "$exists":
        return (value is not None) == bool(operand)
    if value is None:
        return op in ("$ne", "$nin")
    if op == "$eq":
        return operand in values
    if op == "$ne":
        return operand not in values
    if op == "$in":
        if not isinstance(operand, list):
            raise BadRequest("$in requires an array")
        return any(v in operand for v in values)
    if op == "$nin":
        if not isinstance(operand, list):
            raise BadRequest("$nin requires an array")
        return not any(v in operand for v in values)
    if op in _COMPARISONS:
        if not isinstance(operand, (int, float)) or isinstance(operand, bool):
            raise BadRequest(f"{op} requires a number")
        return any(isinstance(v, (int, float)) and _COMPARISONS[op](v, operand) for v in values)
    raise BadRequest(f"Unsupported filter operator {op}")


def matches_filter(metadata: dict[str, Any], flt: dict[str, Any]) -> bool:
    if not isinstance(flt, dict):
        raise BadRequest("Filter must be a JSON object")
    for key, condition in flt.items():
        if key in ("$and", "$or"):
            if not isinstance(condition, list) or not condition:
                raise BadRequest(f"{key} requires a non-empty array")
            results = [matches_filter(metadata, sub) for sub in condition]
            if not (all(results) if key == "$and" else any(results)):
                return False
            continue
        if key.startswith("$"):
            raise BadRequest(f"Unsupported filter operator {key}")
        ops = condition if isinstance(condition, dict) else {"$eq": condition}
        for op, operand in ops.items():
            if not _condition(metadata.get(key), op, operand):
                return False
    return True


class PineconeDouble:
    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension
        self.namespaces: dict[str, dict[str, dict[str, Any]]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.failures: list[int] = []  # HTTP statuses to answer the next requests with, one each
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    # --- lifecycle

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PineconeDouble:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            app = web.Application(middlewares=[self._auth])
            app.add_routes([web.post("/vectors/upsert", self._upsert), web.post("/query", self._query),
                            web.post("/vectors/delete", self._delete),
                            web.post("/describe_index_stats", self._stats), web.get("/vectors/list", self._list)])
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="pinecone-double", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Pinecone double did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # --- handlers

    @web.middleware
    async def _auth(self, request: web.Request, handler):
        body = await request.json() if request.can_read_body else {}
        self.requests.append((f"{request.method} {request.path}", {**body, **dict(request.query)}))
        if request.headers.get("Api-Key") != API_KEY:
            return web.json_response({"code": 16, "message": "Invalid API Key", "details": []}, status=401)
        if not request.headers.get("X-Pinecone-Api-Version"):
            return web.json_response({"code": 3, "message": "Missing X-Pinecone-Api-Version", "details": []},
                                     status=400)
        if self.failures:
            status = self.failures.pop(0)
            return web.json_response({"code": 14, "message": "injected failure", "details": []}, status=status)
        try:
            request[BODY] = body
            return await handler(request)
        except BadRequest as exc:
            return web.json_response({"code": 3, "message": str(exc), "details": []}, status=400)

    async def _upsert(self, request: web.Request) -> web.Response:
        body = request[BODY]
        namespace = body.get("namespace", "")
        vectors = body.get("vectors") or []
        if not 1 <= len(vectors) <= 1000:
            raise BadRequest("Upsert takes between 1 and 1000 vectors")
        staged = {}
        for vector in vectors:
            vid, values = vector.get("id"), vector.get("values")
            if not isinstance(vid, str) or not 1 <= len(vid) <= 512 or not vid.isascii():
                raise BadRequest(f"Invalid vector id {vid!r}")
            if not isinstance(values, list) or len(values) != self.dimension:
                raise BadRequest(f"Vector dimension {len(values or [])} does not match the dimension of the "
                                 f"index {self.dimension}")
            metadata = vector.get("metadata", {})
            _check_metadata(metadata)
            staged[vid] = {"values": [float(v) for v in values], "metadata": metadata}
        self.namespaces.setdefault(namespace, {}).update(staged)
        return web.json_response({"upsertedCount": len(staged)})

    async def _query(self, request: web.Request) -> web.Response:
        body = request[BODY]
        namespace = body.get("namespace", "")
        top_k = body.get("topK")
        if not isinstance(top_k, int) or not 1 <= top_k <= 10000:
            raise BadRequest("topK must be between 1 and 10000")
        query = body.get("vector")
        if not isinstance(query, list) or len(query) != self.dimension:
            raise BadRequest(f"Query vector dimension does not match the dimension of the index {self.dimension}")
        flt = body.get("filter")
        qnorm = math.sqrt(sum(v * v for v in query)) or 1.0
        scored = []
        for vid, stored in self.namespaces.get(namespace, {}).items():
            if flt is not None and not matches_filter(stored["metadata"], flt):
                continue
            values = stored["values"]
            norm = math.sqrt(sum(v * v for v in values)) or 1.0
            scored.append((sum(a * b for a, b in zip(query, values)) / (qnorm * norm), vid))
        scored.sort(reverse=True)
        matches = []
        for score, vid in scored[:top_k]:
            match: dict[str, Any] = {"id": vid, "score": score, "values": []}
            if body.get("includeValues"):
                match["values"] = self.namespaces[namespace][vid]["values"]
            if body.get("includeMetadata"):
                match["metadata"] = self.namespaces[namespace][vid]["metadata"]
            matches.append(match)
        return web.json_response({"results": [], "matches": matches, "namespace": namespace,
                                  "usage": {"readUnits": 1}})

    async def _delete(self, request: web.Request) -> web.Response:
        body = request[BODY]
        namespace = body.get("namespace", "")
        selectors = [k for k in ("ids", "deleteAll", "filter") if body.get(k)]
        if len(selectors) != 1:
            raise BadRequest("Delete takes exactly one of ids, deleteAll or filter")
        stored = self.namespaces.get(namespace, {})
        if body.get("deleteAll"):
            stored.clear()
        elif body.get("ids"):
            for vid in body["ids"]:
                stored.pop(vid, None)
        else:
            for vid in [v for v, s in stored.items() if matches_filter(s["metadata"], body["filter"])]:
                del stored[vid]
        return web.json_response({})

    async def _stats(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if body.get("filter"):
            raise BadRequest("describe_index_stats does not support filters on serverless indexes")
        namespaces = {ns: {"vectorCount": len(v)} for ns, v in self.namespaces.items() if v}
        return web.json_response({"namespaces": namespaces, "dimension": self.dimension, "indexFullness": 0.0,
                                  "totalVectorCount": sum(n["vectorCount"] for n in namespaces.values()),
                                  "metric": "cosine", "vectorType": "dense"})

    async def _list(self, request: web.Request) -> web.Response:
        namespace = request.query.get("namespace", "")
        prefix = request.query.get("prefix", "")
        limit = int(request.query.get("limit", 100))
        ids = sorted(v for v in self.namespaces.get(namespace, {}) if v.startswith(prefix))
        start = int(request.query.get("paginationToken", 0))
        page = ids[start:start + limit]
        payload: dict[str, Any] = {"vectors": [{"id": v} for v in page], "namespace": namespace,
                                   "usage": {"readUnits": 1}}
        if start + limit < len(ids):
            payload["pagination"] = {"next": str(start + limit)}
        return web.json_response(payload)

    # --- assertions

    def all_records(self) -> dict[str, dict[str, Any]]:
        return {vid: stored for ns in self.namespaces.values() for vid, stored in ns.items()}
