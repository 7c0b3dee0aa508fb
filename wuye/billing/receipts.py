"""Receipts as PDF, in Chinese, from the site's layout (company name, seal text, columns), on
A4, A5 or an 80 mm thermal ticket; every print after the first is marked as a reprint.

ReportLab's built-in CID font STSong-Light draws Chinese without shipping a font file."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from wuye.core.audit import record_action
from wuye.core.errors import invalid
from wuye.core.money import format_yuan
from wuye.core.permissions import ensure_can

from .models import Receipt, ReceiptLayout

FONT = "STSong-Light"
PAPERS = {"a4": A4, "a5": A5, "thermal": (80 * mm, 200 * mm)}
COLUMN_LABELS = {"item": "收费项目", "period": "所属期间", "unit": "房号", "amount": "金额（元）"}
METHOD_LABELS = {"cash": "现金", "transfer": "银行转账", "card": "刷卡", "qr": "扫码支付"}
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def layout_of(site) -> ReceiptLayout:
    found = ReceiptLayout.objects.filter(site=site).first()
    return found or ReceiptLayout(
        site=site, company_name=site.company.name, columns=ReceiptLayout.COLUMNS
    )


def company_name(layout: ReceiptLayout, site) -> str:
    """The name printed at the top of the site's documents (receipts, statements)."""
    return layout.company_name or site.company.name


def _period(start, end) -> str:
    same_month = (start.year, start.month) == (end.year, end.month)
    return f"{start:%Y-%m}" if same_month else f"{start:%Y-%m}~{end:%Y-%m}"


def _rows(receipt: Receipt, columns: list[str]) -> list[list[str]]:
    payment = receipt.payment
    rows = []
    for allocation in payment.allocations.select_related("bill_line__fee_item", "bill_line__unit").order_by("bill_line__period_start", "id"):  # fmt: skip
        line = allocation.bill_line
        cells = {
            "item": line.fee_item.name,
            "period": _period(line.period_start, line.period_end),
            "unit": line.unit.code if line.unit_id else "",
            "amount": format_yuan(allocation.amount, sign=False),
        }
        rows.append([cells[c] for c in columns])
    held = [("预存款", credit.amount) for credit in payment.credits.filter(amount__gt=0)]
    deposit = getattr(payment, "deposit", None)
    if deposit is not None:
        held.append((f"{deposit.fee_item.name}（押金）", deposit.amount))
    for item, amount in held:
        cells = {
            "item": item,
            "period": "",
            "unit": payment.unit.code,
            "amount": format_yuan(amount, sign=False),
        }
        rows.append([cells[c] for c in columns])
    return rows


def render(receipt: Receipt, *, paper: str = "a5", reprint: bool = False) -> bytes:
    if paper not in PAPERS:
        raise invalid("paper", _("Choose A4, A5 or thermal."), "invalid_choice")
    site, payment = receipt.site, receipt.payment
    layout = layout_of(site)
    columns = [
        c for c in (layout.columns or ReceiptLayout.COLUMNS) if c in COLUMN_LABELS
    ] or ReceiptLayout.COLUMNS
    width, height = PAPERS[paper]
    narrow = paper == "thermal"
    margin = 5 * mm if narrow else 15 * mm
    size = 8 if narrow else 10
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"{layout.title} {receipt.number}")
    y = height - margin - size

    def line(text: str, *, font_size: int = size, center: bool = False, gap: float = 1.6):
        nonlocal y
        pdf.setFont(FONT, font_size)
        if center:
            pdf.drawCentredString(width / 2, y, text)
        else:
            pdf.drawString(margin, y, text)
        y -= font_size * gap

    line(company_name(layout, site), font_size=size + 2, center=True)
    line(layout.title + ("（重印）" if reprint else ""), font_size=size + 4, center=True)
    if reprint:
        line("REPRINT 重印件", center=True)
    received = timezone.localtime(payment.received_at, ZoneInfo(site.time_zone))
    line(f"收据编号：{receipt.number}")
    line(f"管理处：{site.name}")
    line(f"房号：{payment.unit.code}    交款人：{payment.payer or '—'}")
    line(f"收款时间：{received:%Y-%m-%d %H:%M}")
    y -= size * 0.4
    col_width = (width - 2 * margin) / len(columns)

    def cells(texts: list[str]):
        """One row of the table; the amount column right-aligned, so the yuan line up (a gap
        of a character before the next column)."""
        for i, (column, text) in enumerate(zip(columns, texts, strict=True)):
            if column == "amount":
                gap = size if i + 1 < len(columns) else 0
                pdf.drawRightString(margin + (i + 1) * col_width - gap, y, text)
            else:
                pdf.drawString(margin + i * col_width, y, text)

    pdf.setFont(FONT, size)
    cells([COLUMN_LABELS[column] for column in columns])
    y -= size * 1.5
    for row in _rows(receipt, columns):
        cells(row)
        y -= size * 1.5
    y -= size * 0.4
    line(
        f"合计：{format_yuan(payment.amount)}    收款方式：{METHOD_LABELS.get(payment.method, payment.method)}"
    )
    if payment.tendered is not None:
        line(f"实收现金：{format_yuan(payment.tendered)}    找零：{format_yuan(payment.change)}")
    if payment.voided_at:
        line("此收款已作废 VOID", font_size=size + 2)
    if payment.cashier is None:  # the online channel's: no person took it
        line("收款人：在线支付")
    else:
        line(f"收款人：{payment.cashier.get_full_name() or payment.cashier.username}")
    if layout.seal_text:
        pdf.setFont(FONT, size)
        seal_x, seal_y = width - margin - 22 * mm, max(y, margin + 12 * mm)
        pdf.circle(seal_x, seal_y, 11 * mm)
        pdf.drawCentredString(seal_x, seal_y - size / 3, layout.seal_text[:8])
    if layout.footer:
        pdf.setFont(FONT, size - 1)
        pdf.drawString(margin, margin, layout.footer)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def print_receipt(*, receipt: Receipt, actor, paper: str = "a5") -> bytes:
    """The receipt's PDF; the first print is the original, every later one says reprint."""
    ensure_can(actor, "billing.view_receipt", receipt.site_id)
    with transaction.atomic():
        locked = Receipt.objects.select_for_update(of=("self",)).select_related("site__company", "payment__unit", "payment__cashier").get(pk=receipt.pk)  # fmt: skip
        reprint = locked.prints > 0
        content = render(locked, paper=paper, reprint=reprint)
        Receipt.objects.filter(pk=locked.pk).update(prints=F("prints") + 1)
        record_action(
            actor, locked, _("reprinted") if reprint else _("printed"), {"paper": [None, paper]}
        )
    return content
