"""LifeStream: meeting recordings in, minutes and answers out."""

import os as _os

# onnxruntime (faster-whisper's voice-activity filter) reports usage to
# mobile.events.data.microsoft.com unless told not to. LifeStream sends nothing
# anywhere it was not configured to; set before any module imports onnxruntime.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
