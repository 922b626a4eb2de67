"""/api/v1/settings: a workspace's own settings, with its API token (as a workspace admin sets them in chat)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from lifestream.errors import LifeStreamError
from lifestream.web.api import API, ApiError, read_body, workspace
from lifestream.web.settings_schema import SettingsChange, WorkspaceSettingsBody
from lifestream.web.state import services
from lifestream.workspaces import change_settings


def _body(request: web.Request, ws: str) -> web.Response:
    svc = services(request)
    body = WorkspaceSettingsBody(
        workspace=ws,
        settings=svc.workspace_settings(ws),
        chosen=sorted(svc.workspaces.overrides(ws).chosen()),
        server_defaults=svc.workspace_settings(None),
    )
    return web.json_response(body.model_dump(mode="json"))


async def get_settings(request: web.Request) -> web.Response:
    ws = workspace(request)
    return await asyncio.to_thread(_body, request, ws)


async def change(request: web.Request) -> web.Response:
    ws = workspace(request)
    body = await read_body(request, SettingsChange)
    try:
        await asyncio.to_thread(
            change_settings,
            services(request),
            ws,
            body.set.model_dump(include=body.set.model_fields_set),
            reset=body.reset,
            by=f"api:{ws}",
        )
    except LifeStreamError as exc:  # a value the settings refuse (read_body checked the types already)
        raise ApiError(400, exc.message) from None
    return await asyncio.to_thread(_body, request, ws)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{API}/settings", get_settings)
    app.router.add_patch(f"{API}/settings", change)
