"""Exports read back the way people would open them: the Word file with python-docx, the PDF
through poppler (pdftotext for its text, pdfimages for its figures, pdftoppm for a page image)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lifestream.exports import FORMATS, MEDIA_TYPES, export, filename, folder_keyframes, stored_keyframes
from lifestream.models import ActionItem, Minutes, Point
from lifestream.pipeline.outputs import minutes_markdown, to_srt, to_vtt
from lifestream.timefmt import clock

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} missing (apt-get install poppler-utils; scripts/setup --test installs it)")
    return path


def _pdftotext(data: bytes, tmp: Path, *args: str) -> str:
    pdf = tmp / "minutes.pdf"
    pdf.write_bytes(data)
    return subprocess.run([_poppler("pdftotext"), *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def sample(processed_sample):
    """The real sample video through the pipeline (4 scenes, 4 keyframes), with minutes that have every part."""
    meeting, result_dir = processed_sample
    assert len(meeting.scenes) == 4 and all(s.keyframe for s in meeting.scenes)
    # The sample is a two-minute chat with no decisions or action items: give it some, with
    # characters a Latin-1 font could not show, so every section is laid out and read back.
    minutes = meeting.minutes.model_copy(update={
        "decisions": [Point(text="Keep the Chicago office — Zoë agrees", speaker="SPEAKER_1", timestamp=21.0)],
        "action_items": [ActionItem(task="Send Diane the Łódź travel plan", owner="SPEAKER_2", due="by Friday",
                                    due_date="2026-12-04", timestamp=12.5),
                         ActionItem(task="Book the room", owner="team", timestamp=24.0)],
    })
    named = meeting.model_copy(update={"minutes": minutes, "speaker_names": {"SPEAKER_1": "Sheila"}})
    return named, result_dir


def test_docx_has_every_section_and_the_keyframes_where_they_were_taken(sample):
    import docx

    meeting, result_dir = sample
    out = export(meeting, "docx", folder_keyframes(result_dir))
    assert out.media_type == MEDIA_TYPES["docx"] and out.filename.endswith(".docx")
    d = docx.Document(io.BytesIO(out.data))
    assert d.core_properties.title == meeting.minutes.title and d.core_properties.author == "LifeStream"
    headings = [p.text for p in d.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == meeting.minutes.title
    for section in ("Summary", "Decisions", "Action items", "Key points by speaker", "Insights", "Transcript"):
        assert section in headings
    text = "\n".join(p.text for p in d.paragraphs)
    assert "Participants: Sheila, SPEAKER_2" in text
    assert f"Date: {meeting.created_at:%Y-%m-%d %H:%M} UTC" in text
    assert "Keep the Chicago office — Zoë agrees — Sheila [00:21]" in text

    tasks = d.tables[0]
    rows = [[c.text for c in row.cells] for row in tasks.rows]
    assert rows == [["Task", "Owner", "Due", "Time"],
                    ["Send Diane the Łódź travel plan", "SPEAKER_2", "2026-12-04 (by Friday)", "00:12"],
                    ["Book the room", "team", "—", "00:24"]]
    speakers = [row.cells[0].text for row in d.tables[1].rows]
    assert set(speakers[1:]) == {"Sheila", "SPEAKER_2"}

    # The transcript: one paragraph per segment, in order, with time and speaker; the four
    # keyframes as pictures, each placed before the first line said after it was taken.
    segments = meeting.transcript.segments
    start = next(i for i, p in enumerate(d.paragraphs) if p.text == "Transcript") + 1
    body = d.paragraphs[start:]
    lines = [p for p in body if re.match(r"\d\d:\d\d  ", p.text)]
    assert [p.text for p in lines] == [f"{clock(s.start)}  {meeting.speaker_name(s.speaker)}  {s.text.strip()}"
                                       for s in segments]
    pictures = [i for i, p in enumerate(body) if p._p.xpath(".//pic:pic")]
    assert len(pictures) == len(d.inline_shapes) == 4
    for n, (i, scene) in enumerate(zip(pictures, meeting.scenes), 1):
        assert body[i + 1].text.startswith(f"Figure {n}. Scene {scene.index + 1}") and body[i + 1].style.name == "Caption"
        said_before = [s for s in segments if s.start < scene.keyframe_time]
        previous = [p for p in body[:i] if p in lines]
        assert len(previous) == len(said_before)  # lines are in order: everything after it follows it
    image = d.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert d.part.related_parts[image].blob == (result_dir / meeting.scenes[0].keyframe).read_bytes()


def test_pdf_text_figures_and_a_page_as_people_see_it(sample, tmp_path):
    from PIL import Image

    meeting, result_dir = sample
    out = export(meeting, "pdf", folder_keyframes(result_dir))
    assert out.data.startswith(b"%PDF-") and out.media_type == "application/pdf"
    text = _pdftotext(out.data, tmp_path)
    flat = _flat(text)
    assert meeting.minutes.title in flat
    for fact in ("Participants: Sheila, SPEAKER_2", "Language: en", f"{meeting.created_at:%Y-%m-%d %H:%M} UTC"):
        assert fact in flat
    assert "Keep the Chicago office — Zoë agrees" in flat and "Send Diane the Łódź travel plan" in flat
    assert "2026-12-04 (by Friday)" in flat
    assert "Talk time" in flat and "words/min" in flat
    # Every line of the transcript, with its time and speaker, in order.
    positions = []
    for seg in meeting.transcript.segments:
        line = _flat(f"{clock(seg.start)} {meeting.speaker_name(seg.speaker)} {seg.text}")
        positions.append(flat.find(line, positions[-1] if positions else 0))
        assert positions[-1] >= 0, line
    # The figures: four images in the file, each caption between the lines said before and after its frame.
    images = subprocess.run([_poppler("pdfimages"), "-list", str(tmp_path / "minutes.pdf")], capture_output=True,
                            text=True, check=True).stdout.splitlines()[2:]
    assert len(images) == 4
    for n, scene in enumerate(meeting.scenes, 1):
        caption = flat.find(f"Figure {n}. Scene {scene.index + 1}")
        before = [p for p, s in zip(positions, meeting.transcript.segments) if s.start < scene.keyframe_time]
        after = [p for p, s in zip(positions, meeting.transcript.segments) if s.start >= scene.keyframe_time]
        assert caption > max(before, default=-1) and caption < min(after, default=len(flat))
    # Page numbers and the outline (bookmarks) people navigate by.
    assert re.search(r"page 1 of (\d+)", flat)
    assert b"/Outlines" in out.data

    pages = subprocess.run([_poppler("pdftoppm"), "-r", "50", "-png", str(tmp_path / "minutes.pdf"),
                            str(tmp_path / "page")], capture_output=True, text=True, check=False)
    assert pages.returncode == 0, pages.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    for png in sorted(tmp_path.glob("page-*.png")):
        shutil.copy(png, ARTIFACTS / f"export-{png.name}")
    first = Image.open(tmp_path / "page-1.png").convert("L")
    assert first.width > 400 and first.getextrema()[0] < 60  # dark text on it, not a blank page
    figure_page = Image.open(sorted(tmp_path.glob("page-*.png"))[1]).convert("RGB")
    assert len(figure_page.resize((60, 80)).getcolors(4800) or []) > 40  # a keyframe's colours, not only text


def test_without_keyframes_the_documents_still_come_out(sample, tmp_path):
    import docx

    meeting, _ = sample

    def gone(path: str) -> None:  # keyframes deleted (retention) or never stored
        return None

    d = docx.Document(io.BytesIO(export(meeting, "docx", gone).data))
    assert len(d.inline_shapes) == 0
    assert "Figure" not in _pdftotext(export(meeting, "pdf", gone).data, tmp_path)


def test_a_meeting_without_minutes_or_speech(sample, tmp_path):
    import docx

    meeting, _ = sample
    bare = meeting.model_copy(update={"minutes": None, "transcript": None, "chunk_minutes": [], "scenes": []})
    d = docx.Document(io.BytesIO(export(bare, "docx").data))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "No minutes were written for this recording." in text and "No speech was transcribed." in text
    assert "No speech was transcribed." in _pdftotext(export(bare, "pdf").data, tmp_path)


def test_text_formats_are_the_files_the_pipeline_writes(sample):
    meeting, _ = sample
    assert export(meeting, "md").data.decode() == minutes_markdown(meeting)
    assert export(meeting, "vtt").data.decode() == to_vtt(meeting)
    assert export(meeting, "srt").data.decode() == to_srt(meeting)
    assert json.loads(export(meeting, "json").data)["meeting_id"] == meeting.meeting_id
    assert set(FORMATS) == {"docx", "pdf", "md", "vtt", "srt", "json"}
    with pytest.raises(ValueError, match="unknown export format 'odt'"):
        export(meeting, "odt")


def test_file_names_are_safe(sample):
    meeting, _ = sample
    odd = meeting.model_copy(update={"minutes": Minutes(title='Q3 / "budget" ../../etc', summary="")})
    assert filename(odd, "pdf") == "Q3-budget-etc.pdf"
    untitled = meeting.model_copy(update={"minutes": Minutes(title="ÄÖÜ", summary="")})
    assert filename(untitled, "docx") == f"{meeting.meeting_id}.docx"


def test_keyframes_come_from_storage_and_never_from_outside_the_meeting(sample, tmp_path):
    from lifestream.storage.local import LocalStorage

    meeting, result_dir = sample
    storage = LocalStorage(tmp_path / "store")
    key = meeting.scenes[0].keyframe
    with (result_dir / key).open("rb") as fh:
        storage.put(f"results/{meeting.meeting_id}/{key}", fh, content_type="image/jpeg")
    read = stored_keyframes(storage, f"results/{meeting.meeting_id}/")
    assert read(key) == (result_dir / key).read_bytes()
    assert read("keyframes/missing.jpg") is None
    assert read("../other/keyframes/scene-0000.jpg") is None and read("/etc/passwd") is None
    assert folder_keyframes(result_dir)("../../etc/passwd") is None


def test_pdf_without_a_unicode_font_falls_back_to_latin1(sample, tmp_path, monkeypatch, caplog):
    from lifestream.exports import pdf

    meeting, _ = sample
    monkeypatch.setattr(pdf, "FONT_DIRS", ())
    data = export(meeting, "pdf").data
    assert "no TrueType font found" in caplog.text
    flat = _flat(_pdftotext(data, tmp_path))
    assert "Keep the Chicago office - Zo" in flat and "Send Diane the ?\u00f3d? travel plan" in flat
    with pytest.raises(FileNotFoundError, match="LIFESTREAM_PDF_FONT"):
        export(meeting, "pdf", pdf_font=tmp_path / "nope.ttf")


def test_cli_writes_an_export_from_storage(processed_sample, tmp_path, monkeypatch, capsys):
    """`lifestream export <id> --format docx|pdf`: the meeting read from storage, keyframes included."""
    import docx

    from lifestream.cli import main

    meeting, result_dir = processed_sample
    monkeypatch.setenv("LIFESTREAM_DATA_DIR", str(result_dir.parent.parent))
    out = tmp_path / "m.docx"
    assert main(["export", meeting.meeting_id, "--format", "docx", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert len(docx.Document(str(out)).inline_shapes) == len(meeting.scenes)
    monkeypatch.chdir(tmp_path)
    assert main(["export", meeting.meeting_id]) == 0  # PDF by default, named after the minutes
    written = tmp_path / capsys.readouterr().out.strip()
    assert written.name.endswith(".pdf") and written.read_bytes().startswith(b"%PDF-")
    assert main(["export", "0000000000000000"]) == 2
    assert "no processed meeting 0000000000000000" in capsys.readouterr().err
    assert main(["export", "../etc"]) == 2
