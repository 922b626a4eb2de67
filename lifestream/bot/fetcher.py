"""Download a recording from a link someone posted, without becoming an SSRF proxy.

A chat message can contain any URL, including ones that point inside our own
network (cloud metadata at 169.254.169.254, a Redis on 10.x, localhost).
So: http(s) only; every address a host resolves to must be public, checked
at connect time by the resolver itself (a DNS answer cannot change between
the check and the connection); redirects are followed by hand, each hop
re-checked; size and time are capped while streaming.

A credential (Slack's bot token for its file URLs) is never a session header:
it goes with a request only to the origins it was issued for, and once a
redirect leaves those origins it is dropped for the rest of the chain, so a
redirect cannot carry it to another host.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from lifestream.errors import LifeStreamError, MediaError

MAX_REDIRECTS = 5

# Pages that show a recording but are not the recording: fetching them gets
# HTML, so say what to share instead.
SHARE_PAGES = [
    (re.compile(r"(^|\.)zoom\.us$"), "a Zoom share page",
     "download the recording from Zoom and share the file here"),
    (re.compile(r"^(drive|docs)\.google\.com$"), "a Google Drive page",
     "download the file from Drive and share it here (Drive links need a Google sign-in)"),
    (re.compile(r"(^|\.)loom\.com$"), "a Loom page", "download the video from Loom and share the file here"),
    (re.compile(r"(^|\.)(youtube\.com|youtu\.be|vimeo\.com)$"), "a video-site page",
     "share the recording file itself"),
    (re.compile(r"(^|\.)(sharepoint\.com|onedrive\.live\.com)$"), "a SharePoint/OneDrive page",
     "share the file itself in the chat"),
]


class LinkError(MediaError):
    """The link cannot be fetched; the message says why and what to do instead."""


def origin_of(url: str) -> str:
    """scheme://host[:port] as browsers compare origins, with the scheme's default port left out."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: an origin nothing is trusted with
        return f"{scheme}://{host}:?"
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class Credential:
    """Headers that authenticate to some origins only (e.g. Slack's bot token to Slack's file hosts)."""

    headers: Mapping[str, str] = field(repr=False)
    origins: frozenset[str]

    def covers(self, url: str) -> bool:
        return origin_of(url) in self.origins


@dataclass(frozen=True)
class Fetched:
    path: Path
    size: int
    content_type: str
    filename: str
    final_url: str


# NAT64 (RFC 6052): the well-known prefix carries an IPv4 address in its last 32 bits; the local-use
# prefix (RFC 8215) translates into the operator's own network.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: 6to4 (2002::/16), Teredo's server and client, NAT64."""
    found = []
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in NAT64_PREFIX:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
             allow: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if any(ip.version == net.version and ip in net for net in allow):
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 host itself
            return _allowed(ip.ipv4_mapped, allow)
        if ip in NAT64_LOCAL:
            return False
        embedded = embedded_ipv4(ip)
        # Tunnels and translators deliver to the IPv4 address inside: a private one is a private target.
        if not all(_allowed(v4, allow) for v4 in embedded):
            return False
        if ip in NAT64_PREFIX:  # Python counts the NAT64 prefix as reserved; its public targets are fine
            return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


class PublicOnlyResolver(AbstractResolver):
    """Resolves like the default resolver, and refuses hosts with any non-public address."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self._inner = DefaultResolver()
        self._allow = [ipaddress.ip_network(a, strict=False) for a in allow]

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        try:
            results = await self._inner.resolve(host, port, family)
        except OSError as exc:
            raise LinkError(f"The link's host {host} could not be found.") from exc
        for r in results:
            if not _allowed(ipaddress.ip_address(r["host"]), self._allow):
                raise LinkError(f"The link points to a private or internal address ({host}); only public links can be fetched.")
        return results

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str, allow_networks: Iterable[str] = ()) -> str:
    parts = urlsplit(url.strip().strip("<>"))
    if parts.scheme not in ("http", "https"):
        raise LinkError("Only http and https links can be fetched.")
    if not parts.hostname:
        raise LinkError("That link has no host.")
    if parts.username or parts.password:
        raise LinkError("Links with a user name or password in them are not fetched.")
    host = parts.hostname.lower()
    # aiohttp connects to an IP literal without asking the resolver, so the
    # address check has to happen here for those.
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not _allowed(literal, [ipaddress.ip_network(a, strict=False) for a in allow_networks]):
        raise LinkError(f"The link points to a private or internal address ({host}); only public links can be fetched.")
    for pattern, what, instead in SHARE_PAGES:
        if pattern.search(host):
            raise LinkError(f"That link is {what}, not the recording itself, so it cannot be fetched: {instead}.")
    return parts.geturl()


def _filename(response: aiohttp.ClientResponse, url: str) -> str:
    if response.content_disposition and response.content_disposition.filename:
        name = response.content_disposition.filename
    else:
        name = urlsplit(url).path.rsplit("/", 1)[-1] or "recording"
    # A name from the network never becomes a path.
    return re.sub(r"[^\w.\- ]", "_", Path(name).name)[:120] or "recording"


async def fetch(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    timeout_seconds: float = 600.0,
    allow_networks: Iterable[str] = (),
    credential: Credential | None = None,
    on_size: Callable[[int | None], None] | None = None,
) -> Fetched:
    """Stream ``url`` into ``dest``; raises LinkError with a message fit for the person who posted it.

    ``credential`` goes with the requests to its own origins, until a redirect leaves them.
    ``on_size`` hears the size the server announces (None: not announced) before a byte is written, and
    may raise to refuse it (no room on the disk: ``lifestream.downloads``).
    """
    url = check_url(url, allow_networks)
    connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(allow_networks), force_close=True)
    timeout = aiohttp.ClientTimeout(total=timeout_seconds, sock_connect=15)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                if credential is not None and not credential.covers(url):
                    credential = None  # left the origins it is for: never sent again in this chain
                headers = dict(credential.headers) if credential is not None else None
                async with session.get(url, allow_redirects=False, headers=headers) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location")
                        if not location:
                            raise LinkError("The link redirects nowhere.")
                        url = check_url(urljoin(url, location), allow_networks)
                        continue
                    return await _save(response, url, dest, max_bytes, on_size)
            raise LinkError(f"The link redirects more than {MAX_REDIRECTS} times.")
    except LifeStreamError:  # a LinkError, or no room for it (lifestream.downloads)
        dest.unlink(missing_ok=True)
        raise
    except TimeoutError as exc:
        dest.unlink(missing_ok=True)
        raise LinkError(f"Downloading the link took longer than {int(timeout_seconds)} seconds.") from exc
    except aiohttp.ClientError as exc:
        dest.unlink(missing_ok=True)
        if isinstance(exc.__cause__, LinkError):
            raise exc.__cause__ from None
        raise LinkError(f"The link could not be downloaded ({exc.__class__.__name__}).") from exc


async def _save(response: aiohttp.ClientResponse, url: str, dest: Path, max_bytes: int,
                on_size: Callable[[int | None], None] | None) -> Fetched:
    if response.status in (401, 403):
        raise LinkError("The link needs a sign-in or is not shared publicly; share the file itself instead.")
    if response.status == 404:
        raise LinkError("Nothing is at that link (404).")
    if response.status >= 400:
        raise LinkError(f"The link's server answered {response.status}.")
    content_type = response.content_type or "application/octet-stream"
    if content_type in ("text/html", "application/xhtml+xml"):
        raise LinkError("The link leads to a web page, not to a recording; share a direct link to the media file.")
    cap_mb = max_bytes // (1024 * 1024)
    if response.content_length is not None and response.content_length > max_bytes:
        raise LinkError(f"The recording is larger than the {cap_mb} MB limit.")
    if on_size is not None:
        on_size(response.content_length)
    size = 0
    with dest.open("wb") as out:
        async for block in response.content.iter_chunked(1 << 16):
            size += len(block)
            if size > max_bytes:
                raise LinkError(f"The recording is larger than the {cap_mb} MB limit.")
            out.write(block)
    if size == 0:
        raise LinkError("The link returned an empty file.")
    return Fetched(path=dest, size=size, content_type=content_type, filename=_filename(response, url), final_url=url)
