"""Stage 1: every supported container is accepted; broken input gets a clear, specific error."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from lifestream.errors import MediaError
from lifestream.pipeline.extract import SAMPLE_RATE, extract_audio, load_wav, release
from lifestream.pipeline.probe import probe
from tests.support import media


@pytest.mark.parametrize("ext,codec", [
    ("mp3", ["-c:a", "libmp3lame"]), ("m4a", ["-c:a", "aac"]), ("ogg", ["-c:a", "libvorbis"]),
    ("webm", ["-c:a", "libopus"]), ("mkv", ["-c:a", "aac"]), ("mov", ["-c:a", "aac"]), ("wav", []),
])
def test_supported_audio_formats_extract_to_16k_mono(tmp_path, sample_wav, ext, codec):
    src = tmp_path / f"sample.{ext}"
    media.ffmpeg("-i", str(sample_wav), *codec, str(src))
    info = probe(src)
    assert info.has_audio and not info.has_video
    assert 29 < info.duration < 31
    wav = extract_audio(info, tmp_path / "out.wav")
    audio = load_wav(wav)
    assert isinstance(audio, np.memmap)  # read as the stages need it, not loaded whole
    assert audio.dtype.name == "float32" and abs(len(audio) / SAMPLE_RATE - 30) < 0.5
    assert 0.01 < abs(audio).max() <= 1.0


def test_video_is_detected_with_its_size(sample_video):
    info = probe(sample_video)
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (640, 360)
    assert info.format in {"mov", "mp4"}


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make,expected", [
    (lambda d: media.video_without_audio(d / "silent.mp4"), "no audio track"),
    (lambda d: _write(d / "garbage.mp4", b"\x00\x13 not a video at all " * 200), "not a readable audio or video file"),
    (lambda d: _write(d / "empty.m4a", b""), "empty (0 bytes)"),
    (lambda d: media.zero_length_wav(d / "zero.wav"), "zero length"),
    (lambda d: _write(d / "notes.txt", b"minutes of the meeting\n" * 50), "unsupported format"),
])
def test_bad_input_is_a_clear_media_error(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(MediaError) as err:
        extract_audio(probe(path), tmp_path / "out.wav")
    assert expected in err.value.message
    assert path.name in err.value.message


def test_truncated_video_is_rejected(tmp_path, sample_video):
    # An mp4 cut short loses its index (moov atom, written last by ffmpeg).
    cut = media.truncated(sample_video, tmp_path / "cut.mp4", keep=0.3)
    with pytest.raises(MediaError, match="not a readable audio or video file"):
        probe(cut)


def test_truncated_wav_keeps_what_is_there(tmp_path, sample_wav):
    # A WAV cut short is still audio up to the cut; processing what exists is
    # better than refusing the whole recording.
    cut = media.truncated(sample_wav, tmp_path / "cut.wav", keep=0.5)
    wav = extract_audio(probe(cut), tmp_path / "out.wav")
    assert 10 < len(load_wav(wav)) / SAMPLE_RATE < 20


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="file not found"):
        probe(tmp_path / "nope.mp4")


def test_a_folder_or_a_pipe_is_named_for_what_it_is(tmp_path):
    (tmp_path / "recordings").mkdir()
    with pytest.raises(MediaError, match=r"^recordings: a folder, not a recording\. Give one file in it\.$"):
        probe(tmp_path / "recordings")
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)
    with pytest.raises(MediaError, match=r"^stream: not a regular file \(a pipe or a device\)"):
        probe(fifo)


@pytest.mark.parametrize("async_", [False, True])
def test_cli_says_a_link_is_not_a_file(tmp_path, async_):
    # The bots fetch links (safely, bot.fetcher); the CLI reads local files, and says so rather than "not found".
    proc = subprocess.run([sys.executable, "-m", "lifestream", "process", *(["--async"] if async_ else []),
                           "https://files.example.com/team/weekly.mp4?X-Amz-Signature=secret"],
                          capture_output=True, text=True,
                          env={"LIFESTREAM_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.startswith("lifestream: error: weekly.mp4: a link, not a file on this machine.")
    assert "secret" not in proc.stderr


def test_cli_reports_bad_input_without_a_stack_trace(tmp_path):
    bad = tmp_path / "garbage.mov"
    bad.write_bytes(b"garbage" * 100)
    proc = subprocess.run([sys.executable, "-m", "lifestream", "process", str(bad)],
                          capture_output=True, text=True, env={"LIFESTREAM_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert "lifestream: error: garbage.mov: not a readable audio or video file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_errors_do_not_leak_server_paths(tmp_path):
    bad = tmp_path / "deep" / "folder" / "garbage.mp4"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\x00garbage" * 300)
    with pytest.raises(MediaError) as err:
        probe(bad)
    assert str(tmp_path) not in err.value.message and "garbage.mp4" in err.value.message


def test_audio_longer_than_the_cap_is_refused_while_decoding(tmp_path, sample_wav):
    # Whatever a container's header claims, extraction stops one second past the cap.
    with pytest.raises(MediaError, match=r"sample.wav: the audio runs longer than 10 s, the longest recording"):
        extract_audio(probe(sample_wav), tmp_path / "out.wav", max_seconds=10)
    assert abs(len(load_wav(tmp_path / "out.wav")) / SAMPLE_RATE - 11) < 0.1  # decoding stopped there
    wav = extract_audio(probe(sample_wav), tmp_path / "ok.wav", max_seconds=60)
    assert abs(len(load_wav(wav)) / SAMPLE_RATE - 30) < 0.5


def test_released_samples_read_the_same_again(tmp_path, sample_wav):
    # ASR drops each window's pages once read, so a long recording's map does not stay resident.
    audio = load_wav(extract_audio(probe(sample_wav), tmp_path / "out.wav"))
    first = np.array(audio[16000:48000])
    release(audio, 0, len(audio))
    assert np.array_equal(audio[16000:48000], first)
    release(audio[:100], 0, 100)  # not the map itself: nothing to do
    release(np.zeros(10, dtype=np.float32), 0, 10)
