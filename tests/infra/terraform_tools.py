"""A Terraform binary and the AWS provider, without the internet, for the infrastructure tests.

Neither comes from a package registry (no Debian package; PyPI's terraform-binary
wheels ship 1.0.3 and older), so these tests run where a machine has them: a
``terraform`` (or ``tofu``) >= 1.5 on PATH or in LIFESTREAM_TERRAFORM, and a local
provider mirror in LIFESTREAM_TF_PLUGIN_DIR or /opt/tf-plugins. Elsewhere they
skip and say why, even under LIFESTREAM_REQUIRE_TOOLS: unlike checkov and
hadolint, no setup step could install them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"
MIN_VERSION = (1, 5)


def terraform_binary() -> str:
    """The Terraform (or OpenTofu) binary to run, or a skip."""
    configured = os.environ.get("LIFESTREAM_TERRAFORM")
    if configured:
        return configured
    binary = shutil.which("terraform") or shutil.which("tofu")
    if binary:
        return binary
    pytest.skip("no terraform or tofu binary: none is packaged in Debian, and PyPI's terraform-binary* "
                "packages ship 1.0.3 and older; install Terraform >= 1.5 or set LIFESTREAM_TERRAFORM")


def terraform_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment for terraform: no user CLI configuration, no update check."""
    rc = tmp_path / "terraformrc"
    rc.write_text("")  # no user CLI configuration, no warning about a missing one
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
            **extra}


def require_version(binary: str, env: dict[str, str]) -> str:
    """The binary's version, or a skip when it is older than the configuration needs."""
    version = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=60, env=env,
                             check=False)
    try:
        found = json.loads(version.stdout)["terraform_version"]
    except (json.JSONDecodeError, KeyError):
        found = "unknown"
    if found == "unknown" or tuple(int(x) for x in re.findall(r"\d+", found)[:2]) < MIN_VERSION:
        pytest.skip(f"{binary} is Terraform {found}; the configuration needs >= 1.5")
    return found


def provider_mirror() -> Path:
    """A local provider mirror (LIFESTREAM_TF_PLUGIN_DIR, or /opt/tf-plugins where the machine has one), or a skip.

    Without one, init would try to download the provider from the internet,
    which this environment does not reach; no package registry ships it either.
    """
    for candidate in (os.environ.get("LIFESTREAM_TF_PLUGIN_DIR"), "/opt/tf-plugins"):
        if candidate and (Path(candidate) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return Path(candidate)
    pytest.skip("no local AWS provider mirror (LIFESTREAM_TF_PLUGIN_DIR or /opt/tf-plugins) for terraform init")


def copy_configuration(dest: Path) -> Path:
    """infrastructure/ without local state, lock file or downloaded providers."""
    shutil.copytree(INFRA, dest, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*",
                                                               "terraform.tfvars", "*_override.tf"))
    return dest


def init(binary: str, workdir: Path, env: dict[str, str]) -> None:
    """terraform init from the local mirror, local state."""
    cmd = [binary, "init", "-backend=false", "-input=false", "-no-color", f"-plugin-dir={provider_mirror()}"]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600, env=env, check=False)
    if proc.returncode != 0:
        pytest.fail(f"terraform init failed:\n{proc.stdout}{proc.stderr}")
