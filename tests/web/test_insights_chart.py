"""The insights chart: its geometry, and the bars as headless Chromium draws them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

from lifestream.models import Meeting, Segment, SourceInfo, SpeakerTurn, Transcript
from lifestream.pipeline import insights
from lifestream.timefmt import clock
from lifestream.web import insights_chart

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _meeting(turns: list[tuple[str, float, float]], duration: float = 60.0) -> Meeting:
    return Meeting(
        meeting_id="m", source=SourceInfo(name="t.wav", sha256="0", size_bytes=1, format="wav", duration=duration,
                                          has_video=False),
        speakers=list(dict.fromkeys(t[0] for t in turns)),
        transcript=Transcript(language="en", duration=duration,
                              segments=[Segment(id=0, start=0, end=1, text="hello", speaker=turns[0][0])]),
        turns=[SpeakerTurn(speaker=s, start=a, end=b) for s, a, b in turns])


def _render_chart(meeting: Meeting) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("lifestream.web", "templates"), autoescape=True)
    chart = insights_chart.build(meeting, insights.compute(meeting))
    svg = env.get_template("insights_svg.html").render(chart=chart)
    return f'<!doctype html><html><body style="margin:0;background:#fff">{svg}</body></html>'


def test_chart_geometry():
    turns = [("A", 0, 40), ("B", 41, 51), ("C", 52, 57)]
    meeting = _meeting(turns)
    meeting.speaker_names = {"A": "Alice <admin>"}
    chart = insights_chart.build(meeting, insights.compute(meeting))
    widths = [b.w for b in chart.bars]
    assert [b.name for b in chart.bars] == ["Alice <admin>", "B", "C"]
    assert widths[0] / widths[1] == pytest.approx(4, rel=0.01) and widths[0] / widths[2] == pytest.approx(8, rel=0.01)
    assert chart.x0 + widths[0] <= chart.bar_x1 and chart.ticks[-1].x >= chart.x0 + widths[0]
    assert [b.color for b in chart.bars] == list(insights_chart.speaker_colors(meeting).values())
    html = _render_chart(meeting)
    assert "Alice &lt;admin&gt;" in html and "<script" not in html
    assert html.count('class="talk"') == 3 and f"{clock(40)} · 73%" in html


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def test_chart_in_headless_chromium(tmp_path):
    """The bars as a browser draws them: each speaker's colour, lengths in proportion to talk time."""
    from PIL import Image

    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary (apt-get install chromium; scripts/setup --test installs it)")
    turns = [("A", 0, 40), ("B", 41, 51), ("C", 52, 57)]
    meeting = _meeting(turns)
    page = tmp_path / "chart.html"
    page.write_text(_render_chart(meeting))
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "insights-chart.png"
    shot.unlink(missing_ok=True)
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
                          f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,200",
                          f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    img = Image.open(shot).convert("RGB")
    assert img.size == (1000, 200)
    chart = insights_chart.build(meeting, insights.compute(meeting))
    scale = img.width / chart.width  # the SVG is 100% wide: user units to pixels
    for bar in chart.bars:
        color = tuple(int(bar.color[i:i + 2], 16) for i in (1, 3, 5))
        y = round((bar.y + 11) * scale)
        row = [img.getpixel((x, y)) for x in range(img.width)]
        painted = [x for x, px in enumerate(row) if all(abs(p - c) <= 12 for p, c in zip(px, color))]
        assert painted, f"no {bar.color} pixels on {bar.label}'s row"
        assert min(painted) == pytest.approx(chart.x0 * scale, abs=3)
        assert len(painted) == pytest.approx(bar.w * scale, abs=4), bar.label
