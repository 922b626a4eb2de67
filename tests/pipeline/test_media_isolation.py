"""ffmpeg reads the recording itself and nothing it points to: no other file on the worker, no URL.

A playlist (HLS) or a concat list is a text file that names other files and
URLs; ffmpeg follows them by default, while probing already. A recording
crafted that way could make the worker read its own files into a transcript
or fetch addresses inside the network. Both tests fail when the whitelists
(``-protocol_whitelist file``, ``-format_whitelist``) or ``-f <probed format>``
are missing.
"""

from __future__ import annotations

import errno
import os
import threading
import time

import pytest

from lifestream.errors import MediaError
from lifestream.pipeline.extract import extract_audio
from lifestream.pipeline.probe import MediaInfo, probe
from tests.support.media import ffmpeg


def playlist(path, segment) -> None:
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1,\n{segment}\n#EXT-X-ENDLIST\n")


def test_probing_a_playlist_opens_nothing_it_names(tmp_path):
    # The playlist names a FIFO: whoever opens it for reading is seen at once, and nothing else is touched.
    segment = tmp_path / "elsewhere" / "secret.ts"
    segment.parent.mkdir()
    os.mkfifo(segment)
    recording = tmp_path / "standup.mp4"
    playlist(recording, segment)
    outcome: list[BaseException | object] = []
    worker = threading.Thread(target=lambda: outcome.append(_probe(recording)), daemon=True)
    worker.start()
    opened = False
    deadline = time.monotonic() + 20
    while worker.is_alive() and time.monotonic() < deadline and not opened:
        try:  # succeeds only while a reader has the FIFO open
            os.close(os.open(segment, os.O_WRONLY | os.O_NONBLOCK))
            opened = True  # closing it gives the reader end-of-file, so ffprobe goes on and fails
        except OSError as exc:
            assert exc.errno == errno.ENXIO
            time.sleep(0.01)
    worker.join(30)
    assert not opened, "ffprobe followed the playlist to a file it names"
    assert isinstance(outcome[0], MediaError) and "unsupported format 'hls'" in outcome[0].message


def _probe(path):
    try:
        return probe(path)
    except MediaError as exc:
        return exc


def test_extraction_reads_the_file_as_the_format_it_was_probed_as(tmp_path, sample_wav):
    # A playlist whose probe said "wav" (say the file was swapped after its probe): decoded as what it was
    # checked to be, it is not a WAV, and the other file it names is never decoded into the meeting.
    other = tmp_path / "elsewhere" / "private-call.ts"
    other.parent.mkdir()
    ffmpeg("-i", str(sample_wav), "-t", "3", "-c:a", "mp2", "-f", "mpegts", str(other))
    recording = tmp_path / "standup.wav"
    playlist(recording, other)
    media = MediaInfo(path=recording, format="wav", duration=3.0, has_audio=True, has_video=False)
    with pytest.raises(MediaError, match="the audio could not be decoded"):
        extract_audio(media, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists() or (tmp_path / "out.wav").stat().st_size == 0
