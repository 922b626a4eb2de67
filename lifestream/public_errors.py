"""What a person is told when something fails, and what only the logs get.

A message meant for the person (a recording that is not media, a link that
cannot be fetched, a job in the wrong state for a retry) is shown as it is.
Anything else — a queue, storage or database that cannot be reached, a
server misconfiguration, a bug — may carry a broker URL with its password,
table names, paths or exception types: the person gets a plain reason and a
correlation id; the details go to the log under the same id, with the
credentials in URLs masked. Chat threads, API errors, the jobs page and the
job's recorded reason all use ``public_reason``.
"""

from __future__ import annotations

import logging
import re
import secrets

from lifestream.errors import ConfigError, LifeStreamError, ModelError, TransientError

# scheme://user:password@host, scheme://token@host: the part before @ is a credential.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/@'\"<>]+@")
# ?sig=…&X-Amz-Signature=…&token=…: query values of URLs (signed links, presigned URLs, tickets).
_URL_QUERY = re.compile(r"(?P<url>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?'\"<>]+)\?[^\s'\"<>]*")

PLAIN = {
    TransientError: "a service LifeStream depends on is unavailable right now",
    ConfigError: "LifeStream is not set up correctly on the server; an administrator needs to look at its logs",
    ModelError: "a model LifeStream needs is missing or damaged on the server; an administrator needs to look "
    "at its logs",
}
UNEXPECTED = "something went wrong on LifeStream's side"


def redact_urls(text: str) -> str:
    """``text`` with URLs' user names, passwords and query strings masked."""
    text = _URL_USERINFO.sub(r"\g<scheme>***@", text)
    return _URL_QUERY.sub(r"\g<url>?…", text)


def new_ref() -> str:
    """A correlation id: short enough to read out, unique enough to find in a day's logs."""
    return secrets.token_hex(4)


def for_people(exc: BaseException) -> bool:
    """Whether the error's own message is meant for the person who asked (see the module's docstring)."""
    return isinstance(exc, LifeStreamError) and not isinstance(exc, tuple(PLAIN))


def public_reason(exc: BaseException, *, log: logging.Logger, context: str) -> str:
    """What to tell the person about ``exc``; unless its message is meant for them, the details are logged.

    ``context`` says in the log what was being done ("job 0123…", "Slack file share").
    """
    if for_people(exc):
        return redact_urls(exc.message) if isinstance(exc, LifeStreamError) else UNEXPECTED
    ref = new_ref()
    plain = next((text for kind, text in PLAIN.items() if isinstance(exc, kind)), UNEXPECTED)
    detail = exc.message if isinstance(exc, LifeStreamError) else f"{type(exc).__name__}: {exc}"
    # A bug gets its traceback; an outage or a misconfiguration is said in one line.
    log.warning(
        "ref %s: %s: %s",
        ref,
        context,
        redact_urls(detail),
        exc_info=exc if not isinstance(exc, LifeStreamError) else None,
    )
    return f"{plain} (ref {ref})"


class RedactingFormatter(logging.Formatter):
    """A log formatter that masks credentials in URLs anywhere in the line, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_urls(super().format(record))
