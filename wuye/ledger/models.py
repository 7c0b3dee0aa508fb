"""The receivables ledger (docs/ledger.md): the charges — bill lines, each keeping what is paid,
relieved and still open on it — and every movement against them (`LedgerEntry`), with the
allocations of money to lines. The bottom of money: every app that charges or collects writes
here through `services.py`, and nothing here imports them; a movement names its source (a
payment, a refund, a relief entry) by a reference to that app's model.

The tables keep the names they were made with in billing (`billing_billline`, …)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Round
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _

from wuye.core.clock import StampField
from wuye.core.models import SiteScopedModel
from wuye.core.money import format_yuan
from wuye.estate.models import ParkingSpace, Unit

# The check that holds a line's ledger figures within its amount (docs/ledger.md).
OPEN_WITHIN_AMOUNT = "bill_line_open_within_amount"
# A bill line's figures that only the receivables ledger writes.
LEDGER_FIELDS = ("paid_amount", "relief_amount", "settled_on")


class BillLine(SiteScopedModel):
    """账单 / 应收: one charge of one fee item on one unit, parking space or lease for one
    period. `target` ("unit:12", "parking:7", "lease:3", or a one-off's own key) makes a second
    run of the same period post nothing."""

    fee_item = models.ForeignKey("billing.FeeItem", on_delete=models.PROTECT, related_name="lines")
    target = models.CharField(max_length=40)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("unit"),
    )  # fmt: skip
    parking_space = models.ForeignKey(
        ParkingSpace, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("parking space"),
    )  # fmt: skip
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4, default=0)
    rate = models.DecimalField(_("rate"), max_digits=12, decimal_places=4, default=0)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    due_date = models.DateField(_("due"))
    run = models.ForeignKey(
        "billing.BillRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bill_lines",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Cancelled with its whole run: the period may be billed again. A line cancelled on its own
    # stays in the way, so a later run does not post the wrong charge again.
    reversed = models.BooleanField(default=False)
    lease = models.ForeignKey(
        "billing.Lease", on_delete=models.PROTECT, null=True, blank=True, related_name="bill_lines"
    )
    reading = models.ForeignKey(
        "billing.MeterReading", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The receivables ledger's figures of the line (docs/ledger.md), written only by
    # `receivables` in the transaction of each movement: paid (allocated less refunded), relief
    # granted, and what is still open — amount − paid − relief while live, nothing once
    # cancelled — with the day it was last settled (open reached nothing).
    paid_amount = models.DecimalField(_("paid"), max_digits=12, decimal_places=2, default=0, db_default=0)  # fmt: skip
    relief_amount = models.DecimalField(_("relief"), max_digits=12, decimal_places=2, default=0, db_default=0)  # fmt: skip
    open_amount = models.GeneratedField(
        expression=Case(
            # To the fen: SQLite keeps decimals as floating point.
            When(cancelled_at__isnull=True, then=Round(F("amount") - F("paid_amount") - F("relief_amount"), 2)),
            default=Value(Decimal("0.00")),
        ),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
        db_persist=True,
        verbose_name=_("open"),
    )  # fmt: skip
    settled_on = models.DateField(_("settled on"), null=True, blank=True)

    class Meta:
        db_table = "billing_billline"
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["period_start", "fee_item", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fee_item", "target", "period_start"],
                condition=Q(reversed=False),
                name="bill_line_once_per_period",
            ),
            models.CheckConstraint(
                condition=Q(reversed=False) | Q(cancelled_at__isnull=False),
                name="bill_line_reversed_is_cancelled",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="bill_line_not_negative"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="bill_line_period_order"
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="bill_line_cancel_has_reason",
            ),
            # 0 ≤ open ≤ amount (docs/ledger.md): nothing paid or relieved below nothing, and
            # never more than the line's amount between them.
            models.CheckConstraint(
                condition=Q(
                    Q(paid_amount__gte=0, relief_amount__gte=0),
                    GreaterThanOrEqual(
                        Round(F("amount") - F("paid_amount") - F("relief_amount"), 2), 0
                    ),
                ),
                name=OPEN_WITHIN_AMOUNT,
            ),
        ]
        indexes = [
            # Arrears, aging and late fees read a site's open lines by due date.
            models.Index(
                fields=["site", "due_date"],
                condition=Q(open_amount__gt=0),
                name="bill_line_open_idx",
            ),  # fmt: skip
            models.Index(fields=["unit", "period_start"], name="bill_line_unit_idx"),
            models.Index(fields=["site", "period_start"], name="bill_line_site_period_idx"),
            models.Index(fields=["run"], name="bill_line_run_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.target} {self.period_start:%Y-%m}"

    def save(self, *args, **kwargs):
        """Saving a line read earlier never writes its ledger figures back: a movement made
        since (by `receivables`, in its own statement) would be undone by the stale copy."""
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):  # fmt: skip
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields
                if not f.primary_key and not f.generated and f.name not in LEDGER_FIELDS
            ]  # fmt: skip
        super().save(*args, **kwargs)


class Allocation(models.Model):
    """How much of a payment (or of the unit's credit) went to one bill line."""

    bill_line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(
        "billing.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
    )
    from_credit = models.BooleanField(default=False)
    deposit = models.ForeignKey(
        "billing.Deposit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = StampField(auto_now_add=True)
    # The site's own date the money was collected: its payment's received date, or the day
    # credit or a deposit was applied. The collection figures count it in that month.
    collected_on = models.DateField()
    # Undone with its payment's void (the line is open again).
    undone = models.BooleanField(default=False)

    class Meta:
        db_table = "billing_allocation"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=Q(payment__isnull=False) | Q(from_credit=True) | Q(deposit__isnull=False),
                name="allocation_has_source",
            ),
        ]
        indexes = [models.Index(fields=["bill_line", "undone"], name="allocation_line_idx")]

    def __str__(self) -> str:
        return f"{self.bill_line_id} {format_yuan(self.amount)}"


class LedgerEntry(models.Model):
    """One movement against a charge (docs/ledger.md): a bill line is the charge itself; each
    entry changes what the line still owes by `amount` (less owed is negative) — a payment's,
    credit's or deposit's allocation, a voided payment's allocation undone, a refund of what was
    paid on it, relief granted or cancelled, the line cancelled (what was open, written off).
    Written by `receivables` only, with the line's figures in the same transaction; never edited."""

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", _("allocated")
        VOID = "void", _("payment voided")
        REFUND = "refund", _("refunded")
        RELIEF = "relief", _("relief granted")
        RELIEF_CANCELLED = "relief_cancelled", _("relief cancelled")
        CANCELLED = "cancelled", _("line cancelled")

    site = models.ForeignKey("core.Site", on_delete=models.PROTECT, related_name="+")
    bill_line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="ledger_entries")  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    on = models.DateField()
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")  # fmt: skip
    refund = models.ForeignKey("billing.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="+")  # fmt: skip
    relief_entry = models.ForeignKey("billing.ReliefEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+")  # fmt: skip
    created_at = StampField(auto_now_add=True)

    class Meta:
        db_table = "billing_ledgerentry"
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["bill_line", "id"]
        indexes = [
            models.Index(fields=["bill_line", "on"], name="ledger_entry_line_idx"),
            models.Index(fields=["site", "on"], name="ledger_entry_site_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bill_line_id} {self.kind} {self.amount}"
