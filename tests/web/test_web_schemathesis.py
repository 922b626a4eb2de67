"""Schemathesis against the live server's own OpenAPI spec: generated and mutated requests for every
operation, including stateful chains through the spec's links (ask for an upload URL, upload random
bytes to it, confirm, read the job's status, delete it). No input may cause a 5xx, and every response
must match the spec (status codes, content types, body schemas); auth must not be ignorable."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.web_server import start_server, stop_server

# Why each of the few allowances exists:
#  - 413 is the honest answer to a size over a limit, which schemathesis does not count as a rejection;
#  - an upload larger than the size its ticket announced is refused with 413 even though the
#    spec cannot say how big the body of that one URL may be;
#  - aiohttp's HTTP parser answers a fuzzed request line over 8 KiB with text/plain before the app runs.
# Every check is on (named here, not with --checks, which would override the per-operation lines).
CONFIG = """
[checks]
enabled = true

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "409", "413", "415", "422"]

[[operations]]
include-path = "/upload/direct"
checks.content_type_conformance.enabled = false
checks.positive_data_acceptance.expected-statuses = ["2XX", "403", "409", "413"]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("web-fuzz"), ["fuzz"], LIFESTREAM_MAX_UPLOAD_MB="5")
    yield live
    stop_server(live)


def test_no_input_breaks_the_api_or_its_spec(server, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
           f"{server.url}/api/v1/openapi.json", "--url", f"{server.url}/api/v1",
           "-H", f"Authorization: Bearer {server.tokens['fuzz']}",
           "--max-examples", "30", "--seed", "20261125", "--workers", "1",
           "--request-timeout", "30"]
    # cwd: schemathesis keeps a .schemathesis/ cache in the working directory
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-12000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert generated and int(generated.group(1)) >= 300, output[-3000:]  # it really exercised the API
    assert "Selected: 10/10" in output and "Tested: 10" in output
    log = Path(server.log).read_text()
    assert not re.search(r'File "[^"]*/lifestream/web/', log), log[-5000:]  # no handler raised, even caught
