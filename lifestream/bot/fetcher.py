"""Download a recording from a link someone posted, without becoming an SSRF proxy.

A chat message can contain any URL, including ones that point inside our own
network (cloud metadata at 169.254.169.254, a Redis on 10.x, localhost).
So: http(s) only; every address a host resolves to must be public, checked
at connect time by the resolver itself (a DNS answer cannot change between
the check and the connection); redirects are followed by hand, each hop
re-checked; size and time are capped while streaming.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from lifestream.errors import MediaError

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


@dataclass(frozen=True)
class Fetched:
    path: Path
    size: int
    content_type: str
    filename: str
    final_url: str


def _allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
             allow: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if any(ip in net for net in allow):
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
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
    headers: dict[str, str] | None = None,
) -> Fetched:
    """Stream ``url`` into ``dest``; raises LinkError with a message fit for the person who posted it."""
    url = check_url(url, allow_networks)
    connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(allow_networks), force_close=True)
    timeout = aiohttp.ClientTimeout(total=timeout_seconds, sock_connect=15)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:
            for _ in range(MAX_REDIRECTS + 1):
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location")
                        if not location:
                            raise LinkError("The link redirects nowhere.")
                        url = check_url(urljoin(url, location), allow_networks)
                        continue
                    return await _save(response, url, dest, max_bytes)
            raise LinkError(f"The link redirects more than {MAX_REDIRECTS} times.")
    except LinkError:
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


async def _save(response: aiohttp.ClientResponse, url: str, dest: Path, max_bytes: int) -> Fetched:
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
