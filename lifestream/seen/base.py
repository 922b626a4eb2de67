"""The one question the bots ask: "is this the first time anyone here saw this key?"."""

from __future__ import annotations

from abc import ABC, abstractmethod

# Slack retries within minutes; a day covers any redelivery with room to spare.
KEEP_SECONDS = 24 * 3600


class SeenStore(ABC):
    @abstractmethod
    def first_time(self, key: str) -> bool:
        """True for exactly one caller with this key within ``keep_seconds``, across threads, processes
        and (DynamoDB) machines; a key older than that counts as new again."""

    @abstractmethod
    def forget(self, key: str) -> None:
        """Handle the key again next time: a request refused for now (no download slot) may be repeated."""

    def close(self) -> None:
        pass
