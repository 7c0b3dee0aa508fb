"""The cashier's pages: find a unit (code, name, pinyin, phone digits), its account — open
lines, credit, the statement with its running balance — take a payment, print the receipt."""

from __future__ import annotations

import datetime
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuye.core.money import format_yuan
from wuye.core.pages import site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.core.spreadsheets import build_workbook, xlsx_response
from wuye.estate.models import Unit

from . import account_views, payments, queries, receipts, statements
from .daily_close import cashier_days, close_day
from .forms import PaymentForm
from .models import Payment, Receipt


@site_page
def cashier(request):
    ensure_can(request.user, "ledger.view_billline", request.site)
    q = request.GET.get("q", "").strip()[:60]
    results = queries.find_units(request.site, q)
    template = "billing/_found.html" if request.htmx else "billing/cashier.html"
    return render(request, template, {"q": q, "results": results})


def _unit(request, pk) -> Unit:
    ensure_can(request.user, "ledger.view_billline", request.site)
    return access_object(
        Unit.objects.select_related("building"), request.user, pk, site=request.site
    )


@site_page
@require_http_methods(["GET", "POST"])
def unit_account(request, pk):
    unit = _unit(request, pk)
    open_ = payments.open_lines(unit)
    form = PaymentForm(
        request.POST or None, open_lines=open_, site=request.site,
        initial={"idempotency_key": uuid.uuid4().hex, "amount": sum((line.outstanding for line in open_), 0) or None},
    )  # fmt: skip
    if request.method == "POST":
        payment = submit_form(form, lambda d: payments.take_payment(
            site=request.site, actor=request.user, unit=unit, method=d["method"], amount=d["amount"],
            lines=d["lines"] or None, tendered=d["tendered"], take_rest_as_credit=d["take_rest_as_credit"],
            earmark=d["earmark"], payer=d["payer"], reference=d["reference"],
            idempotency_key=d["idempotency_key"],
        ))  # fmt: skip
        if payment is not None:
            messages.success(request, _("Received %(amount)s; receipt %(number)s.") % {
                "amount": format_yuan(payment.amount), "number": payment.receipt.number})  # fmt: skip
            return redirect("billing:unit_account", unit.pk)
    context = {
        "unit": unit,
        "open_lines": open_,
        "open_total": sum((line.outstanding for line in open_), 0),
        "credit": queries.credit_held(unit),
        "form": form,
        "entries": queries.statement(unit),
        "payments": Payment.objects.filter(unit=unit)
        .select_related("receipt", "cashier")
        .order_by("-received_at")[:20],  # fmt: skip
        "ledger": payments.ledger(unit),
        **account_views.account_context(request, unit, open_),
    }
    return render(request, "billing/unit_account.html", context, status=400 if form.is_bound and form.errors else 200)  # fmt: skip


@site_page
def statement_xlsx(request, pk):
    unit = _unit(request, pk)
    rows = [
        [
            e.at.strftime("%Y-%m-%d %H:%M"),
            e.what,
            e.reference,
            e.debit or "",
            e.credit or "",
            e.balance,
        ]
        for e in queries.statement(unit)
    ]
    headers = [
        _("When"),
        _("What"),
        _("Reference"),
        _("Billed"),
        _("Paid or cancelled"),
        _("Balance"),
    ]
    content = build_workbook(unit.code, headers, rows, money=[3, 4, 5])  # billed, paid, balance
    return xlsx_response(_("statement-%(unit)s.xlsx") % {"unit": unit.code}, content)


@site_page
def statement_pdf(request, pk):
    unit = _unit(request, pk)
    content = statements.render_statement(unit, queries.statement(unit), site=request.site)
    response = HttpResponse(content, content_type="application/pdf")
    filename = _("statement-%(unit)s.pdf") % {"unit": unit.code}
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


@site_page
def receipt_pdf(request, pk):
    ensure_can(request.user, "billing.view_receipt", request.site)
    receipt = access_object(Receipt, request.user, pk, site=request.site)
    content = receipts.print_receipt(
        receipt=receipt, actor=request.user, paper=request.GET.get("paper", "a5")
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt.number}.pdf"'
    return response


@site_page
@require_http_methods(["GET", "POST"])
def daily_close(request):
    """日结: each cashier's takings of a day by method, matched to their receipts."""
    ensure_can(request.user, "billing.view_cashierclose", request.site)
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("day") or request.POST.get("day") or "")
    except ValueError:
        day = today
    if request.method == "POST":
        try:
            close_day(site=request.site, actor=request.user, cashier_id=int(request.POST.get("cashier", 0)), day=day)  # fmt: skip
            messages.success(request, _("The day is closed."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect(f"{reverse('billing:daily_close')}?day={day.isoformat()}")
    context = {
        "day": day,
        "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1) if day < today else None,
        "cashiers": cashier_days(request.site, day),
        "methods": Payment.Method.choices,
    }
    return render(request, "billing/daily_close.html", context)
