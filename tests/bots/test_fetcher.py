"""Links to recordings: fetched when they are real media on a public host, refused clearly otherwise."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from lifestream.bot.fetcher import Credential, LinkError, check_url, fetch, origin_of

ALLOW_LOOPBACK = ["127.0.0.1/32"]


@pytest.fixture
def media_server(sample_wav):
    """A small real HTTP server on 127.0.0.1 with the behaviours links have in the wild."""
    data = sample_wav.read_bytes()

    async def recording(request):
        return web.Response(body=data, content_type="audio/wav",
                            headers={"Content-Disposition": 'attachment; filename="../../standup.wav"'})

    async def streamed(request):
        resp = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(64):
            await resp.write(b"\0" * 65536)
        return resp

    routes = {
        "/standup.wav": recording,
        "/streamed.mp4": streamed,
        "/hop": lambda r: web.HTTPFound("/standup.wav"),
        "/to-metadata": lambda r: web.HTTPFound("http://169.254.169.254/latest/meta-data/"),
        "/to-ftp": lambda r: web.HTTPFound("ftp://example.com/x.mp4"),
        "/loop": lambda r: web.HTTPFound("/loop"),
        "/page": lambda r: web.Response(text="<html>a player</html>", content_type="text/html"),
        "/private": lambda r: web.Response(status=403),
        "/gone": lambda r: web.Response(status=404),
        "/empty.mp3": lambda r: web.Response(body=b"", content_type="audio/mpeg"),
    }

    async def handler(request):
        result = routes[request.path](request)
        return await result if asyncio.iscoroutine(result) else result

    async def start():
        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]

    loop = asyncio.new_event_loop()
    runner, port = loop.run_until_complete(start())
    import threading

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", len(data)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)


def run(coro):
    return asyncio.run(coro)


def test_a_direct_link_is_streamed_to_disk(media_server, tmp_path):
    base, size = media_server
    got = run(fetch(f"{base}/hop", tmp_path / "x", max_bytes=10 << 20, allow_networks=ALLOW_LOOPBACK))
    assert got.size == size == got.path.stat().st_size
    assert got.filename == "standup.wav"  # the server's "../../" never becomes a path
    assert got.final_url.endswith("/standup.wav")


@pytest.mark.parametrize("path,message", [
    ("/page", "web page, not to a recording"),
    ("/private", "needs a sign-in"),
    ("/gone", "Nothing is at that link"),
    ("/loop", "redirects more than 5 times"),
    ("/to-metadata", "private or internal address"),
    ("/to-ftp", "Only http and https"),
    ("/empty.mp3", "empty file"),
])
def test_bad_links_get_a_specific_reason(media_server, tmp_path, path, message):
    base, _ = media_server
    with pytest.raises(LinkError, match=message):
        run(fetch(base + path, tmp_path / "x", max_bytes=10 << 20, allow_networks=ALLOW_LOOPBACK))
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("path", ["/standup.wav", "/streamed.mp4"])  # with and without Content-Length
def test_size_cap(media_server, tmp_path, path):
    base, _ = media_server
    with pytest.raises(LinkError, match="larger than the 0 MB limit"):
        run(fetch(base + path, tmp_path / "x", max_bytes=200_000, allow_networks=ALLOW_LOOPBACK))
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "169.254.169.254", "10.1.2.3", "192.168.0.10"])
def test_internal_addresses_are_refused_without_an_allow_list(tmp_path, host):
    # Refused by the resolver before any connection: no traffic leaves loopback.
    with pytest.raises(LinkError, match="private or internal address"):
        run(fetch(f"http://{host}:9/recording.mp4", tmp_path / "x", max_bytes=1 << 20))


@pytest.mark.parametrize("url,message", [
    ("https://us02web.zoom.us/rec/share/abc", "Zoom share page"),
    ("https://drive.google.com/file/d/123/view", "Google Drive page"),
    ("https://www.loom.com/share/abc", "Loom page"),
    ("file:///etc/passwd", "Only http and https"),
    ("https://user:pw@example.com/a.mp4", "user name or password"),
])
def test_share_pages_and_odd_urls_are_explained(url, message):
    with pytest.raises(LinkError, match=message):
        check_url(url)


@pytest.fixture
def file_hosts(sample_wav):
    """Two origins on loopback: a "file host" the token is for, and another host that records what it is sent."""
    data = sample_wav.read_bytes()
    seen: list[tuple[str, str | None]] = []  # (host:port path, Authorization) of every request

    def record(request):
        seen.append((f"{request.host}{request.path}", request.headers.get("Authorization")))

    async def elsewhere(request):
        record(request)
        return web.Response(body=data, content_type="audio/wav")

    async def file_host(request):
        record(request)
        if request.path == "/same-origin-hop":
            return web.HTTPFound("/standup.wav")
        if request.path == "/away":
            return web.HTTPFound(f"http://127.0.0.1:{other_port}/standup.wav")
        if request.path == "/away-and-back":
            return web.HTTPFound(f"http://127.0.0.1:{other_port}/back")
        return web.Response(body=data, content_type="audio/wav")

    async def back(request):
        record(request)
        return web.HTTPFound(f"http://127.0.0.1:{file_port}/standup.wav")

    async def start(handler, extra=None):
        app = web.Application()
        if extra:
            app.router.add_get("/back", extra)
        app.router.add_get("/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]

    loop = asyncio.new_event_loop()
    other_runner, other_port = loop.run_until_complete(start(elsewhere, back))
    file_runner, file_port = loop.run_until_complete(start(file_host))
    import threading

    threading.Thread(target=loop.run_forever, daemon=True).start()
    yield f"http://127.0.0.1:{file_port}", seen
    for runner in (file_runner, other_runner):
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)


def test_a_credential_goes_to_its_own_origin_only_and_is_dropped_on_a_cross_origin_redirect(file_hosts, tmp_path):
    base, seen = file_hosts
    token = Credential(headers={"Authorization": "Bearer xoxb-secret"}, origins=frozenset({origin_of(base)}))
    for path in ("/same-origin-hop", "/away", "/away-and-back"):
        got = run(fetch(base + path, tmp_path / "x", max_bytes=10 << 20, allow_networks=ALLOW_LOOPBACK,
                        credential=token))
        assert got.size > 0
    file_host = base.removeprefix("http://")
    sent = [(where, auth) for where, auth in seen]
    # On the file host itself, hops included, the token goes with each request...
    assert (f"{file_host}/same-origin-hop", "Bearer xoxb-secret") in sent
    assert (f"{file_host}/standup.wav", "Bearer xoxb-secret") in sent
    # ...never to another host, and not even back on its own host once a redirect has left it.
    assert all(auth is None for where, auth in sent if not where.startswith(file_host + "/")), sent
    assert sent[-1] == (f"{file_host}/standup.wav", None)


def test_origins_compare_like_browsers_do():
    assert origin_of("https://files.slack.com/files-pri/T1/x.mp4") == "https://files.slack.com"
    assert origin_of("HTTPS://Files.Slack.com:443/a") == "https://files.slack.com"
    assert origin_of("http://127.0.0.1:8080/a") != origin_of("http://127.0.0.1:8081/a")
    assert origin_of("https://files.slack.com.evil.example/a") != "https://files.slack.com"
    assert origin_of("http://files.slack.com/a") != "https://files.slack.com"  # not over plain http
    assert origin_of("https://[::1]:8443/a") == "https://[::1]:8443"


@pytest.mark.parametrize("host", [
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254 (cloud metadata)
    "2002:c0a8:1::1",  # 6to4 of 192.168.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64 prefix: translated into the operator's network
    "::ffff:10.1.2.3",  # IPv4-mapped
    "::ffff:7f00:1",  # IPv4-mapped, written in hex
    "::127.0.0.1",  # IPv4-compatible (deprecated)
])
def test_ipv6_forms_of_private_addresses_are_refused(host):
    with pytest.raises(LinkError, match="private or internal address"):
        check_url(f"http://[{host}]:9/recording.mp4")


@pytest.mark.parametrize("host", ["2002:808:808::1", "64:ff9b::808:808", "2606:4700:4700::1111"])
def test_ipv6_forms_of_public_addresses_pass(host):
    assert check_url(f"http://[{host}]/recording.mp4")
