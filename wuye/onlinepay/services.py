"""Online payment's writes: a resident's order, a gateway's notification, the daily
reconciliation and the expiry of orders left unpaid.

A notification is taken once: its order row is locked (`select_for_update`) before its state is
read, so a second notification of a paid order — sent again by the gateway, or arriving at the
same moment on another worker — is a `duplicate` and makes no second payment. The payment goes
through billing's `take_payment` like a payment at the counter (method QR, the order's lines,
the order number as idempotency key), so the receipt, the ledger and the figures follow — but
as the online channel's: no cashier took it, and its audit entries name the order and the
gateway instead of a person.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.billing import payments
from wuye.billing.models import Payment
from wuye.core.audit import record_action, record_create
from wuye.core.errors import error_body, invalid
from wuye.core.models import Site
from wuye.core.money import format_yuan
from wuye.core.numbering import format_document_number, next_document_number
from wuye.core.permissions import ensure_can
from wuye.estate.models import Unit
from wuye.ledger.models import BillLine

from .gateways import (
    BadSignature,
    PaymentGateway,
    VerifiedNotice,
    day_bounds,
    gateway_for,
    gateway_named,
)
from .models import (
    GatewayNotification,
    OnlineOrder,
    OrderLine,
    Reconciliation,
    ReconciliationMismatch,
)

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
# How long a gateway keeps an order open for payment; afterwards it is expired here.
ORDER_MINUTES = 30
Outcome = GatewayNotification.Outcome


# ---------------------------------------------------------------------------------------------
# Orders


def _order_number(site: Site, year: int, sequence: int) -> str:
    """OP-<SITE>-<year>-<sequence>: a gateway's out_trade_no takes at most 32 characters."""
    number = format_document_number("OP-", site, year, sequence)
    return number if len(number) <= 32 else f"OPX-{site.pk}-{year}-{sequence:06d}"


def create_order(*, actor, unit: Unit, line_ids: Iterable, return_url: str = "") -> OnlineOrder:
    """An order paying the chosen open lines of `unit`, each for what is open on it now.

    The caller answers for `actor`'s right to `unit`: the resident pages and API take the unit
    through the portal's resident access check (which sits above this app). `return_url`: where
    the gateway sends the payer back to; `{number}` in it becomes the order's number."""
    try:
        ids = sorted({int(pk) for pk in line_ids})
    except (TypeError, ValueError):
        raise invalid("lines", _("Choose open lines of this unit."), "invalid") from None
    open_ = payments.open_lines(unit)
    if not open_:
        raise invalid("lines", _("Nothing to pay on this unit."), "nothing_to_pay")
    if not ids:
        raise invalid("lines", _("Choose at least one charge to pay."), "required")
    chosen = [line for line in open_ if line.pk in ids]
    if len(chosen) != len(ids):
        raise invalid("lines", _("Choose open lines of this unit."), "not_open")
    amount = sum((line.outstanding for line in chosen), ZERO)
    site = Site.objects.get(pk=unit.site_id)
    gateway = gateway_for(site)
    now = timezone.now()
    with transaction.atomic():
        year = timezone.localtime(now, ZoneInfo(site.time_zone or settings.TIME_ZONE)).year
        sequence = next_document_number(site=site, kind="online_order", year=year)
        number = _order_number(site, year, sequence)
        order = OnlineOrder.objects.create(
            site=site, unit=unit, number=number, amount=amount, gateway=gateway.name,
            created_by=actor, return_url=(return_url or "").replace("{number}", number)[:300],
            expires_at=now + datetime.timedelta(minutes=ORDER_MINUTES),
        )  # fmt: skip
        OrderLine.objects.bulk_create(
            OrderLine(order=order, bill_line=line, amount=line.outstanding) for line in chosen
        )
        record_create(actor, order)
    return order


def gateway_of(order: OnlineOrder) -> PaymentGateway:
    gateway = gateway_named(order.gateway)
    if gateway is None:
        raise invalid(None, _("This order's gateway is no longer configured."), "no_gateway")
    return gateway


def expire_orders(now: datetime.datetime | None = None) -> int:
    """Orders still waiting past their time are expired (a late payment still counts)."""
    now = now or timezone.now()
    return OnlineOrder.objects.filter(state=OnlineOrder.State.CREATED, expires_at__lt=now).update(
        state=OnlineOrder.State.EXPIRED, closed_at=now
    )


# ---------------------------------------------------------------------------------------------
# Notifications


@dataclass
class Handled:
    """What became of a notification: its log row, and the field errors of a malformed body."""

    notification: GatewayNotification
    errors: dict | None = None

    @property
    def outcome(self) -> str:
        return "malformed" if self.errors else self.notification.outcome


_SKIP_HEADERS = {"cookie", "authorization", "http_cookie", "http_authorization"}


def handle_notification(gateway: PaymentGateway, body: bytes | str, headers: Mapping) -> Handled:
    """Take a gateway's notification: verify it, find its order, and pay it once.

    Every notification is logged, whatever becomes of it; a bad one writes nothing else."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    kept = {str(k): str(v)[:500] for k, v in headers.items() if str(k).lower() not in _SKIP_HEADERS}

    def logged(outcome, message="", *, order=None, notice=None, signature_ok=True, site=None):
        return GatewayNotification.objects.create(
            site_id=order.site_id if order is not None else site, order=order,
            gateway=gateway.name, body=body.decode("utf-8", errors="replace"), headers=kept,
            signature_ok=signature_ok, outcome=outcome, message=str(message)[:300],
            out_trade_no=notice.out_trade_no if notice else gateway.claimed_order(body)[:64],
            gateway_txn_id=notice.txn_id if notice else "",
            amount=notice.amount if notice else None,
        )  # fmt: skip

    def claimed_site() -> int | None:
        number = gateway.claimed_order(body)
        return OnlineOrder.objects.filter(number=number).values_list("site", flat=True).first()

    try:
        notice = gateway.verify(body, headers)
    except BadSignature as exc:
        return Handled(logged(Outcome.BAD_SIGNATURE, exc, signature_ok=False, site=claimed_site()))
    except ValidationError as exc:
        body_errors = error_body(exc)
        return Handled(logged(Outcome.ERROR, body_errors["message"], site=claimed_site()), errors=body_errors)  # fmt: skip

    order = OnlineOrder.objects.filter(number=notice.out_trade_no, gateway=gateway.name).first()
    if order is None:
        return Handled(logged(Outcome.UNKNOWN_ORDER, _("No such order."), notice=notice))
    if notice.status != VerifiedNotice.PAID:
        return Handled(_close(order, notice, logged))
    if notice.amount != order.amount:
        message = _("The gateway says %(paid)s was paid; the order is for %(amount)s.") % {
            "paid": format_yuan(notice.amount), "amount": format_yuan(order.amount)}  # fmt: skip
        return Handled(logged(Outcome.AMOUNT_MISMATCH, message, order=order, notice=notice))
    try:
        return Handled(_pay(order, notice, logged))
    except (ValidationError, IntegrityError) as exc:
        log.warning("online order %s not paid: %s", order.number, exc)
        message = error_body(exc)["message"] if isinstance(exc, ValidationError) else str(exc)
        return Handled(logged(Outcome.ERROR, message, order=order, notice=notice))
    except Exception as exc:  # noqa: BLE001 - logged, and the gateway is asked to send it again
        log.exception("online order %s not paid", order.number)
        return Handled(logged(Outcome.ERROR, repr(exc), order=order, notice=notice))


def _pay(order: OnlineOrder, notice: VerifiedNotice, logged) -> GatewayNotification:
    """Pay the order as the online channel: no cashier, the order and gateway named instead."""
    with transaction.atomic():
        order = OnlineOrder.objects.select_for_update().select_related("created_by").get(pk=order.pk)  # fmt: skip
        if order.state == OnlineOrder.State.PAID:
            if order.gateway_txn_id == notice.txn_id:
                return logged(Outcome.DUPLICATE, _("Already paid."), order=order, notice=notice)
            message = _("The order was already paid by transaction %(txn)s.") % {"txn": order.gateway_txn_id}  # fmt: skip
            return logged(Outcome.ERROR, message, order=order, notice=notice)
        # A chosen line cancelled meanwhile is left out; what it would have taken, and what a
        # line paid at the counter meanwhile no longer needs, becomes the unit's credit.
        live = list(
            BillLine.objects.filter(
                pk__in=order.lines.values("bill_line"), cancelled_at__isnull=True
            ).values_list("pk", flat=True)
        )
        came_by = _("online order %(number)s via %(gateway)s") % {
            "number": order.number,
            "gateway": order.gateway,
        }
        payment = payments.take_payment(
            site=order.site, actor=None, channel=Payment.Channel.ONLINE, verb=came_by,
            unit=order.unit, method=Payment.Method.QR,
            amount=order.amount, lines=live, take_rest_as_credit=True,
            payer=order.created_by.get_full_name() or order.created_by.get_username(),
            reference=notice.txn_id, idempotency_key=order.number,
            note=_("online order %(number)s") % {"number": order.number},
        )  # fmt: skip
        before_state = order.state
        order.state, order.payment = OnlineOrder.State.PAID, payment
        order.gateway_txn_id, order.paid_at = notice.txn_id, notice.paid_at or timezone.now()
        order.save(update_fields=["state", "payment", "gateway_txn_id", "paid_at", "updated_at"])
        record_action(None, order, _("paid online via %(gateway)s") % {"gateway": order.gateway},
                      {"state": [before_state, order.state], "payment": [None, str(payment.pk)]})  # fmt: skip
        return logged(Outcome.APPLIED, payment.receipt.number, order=order, notice=notice)


def _close(order: OnlineOrder, notice: VerifiedNotice, logged) -> GatewayNotification:
    """The gateway closed the trade unpaid (or it failed): an order still waiting says so."""
    with transaction.atomic():
        order = OnlineOrder.objects.select_for_update().get(pk=order.pk)
        if order.state not in (OnlineOrder.State.CREATED, OnlineOrder.State.EXPIRED):
            return logged(Outcome.DUPLICATE, _("The order is already %(state)s.") % {
                "state": order.get_state_display()}, order=order, notice=notice)  # fmt: skip
        before = order.state
        order.state = (
            OnlineOrder.State.FAILED
            if notice.status == VerifiedNotice.FAILED
            else OnlineOrder.State.CANCELLED
        )
        order.closed_at = timezone.now()
        order.save(update_fields=["state", "closed_at", "updated_at"])
        record_action(None, order, _("closed by the gateway"), {"state": [before, order.state]})
        return logged(Outcome.APPLIED, order.get_state_display(), order=order, notice=notice)


# ---------------------------------------------------------------------------------------------
# Reconciliation


def reconcile(
    *, site: Site, day: datetime.date, actor=None, gateway: PaymentGateway | None = None
) -> Reconciliation:
    """Compare the site's orders paid on `day` with the gateway's transactions of that day and
    record what differs. Run again, it replaces the day's figures and mismatches."""
    if actor is not None:
        ensure_can(actor, "onlinepay.reconcile", site)
    gateway = gateway or gateway_for(site)
    theirs = gateway.transactions_on(day, site)
    start, end = day_bounds(day, site)
    ours = list(
        OnlineOrder.objects.of_site(site).filter(
            gateway=gateway.name, state=OnlineOrder.State.PAID, paid_at__gte=start, paid_at__lt=end
        )
    )
    named = {t.out_trade_no for t in theirs}
    orders = {
        o.number: o
        for o in OnlineOrder.objects.of_site(site).filter(gateway=gateway.name, number__in=named)
    }
    orders.update({o.number: o for o in ours})
    Kind = ReconciliationMismatch.Kind
    found, matched_txns = [], defaultdict(set)
    for txn in theirs:
        order = orders.get(txn.out_trade_no)
        paid_here = order is not None and order.state == OnlineOrder.State.PAID
        if paid_here and order.gateway_txn_id == txn.txn_id:
            matched_txns[order.pk].add(txn.txn_id)
            if txn.amount != order.amount:
                found.append((Kind.AMOUNT_DIFFERS, order, txn))
        elif order is not None and not paid_here and txn.amount != order.amount:
            found.append((Kind.AMOUNT_DIFFERS, order, txn))
        else:
            found.append((Kind.GATEWAY_ONLY, order, txn))
    for order in ours:
        if order.gateway_txn_id not in matched_txns[order.pk]:
            found.append((Kind.OURS_ONLY, order, None))
    figures = {
        "orders_count": len(ours),
        "orders_total": sum((o.amount for o in ours), ZERO),
        "gateway_count": len(theirs),
        "gateway_total": sum((t.amount for t in theirs), ZERO),
        "mismatches_count": len(found),
        "state": Reconciliation.State.MISMATCHED if found else Reconciliation.State.MATCHED,
        "run_at": timezone.now(),
        "run_by": actor,
    }
    with transaction.atomic():
        run, created = Reconciliation.objects.select_for_update().get_or_create(
            site=site, day=day, gateway=gateway.name, defaults=figures
        )
        if not created:
            for field, value in figures.items():
                setattr(run, field, value)
            run.save()
            run.mismatches.all().delete()
        ReconciliationMismatch.objects.bulk_create(
            ReconciliationMismatch(
                reconciliation=run,
                kind=kind,
                order=order,
                out_trade_no=txn.out_trade_no if txn else order.number,
                gateway_txn_id=txn.txn_id if txn else order.gateway_txn_id,
                our_amount=order.amount if order is not None else None,
                gateway_amount=txn.amount if txn else None,
            )  # fmt: skip
            for kind, order, txn in found
        )
        record_action(actor, run, _("reconciled"), {
            "mismatches_count": [None, str(len(found))], "gateway_total": [None, str(figures["gateway_total"])],
        })  # fmt: skip
    return run


def reconcile_yesterday(now: datetime.datetime | None = None) -> dict:
    """For each active site, reconcile its yesterday (in its own time zone) once; the scheduled
    run leaves a day already reconciled alone (`reconcile` by hand runs it again)."""
    now = now or timezone.now()
    done = []
    for site in Site.objects.filter(is_active=True).order_by("code"):
        day = timezone.localdate(now, ZoneInfo(site.time_zone or settings.TIME_ZONE))
        day -= datetime.timedelta(days=1)
        gateway = gateway_for(site)
        if Reconciliation.objects.filter(site=site, day=day, gateway=gateway.name).exists():
            continue
        try:
            run = reconcile(site=site, day=day, gateway=gateway)
        except Exception:
            log.exception("reconciliation of %s %s failed", site.code, day)
            continue
        done.append({"site": site.code, "day": day.isoformat(), "mismatches": run.mismatches_count})  # fmt: skip
    return {"reconciled": done, "expired": expire_orders(now)}
