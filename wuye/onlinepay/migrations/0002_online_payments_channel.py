"""Online payments were taken with billing's system user as their cashier: they become the
online channel's, with no cashier, and their income figures move with them (the rows with no
cashier), so the figures still equal their recount. Kept data: every payment stays, only who
took it changes."""

from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.db.models import F

SYSTEM_USERNAME = "wuye-system"  # billing.jobs.SYSTEM_USERNAME, as it was


def _move(apps, *, to_online: bool) -> None:
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Payment = apps.get_model("billing", "Payment")
    IncomeFigure = apps.get_model("billing", "IncomeFigure")
    OnlineOrder = apps.get_model("onlinepay", "OnlineOrder")
    system = User.objects.filter(username=SYSTEM_USERNAME).first()
    if system is None:
        return
    paid = OnlineOrder.objects.filter(payment__isnull=False).values("payment")
    found = Payment.objects.filter(pk__in=paid).select_related("site", "unit")
    if to_online:
        found, before, after = found.filter(cashier=system), system.pk, None
    else:
        found, before, after = found.filter(channel="online"), None, system.pk
    moved = defaultdict(lambda: 0)
    ids = []
    for payment in found:
        ids.append(payment.pk)
        if payment.voided_at is not None:  # counted and taken off again: nothing to move
            continue
        zone = ZoneInfo(payment.site.time_zone or settings.TIME_ZONE)
        month = payment.received_at.astimezone(zone).date().replace(day=1)
        key = (payment.site_id, payment.unit.building_id, month, payment.method)
        moved[key] += payment.amount
    for (site, building, month, method), amount in moved.items():
        cell = {"building_id": building, "month": month, "method": method}
        IncomeFigure.objects.filter(cashier_id=before, **cell).update(received=F("received") - amount)  # fmt: skip
        target, _created = IncomeFigure.objects.get_or_create(
            cashier_id=after, **cell, defaults={"site_id": site}
        )
        IncomeFigure.objects.filter(pk=target.pk).update(received=F("received") + amount)
    Payment.objects.filter(pk__in=ids).update(
        channel="online" if to_online else "counter", cashier_id=after
    )


def forwards(apps, schema_editor):
    _move(apps, to_online=True)


def backwards(apps, schema_editor):
    _move(apps, to_online=False)


class Migration(migrations.Migration):
    dependencies = [
        ("onlinepay", "0001_initial"),
        ("billing", "0007_payment_channel"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
