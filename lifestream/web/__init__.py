"""The HTTP API (/api/v1) and the browser pages (/meetings/<id>, /jobs), mounted on the server's aiohttp app.

    auth      tokens, signed links and upload tickets
    schemas   request and response bodies (the OpenAPI spec's schemas come from them)
    api       the /api/v1 handlers
    workspace_api, settings_schema   /api/v1/settings: the workspace's own settings
    openapi   the spec served at /api/v1/openapi.json
    pages     the server-rendered pages; timeline: their SVG's geometry
    state     what handlers find on the app (the Services, the token table)
"""

from __future__ import annotations

from aiohttp import web

from lifestream.services import Services
from lifestream.web import api, auth, pages, workspace_api
from lifestream.web.state import SERVICES, TOKENS


def add_api(app: web.Application, services: Services) -> None:
    """Mount the API and the pages on ``app`` (see lifestream.server.build_app).

    A malformed ``LIFESTREAM_API_TOKENS`` entry raises ConfigError here, so the server does not start.
    """
    app[SERVICES] = services
    app[TOKENS] = auth.token_table(services.settings)
    app.middlewares.append(api.api_errors)
    app.middlewares.append(pages.page_errors)
    api.add_routes(app)
    workspace_api.add_routes(app)  # /api/v1/settings
    pages.add_routes(app)
