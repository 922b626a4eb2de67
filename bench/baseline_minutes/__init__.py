"""The offline minutes as they were on main at ad45a42, frozen for bench/minutes.py's before/after table.

A verbatim copy of lifestream/pipeline/minutes_offline.py, sentences.py and
due_dates.py at that commit (imports made relative), so the baseline stays the
same code however the live modules change. Not used by the application.
"""

from .minutes_offline import summarize

__all__ = ["summarize"]
