"""The one aiohttp server, built from one ``Services``: Slack, Teams, the HTTP API, the pages, /healthz.

    /slack/events     the Slack bot (only with a signing secret; Socket Mode needs no route)
    /slack/install, /slack/oauth_redirect   "Add to Slack" (with OAuth credentials: any number of workspaces)
    /api/messages     the Teams bot (503 saying what is missing when Teams is not configured)
    /api/v1/...       the HTTP API;  /meetings/<id>, /jobs: the pages (lifestream.web)
    /healthz          for load balancers

``lifestream serve`` builds the Services and calls ``serve``. With the
embedded broker (no LIFESTREAM_BROKER_URL) the same process also runs a
worker and the retention sweeper, so one command is a whole installation; with Redis or SQS, workers
run apart (``lifestream worker``) and this process only takes requests. In
both cases the chat notifiers are subscribed to the process's job events, so
whichever process finishes a job tells the thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from lifestream.bot.notifiers import chat_notifiers
from lifestream.bot.notify import ChatNotifier
from lifestream.bot.slack.app import SlackBot
from lifestream.bot.slack.notify import SlackNotifier
from lifestream.bot.teams.config import teams_problem
from lifestream.bot.teams.endpoint import TeamsEndpoint
from lifestream.links import link_secret
from lifestream.retention import Sweeper
from lifestream.services import Services
from lifestream.web import add_api
from lifestream.workers.actors import worker_broker
from lifestream.workers.runtime import start_worker
from lifestream.workspaces import finish_deletions

log = logging.getLogger(__name__)

SLACK_BOT = web.AppKey("slack_bot", SlackBot)
DELETIONS = web.AppKey("workspace_deletions", asyncio.Task)
# Request bodies are small JSON; recordings never come through these routes (the upload route streams).
CLIENT_MAX_SIZE = 2 * 1024 * 1024


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def slack_configured(services: Services) -> bool:
    settings = services.settings
    return services.slack.configured and bool(settings.slack_signing_secret or settings.slack_app_token)


def add_slack(app: web.Application, bot: SlackBot) -> None:
    app[SLACK_BOT] = bot
    app.on_cleanup.append(lambda _: bot.close())

    async def slack_events(request: web.Request) -> web.Response:
        # Events, slash commands and interactivity all come here (manifests/slack.yaml).
        return await to_aiohttp_response(await bot.app.async_dispatch(await to_bolt_request(request)))

    # Unsigned requests cannot be told from forged ones: with Socket Mode only, no HTTP route.
    if bot.settings.slack_signing_secret:
        app.router.add_post("/slack/events", slack_events)
    flow = bot.app.oauth_flow
    if flow is not None:  # "Add to Slack": bolt's install page and OAuth redirect (as its own adapters route them)
        async def slack_install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def slack_oauth_redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        app.router.add_get(flow.install_path, slack_install)
        app.router.add_get(flow.redirect_uri_path, slack_oauth_redirect)


def add_teams(app: web.Application, endpoint: TeamsEndpoint) -> None:
    app.router.add_post("/api/messages", endpoint.handle)
    app.on_cleanup.append(lambda _: endpoint.close())


def build_app(services: Services, notifiers: Sequence[ChatNotifier] = ()) -> web.Application:
    """The app, its routes and their handlers; ``notifiers`` are the process's (the Slack bot reuses its own)."""
    app = web.Application(client_max_size=CLIENT_MAX_SIZE)
    app.router.add_get("/healthz", healthz)
    if slack_configured(services):
        slack_notifier = next((n for n in notifiers if isinstance(n, SlackNotifier)), None)
        add_slack(app, SlackBot(services, notifier=slack_notifier))
    add_teams(app, TeamsEndpoint(services))
    add_api(app, services)  # /api/v1, /meetings/<id>, /jobs
    return app


async def _socket_mode(app: web.Application) -> None:
    bot = app[SLACK_BOT]
    handler = AsyncSocketModeHandler(bot.app, bot.settings.slack_app_token)
    await handler.connect_async()
    app.on_cleanup.append(lambda _: handler.close_async())


def _start_embedded_worker(app: web.Application, services: Services) -> None:
    """With no broker server configured, this process works the queue too."""
    if not services.queue.embedded:
        return
    worker = start_worker(worker_broker(services), threads=1)

    async def stop(_: web.Application) -> None:
        await asyncio.to_thread(worker.stop, 30_000)

    app.on_cleanup.append(stop)


def _start_sweeper(app: web.Application, services: Services) -> None:
    """Embedded mode: this process also deletes what the retention rules say is due.

    With a broker server (the cloud), a scheduled ``lifestream sweep`` does it instead: bot processes run in
    several copies, and workers scale to zero when there is no work.
    """
    if not services.queue.embedded:
        return
    sweeper = Sweeper(services, interval=services.settings.retention_sweep_seconds).start()

    async def stop(_: web.Application) -> None:
        await asyncio.to_thread(sweeper.stop)

    app.on_cleanup.append(stop)


def _finish_workspace_deletions(app: web.Application, services: Services) -> None:
    """Deletions of uninstalled workspaces that a stop interrupted are carried through after a start."""
    stopping = threading.Event()

    async def start(_: web.Application) -> None:
        if await asyncio.to_thread(services.workspaces.deletions):
            app[DELETIONS] = asyncio.get_running_loop().create_task(
                asyncio.to_thread(finish_deletions, services, wait=stopping.wait))

    async def stop(_: web.Application) -> None:
        stopping.set()  # a pass under way finishes; what is left waits for the next start
        if DELETIONS in app:
            await app[DELETIONS]

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


def check_links(services: Services) -> None:
    """Before serving: the link secret is usable (ConfigError if too short), and links can be opened."""
    settings = services.settings
    link_secret(settings)
    bots = slack_configured(services) or teams_problem(settings) is None
    if bots and not settings.public_url:
        log.warning("LIFESTREAM_PUBLIC_URL is not set: the links the bots post point at %s, which people on "
                    "other machines cannot open; set it to the address people reach this server at",
                    settings.public_base_url)


def serve(services: Services) -> None:
    settings = services.settings
    check_links(services)
    notifiers = chat_notifiers(services)
    for notifier in notifiers:
        services.events.subscribe(notifier)
    app = build_app(services, notifiers)
    _start_embedded_worker(app, services)
    _finish_workspace_deletions(app, services)
    _start_sweeper(app, services)

    async def close_services(_: web.Application) -> None:  # after the worker has stopped (cleanups run in order)
        await asyncio.to_thread(services.close)

    app.on_cleanup.append(close_services)
    if settings.slack_app_token and SLACK_BOT in app:
        app.on_startup.append(_socket_mode)
    log.info("serving on %s:%s", settings.host, settings.port)
    web.run_app(app, host=settings.host, port=settings.port, print=None, loop=asyncio.new_event_loop())
