"""Geometry of the meeting page's insights chart: talk time per speaker as horizontal bars.

Computed here, drawn by ``templates/insights_svg.html`` (an inline SVG, no
script), in the same fixed 1000-unit-wide user space and the same speaker
colours as the timeline, so a speaker looks the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifestream.models import Insights, Meeting
from lifestream.timefmt import clock
from lifestream.web.timeline import PALETTE

WIDTH, X0, X1 = 1000, 150, 985
LABEL_W = 250  # room right of the longest bar for its figures
ROW_H, BAR_H, TOP = 34, 22, 8
_STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600)


@dataclass
class TalkBar:
    label: str
    name: str
    color: str
    y: float
    w: float
    value: str  # beside the bar: time and share
    detail: str  # in its tooltip: turns, pace, questions


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class InsightsChart:
    width: int
    height: float
    x0: float
    bar_x1: float
    axis_y: float
    bars: list[TalkBar]
    ticks: list[Tick]


def speaker_colors(meeting: Meeting) -> dict[str, str]:
    """The timeline's colours: by the meeting's speaker order."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(meeting.speakers)}


def build(meeting: Meeting, insights: Insights, colors: dict[str, str] | None = None) -> InsightsChart:
    colors = {**speaker_colors(meeting), **(colors or {})}
    bar_x1 = X1 - LABEL_W
    longest = max((s.talk_seconds for s in insights.speakers), default=0.0)
    step = next((s for s in _STEPS if longest / s <= 6), _STEPS[-1])
    # The axis ends on a tick, so the longest bar reads against a labelled line.
    span = max(step, -(-longest // step) * step)
    scale = (bar_x1 - X0) / span
    bars = []
    for n, s in enumerate(insights.speakers):
        pace = f", {s.words_per_minute:.0f} words/min" if s.words_per_minute is not None else ""
        bars.append(TalkBar(
            label=s.speaker, name=meeting.speaker_name(s.speaker),
            color=colors.get(s.speaker, PALETTE[n % len(PALETTE)]), y=TOP + n * ROW_H,
            w=max(1.5, round(s.talk_seconds * scale, 2)) if s.talk_seconds else 0.0,
            value=f"{clock(s.talk_seconds)} · {s.share:.0%}",
            detail=f"{s.turns} turn{'s' if s.turns != 1 else ''}{pace}, {s.questions} question"
                   f"{'s' if s.questions != 1 else ''}, longest turn {clock(s.longest_turn_seconds)}"))
    axis_y = TOP + len(bars) * ROW_H
    ticks = [Tick(x=round(X0 + t * scale, 2), label=clock(t)) for t in range(0, int(span) + 1, step)]
    return InsightsChart(width=WIDTH, height=axis_y + 24, x0=X0, bar_x1=bar_x1, axis_y=axis_y, bars=bars, ticks=ticks)
