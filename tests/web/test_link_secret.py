"""The key that signs meeting links: never empty, never short, never readable by others, never half-written.

An empty key would make every forged link valid (HMAC with b""), so a short one,
from the file or from LIFESTREAM_LINK_SECRET, stops the server instead of being used.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess
import sys
import time

import pytest

from lifestream.errors import ConfigError
from lifestream.links import meeting_link, verify
from lifestream.server import check_links
from lifestream.services import Services
from lifestream.settings import Settings

SECRET_FILE = "link-secret"


def forged_with_empty_key(meeting_id: str) -> tuple[int, str]:
    expires = int(time.time()) + 3600
    return expires, hmac.new(b"", f"{meeting_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def test_an_empty_secret_file_is_refused_not_used(tmp_path):
    (tmp_path / SECRET_FILE).write_text("")  # what an interrupted start used to leave behind
    settings = Settings(data_dir=tmp_path)
    expires, signature = forged_with_empty_key("0123456789abcdef")
    with pytest.raises(ConfigError, match="under 32"):
        verify(settings, "0123456789abcdef", expires, signature)
    with pytest.raises(ConfigError, match="delete the file"):
        check_links(Services(settings))  # `lifestream serve` stops here, before any link is signed


@pytest.mark.parametrize("secret", ["short", "x" * 31])
def test_a_short_secret_setting_is_refused(tmp_path, secret):
    with pytest.raises(ConfigError, match="LIFESTREAM_LINK_SECRET is .* at least 32"):
        meeting_link(Settings(data_dir=tmp_path, link_secret=secret), "0123456789abcdef")
    assert meeting_link(Settings(data_dir=tmp_path, link_secret="x" * 32), "0123456789abcdef")


def test_a_generated_secret_is_private_and_stable(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    link = meeting_link(settings, "0123456789abcdef")
    path = tmp_path / "data" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text()) == 64 and int(path.read_text(), 16) >= 0
    assert (
        meeting_link(settings, "0123456789abcdef", at=0).split("sig=")[1]
        == meeting_link(settings, "0123456789abcdef", at=0).split("sig=")[1]
    )  # read back, not made again
    assert "sig=" in link and [p.name for p in path.parent.iterdir()] == [SECRET_FILE]  # no temporary left


def test_a_start_killed_while_writing_the_secret_leaves_no_usable_empty_key(tmp_path):
    # The process dies right after the key file is made, before the key is in it (SIGKILL at the moment
    # the random key is drawn). The next start must still end up with a full key.
    code = (
        "import os, secrets, signal\n"
        "secrets.token_hex = lambda n=None: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from lifestream.links import link_secret\n"
        "from lifestream.settings import Settings\n"
        f"link_secret(Settings(data_dir={str(tmp_path)!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=os.getcwd())
    assert proc.returncode == -9, proc.stderr
    settings = Settings(data_dir=tmp_path)
    expires, signature = forged_with_empty_key("0123456789abcdef")
    assert verify(settings, "0123456789abcdef", expires, signature) is False
    assert len((tmp_path / SECRET_FILE).read_text()) == 64
