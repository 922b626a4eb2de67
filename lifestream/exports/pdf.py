"""The minutes as a PDF (fpdf2), from the format-neutral ``Document``.

fpdf2 is pure Python (its wheel builds nothing; Pillow and fontTools, which it
needs, ship wheels for every platform), lays out flowing text, tables that
repeat their heading row across pages, and images, and embeds a subset of a
TrueType font so any script the font covers is searchable and copyable text.
The font is DejaVu Sans (Debian's fonts-dejavu-core, which scripts/setup and
the Docker image install), or the TrueType file ``LIFESTREAM_PDF_FONT`` names.
Without either, the PDF falls back to the built-in Helvetica, which holds
Latin-1 only: anything else becomes "?", so a warning says so.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime
from pathlib import Path

from fpdf import FPDF, FontFace, XPos, YPos
from PIL import Image

from lifestream.exports.document import Document, Figure

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/pdf"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/share/fonts/TTF"), Path("/usr/local/share/fonts"))
# Used for the characters DejaVu lacks (Chinese, Japanese, Korean) when such a font is installed
# (Debian: fonts-noto-cjk); without one those characters are left out, and fpdf2 logs which.
CJK_FONTS = (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
             Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
             Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
             Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"))
FAMILY = "body"
DARK, GREY, ACCENT = (31, 41, 51), (95, 107, 122), (37, 99, 235)
LINE = 5.2
FIGURE_WIDTH = 105.0  # mm
TIME_COLUMN = 13.0  # mm
# What the built-in font cannot show, spelled with what it can.
_LATIN1 = str.maketrans({"•": "-", "—": "-", "–": "-", "…": "...", "“": '"', "”": '"', "‘": "'", "’": "'", "·": "-"})


def find_font(configured: Path | None = None) -> tuple[Path, Path | None] | None:
    """(regular, bold) TrueType files: the configured one, else DejaVu Sans; None if neither is there."""
    if configured is not None:
        if not configured.is_file():
            raise FileNotFoundError(f"LIFESTREAM_PDF_FONT: no font file at {configured}")
        bold = configured.with_name(f"{configured.stem}-Bold{configured.suffix}")
        return configured, bold if bold.is_file() else None
    for folder in FONT_DIRS:
        regular = folder / "DejaVuSans.ttf"
        if regular.is_file():
            bold = folder / "DejaVuSans-Bold.ttf"
            return regular, bold if bold.is_file() else None
    return None


class _Pdf(FPDF):
    def __init__(self, title: str, font: tuple[Path, Path | None] | None) -> None:
        super().__init__(format="A4")
        self.doc_title = title
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)
        self.unicode = font is not None
        if font is not None:
            regular, bold = font
            self.add_font(FAMILY, "", regular)
            self.add_font(FAMILY, "B", bold or regular)
            self.body_family = FAMILY
            cjk = next((f for f in CJK_FONTS if f.is_file()), None)
            if cjk is not None:
                self.add_font("cjk", "", cjk)
                self.add_font("cjk", "B", cjk)
                self.set_fallback_fonts(["cjk"], exact_match=False)
        else:
            log.warning("no TrueType font found (install fonts-dejavu-core or set LIFESTREAM_PDF_FONT): "
                        "the PDF shows Latin-1 text only")
            self.body_family = "helvetica"

    def text_of(self, text: str) -> str:
        if self.unicode:
            return text
        return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    def style(self, size: float, bold: bool = False, color: tuple[int, int, int] = DARK) -> None:
        self.set_font(self.body_family, "B" if bold else "", size)
        self.set_text_color(*color)

    def footer(self) -> None:
        self.set_y(-12)
        self.style(8, color=GREY)
        self.cell(0, 5, self.text_of(f"{self.doc_title} · page {self.page_no()} of {{nb}}"), align="C")

    def heading(self, text: str, level: int = 0, keep_with: float = 14) -> None:
        """``keep_with``: the height of what follows that must share the page with the heading."""
        size = 13 if level == 0 else 11
        if self.will_page_break(size + keep_with):
            self.add_page()  # a heading never ends a page
        self.ln(3 if level else 5)
        self.start_section(self.text_of(text), level=level)
        self.style(size, bold=True, color=DARK if level else ACCENT)
        self.multi_cell(0, size * 0.55, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if level == 0:
            self.set_draw_color(*ACCENT)
            self.line(self.l_margin, self.get_y() + 0.5, self.w - self.r_margin, self.get_y() + 0.5)
        self.ln(2)

    def paragraph(self, text: str, size: float = 10, color: tuple[int, int, int] = DARK) -> None:
        self.style(size, color=color)
        self.multi_cell(0, LINE, self.text_of(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def bullets(self, items: list[str], empty: str = "") -> None:
        if not items and empty:
            self.paragraph(empty, color=GREY)
        self.style(10)
        for item in items:
            self.set_x(self.l_margin + 2)
            self.multi_cell(0, LINE, self.text_of(f"•  {item}"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(0.8)

    def rows(self, headings: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> None:
        self.style(9)
        heading_style = FontFace(family=self.body_family, emphasis="BOLD", color=(255, 255, 255), fill_color=ACCENT)
        with self.table(col_widths=widths, headings_style=heading_style, line_height=LINE, text_align="LEFT",
                        borders_layout="HORIZONTAL_LINES", padding=1) as table:
            for values in (headings, *rows):
                row = table.row()
                for value in values:
                    row.cell(self.text_of(value))
        self.ln(2)

    def figure_size(self, fig: Figure) -> tuple[float, float]:
        with Image.open(io.BytesIO(fig.image)) as img:
            width_px, height_px = img.size
        w = min(FIGURE_WIDTH, self.epw)
        return w, w * height_px / max(width_px, 1)

    def figure(self, fig: Figure) -> None:
        w, h = self.figure_size(fig)
        if self.will_page_break(h + 12):
            self.add_page()  # keep the caption with its image
        self.ln(1.5)
        self.image(io.BytesIO(fig.image), x=self.l_margin + (self.epw - w) / 2, w=w, h=h, alt_text=fig.caption)
        self.style(8.5, color=GREY)
        self.multi_cell(0, 4.5, self.text_of(fig.caption), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def utterance(self, time: str, speaker: str, text: str) -> None:
        margin = self.l_margin
        if self.will_page_break(LINE):
            self.add_page()
        self.style(8.5, color=GREY)
        self.cell(TIME_COLUMN, LINE, time)
        # write() wraps to the left margin: moved right, the lines hang under the speaker.
        self.set_left_margin(margin + TIME_COLUMN)
        self.style(10, bold=True)
        self.write(LINE, self.text_of(speaker))
        self.style(10)
        self.write(LINE, self.text_of(f"   {text}"))
        self.set_left_margin(margin)
        self.ln(LINE + 1.6)


def render(doc: Document, *, created: datetime | None = None, language: str | None = None,
           font: Path | None = None) -> bytes:
    pdf = _Pdf(doc.title, find_font(font))
    pdf.set_title(doc.title)
    pdf.set_author("LifeStream")
    pdf.set_creator("LifeStream")
    pdf.set_subject("Meeting minutes")
    if language:
        pdf.set_lang(language)
    if created is not None:
        pdf.set_creation_date(created)
    pdf.add_page()

    pdf.style(20, bold=True)
    pdf.multi_cell(0, 9, pdf.text_of(doc.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for label, value in doc.facts:
        pdf.style(9.5, bold=True, color=GREY)
        pdf.write(LINE, pdf.text_of(f"{label}: "))
        pdf.style(9.5, color=GREY)
        pdf.write(LINE, pdf.text_of(value))
        pdf.ln(LINE)

    pdf.heading(doc.summary_heading)
    pdf.paragraph(doc.summary)

    if doc.has_minutes:
        pdf.heading("Decisions")
        pdf.bullets(doc.decisions, "None recorded.")
        pdf.heading("Action items")
        if doc.action_items:
            pdf.rows(("Task", "Owner", "Due", "Time"), [(a.task, a.owner, a.due, a.time) for a in doc.action_items],
                     (52, 20, 30, 10))
        else:
            pdf.paragraph("None recorded.", color=GREY)
        if doc.key_points:
            pdf.heading("Key points by speaker")
            for speaker, points in doc.key_points:
                pdf.heading(speaker, level=1)
                pdf.bullets(points)
        if doc.open_questions:
            pdf.heading("Open questions")
            pdf.bullets(doc.open_questions)

    pdf.heading("Insights")
    pdf.paragraph(doc.insights_line, size=9.5)
    if doc.insights_table:
        pdf.rows(("Speaker", "Talk time", "Share", "Turns", "Words/min", "Questions"),
                 [(r.speaker, r.talk, r.share, r.turns, r.pace, r.questions) for r in doc.insights_table],
                 (40, 16, 13, 12, 16, 16))

    if doc.parts:
        pdf.heading("Part by part")
        for heading, summary in doc.parts:
            pdf.heading(heading, level=1)
            pdf.paragraph(summary)

    first = doc.transcript[0] if doc.transcript else None
    pdf.heading("Transcript", keep_with=pdf.figure_size(first)[1] + 14 if isinstance(first, Figure) else 14)
    if not doc.transcript:
        pdf.paragraph("No speech was transcribed.", color=GREY)
    for item in doc.transcript:
        if isinstance(item, Figure):
            pdf.figure(item)
        else:
            pdf.utterance(item.time, item.speaker, item.text)
    return bytes(pdf.output())
