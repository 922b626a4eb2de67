"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json.

Paths, parameters and status codes are written out here as data; the body
schemas come from the pydantic models the handlers validate and build
(``lifestream.web.schemas``), so a body cannot change without the spec.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from pydantic.json_schema import models_json_schema

from lifestream.exports import MEDIA_TYPES
from lifestream.search.answers import Answer
from lifestream.settings import Settings
from lifestream.web import schemas, settings_schema
from lifestream.web.schemas import SUMMARY_FORMATS

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _json(name: str) -> dict:
    return {"application/json": {"schema": _ref(name)}}


_ERRORS = {
    400: "the request is malformed (a body field, a parameter, an id)",
    401: "no valid API token",
    403: "the signed upload URL is not valid or has expired",
    404: "no such meeting in the token's workspace",
    409: "the job is not in a state that allows this (yet)",
    413: "a body or an upload over its size limit",
    415: "the body is not JSON",
    500: "the server could not do it (a misconfiguration, storage refusing a deletion); the error has a ref for "
         "the administrator, and nothing is taken for done: the request can be made again",
    503: "a backend (queue, job store, search) is unavailable; retry later",
}


def _responses(ok: dict, *errors: int) -> dict:
    out = dict(ok)
    for code in errors:
        out[str(code)] = {"description": _ERRORS[code], "content": _json("ErrorBody")}
    return out


def _job_id() -> dict:
    return {"name": "job_id", "in": "path", "required": True, "description": "the job (= meeting) id",
            "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}


def _job_links() -> dict:
    """The upload's job id leads on to its status, minutes and deletion (OpenAPI links)."""
    job_id = {"job_id": "$response.body#/job_id"}
    return {"status": {"operationId": "getStatus", "parameters": job_id},
            "summary": {"operationId": "getSummary", "parameters": job_id},
            "delete": {"operationId": "deleteMeeting", "parameters": job_id}}


def _body(name: str) -> dict:
    return {"required": True, "content": _json(name)}


@lru_cache(maxsize=1)
def _schemas() -> dict:
    _, top = models_json_schema(
        [(schemas.UploadRequest, "validation"), (schemas.ConfirmRequest, "validation"), (schemas.QueryRequest, "validation"),
         (schemas.ErrorBody, "serialization"), (schemas.UploadTicket, "serialization"), (schemas.UploadReceived, "serialization"),
         (schemas.JobStatus, "serialization"), (schemas.MeetingSummary, "serialization"), (schemas.MeetingList, "serialization"),
         (Answer, "serialization"), *settings_schema.MODELS],
        ref_template=REF)
    return top["$defs"]


def spec(settings: Settings) -> dict:
    security: list[dict[str, list[str]]] = [{"bearer": []}]
    schemas = copy.deepcopy(_schemas())
    schemas["UploadRequest"]["properties"]["size"]["maximum"] = settings.max_upload_mb * (1 << 20)
    return {
        "openapi": "3.1.0",
        "info": {"title": "LifeStream API", "version": "1.0.0",
                 "description": "Recordings in; status, minutes and cited answers out. Every operation but the "
                                "direct upload needs a workspace's API token and sees that workspace only."},
        "servers": [{"url": settings.public_base_url + "/api/v1"}],
        "security": security,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "`lifestream api-token create --workspace W`"}},
            "schemas": schemas,
        },
        "paths": {
            "/upload/presigned-url": {"post": {
                "operationId": "createUpload", "summary": "Where to upload a recording, and the job it becomes",
                "requestBody": _body("UploadRequest"),
                "responses": _responses({"200": {
                    "description": "PUT the file to upload_url, then confirm", "content": _json("UploadTicket"),
                    "links": {"upload": {"operationId": "uploadDirect",
                                         "parameters": {"token": "$response.body#/upload_token"}},
                              "confirm": {"operationId": "confirmUpload",
                                          "requestBody": {"upload_token": "$response.body#/upload_token"}}}}},
                    400, 401, 413, 415, 503)}},
            "/upload/direct": {"put": {
                "operationId": "uploadDirect", "security": [],
                "summary": "The upload URL on this server, when storage has no presigned URLs",
                "parameters": [{"name": "token", "in": "query", "required": True,
                                "schema": {"type": "string", "maxLength": 2048,
                                           "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"}}],
                "requestBody": {"required": True, "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary", "minLength": 1}}}},
                "responses": _responses({"200": {"description": "stored", "content": _json("UploadReceived")}},
                                        400, 403, 409, 413, 503)}},
            "/upload/confirm": {"post": {
                "operationId": "confirmUpload", "summary": "Make the job for an uploaded recording (idempotent)",
                "requestBody": _body("ConfirmRequest"),
                "responses": _responses({
                    "200": {"description": "confirmed before: the same job", "content": _json("JobStatus"),
                            "links": _job_links()},
                    "201": {"description": "the job is queued", "content": _json("JobStatus"), "links": _job_links()}},
                    400, 401, 404, 409, 413, 415, 503)}},
            "/status/{job_id}": {"get": {
                "operationId": "getStatus", "summary": "A job's state, stage and progress",
                "parameters": [_job_id()],
                "responses": _responses({"200": {"description": "the job", "content": _json("JobStatus")}},
                                        400, 401, 404, 503)}},
            "/summary/{job_id}": {"get": {
                "operationId": "getSummary",
                "summary": "The minutes of a completed job: JSON, Markdown, or a file (Word, PDF, subtitles)",
                "parameters": [_job_id(), {"name": "format", "in": "query", "required": False,
                                           "description": "json (default; Markdown if Accept asks for "
                                                          "text/markdown), md, docx, pdf, vtt or srt",
                                           "schema": {"type": "string", "enum": list(SUMMARY_FORMATS)}}],
                "responses": _responses({"200": {"description": "the minutes; docx, pdf, vtt and srt come as an "
                                                               "attachment (Content-Disposition)", "content": {
                    **_json("MeetingSummary"), "text/markdown": {"schema": {"type": "string"}},
                    **{MEDIA_TYPES[f].split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                       for f in ("docx", "pdf", "vtt", "srt")}}}},
                    400, 401, 404, 409, 503)}},
            "/query": {"post": {
                "operationId": "query", "summary": "Answer a question from the workspace's meetings, with citations",
                "requestBody": _body("QueryRequest"),
                "responses": _responses({"200": {"description": "the answer (found: false if nothing matched)",
                                                 "content": _json("Answer")}}, 400, 401, 413, 415, 503)}},
            "/meetings": {"get": {
                "operationId": "listMeetings", "summary": "The workspace's meetings (jobs), newest first",
                "parameters": [
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                    {"name": "state", "in": "query", "required": False,
                     "schema": {"type": "string",
                                "enum": ["queued", "processing", "completed", "failed", "cancelled"]}}],
                "responses": _responses({"200": {"description": "the meetings", "content": _json("MeetingList")}},
                                        400, 401, 503)}},
            "/meetings/{job_id}": {"delete": {
                "operationId": "deleteMeeting",
                "summary": "Delete a meeting: its recording, results, search records and job",
                "parameters": [_job_id()],
                "responses": _responses({"204": {"description": "deleted"}}, 400, 401, 404, 409, 500, 503)}},
            **settings_schema.paths(_ref, _responses, _body),
            "/openapi.json": {"get": {
                "operationId": "getSpec", "security": [], "summary": "This document",
                "responses": {"200": {"description": "the OpenAPI description",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
    }
