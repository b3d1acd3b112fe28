"""Official documents of a dossier as PDF, in the layout of Decree 30/2020/NĐ-CP, stored with the dossier.

Each kind of document (receipt slip, supplement request, fee notice, refusal, apology, the results) has a
template in `engine/document_templates/<kind>.txt`: Jinja text in a small line markup (below) that says
what the paper says. The layout every paper shares — agency and national motto at the top, number, place
and date, title, signatures, recipients — is drawn here once.

Line markup of a template:
    # TITLE                        centred bold title (the first one under the header)
    ## subtitle                    centred
    | a | b | c |                  a table row; the first row of a table is its header
    - text                         an indented item
    @signature: left | right | name   the signature block (left may be empty)
    @recipients: a; b; c           "Nơi nhận:" at the bottom left
    @stamp: text                   a framed box (the reception stamp of a declaration)
    anything else                  a justified paragraph; paragraphs are separated by blank lines
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import deflate
import pikepdf
from fontTools import subset, ttLib
from fontTools.ttLib import scaleUpem
from fontTools.ttLib.sfnt import SFNTReader, SFNTWriter
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from reportlab import rl_config
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import ColumnElement, ForeignKey, Index, Select, String, bindparam, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.legal_time.business_calendar import load_calendar
from engine.legal_time.clock import clock
from engine.legal_time.legal_clock import LegalClock
from engine.onestop import daily_figures
from engine.onestop.numbering import take_number
from engine.onestop.signing import SigningKey, sign_pdf
from engine.onestop.vietnamese_text import (
    last_day,
    local,
    long_date,
    long_datetime,
    money,
    money_in_words,
    short_date,
)
from engine.runtime import audit
from engine.runtime.db import Base, PackedJSON, Prepared, connection, insert_as_read
from engine.runtime.dossier import Dossier
from engine.runtime.file_store import file_store
from engine.runtime.outbox import OutboxEntry

TEMPLATES = Path(__file__).parent / "document_templates"
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
FONT = "DocSerif"
# The outbox's effect that draws a paper (engine.onestop.paperwork).
PAPER = "paper"
# Page contents compressed as binary: the ASCII85 text reportlab wraps them in by default is a quarter larger.
rl_config.useA85 = 0


@dataclass(frozen=True)
class Kind:
    code: str
    title: str  # Vietnamese, as printed
    symbol: str  # the letters after the number: Số: 12/GP-SKHCN
    result: bool = False
    # The field of the dossier's data that keeps the paper's number, filled when the step issuing it is done.
    number_field: str = ""


KINDS: dict[str, Kind] = {k.code: k for k in (
    Kind("receipt", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "TNHS"),
    Kind("supplement_request", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", "BSHS", number_field="request_number"),
    Kind("fee_notice", "Thông báo nộp phí, lệ phí", "TB", number_field="fee_notice_number"),
    Kind("refusal", "Phiếu từ chối giải quyết hồ sơ", "TCHS", number_field="refusal_number"),
    Kind("apology", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", "XL"),
    Kind("certificate", "Chứng chỉ nhân viên bức xạ", "CCBX", result=True, number_field="result_number"),
    Kind("licence", "Giấy phép tiến hành công việc bức xạ", "GP", result=True, number_field="result_number"),
    Kind("declaration_confirmation", "Giấy xác nhận khai báo thiết bị X-quang chẩn đoán trong y tế", "XNKB",
         result=True, number_field="result_number"),
    # Procedures 8 and 9: the unit or the PPC decides; the one-stop shop tells the applicant (TT 8-9 a) Bước 3).
    Kind("appointment_notice", "Thông báo kết quả xét bổ nhiệm chức danh nghiên cứu khoa học, chức danh công nghệ",
         "TB", number_field="appointment_notice_number"),
    Kind("quantity_mark_declaration", "Bản công bố sử dụng dấu định lượng trên nhãn hàng đóng gói sẵn", "TNCB",
         result=True),
)}


@dataclass(frozen=True)
class Agency:
    """Who issues the papers (configuration: MOTCUA_AGENCY_* variables override the defaults)."""

    parent: str = "UBND TỈNH ĐỒNG NAI"
    name: str = "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    # The name as written inside a sentence (proper-noun capitals, not the header's upper case).
    name_in_text: str = "Sở Khoa học và Công nghệ tỉnh Đồng Nai"
    short: str = "SKHCN"
    place: str = "Đồng Nai"
    signer_title: str = "GIÁM ĐỐC"
    signer_in_text: str = "Giám đốc"
    signer_name: str = ""
    # The seed, step 2 of every procedure: "Số 1597 đường Phạm Văn Thuận, phường Thống Nhất, …".
    address: str = "Số 1597 đường Phạm Văn Thuận, phường Thống Nhất, thành phố Biên Hòa, tỉnh Đồng Nai"
    # The account fees are paid into (number, holder, bank or treasury); the seed names none, so it is set
    # by MOTCUA_AGENCY_FEE_ACCOUNT and the notice prints it only when set.
    fee_account: str = ""
    # Where applicants file online, as the seed names it (step 2 of every procedure): the receiver its papers
    # name for a dossier filed there.
    portal_name: str = "Cổng Dịch vụ công trực tuyến tỉnh Đồng Nai"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Agency:
        values = {name: environ[f"MOTCUA_AGENCY_{name.upper()}"] for name in cls.__dataclass_fields__
                  if f"MOTCUA_AGENCY_{name.upper()}" in environ}
        return cls(**values)


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (Index("ix_document_dossier", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    # What the paper was filled with, so that it can be explained later without parsing the PDF.
    facts: Mapped[dict[str, Any]] = mapped_column(PackedJSON, default=dict)
    # The PDF is in the file store (engine.runtime.file_store) under this hash.
    sha256: Mapped[str] = mapped_column(String(64))

    @property
    def content(self) -> bytes:
        return file_store().get(self.sha256)


@dataclass
class Paper:
    """Everything a template may use."""

    kind: Kind
    number: str
    issued_at: datetime
    agency: Agency
    dossier: Mapping[str, Any]
    data: Mapping[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)


# -- fonts and styles ------------------------------------------------------------------------------------


def _font_file(names: tuple[str, ...]) -> str | None:
    folders = [os.environ["MOTCUA_FONT_DIR"]] if os.environ.get("MOTCUA_FONT_DIR") else []
    for folder in (*folders, *FONT_DIRS):
        for name in names:
            path = Path(folder) / name
            if path.is_file():
                return str(path)
    return None


# What Vietnamese papers print: Latin with its Vietnamese letters and combining marks, punctuation, ₫ and №.
_PRINTED = (*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00),
            *range(0x2010, 0x2070), 0x20AB, 0x2116)


UNITS_PER_EM = 500


@cache
def _slim(path: str) -> bytes:
    """The font without hinting, layout tables and unused scripts, before reportlab subsets it per paper.

    reportlab already embeds only the glyphs a paper uses, but DejaVu's glyphs carry TrueType hinting
    programs and the subset keeps the full name table: five faces came to ~75 KB per receipt. Screens and
    printers of today do not need the hinting; without it a receipt stays well under 30 KB. DejaVu draws
    on 2048 units per em; scaled to 500 most outline deltas fit in one byte and repeat more often, and the
    subsets of a receipt are ~2 KB smaller (a unit is then 0.008 mm at 12 pt, a fifth of a 600 dpi
    printer's dot: page images at 600 dpi differ only in antialiasing). 500 divides the PDF's 1000, so the
    widths the font dictionaries list stay whole numbers.
    """
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = [1, 2, 4, 6]
    options.drop_tables += ["GPOS", "GSUB", "GDEF", "kern", "MATH", "FFTM", "gasp", "hdmx", "LTSH", "VDMX"]
    font = ttLib.TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_PRINTED)
    subsetter.subset(font)
    scaleUpem.scale_upem(font, UNITS_PER_EM)
    slim = io.BytesIO()
    font.save(slim)
    return slim.getvalue()


@cache
def _register_fonts() -> None:
    """DejaVu Serif has every Vietnamese glyph; italics fall back to the upright face when not installed."""
    regular = _font_file(("DejaVuSerif.ttf",))
    if regular is None:
        raise RuntimeError("DejaVu Serif is not installed: apt-get install fonts-dejavu-core "
                           "(scripts/services.sh does it), or set MOTCUA_FONT_DIR")
    bold = _font_file(("DejaVuSerif-Bold.ttf",)) or regular
    italic = _font_file(("DejaVuSerif-Italic.ttf", "DejaVuSerifCondensed-Italic.ttf")) or regular
    bold_italic = _font_file(("DejaVuSerif-BoldItalic.ttf", "DejaVuSerifCondensed-BoldItalic.ttf")) or bold
    for name, path in ((FONT, regular), (f"{FONT}-Bold", bold), (f"{FONT}-Italic", italic),
                       (f"{FONT}-BoldItalic", bold_italic)):
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(_slim(path)), asciiReadable=False))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=f"{FONT}-Bold", italic=f"{FONT}-Italic",
                                  boldItalic=f"{FONT}-BoldItalic")


def _style(name: str, size: float = 12, align: int = TA_JUSTIFY, font: str = FONT, **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.35, alignment=align, **kw)


BODY = _style("body", 12.5, spaceAfter=4, firstLineIndent=8 * mm)
ITEM = _style("item", 12.5, spaceAfter=2, leftIndent=8 * mm)
CELL = _style("cell", 10.5, TA_LEFT)
HEAD_CELL = _style("head_cell", 10.5, TA_CENTER, font=f"{FONT}-Bold")
CENTER = _style("center", 12, TA_CENTER)
TITLE = _style("title", 13.5, TA_CENTER, font=f"{FONT}-Bold", spaceBefore=10, spaceAfter=2)
SUBTITLE = _style("subtitle", 12.5, TA_CENTER, spaceAfter=8)
SMALL = _style("small", 10, TA_LEFT)


class _Condensed(Flowable):
    """Centred lines of a header in a narrowed face. DejaVu Serif Condensed is the upright face at 90 % of its
    width (the same advance widths, to the unit); drawing the upright face at that horizontal scale looks the
    same and embeds no extra fonts, ~5 KB less per paper."""

    SCALE = 0.9

    def __init__(self, text: str, size: float, font: str = FONT) -> None:
        super().__init__()
        self.text, self.size, self.font = text, size, font
        self.leading = size * 1.35
        self.lines: list[str] = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.lines = simpleSplit(self.text, self.font, self.size, available_width / self.SCALE) or [""]
        self.height = len(self.lines) * self.leading
        return self.width, self.height

    def draw(self) -> None:
        text = self.canv.beginText()
        text.setFont(self.font, self.size, self.leading)
        text.setHorizScale(self.SCALE * 100)
        for i, line in enumerate(self.lines):
            # Where a paragraph puts its baselines: a font size down from the top, a leading apart.
            width = pdfmetrics.stringWidth(line, self.font, self.size) * self.SCALE
            text.setTextOrigin((self.width - width) / 2, self.height - self.size - i * self.leading)
            text.textOut(line)
        self.canv.drawText(text)


class _Rule(Flowable):
    """The short line under the agency name and under the motto."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.width, self.height = width, 2

    def draw(self) -> None:
        self.canv.setLineWidth(0.6)
        self.canv.line(0, 1, self.width, 1)


def _header(paper: Paper, width: float) -> Table:
    agency = paper.agency
    left = [
        _Condensed(agency.parent, 11.5),
        _Condensed(agency.name, 11.5, f"{FONT}-Bold"),
        _Rule(30 * mm),
        Spacer(1, 4),
        Paragraph(f"Số: {paper.number}", _style("n", 12.5, TA_CENTER)),
    ]
    right = [
        _Condensed("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 11.5, f"{FONT}-Bold"),
        _Condensed("Độc lập - Tự do - Hạnh phúc", 12.5, f"{FONT}-Bold"),
        _Rule(55 * mm),
        Spacer(1, 4),
        Paragraph(f"<i>{agency.place}, {long_date(paper.issued_at)}</i>", _style("d", 12.5, TA_CENTER)),
    ]
    table = Table([[left, right]], colWidths=[width * 0.42, width * 0.58])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _table(rows: list[list[str]], width: float) -> Table:
    columns = max(len(r) for r in rows)
    rows = [r + [""] * (columns - len(r)) for r in rows]
    cells = [[Paragraph(c, HEAD_CELL if i == 0 else CELL) for c in row] for i, row in enumerate(rows)]
    first = 12 * mm if rows[0][0].strip().casefold() in ("tt", "stt") else 0
    # The other columns share the width by how much they hold (within bounds), so long texts wrap less.
    weights = [min(max(max(len(r[c]) for r in rows), 24), 40) for c in range(1 if first else 0, columns)]
    widths = ([first] if first else []) + [(width - first) * w / sum(weights) for w in weights]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _signature(spec: str, width: float) -> Table:
    parts = [p.strip() for p in spec.split("|")] + ["", "", ""]
    left, right, name = parts[:3]
    caption = _style("sig", 12, TA_CENTER, font=f"{FONT}-Bold")
    hint = _style("hint", 11, TA_CENTER, font=f"{FONT}-Italic")
    # Two parties (a receipt) each sign with their name written out, as the desk's form says; an agency's
    # paper carries the capacity, the signature and seal, and the name (Decree 30/2020, appendix I, 8).
    signs_with_hint = bool(left)

    def block(title: str, person: str) -> list[Flowable]:
        if not title:
            return []
        hint_line = [Paragraph("(Ký, ghi rõ họ tên)", hint)] if signs_with_hint else []
        return [Paragraph(title, caption), *hint_line, Spacer(1, 22 * mm),
                Paragraph(f"<b>{person}</b>" if person else "", CENTER)]
    table = Table([[block(left, ""), block(right, name)]], colWidths=[width / 2, width / 2])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _stamp(text: str, width: float) -> Table:
    table = Table([[Paragraph(text, _style("stamp", 11.5, TA_CENTER, font=f"{FONT}-Bold",
                                           textColor=colors.HexColor("#b00020")))]], colWidths=[width * 0.55])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor("#b00020")),
                               ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    table.hAlign = "RIGHT"
    return table


def _verification(url: str, width: float) -> Table:
    """The QR code of the public verification page, with its address for those who type it."""
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    side = 24 * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    caption = Paragraph(f"<i>Tra cứu tính hợp lệ của văn bản (còn hiệu lực, đã sửa đổi, thay thế hay hết hạn) "
                        f"bằng mã QR hoặc tại:</i><br/>{url}", _style("qr", 9, TA_LEFT))
    table = Table([[drawing, caption]], colWidths=[side + 4 * mm, width - side - 4 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _flowables(text: str, width: float) -> list[Flowable]:
    story: list[Flowable] = []
    paragraph: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if paragraph:
            story.append(Paragraph(" ".join(paragraph), BODY))
            paragraph.clear()
        if rows:
            story.extend([Spacer(1, 3), _table(list(rows), width), Spacer(1, 6)])
            rows.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            if paragraph:
                flush()
            rows.append([c.strip() for c in line.strip("|").split("|")])
            continue
        if rows:
            flush()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            story.append(Paragraph(line[3:], SUBTITLE))
        elif line.startswith("# "):
            flush()
            story.append(Paragraph(line[2:].upper(), TITLE))
        elif line.startswith("- "):
            flush()
            story.append(Paragraph(line[2:], ITEM))
        elif line.startswith("@signature:"):
            flush()
            story.extend([Spacer(1, 8), KeepTogether(_signature(line.removeprefix("@signature:"), width))])
        elif line.startswith("@recipients:"):
            flush()
            names = [n.strip() for n in line.removeprefix("@recipients:").split(";") if n.strip()]
            story.append(KeepTogether([Paragraph("<b><i>Nơi nhận:</i></b>", SMALL)] + [
                Paragraph(f"- {n};" if i < len(names) - 1 else f"- {n}.", SMALL) for i, n in enumerate(names)]))
        elif line.startswith("@stamp:"):
            flush()
            story.extend([Spacer(1, 6), _stamp(line.removeprefix("@stamp:").strip(), width)])
        else:
            paragraph.append(line)
    flush()
    return story


# -- templates -------------------------------------------------------------------------------------------


@cache
def _environment() -> SandboxedEnvironment:
    # Autoescape for XML: values land in reportlab's paragraph markup, where < and & mean something.
    env = SandboxedEnvironment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True)
    env.filters.update(last_day=last_day, long_date=long_date, long_datetime=long_datetime, short_date=short_date,
                       money=money, money_in_words=money_in_words)
    return env


def render_text(paper: Paper) -> str:
    template = _environment().get_template(f"{paper.kind.code}.txt")
    return template.render(paper=paper, kind=paper.kind, agency=paper.agency, dossier=paper.dossier,
                           data=paper.data, extra=paper.extra, number=paper.number, issued_at=paper.issued_at)


def _page_number(canvas: Any, doc: Any) -> None:
    """Decree 30/2020, appendix I: pages are numbered from the second, in the middle of the top margin."""
    canvas.saveState()
    canvas.setFont(FONT, 12)
    canvas.drawCentredString(doc.leftMargin + doc.width / 2, A4[1] - 12 * mm, str(doc.page))
    canvas.restoreState()


def render_pdf(paper: Paper) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    # Decree 30/2020, appendix I: A4, margins top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
    # Streams are written plain and deflated once, by packed().
    doc = SimpleDocTemplate(buffer, pagesize=A4, pageCompression=0, leftMargin=30 * mm, rightMargin=18 * mm,
                            topMargin=20 * mm, bottomMargin=20 * mm, title=f"{paper.kind.title} {paper.number}",
                            author=paper.agency.name, subject=str(paper.dossier.get("code") or ""))
    story = [_header(paper, doc.width), *_flowables(render_text(paper), doc.width)]
    if paper.extra.get("verify_url"):
        story.extend([Spacer(1, 6), KeepTogether(_verification(str(paper.extra["verify_url"]), doc.width))])
    doc.build(story, onLaterPages=_page_number)
    return packed(buffer.getvalue())


# ISO 32000-1 §9.9, note of table 126: an embedded TrueType program needs glyf, head, hhea, hmtx, loca and
# maxp (and a symbolic font's cmap, which maps the paper's codes); reportlab also copies these three, which
# repeat what the font dictionary and its descriptor say (names, ascent, weight, italic angle).
_UNREAD_FONT_TABLES = ("name", "OS/2", "post")
# libdeflate's levels 10-12 search exhaustively: 10 makes a receipt 1 % (0.17 KB) smaller than 9 for ~1.3 ms
# more, a tenth of the paper's time; 9 keeps a dossier's storage under its 20 KB with the time for receipts.
DEFLATE_LEVEL = 9


def packed(pdf: bytes) -> bytes:
    """The paper repacked as PDF 1.5 by qpdf: reportlab writes every dictionary as plain text with a classic
    cross-reference table; in compressed object streams a receipt is ~3 KB smaller and reads the same. The
    embedded fonts lose the tables no reader uses (−0.5 KB a receipt), and the streams reportlab left plain
    are deflated by libdeflate: plain zlib data any reader inflates, ~0.1 KB a receipt smaller than zlib's
    best (deflating in reportlab first, to inflate it here again, cost ~1 ms a paper)."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        programs = {d.FontFile2.objgen for d in document.objects
                    if isinstance(d, pikepdf.Dictionary) and "/FontFile2" in d}
        for stream in document.objects:
            if isinstance(stream, pikepdf.Stream) and _plain(stream):
                data = stream.read_bytes()
                if stream.objgen in programs:
                    data = _without_unread_tables(data)
                    stream.Length1 = len(data)
                stream.write(bytes(deflate.zlib_compress(data, DEFLATE_LEVEL)), filter=pikepdf.Name.FlateDecode)
        document.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, recompress_flate=False)
    return out.getvalue()


def _plain(stream: pikepdf.Stream) -> bool:
    """Written without a filter: reportlab leaves compressing to packed()."""
    return "/Filter" not in stream


def _without_unread_tables(program: bytes) -> bytes:
    """The font program without those tables, its other tables copied as they are (no decompiling)."""
    reader = SFNTReader(io.BytesIO(program))
    kept = [tag for tag in reader.tables if tag not in _UNREAD_FONT_TABLES]
    slim = io.BytesIO()
    writer = SFNTWriter(slim, len(kept), reader.sfntVersion)
    for tag in kept:
        writer[tag] = reader[tag]
    writer.close()
    return slim.getvalue()


# -- issuing and reading ---------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def dossier_facts(dossier: Dossier) -> dict[str, Any]:
    return {"id": dossier.id, "code": dossier.code, "title": dossier.title, "process_id": dossier.process_id,
            "received_at": dossier.received_at or dossier.created_at, "total_due_at": dossier.total_due_at,
            "channel": dossier.channel}


def paper_number(session: Session, kind: Kind, agency: Agency, at: datetime) -> str:
    """The next number of the register book of `kind` and the year of `at`, in the caller's transaction.

    Decree 30/2020 art. 15: numbers restart at 01 each year, one book per kind of paper. Results carry the
    year as well, because later dossiers and the registry quote them without a date.
    """
    year = local(at).year
    sequence = take_number(session, f"document:{kind.symbol}:{agency.short}:{year}")
    return f"{sequence:02d}/{year}/{kind.symbol}-{agency.short}" if kind.result else \
        f"{sequence:02d}/{kind.symbol}-{agency.short}"


def number_for(session: Session, kind: Kind, data: Mapping[str, Any], agency: Agency, at: datetime) -> str:
    """The number a paper prints: the one its step took (see paper_number), else the next of its book."""
    taken = str(data.get(kind.number_field) or "") if kind.number_field else ""
    return taken or paper_number(session, kind, agency, at)


@dataclass(frozen=True)
class Rendered:
    """A paper rendered and in the file store, not yet recorded (store_document records it)."""

    dossier_id: int
    kind: str
    number: str
    issued_at: datetime
    filename: str
    size: int
    sha256: str
    extra: dict[str, Any]


def render_document(
    session: Session, dossier_id: int, kind: str, *, data: Mapping[str, Any], agency: Agency,
    number: str = "", issued_at: datetime | None = None, extra: Mapping[str, Any] | None = None,
    signing: SigningKey | None = None, verify_url: Callable[[str], str] | None = None,
) -> Rendered:
    """Render one paper of the dossier into the file store, dated `issued_at` (default now). It writes nothing
    to the database when its number is known (`number`, or the step's `number_field` in `data`): then
    `session` may be a read session, and a runner renders outside SQLite's write lock; otherwise it takes the
    number in the caller's transaction.

    A result paper carries the QR code of its public verification page (`verify_url` of its number) and is
    signed with the agency's certificate (`signing`) when one is configured."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown document kind {kind!r} (one of {', '.join(KINDS)})")
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise ValueError(f"no dossier {dossier_id}")
    now = issued_at or clock.now()
    number = number or number_for(session, spec, data, agency, now)
    extra = dict(extra or {})
    if spec.result and verify_url is not None:
        extra["verify_url"] = verify_url(number)
    paper = Paper(spec, number, now, agency, dossier_facts(dossier), dict(data), extra)
    content = render_pdf(paper)
    signed = spec.result and signing is not None
    if signed:
        content = sign_pdf(content, signing, reason=f"{spec.title} số {number}", location=agency.place,
                           name=agency.name_in_text)
    extra["signed"] = signed
    filename = f"{kind}-{(dossier.code or str(dossier_id)).replace('.', '_')}-{number.split('/')[0]}.pdf"
    return Rendered(dossier_id, kind, number, now, filename, len(content), file_store().put(content),
                    _jsonable({"extra": extra}))


# Every paper is one row (a receipt per submission, recorded by the outbox while the write lock is held):
# compiled once and run on the driver's cursor, as the ORM's flush of the new row cost more than the INSERT.
_INSERT_DOCUMENT = Prepared(insert(Document.__table__).returning(Document.__table__.c.id), (
    "dossier_id", "kind", "number", "title", "created_at", "created_by", "filename", "size", "facts", "sha256"))


def store_document(session: Session, rendered: Rendered, actor: str) -> Document:
    """Record a rendered paper with its audit event, in the caller's transaction; the caller commits."""
    dossier_id, kind = rendered.dossier_id, rendered.kind
    values = {"dossier_id": dossier_id, "kind": kind, "number": rendered.number, "title": KINDS[kind].title,
              "created_at": rendered.issued_at, "created_by": actor, "filename": rendered.filename,
              "size": rendered.size, "facts": rendered.extra, "sha256": rendered.sha256}
    if kind == "refusal":
        dossier = session.get(Dossier, dossier_id)
        if dossier is not None and dossier.finished_at is not None and not refusal_issued(session, dossier_id):
            # Refused after the process ended: the statistics count it as returned, not resolved.
            legal = LegalClock.from_dict(dossier.legal_clock) if dossier.legal_clock else None
            daily_figures.refused_after_finish(session, dossier.process_id, dossier.channel, legal,
                                               dossier.finished_at, load_calendar(session))
    document = insert_as_read(session, _INSERT_DOCUMENT, Document, values)
    audit.record(session, actor=actor, command="document", dossier_id=dossier_id,
                 data={"document_id": document.id, "kind": kind, "number": rendered.number})
    return document


def issue_document(
    session: Session, dossier_id: int, kind: str, actor: str, *, data: Mapping[str, Any],
    agency: Agency, extra: Mapping[str, Any] | None = None, signing: SigningKey | None = None,
    verify_url: Callable[[str], str] | None = None,
) -> Document:
    """Number, render and store one paper of the dossier, with its audit event; the caller commits."""
    return store_document(session, render_document(session, dossier_id, kind, data=data, agency=agency,
                                                   extra=extra, signing=signing, verify_url=verify_url), actor)


def refusals_of(dossier_id: ColumnElement[int]) -> Select[tuple[int]]:
    """The refusal letters of a dossier (of a column: a correlated subquery)."""
    table = Document.__table__
    return select(table.c.id).where(table.c.dossier_id == dossier_id, table.c.kind == "refusal")


def refusal_issued(session: Session, dossier_id: int) -> bool:
    """Whether the dossier was refused by a paper, this transaction's included."""
    session.flush()  # a paper added in this transaction counts
    return bool(_REFUSAL.rows(connection(session), {"p_dossier": dossier_id}))


_REFUSAL = Prepared(refusals_of(bindparam("p_dossier")).limit(1), ("p_dossier",))


def kinds_asked(properties: Mapping[str, str], result: str) -> list[str]:
    """Every kind of paper a task's `documents` property may issue, whatever its conditions (`result` stands
    for the procedure's result paper)."""
    kinds = []
    for entry in filter(None, (e.strip() for e in properties.get("documents", "").split(","))):
        kind = entry.rpartition(":")[2].strip()
        kind = result if kind == "result" else kind
        if kind in KINDS and kind not in kinds:
            kinds.append(kind)
    return kinds


def papers_numbered_after(session: Session, dossier_id: int, since: datetime) -> set[str]:
    """The kinds of the dossier's papers numbered after `since`: issued, or still waiting in the outbox to be
    drawn (a number taken is a paper issued: its book cannot take it back)."""
    table, queued = Document.__table__, OutboxEntry.__table__
    issued = session.scalars(select(table.c.kind).where(table.c.dossier_id == dossier_id, table.c.created_at > since))
    waiting = session.scalars(select(queued.c.payload).where(
        queued.c.dossier_id == dossier_id, queued.c.kind == PAPER, queued.c.created_at > since))
    return {*issued, *(str(payload.get("kind", "")) for payload in waiting)}


def documents_of(session: Session, dossier_id: int) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.dossier_id == dossier_id).order_by(Document.id)))


def document(session: Session, dossier_id: int, document_id: int) -> Document | None:
    row = session.get(Document, document_id)
    return row if row is not None and row.dossier_id == dossier_id else None
