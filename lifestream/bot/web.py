"""The one aiohttp server: Slack at /slack/events, Teams at /api/messages, health at /healthz.

``lifestream serve`` runs it. With the embedded broker (no LIFESTREAM_BROKER_URL)
the same process also runs a worker, so one command is a whole installation;
with Redis or SQS, workers run apart (``lifestream worker``) and this process
only takes requests.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from lifestream.settings import Settings
from lifestream.web import add_api

log = logging.getLogger(__name__)

SLACK_BOT = web.AppKey("slack_bot", object)
SETTINGS = web.AppKey("settings", Settings)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def add_slack(app: web.Application, settings: Settings) -> None:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    from lifestream.bot.slack_app import SlackBot

    bot = SlackBot(settings)
    app[SLACK_BOT] = bot

    async def slack_events(request: web.Request) -> web.Response:
        # Events, slash commands and interactivity all come here (manifests/slack.yaml).
        return await to_aiohttp_response(await bot.app.async_dispatch(await to_bolt_request(request)))

    # Unsigned requests cannot be told from forged ones: with Socket Mode only, no HTTP route.
    if settings.slack_signing_secret:
        app.router.add_post("/slack/events", slack_events)


def add_teams(app: web.Application, settings: Settings) -> None:
    """/api/messages; without Teams settings it answers 503 saying which ones are missing."""
    from lifestream.bot.teams_app import TeamsEndpoint

    endpoint = TeamsEndpoint(settings)
    app.router.add_post("/api/messages", endpoint.handle)
    app.on_cleanup.append(lambda _: endpoint.close())


def build_app(settings: Settings) -> web.Application:
    # Request bodies are small JSON; recordings never come through these routes.
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SETTINGS] = settings
    app.router.add_get("/healthz", healthz)
    if settings.slack_bot_token and (settings.slack_signing_secret or settings.slack_app_token):
        add_slack(app, settings)
    add_teams(app, settings)
    add_api(app, settings)  # /api/v1, /meetings/<id>, /jobs; the upload route streams, capped per upload
    return app


def register_notifiers(settings: Settings) -> list:
    """Job events → chat threads, for every platform ``settings`` configures.

    Registers each platform's module-level ``hook`` (one notifier per process,
    built from the environment's settings), so naming the same hook again with
    ``lifestream worker --hook`` cannot make it post twice.
    """
    from lifestream.workers.hooks import on_job_event

    callbacks = []
    if settings.slack_bot_token:
        from lifestream.bot import slack_notify

        callbacks.append(on_job_event(slack_notify.hook))
    from lifestream.bot.teams_app import teams_problem

    if not teams_problem(settings):
        from lifestream.bot import teams_notify

        callbacks.append(on_job_event(teams_notify.hook))
    return callbacks


async def _socket_mode(app: web.Application) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    settings = app[SETTINGS]
    handler = AsyncSocketModeHandler(app[SLACK_BOT].app, settings.slack_app_token)
    await handler.connect_async()
    app.on_cleanup.append(lambda _: handler.close_async())


def _start_embedded_worker(app: web.Application) -> None:
    """With no broker server configured, this process works the queue too."""
    import dramatiq

    from lifestream.workers import actors  # sets the broker up, then declares the actors
    from lifestream.workers.broker import parse_broker_url

    if parse_broker_url(actors.settings.broker_url).kind != "embedded":
        return
    worker = dramatiq.Worker(actors.broker, worker_threads=1)
    worker.queue_prefetch = 1
    worker.start()

    async def stop(_: web.Application) -> None:
        await asyncio.to_thread(worker.stop, 30_000)

    app.on_cleanup.append(stop)


def serve(settings: Settings) -> None:
    app = build_app(settings)
    register_notifiers(settings)
    _start_embedded_worker(app)
    if settings.slack_app_token and SLACK_BOT in app:
        app.on_startup.append(_socket_mode)
    log.info("serving on %s:%s", settings.host, settings.port)
    web.run_app(app, host=settings.host, port=settings.port, print=None, loop=asyncio.new_event_loop())
