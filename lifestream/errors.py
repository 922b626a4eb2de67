"""Errors that carry a message meant for a person, not a stack trace.

``permanent`` tells the job runner whether retrying can help: a corrupt file
stays corrupt, a timed-out LLM endpoint may answer next time.
"""

from __future__ import annotations


class LifeStreamError(Exception):
    permanent = False

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MediaError(LifeStreamError):
    """The recording itself cannot be processed (not media, no audio, empty...)."""

    permanent = True


class RecordingMissing(MediaError):
    """The stored recording of a job is gone (deleted after the job was made): retrying cannot bring it back."""


class NoSpeechError(MediaError):
    """The recording has audio, but nobody says anything in it."""


class ModelError(LifeStreamError):
    """A model is missing or damaged on this machine; fixing the install fixes it."""

    permanent = True


class ConfigError(LifeStreamError):
    permanent = True


class TransientError(LifeStreamError):
    """Worth retrying: a remote endpoint, the network, a storage hiccup."""
