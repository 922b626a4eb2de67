"""The HTTP API (/api/v1) and the browser pages (/meetings/<id>, /jobs), on the bot's aiohttp app.

    auth      tokens, signed links and upload tickets
    schemas   request and response bodies (the OpenAPI spec's schemas come from them)
    api       the /api/v1 handlers
    openapi   the spec served at /api/v1/openapi.json
    pages     the server-rendered pages; timeline: their SVG's geometry
"""

from __future__ import annotations

from aiohttp import web

from lifestream.settings import Settings


def add_api(app: web.Application, settings: Settings) -> None:
    """Mount the API and the pages on ``app`` (see lifestream.bot.web.build_app)."""
    from lifestream.web import api, pages

    app[api.SERVICES] = api.make_services(settings)
    app.middlewares.append(api.api_errors)
    app.middlewares.append(pages.page_errors)
    api.add_routes(app)
    pages.add_routes(app)
