"""The HTTP API (/api/v1) and the browser pages (/meetings/<id>, /jobs), mounted on the server's aiohttp app.

    auth      tokens, signed links and upload tickets
    schemas   request and response bodies (the OpenAPI spec's schemas come from them)
    api       the /api/v1 handlers
    openapi   the spec served at /api/v1/openapi.json
    pages     the server-rendered pages; timeline: their SVG's geometry
    state     what handlers find on the app (the Services, the token table)
"""

from __future__ import annotations

from aiohttp import web

from lifestream.services import Services
from lifestream.web import api, auth, pages
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
    pages.add_routes(app)
