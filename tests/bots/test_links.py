"""Which shared files and links the bots take as recordings, and what they say about the rest (pure, fast)."""

from __future__ import annotations

import pytest

from lifestream.bot.intake import find_links, is_media, is_recording_link, too_large, unsupported_reason
from lifestream.settings import Settings


def test_links_in_slack_markup_and_plain_text_each_once():
    text = ("see <https://files.example.com/standup.mp4|standup> and https://example.org/call.m4a, "
            "or <https://files.example.com/standup.mp4> again (https://example.org/a.wav)")
    assert find_links(text) == ["https://files.example.com/standup.mp4", "https://example.org/call.m4a,",
                                "https://example.org/a.wav"]
    assert find_links("") == [] and find_links(None) == []  # type: ignore[arg-type]
    assert find_links("ftp://example.org/x.mp4 mailto:a@b.c") == []


@pytest.mark.parametrize("url,worth", [
    ("https://example.org/recordings/standup.MP4", True),
    ("https://example.org/x/call.m4a?download=1", True),
    ("https://example.org/talk.avi", True),  # refused later, with a reason, rather than ignored
    ("https://us02web.zoom.us/rec/share/abc", True),  # a share page: answered with what to share instead
    ("https://drive.google.com/file/d/1/view", True),
    ("https://contoso.sharepoint.com/:v:/s/x/EaB", True),
    ("https://example.org/notes.pdf", False),
    ("https://example.org/", False),
    ("https://zoom.us.evil.example/rec.html", False),  # only the real hosts count as share pages
])
def test_which_links_are_worth_answering(url, worth):
    assert is_recording_link(url) is worth


@pytest.mark.parametrize("name,mime,media,reason", [
    ("standup.mp4", None, True, None),
    ("Standup.WEBM", "video/webm", True, None),
    ("voice-memo", "audio/ogg", True, "voice-memo is a format I don't take"),  # media, no known extension
    ("call.avi", "video/x-msvideo", True, "call.avi is a format I don't take"),
    ("notes.pdf", "application/pdf", False, None),
    ("diagram.png", "image/png", False, None),
])
def test_media_and_what_is_said_about_unsupported_formats(name, mime, media, reason):
    assert is_media(name, mime) is media
    said = unsupported_reason(name, mime)
    assert (said is None) if reason is None else said.startswith(reason) and "mp4, mov, mkv" in said


def test_size_limit():
    settings = Settings(max_upload_mb=10)
    assert too_large(None, settings) is None and too_large(10 * 1024 * 1024, settings) is None
    assert too_large(10 * 1024 * 1024 + 1, settings) == "that recording is 10 MB, over the 10 MB limit."
