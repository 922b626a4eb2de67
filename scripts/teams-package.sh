#!/usr/bin/env bash
# Build the Teams app package (upload it in Teams: Apps → Manage your apps → Upload an app).
#
#   scripts/teams-package.sh [APP_ID] [DOMAIN] [OUTPUT]
#
# APP_ID: the bot's Microsoft App ID (a GUID), default $LIFESTREAM_TEAMS_APP_ID; it is used as both the
#         Teams app id and the bot id, as Teams' own samples do.
# DOMAIN: where this server is reached, default the host of $LIFESTREAM_PUBLIC_URL.
# OUTPUT: default build/lifestream-teams.zip.
set -euo pipefail
cd "$(dirname "$0")/.."
APP_ID="${1:-${LIFESTREAM_TEAMS_APP_ID:-}}"
DOMAIN="${2:-}"
OUTPUT="${3:-build/lifestream-teams.zip}"
PYTHON="$( [ -x .venv/bin/python ] && echo .venv/bin/python || command -v python3 )"
exec "$PYTHON" - "$APP_ID" "$DOMAIN" "$OUTPUT" <<'PY'
import json, os, re, sys, zipfile
from pathlib import Path
from urllib.parse import urlsplit

app_id, domain, output = sys.argv[1:4]
if not re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", app_id):
    sys.exit(f"teams-package: the app id must be the bot's Microsoft App ID (a GUID), got {app_id!r}")
domain = domain or (urlsplit(os.environ.get("LIFESTREAM_PUBLIC_URL", "")).hostname or "")
if not re.fullmatch(r"(?=.{1,253}$)([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}", domain):
    sys.exit(f"teams-package: give the public domain of this server (e.g. lifestream.example.com), got {domain!r}")
source = Path("manifests/teams")
text = (source / "manifest.json").read_text(encoding="utf-8")
text = text.replace("{{TEAMS_APP_ID}}", app_id.lower()).replace("{{DOMAIN}}", domain.lower())
json.loads(text)  # never package a manifest Teams would reject as JSON
left = re.findall(r"\{\{\w+\}\}", text)
if left:
    sys.exit(f"teams-package: unfilled placeholders {left}")
out = Path(output)
out.parent.mkdir(parents=True, exist_ok=True)
# Teams wants the three files at the root of the zip.
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
    zf.writestr("manifest.json", text)
    for icon in ("color.png", "outline.png"):
        zf.write(source / icon, icon)
print(out)
PY
