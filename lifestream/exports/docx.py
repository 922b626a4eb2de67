"""The minutes as a Word document (python-docx), from the format-neutral ``Document``."""

from __future__ import annotations

import io
import re

from docx import Document as new_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Inches, Pt, RGBColor

from lifestream.exports.document import Document, Figure

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
GREY = RGBColor(0x5F, 0x6B, 0x7A)
FIGURE_WIDTH = Inches(5.5)
# Characters XML 1.0 cannot hold; python-docx refuses them, and a transcript must never fail an export.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    return _NOT_XML.sub("", text)


def render(doc: Document, *, created=None) -> bytes:
    word = new_docx()
    props = word.core_properties
    props.title, props.author, props.comments = _x(doc.title), "LifeStream", "Meeting minutes"
    if created is not None:
        props.created = created

    word.add_heading(_x(doc.title), level=0)
    for label, value in doc.facts:
        p = word.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        p.add_run(f"{label}: ").bold = True
        p.add_run(_x(value))

    word.add_heading(doc.summary_heading, level=1)
    word.add_paragraph(_x(doc.summary))

    if doc.has_minutes:
        word.add_heading("Decisions", level=1)
        _bullets(word, doc.decisions, "None recorded.")

        word.add_heading("Action items", level=1)
        if doc.action_items:
            _table(word, ("Task", "Owner", "Due", "Time"),
                   [(a.task, a.owner, a.due, a.time) for a in doc.action_items], (3.4, 1.3, 1.3, 0.6))
        else:
            word.add_paragraph("None recorded.")

        if doc.key_points:
            word.add_heading("Key points by speaker", level=1)
            for speaker, points in doc.key_points:
                word.add_heading(_x(speaker), level=2)
                _bullets(word, points, "")

        if doc.open_questions:
            word.add_heading("Open questions", level=1)
            _bullets(word, doc.open_questions, "")

    word.add_heading("Insights", level=1)
    word.add_paragraph(_x(doc.insights_line))
    if doc.insights_table:
        _table(word, ("Speaker", "Talk time", "Share", "Turns", "Words/min", "Questions"),
               [(r.speaker, r.talk, r.share, r.turns, r.pace, r.questions) for r in doc.insights_table],
               (2.1, 0.9, 0.7, 0.7, 0.9, 0.9))

    if doc.parts:
        word.add_heading("Part by part", level=1)
        for heading, summary in doc.parts:
            word.add_heading(_x(heading), level=2)
            word.add_paragraph(_x(summary))

    word.add_heading("Transcript", level=1)
    if not doc.transcript:
        word.add_paragraph("No speech was transcribed.")
    for item in doc.transcript:
        if isinstance(item, Figure):
            word.add_picture(io.BytesIO(item.image), width=FIGURE_WIDTH)
            word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            word.add_paragraph(item.caption, style="Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER
            continue
        p = word.add_paragraph()
        p.paragraph_format.space_after = Pt(2)
        time = p.add_run(f"{item.time}  ")
        time.font.color.rgb, time.font.size = GREY, Pt(9)
        p.add_run(_x(item.speaker)).bold = True
        p.add_run(f"  {_x(item.text)}")

    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _bullets(word, items: list[str], empty: str) -> None:
    if not items and empty:
        word.add_paragraph(empty)
    for item in items:
        word.add_paragraph(_x(item), style="List Bullet")


def _table(word, headings: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> None:
    table = word.add_table(rows=1, cols=len(headings))
    table.style = "Light Grid Accent 1"
    for cell, heading in zip(table.rows[0].cells, headings):
        cell.text = heading
    for row in rows:
        for cell, value in zip(table.add_row().cells, row):
            cell.text = _x(value)
    for column, width in zip(table.columns, widths):
        for cell in column.cells:
            cell.width = Inches(width)
