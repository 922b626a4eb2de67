"""Geometry of the meeting page's timeline: who spoke when, and the scenes' keyframes, on one time axis.

Computed here, drawn by ``templates/timeline_svg.html`` (an inline SVG: no script,
no client-side layout). The SVG's user space is a fixed 1000 units wide and
scales with the page.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from lifestream.models import Meeting
from lifestream.pipeline.insights import speaker_turns
from lifestream.timefmt import clock

# Distinguishable, and readable with white text; repeats past eight speakers.
PALETTE = ("#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626")
WIDTH, X0, X1 = 1000, 150, 985
ROW_H, TOP = 28, 8
SCENE_H, THUMB_MAX, THUMB_MIN = 66, 104, 28
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800)


@dataclass
class Bar:
    x: float
    w: float
    title: str
    href: str


@dataclass
class Row:
    label: str
    name: str
    color: str
    y: float
    bars: list[Bar] = field(default_factory=list)
    share: float = 0.0  # of the speaking time


@dataclass
class SceneMark:
    index: int
    x: float  # the scene's band
    w: float
    kx: float  # the keyframe's time
    thumb_x: float
    thumb_w: float
    thumb_h: float
    image: str | None
    title: str
    shade: bool


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    width: int
    height: float
    x0: float
    x1: float
    rows: list[Row]
    scenes: list[SceneMark]
    ticks: list[Tick]
    scene_y: float
    axis_y: float
    colors: dict[str, str]

    @property
    def plot_top(self) -> float:
        return TOP

    @property
    def plot_bottom(self) -> float:
        return self.axis_y


def build(meeting: Meeting, keyframe_url: Callable[[str], str | None]) -> Timeline:
    duration = max(meeting.source.duration or 0.0, meeting.transcript.duration if meeting.transcript else 0.0, 1.0)
    scale = (X1 - X0) / duration

    def x(t: float) -> float:
        return round(X0 + min(max(t, 0.0), duration) * scale, 2)

    turns = speaker_turns(meeting)
    labels = list(dict.fromkeys([*meeting.speakers, *(t.speaker for t in turns)]))
    colors = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}
    rows = {label: Row(label=label, name=meeting.speaker_name(label), color=colors[label], y=TOP + i * ROW_H)
            for i, label in enumerate(labels)}

    segments = meeting.transcript.segments if meeting.transcript else []
    starts = [s.start for s in segments]
    spoken: dict[str, float] = {label: 0.0 for label in labels}
    for turn in turns:
        row = rows[turn.speaker]
        # Link each turn to the transcript line where it begins (no script: a plain #anchor).
        i = max(0, bisect_right(starts, turn.start + 0.25) - 1)
        href = f"#seg-{segments[i].id}" if segments else "#transcript"
        row.bars.append(Bar(x=x(turn.start), w=max(1.5, round((turn.end - turn.start) * scale, 2)),
                            title=f"{row.name} {clock(turn.start)}–{clock(turn.end)}", href=href))
        spoken[turn.speaker] += max(0.0, turn.end - turn.start)
    total = sum(spoken.values()) or 1.0
    for label, row in rows.items():
        row.share = spoken[label] / total

    scene_y = TOP + len(labels) * ROW_H + 6
    marks = []
    for n, scene in enumerate(meeting.scenes):
        at = scene.keyframe_time if scene.keyframe_time is not None else (scene.start + scene.end) / 2
        band_w = max(1.5, round((scene.end - scene.start) * scale, 2))
        thumb_w = min(THUMB_MAX, max(THUMB_MIN, band_w - 4))
        thumb_x = min(max(x(at) - thumb_w / 2, X0), X1 - thumb_w)
        marks.append(SceneMark(
            index=scene.index, x=x(scene.start), w=band_w, kx=x(at), thumb_x=round(thumb_x, 2),
            thumb_w=round(thumb_w, 2), thumb_h=round(min(thumb_w * 9 / 16, SCENE_H - 8), 2),
            image=keyframe_url(scene.keyframe) if scene.keyframe else None,
            title=f"Scene {scene.index + 1}, {clock(scene.start)}–{clock(scene.end)}", shade=n % 2 == 0))
    axis_y = scene_y + (SCENE_H if marks else 0) + 4
    step = next((s for s in _STEPS if duration / s <= 8), _STEPS[-1])
    ticks = [Tick(x=x(t), label=clock(t)) for t in range(0, int(duration) + 1, step)]
    return Timeline(width=WIDTH, height=axis_y + 22, x0=X0, x1=X1, rows=list(rows.values()), scenes=marks,
                    ticks=ticks, scene_y=scene_y, axis_y=axis_y, colors=colors)
