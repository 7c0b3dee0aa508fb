"""Notices as A4 PDFs in Chinese, drawn only from each notice's snapshot — so a reprint is the
same as the first print — in the style of billing's statements (ReportLab, the CID font
STSong-Light, no font file shipped). A building's batch is one PDF with a page per notice.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from wuye.billing.receipts import FONT
from wuye.core.money import format_yuan

MARGIN = 18 * mm
SIZE = 10
GRID = colors.HexColor("#c8ced8")
SHADE = colors.HexColor("#eef1f5")
SEAL = colors.HexColor("#c62828")
AGING = [("d0_30", "逾期1–30天"), ("d31_90", "逾期31–90天"), ("d91_180", "逾期91–180天"),
         ("d181", "逾期180天以上")]  # fmt: skip

_text = ParagraphStyle("text", fontName=FONT, fontSize=SIZE + 1, leading=(SIZE + 1) * 1.7, wordWrap="CJK")  # fmt: skip
_cell = ParagraphStyle("cell", fontName=FONT, fontSize=SIZE, leading=SIZE * 1.3, wordWrap="CJK")
_company = ParagraphStyle("company", parent=_text, fontSize=SIZE + 3, alignment=TA_CENTER)
_title = ParagraphStyle("title", parent=_text, fontSize=SIZE + 10, leading=(SIZE + 10) * 1.4, alignment=TA_CENTER)  # fmt: skip
_meta = ParagraphStyle("meta", parent=_text, fontSize=SIZE, alignment=TA_RIGHT)
_small = ParagraphStyle("small", parent=_text, fontSize=SIZE - 1, leading=(SIZE - 1) * 1.5, textColor=colors.HexColor("#555555"))  # fmt: skip
_total = ParagraphStyle("total", parent=_text, fontSize=SIZE + 2)


def _p(text: str, style=_text) -> Paragraph:
    # The middle dot has no glyph in many viewers' stand-in for STSong-Light; the CJK one has.
    return Paragraph(escape(text or "").replace("\n", "<br/>").replace("\u00b7", "\u30fb"), style)


def _money(value: str | Decimal) -> str:
    """An amount in a column headed （元）, so without the ¥: 1,234.50."""
    return format_yuan(value, sign=False)


class Seal(Flowable):
    """The site's seal: a red ring with its text, at the right, above the date."""

    def __init__(self, text: str, date: str):
        super().__init__()
        self.text, self.date = text, date
        self.width, self.height = 174 * mm, 30 * mm

    def draw(self):
        c = self.canv
        x = self.width - 28 * mm
        if self.text:
            c.setStrokeColor(SEAL)
            c.setFillColor(SEAL)
            c.setLineWidth(1.5)
            c.circle(x, 17 * mm, 12 * mm)
            c.setFont(FONT, SIZE)
            c.drawCentredString(x, 16 * mm, self.text[:10])
        c.setFillColor(colors.black)
        c.setFont(FONT, SIZE + 1)
        c.drawCentredString(x, 1 * mm, self.date)


def _lines_table(shot: dict) -> Table:
    dunning = shot["kind"] == "dunning"
    head = ["收费项目", "所属期间", "应缴日期", "应收（元）", "已缴（元）", "欠缴（元）"]
    widths = [46 * mm, 30 * mm, 24 * mm, 24 * mm, 24 * mm, 26 * mm]
    if dunning:
        head.append("逾期天数")
        # Each money column holds ¥1,234,567.80 (17.2 mm at 10 pt) inside its padding.
        widths = [36 * mm, 26 * mm, 22 * mm, 22 * mm, 22 * mm, 24 * mm, 22 * mm]
    rows: list[list] = [head]
    for line in shot["lines"]:
        # Snapshots from before relief existed have no "relief".
        relief = Decimal(line.get("relief") or 0)
        what = line["fee_item"] + (f"（减免 {format_yuan(relief)}）" if relief else "")
        row = [Paragraph(escape(what), _cell), line["period"], line["due_date"],
               _money(line["amount"]), _money(line["paid"]), _money(line["owed"])]  # fmt: skip
        if dunning:
            row.append(str(line["days_overdue"]))
        rows.append(row)
    total = ["合计", "", "", "", "", _money(shot["total"])] + ([""] if dunning else [])
    rows.append(total)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, SIZE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("FONT", (0, -1), (-1, -1), FONT, SIZE + 1),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _aging_table(shot: dict) -> Table:
    aging = shot.get("aging") or {}
    rows = [[label for _key, label in AGING], [_money(aging.get(key, "0")) for key, _l in AGING]]
    table = Table(rows, colWidths=[43.5 * mm] * 4, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, SIZE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ]
        )
    )
    return table


def notice_story(shot: dict, issued_at: datetime.date) -> list:
    """The flowables of one notice, from its snapshot."""
    layout = shot["layout"]
    unit = shot["unit"]
    story = [
        _p(layout["company"], _company),
        _p(layout["title"], _title),
        _p(f"编号：{shot['number']}    日期：{issued_at:%Y-%m-%d}", _meta),
        Spacer(1, 2 * mm),
        _p(f"房号：{unit['code']}（{unit['building']}）    业主：{shot['owner'] or '—'}"),
        Spacer(1, 2 * mm),
    ]
    story += [_p(part) for part in layout["body"].split("\n") if part.strip()]
    story += [Spacer(1, 3 * mm), _lines_table(shot), Spacer(1, 3 * mm)]
    total = f"合计应缴：{format_yuan(shot['total'])}"
    if shot["kind"] == "fee" and Decimal(shot["overdue_total"]) > 0:
        total += f"    其中已逾期：{format_yuan(shot['overdue_total'])}"
    story.append(_p(total, _total))
    if shot["kind"] == "dunning":
        story += [Spacer(1, 2 * mm), _p("逾期账龄（元）："), _aging_table(shot)]
    story += [Spacer(1, 3 * mm), _p(f"请于 {shot['pay_by']} 前缴纳。", _total)]
    if layout.get("payment_instructions"):
        story.append(_p(f"缴费方式：{layout['payment_instructions']}"))
    if layout.get("contact_phone"):
        story.append(_p(f"联系电话：{layout['contact_phone']}"))
    closing = [Spacer(1, 4 * mm), _p(f"{layout['company']}    {shot['site']}", _meta),
               Seal(layout.get("seal_text") or "", f"{issued_at:%Y年%m月%d日}")]  # fmt: skip
    if layout.get("footer"):
        closing += [Spacer(1, 3 * mm), _p(layout["footer"], _small)]
    story.append(KeepTogether(closing))
    return story


def render_notices(items: Iterable[tuple[dict, datetime.date]], *, title: str) -> bytes:
    """(snapshot, issue date) pairs as one A4 PDF, each notice starting on a new page."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=title, author="wuye",
    )  # fmt: skip
    story: list = []
    for shot, issued_on in items:
        if story:
            story.append(PageBreak())
        story += notice_story(shot, issued_on)
    doc.build(story)
    return buffer.getvalue()


def render(notices, *, title: str) -> bytes:
    """Notices (model rows) as one PDF, each dated in its site's time zone."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    return render_notices(
        (
            (n.snapshot, timezone.localtime(n.issued_at, ZoneInfo(n.site.time_zone)).date())
            for n in notices
        ),
        title=title,
    )
