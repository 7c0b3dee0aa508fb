"""A unit's statement as an A4 PDF in Chinese: the site's company name, the unit and the people
there now, every entry of `queries.statement` with its running balance, then the ledger's terms.

Drawn like receipts (`receipts.py`): ReportLab's built-in CID font STSong-Light, so no font file
is shipped. A long statement flows onto more pages; each page repeats the company, the unit and
the table's header row."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

from wuye.core.money import format_yuan
from wuye.estate.models import Unit
from wuye.people.queries import unit_occupants

from . import payments, queries
from .receipts import FONT, company_name, layout_of

TITLE = "对账单"
SUBTITLE = "STATEMENT OF ACCOUNT"
COLUMNS = ["日期", "摘要", "单据号", "应收", "实收/减免", "余额"]
MARGIN = 15 * mm
INSET = 6  # a frame's own padding (points): the page head lines up with the story
SIZE = 9
GRID = colors.HexColor("#c8ced8")
SHADE = colors.HexColor("#eef1f5")

_cell = ParagraphStyle("cell", fontName=FONT, fontSize=SIZE, leading=SIZE * 1.3, wordWrap="CJK")
_text = ParagraphStyle("text", parent=_cell, fontSize=SIZE + 1, leading=(SIZE + 1) * 1.5)


def _printable(text: str) -> str:
    """`text` for the CID font: the middle dot (U+00B7) that `queries.statement` puts between
    parts has no glyph in many viewers' stand-in for STSong-Light; the CJK one (U+30FB) has."""
    return escape(text.replace("\u00b7", "\u30fb"))


def _money(amount: Decimal, *, blank_zero: bool = False) -> str:
    """An amount in the table's yuan (金额单位：元, so no ¥): 1,234.50."""
    return "" if blank_zero and not amount else format_yuan(amount, sign=False)


def _people(unit: Unit) -> str:
    found = unit_occupants(unit)
    groups = [("业主", found.owners), ("租户", found.tenants), ("家庭成员", found.household)]
    parts = [
        f"{label}：{'、'.join(e.person.name for e in entries)}"
        for label, entries in groups
        if entries
    ]
    return "；".join(parts) or "—"


def _summary(unit: Unit) -> Table:
    """The ledger's identity, term by term, and the prepaid credit held."""
    ledger = payments.ledger(unit)
    rows = [
        ["累计应收 billed", _money(ledger.billed)],
        ["已取消 cancelled", _money(ledger.cancelled)],
        ["已收款 paid", _money(ledger.paid)],
        ["已退款 refunded", _money(ledger.refunded)],
        ["预存款抵扣 credit used", _money(ledger.credit_used)],
        ["减免 relief", _money(ledger.relief)],
        ["欠费余额 balance", _money(ledger.balance)],
        ["预存款余额 credit held", _money(queries.credit_held(unit))],
    ]
    table = Table(rows, colWidths=[55 * mm, 35 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, SIZE + 1),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, 6), (-1, 6), 0.5, colors.black),
                ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
                ("FONT", (0, 6), (-1, 6), FONT, SIZE + 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _entries_table(entries: Sequence[queries.Entry], zone: ZoneInfo) -> Table:
    rows: list[list] = [COLUMNS]
    for entry in entries:
        rows.append(
            [
                f"{timezone.localtime(entry.at, zone):%Y-%m-%d}",
                Paragraph(_printable(entry.what), _cell),
                entry.reference,
                _money(entry.debit, blank_zero=True),
                _money(entry.credit, blank_zero=True),
                _money(entry.balance),
            ]
        )
    if len(rows) == 1:
        rows.append(["", Paragraph("尚无账目 nothing billed yet", _cell), "", "", "", ""])
    widths = [20 * mm, 60 * mm, 32 * mm, 20 * mm, 20 * mm, 22 * mm]  # 174 mm: A4's frame
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, SIZE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def render_statement(unit: Unit, entries: Sequence[queries.Entry], *, site) -> bytes:
    """`entries` (from `queries.statement(unit)`) as an A4 PDF, with the ledger at the end."""
    layout = layout_of(site)
    company = company_name(layout, site)
    zone = ZoneInfo(site.time_zone)
    printed = timezone.localtime(timezone.now(), zone)
    width, height = A4

    def page_head(pdf, doc):
        pdf.saveState()
        pdf.setFont(FONT, SIZE + 3)
        pdf.drawCentredString(width / 2, height - MARGIN, company)
        pdf.setFont(FONT, SIZE + 7)
        pdf.drawCentredString(width / 2, height - MARGIN - 8 * mm, TITLE)
        pdf.setFont(FONT, SIZE - 1)
        pdf.drawCentredString(width / 2, height - MARGIN - 12.5 * mm, SUBTITLE)
        pdf.setFont(FONT, SIZE)
        left, right = MARGIN + INSET, width - MARGIN - INSET
        pdf.drawString(left, height - MARGIN - 19 * mm, f"房号：{unit.code}    金额单位：元")
        pdf.drawRightString(right, height - MARGIN - 19 * mm, f"第 {doc.page} 页")
        pdf.setFont(FONT, SIZE - 1)
        if layout.footer:
            pdf.drawString(left, MARGIN / 2, layout.footer)
        pdf.drawRightString(right, MARGIN / 2, f"打印日期：{printed:%Y-%m-%d %H:%M}")
        pdf.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 23 * mm,
        bottomMargin=MARGIN,
        title=f"{TITLE} {unit.code}",
        author=company,
    )
    story = [
        Paragraph(f"管理处：{escape(site.name)}", _text),
        Paragraph(f"住户：{escape(_people(unit))}", _text),
        Paragraph(f"打印日期：{printed:%Y-%m-%d}", _text),
        Spacer(1, 4 * mm),
        _entries_table(entries, zone),
        Spacer(1, 6 * mm),
        KeepTogether([Paragraph("账户汇总 summary", _text), Spacer(1, 1 * mm), _summary(unit)]),
    ]
    doc.build(story, onFirstPage=page_head, onLaterPages=page_head)
    return buffer.getvalue()
