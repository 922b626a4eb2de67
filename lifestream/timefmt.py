"""Timestamps as people read them."""


def clock(seconds: float | None) -> str:
    """mm:ss, or h:mm:ss past an hour."""
    if seconds is None:
        return "--:--"
    total = int(max(0.0, seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def cue(seconds: float, sep: str = ".") -> str:
    """hh:mm:ss.mmm as WebVTT (sep '.') and SRT (sep ',') want it."""
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def duration_text(seconds: float) -> str:
    """A length as people say it: "4 h", "3 h 5 min", "12 min", "45 s"."""
    total = int(round(max(0.0, seconds)))
    if total < 60:
        return f"{total} s"
    minutes = round(total / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def time_left(seconds: float) -> str:
    """A remaining time as a person reads it: "under a minute", "about 3 min", "about 2 h"; never negative."""
    total = max(0.0, seconds)
    if total < 60:
        return "under a minute"
    minutes = max(1, round(total / 60))
    if minutes < 120:
        return f"about {minutes} min"
    return f"about {round(minutes / 60)} h"
