"""Billing (R-FEE-01, R-FEE-02): fee items and their effective-dated rates, bill runs, and the
payments, meters, leases, deposits, refunds, late fees, figures and relief around the bill lines
they post — the lines themselves are the receivables ledger's (`wuye.ledger`). Nothing posted is
edited or deleted: a wrong line is cancelled with a reason, and the line stays."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.approvals.models import ApprovalRequest
from wuye.core.models import SiteScopedModel
from wuye.core.money import format_yuan
from wuye.estate.models import Building, ParkingSpace, Unit
from wuye.ledger.models import BillLine

from .money import RoundingMode, RoundingUnit


class FeeItem(SiteScopedModel):
    """收费项目: what a site charges for, how often and how the amount is worked out."""

    class Kind(models.TextChoices):
        MANAGEMENT = "management", _("management fee")
        WATER = "water", _("water")
        ELECTRICITY = "electricity", _("electricity")
        GAS = "gas", _("gas")
        HEATING = "heating", _("heating")
        PARKING = "parking", _("parking")
        RENT = "rent", _("rent")
        MAINTENANCE_FUND = "maintenance_fund", _("maintenance fund")
        SERVICE = "service", _("paid service")
        DEPOSIT = "deposit", _("deposit")
        LATE_FEE = "late_fee", _("late fee")
        OTHER = "other", _("other")

    class Cycle(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        YEARLY = "yearly", _("yearly")

    class Method(models.TextChoices):
        FLOOR_AREA = "floor_area", _("floor area × rate")
        INDOOR_AREA = "indoor_area", _("indoor area × rate")
        PER_UNIT = "per_unit", _("fixed per unit")
        PER_PARKING = "per_parking", _("fixed per parking space")
        METER = "meter", _("meter usage × rate")
        RENT = "rent", _("rent with a yearly escalation")
        FORMULA = "formula", _("custom formula")

    class Vacant(models.TextChoices):
        FULL = "full", _("charged in full")
        SHARE = "share", _("charged a share")
        NONE = "none", _("not charged")

    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_cyclic = models.BooleanField(_("charged every cycle"), default=True)
    is_prepaid = models.BooleanField(_("paid in advance"), default=False)
    cycle = models.CharField(
        _("cycle"), max_length=10, choices=Cycle.choices, default=Cycle.MONTHLY
    )
    due_day = models.PositiveSmallIntegerField(_("due day of the month"), default=15)
    method = models.CharField(_("amount"), max_length=20, choices=Method.choices)
    formula = models.CharField(_("formula"), max_length=300, blank=True)
    rounding_unit = models.CharField(
        _("round"), max_length=10, choices=RoundingUnit.choices, default=RoundingUnit.FEN
    )
    rounding_mode = models.CharField(
        _("rounding"), max_length=10, choices=RoundingMode.choices, default=RoundingMode.HALF_UP
    )
    vacant = models.CharField(
        _("vacant units"), max_length=10, choices=Vacant.choices, default=Vacant.FULL
    )
    vacant_percent = models.PositiveSmallIntegerField(_("vacant share (%)"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")
        ordering = ["code"]
        permissions = [
            ("run_bills", _("Can run and reverse bill runs")),
            ("cancel_billline", _("Can cancel bill lines (within the authority matrix)")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="fee_item_unique_code"),
            models.CheckConstraint(
                condition=Q(due_day__gte=1, due_day__lte=28), name="fee_item_due_day_range"
            ),
            models.CheckConstraint(
                condition=Q(vacant_percent__lte=100), name="fee_item_vacant_percent_range"
            ),
            models.CheckConstraint(
                condition=~Q(method="formula") | ~Q(formula=""), name="fee_item_formula_given"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Rate(SiteScopedModel):
    """收费标准: a fee item's rate from a date (to a date), for a unit use and a building or for
    all. Two rates of one scope never overlap."""

    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="rates")
    unit_use = models.CharField(
        _("unit use"), max_length=20, choices=Unit.Use.choices, blank=True,
        help_text=_("Empty: every use."),
    )  # fmt: skip
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("building"), help_text=_("Empty: every building."),
    )  # fmt: skip
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(
        _("to"), null=True, blank=True, help_text=_("Empty: until changed.")
    )
    amount = models.DecimalField(_("rate (yuan)"), max_digits=12, decimal_places=4)
    # Metered fees: [{"upto": "20", "rate": "3.50"}, {"upto": null, "rate": "4.20"}]
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    multiplier = models.DecimalField(
        _("meter multiplier"), max_digits=10, decimal_places=4, default=1
    )
    loss_percent = models.DecimalField(
        _("loss allowance (%)"), max_digits=6, decimal_places=2, default=0
    )
    escalation_percent = models.DecimalField(
        _("yearly escalation (%)"), max_digits=6, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ["fee_item", "unit_use", "building", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="rate_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="rate_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["fee_item", "valid_from"], name="rate_item_from_idx")]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.amount} {self.valid_from}"


class BillRun(SiteScopedModel):
    """One action that posts a period's bill lines for a site; reversible as a whole while no
    payment touches it."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        REVERSED = "reversed", _("reversed")

    period = models.DateField(_("period"), help_text=_("The first day of the month billed."))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RUNNING
    )
    lines = models.PositiveIntegerField(_("lines posted"), default=0)
    total = models.DecimalField(_("total (yuan)"), max_digits=14, decimal_places=2, default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # What the run left for later: {"held_readings": n, "missing_readings": n}.
    skipped = models.JSONField(default=dict, blank=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reverse_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bill run")
        verbose_name_plural = _("bill runs")
        ordering = ["-period", "-id"]

    def __str__(self) -> str:
        return f"{self.site_id} {self.period:%Y-%m}"


class Payment(SiteScopedModel):
    """收款 / 实收: money a cashier took for a unit, allocated to its open lines; the rest, when
    taken as credit, goes to the unit's prepaid credit. Voided, never edited."""

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        TRANSFER = "transfer", _("bank transfer")
        CARD = "card", _("card")
        QR = "qr", _("QR code (WeChat / Alipay)")

    class Channel(models.TextChoices):
        """How the money came in: at the counter, taken by a cashier; online, paid by the
        resident through a payment gateway, with no cashier; a bank batch (托收) or a history
        import, entered by the member of staff named as cashier."""

        COUNTER = "counter", _("counter")
        ONLINE = "online", _("online payment")
        BANK = "bank", _("bank batch")
        IMPORT = "import", _("history import")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    payer = models.CharField(_("paid by"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.COUNTER
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    tendered = models.DecimalField(
        _("tendered"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    change = models.DecimalField(_("change"), max_digits=12, decimal_places=2, default=0)
    reference = models.CharField(_("transaction reference"), max_length=60, blank=True)
    idempotency_key = models.CharField(max_length=80, blank=True)
    # None for money that came in online: the gateway took it, not a person.
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cashier"),
    )
    received_at = models.DateTimeField(_("received at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=200, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        permissions = [("void_payment", _("Can void payments (within the authority matrix)"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(condition=Q(change__gte=0), name="payment_change_not_negative"),
            models.CheckConstraint(
                condition=Q(tendered__isnull=True) | Q(tendered__gte=F("amount")),
                name="payment_tendered_covers_amount",
            ),
            models.UniqueConstraint(
                fields=["site", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payment_idempotency_key_once",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="payment_void_has_reason",
            ),
            # A person took it, or it came in online with no cashier — never both, never neither.
            models.CheckConstraint(
                condition=Q(channel="online", cashier__isnull=True)
                | (~Q(channel="online") & Q(cashier__isnull=False)),
                name="payment_cashier_or_online",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "received_at"], name="payment_unit_idx"),
            models.Index(fields=["site", "cashier", "received_at"], name="payment_cashier_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {format_yuan(self.amount)}"


class CreditEntry(SiteScopedModel):
    """预存款: the unit's prepaid credit moves — in from an overpayment, out to a bill line,
    back on a void — general or earmarked for one fee item."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("earmarked for"),
    )  # fmt: skip
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="credits"
    )
    bill_line = models.ForeignKey(
        BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="credit_entry_not_zero")]
        indexes = [models.Index(fields=["unit", "fee_item"], name="credit_unit_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.amount}"


class Receipt(SiteScopedModel):
    """收据: one per payment, numbered without gaps per site and year."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("receipt number"), max_length=40)
    issued_at = models.DateTimeField(_("issued at"))
    prints = models.PositiveIntegerField(_("times printed"), default=0)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "year", "sequence"], name="receipt_gap_free_sequence"
            ),
            models.UniqueConstraint(fields=["site", "number"], name="receipt_unique_number"),
        ]

    def __str__(self) -> str:
        return self.number


class ReceiptLayout(models.Model):
    """How a site's receipts look: its company name and seal text, which columns, the footer."""

    COLUMNS = ["item", "period", "unit", "amount"]

    site = models.OneToOneField(
        "core.Site", on_delete=models.CASCADE, related_name="receipt_layout"
    )
    title = models.CharField(_("title"), max_length=30, default="收款收据")
    company_name = models.CharField(_("company name"), max_length=100, blank=True)
    seal_text = models.CharField(_("seal text"), max_length=40, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    footer = models.CharField(_("footer"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("receipt layout")
        verbose_name_plural = _("receipt layouts")

    def __str__(self) -> str:
        return str(self.site_id)


class CashierClose(SiteScopedModel):
    """日结: a cashier's day, closed — what they took by method, matched to their receipts."""

    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cashier"),
    )
    day = models.DateField(_("day"))
    totals = models.JSONField(_("by method"), default=dict)
    total = models.DecimalField(_("total (yuan)"), max_digits=14, decimal_places=2)
    refunds = models.JSONField(_("refunded by method"), default=dict)
    refunded = models.DecimalField(_("refunded (yuan)"), max_digits=14, decimal_places=2, default=0)
    receipts = models.PositiveIntegerField(_("receipts issued"))
    voided = models.PositiveIntegerField(_("voided"), default=0)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"))

    class Meta:
        verbose_name = _("cashier's daily close")
        verbose_name_plural = _("cashiers' daily closes")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "cashier", "day"], name="cashier_close_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cashier_id} {self.day}"


class Meter(SiteScopedModel):
    """水表 / 电表 / 燃气表: a unit's own meter, or a shared one (a building's or a common
    area's) whose usage is split among the units it serves (R-FEE-02)."""

    class Kind(models.TextChoices):
        WATER = "water", pgettext_lazy("meter kind", "water")
        ELECTRICITY = "electricity", pgettext_lazy("meter kind", "electricity")
        GAS = "gas", pgettext_lazy("meter kind", "gas")

    class Split(models.TextChoices):
        AREA = "area", _("by floor area")
        HOUSEHOLD = "household", _("by household")
        FORMULA = "formula", _("by formula")

    code = models.CharField(_("meter number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="meters", verbose_name=_("billed as")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="meters",
        verbose_name=_("unit"), help_text=_("Empty: a shared meter."),
    )  # fmt: skip
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("building"),
        help_text=_("A shared meter: the building whose units share it; empty: the whole site."),
    )  # fmt: skip
    location = models.CharField(_("location"), max_length=100, blank=True)
    split = models.CharField(
        _("split among units"), max_length=10, choices=Split.choices, blank=True
    )
    # A weight per unit over area, indoor_area, floor and coefficient, e.g. "area * coefficient".
    split_formula = models.CharField(_("split formula"), max_length=200, blank=True)
    multiplier = models.DecimalField(_("multiplier"), max_digits=10, decimal_places=4, default=1)
    start_value = models.DecimalField(
        _("start reading"), max_digits=14, decimal_places=2, default=0
    )
    installed_on = models.DateField(_("installed on"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="meter_unique_code"),
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="meter_multiplier_positive"),
            models.CheckConstraint(
                condition=Q(start_value__gte=0), name="meter_start_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(unit__isnull=False, split="") | Q(unit__isnull=True) & ~Q(split=""),
                name="meter_own_or_shared_with_split",
            ),
            models.CheckConstraint(
                condition=~Q(split="formula") | ~Q(split_formula=""),
                name="meter_split_formula_given",
            ),
        ]
        indexes = [models.Index(fields=["site", "kind", "building"], name="meter_site_kind_idx")]

    @property
    def is_shared(self) -> bool:
        return self.unit_id is None

    def __str__(self) -> str:
        return self.code


class MeterReading(SiteScopedModel):
    """抄表: one month's reading of a meter. usage = (this − last) × multiplier. A reading that
    goes backwards or jumps far beyond the meter's history is held for a second look and bills
    only once confirmed."""

    class State(models.TextChoices):
        ACCEPTED = "accepted", pgettext_lazy("meter reading", "accepted")
        HELD = "held", pgettext_lazy("meter reading", "held for a second look")
        CONFIRMED = "confirmed", pgettext_lazy("meter reading", "confirmed")
        REJECTED = "rejected", pgettext_lazy("meter reading", "rejected")

    class Source(models.TextChoices):
        PHONE = "phone", _("read on the phone page")
        IMPORT = "import", _("imported")
        API = "api", _("API")

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="readings")
    period = models.DateField(_("month"), help_text=_("The first day of the month read."))
    value = models.DecimalField(_("reading"), max_digits=14, decimal_places=2)
    previous_value = models.DecimalField(_("last reading"), max_digits=14, decimal_places=2)
    usage = models.DecimalField(_("usage"), max_digits=14, decimal_places=4)
    read_on = models.DateField(_("read on"))
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("read by"),
    )  # fmt: skip
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    hold_reason = models.CharField(_("why held"), max_length=200, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    check_note = models.CharField(_("second look"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["meter", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "period"],
                condition=~Q(state="rejected"),
                name="meter_reading_once_a_month",
            ),  # fmt: skip
            models.CheckConstraint(condition=Q(value__gte=0), name="meter_reading_not_negative"),
            models.CheckConstraint(
                condition=Q(state__in=["held", "rejected"]) | Q(usage__gte=0),
                name="meter_reading_billed_usage_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(check_note=""),
                name="meter_reading_rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "period", "state"], name="meter_reading_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.period:%Y-%m} {self.value}"


class Lease(SiteScopedModel):
    """租赁: the company lets a unit (a shop) or a parking space for a monthly rent that rises
    by a yearly escalation; billed monthly to a unit by the rent fee item, prorated by days in
    its first and last month."""

    number = models.CharField(_("lease number"), max_length=40)
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="leases", verbose_name=_("billed as")
    )
    # The unit the rent is billed to: the shop let, or the lessee's home for a parking space.
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit billed")
    )
    parking_space = models.ForeignKey(
        ParkingSpace, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("parking space let"), help_text=_("Empty: the unit itself is let."),
    )  # fmt: skip
    lessee = models.CharField(_("lessee"), max_length=100)
    lessee_phone = models.CharField(_("phone"), max_length=30, blank=True)
    monthly_rent = models.DecimalField(_("monthly rent (yuan)"), max_digits=12, decimal_places=2)
    escalation_percent = models.DecimalField(
        _("yearly escalation (%)"), max_digits=6, decimal_places=2, default=0
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    termination_reason = models.CharField(_("why terminated"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        ordering = ["-starts_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="lease_unique_number"),
            models.CheckConstraint(condition=Q(monthly_rent__gt=0), name="lease_rent_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="lease_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(terminated_on__isnull=True) | Q(terminated_on__gte=F("starts_on")),
                name="lease_terminated_after_start",
            ),
        ]
        indexes = [models.Index(fields=["site", "ends_on"], name="lease_site_end_idx")]

    @property
    def last_day(self):
        return self.terminated_on or self.ends_on

    def __str__(self) -> str:
        return self.number


class Deposit(SiteScopedModel):
    """押金: money held apart from the unit's bills (renovation, keys…) until it is refunded or
    applied to the unit's charges. It never counts as payment of a bill line until applied."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="deposits", verbose_name=_("deposit for")
    )
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="deposit")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_positive"),
        ]
        indexes = [models.Index(fields=["unit"], name="deposit_unit_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {format_yuan(self.amount)}"


class Refund(SiteScopedModel):
    """退款: money paid back — a line's payment (the line is open again), the unit's prepaid
    credit, or a deposit — with a reason, by someone whose authority covers it or once
    approved. Never edited."""

    class Source(models.TextChoices):
        LINE = "line", _("a bill line's payment")
        CREDIT = "credit", _("prepaid credit")
        DEPOSIT = "deposit", _("deposit")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    source = models.CharField(_("refund of"), max_length=10, choices=Source.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    method = models.CharField(_("method"), max_length=10, choices=Payment.Method.choices)
    bill_line = models.ForeignKey(
        BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    deposit = models.ForeignKey(
        Deposit, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("earmarked credit of"),
    )  # fmt: skip
    reason = models.CharField(_("reason"), max_length=200)
    paid_to = models.CharField(_("paid to"), max_length=100, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    refunded_at = models.DateTimeField(_("refunded at"))
    # `refunded_at` as the site's own date: the month the collection figures take it off.
    refunded_on = models.DateField(_("refunded on"))
    approval = models.ForeignKey(
        ApprovalRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-refunded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_has_reason"),
            models.CheckConstraint(
                condition=~Q(source="line") | Q(bill_line__isnull=False),
                name="refund_line_names_line",
            ),
            models.CheckConstraint(
                condition=~Q(source="deposit") | Q(deposit__isnull=False),
                name="refund_deposit_names_deposit",
            ),
        ]
        indexes = [models.Index(fields=["unit", "refunded_at"], name="refund_unit_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} −{format_yuan(self.amount)}"


class LateFeeRule(SiteScopedModel):
    """A fee item's late fee (R-FEE-04): a daily or monthly rate on the overdue amount after
    some grace days, never more in all than a share of the principal (the cap, required)."""

    class Basis(models.TextChoices):
        DAILY = "daily", _("per day")
        MONTHLY = "monthly", _("per month")

    fee_item = models.OneToOneField(
        FeeItem, on_delete=models.PROTECT, related_name="late_fee_rule", verbose_name=_("fee item")
    )
    basis = models.CharField(_("charged"), max_length=10, choices=Basis.choices)
    rate_percent = models.DecimalField(_("rate (%)"), max_digits=7, decimal_places=4)
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)
    cap_percent = models.DecimalField(_("cap (% of the principal)"), max_digits=5, decimal_places=2)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("late fee rule")
        verbose_name_plural = _("late fee rules")
        constraints = [
            models.CheckConstraint(condition=Q(rate_percent__gt=0), name="late_fee_rate_positive"),
            models.CheckConstraint(
                condition=Q(cap_percent__gt=0, cap_percent__lte=100), name="late_fee_cap_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.rate_percent}%/{self.basis}"


class LateFee(SiteScopedModel):
    """The late fee accruing on one overdue bill line (the principal), kept apart from it. The
    daily job accrues it through a day once; when the principal is settled the amount left
    after waivers is posted as a line of the site's late-fee item (`charge_line`)."""

    bill_line = models.OneToOneField(
        BillLine, on_delete=models.PROTECT, related_name="late_fee", verbose_name=_("principal")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Unrounded while it accrues; rounded half-up once, when it is posted.
    accrued = models.DecimalField(_("accrued (yuan)"), max_digits=14, decimal_places=4, default=0)
    waived = models.DecimalField(_("waived (yuan)"), max_digits=12, decimal_places=2, default=0)
    accrued_through = models.DateField(_("accrued through"))
    charge_line = models.OneToOneField(
        BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="late_fee_charged"
    )

    class Meta:
        verbose_name = _("late fee")
        verbose_name_plural = _("late fees")
        constraints = [
            models.CheckConstraint(
                condition=Q(accrued__gte=0), name="late_fee_accrued_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(waived__gte=0, waived__lte=F("accrued")), name="late_fee_waived_range"
            ),
        ]
        indexes = [
            models.Index(fields=["site", "charge_line"], name="late_fee_site_posted_idx"),
            models.Index(fields=["unit"], name="late_fee_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bill_line_id} {format_yuan(self.accrued)}"


class LateFeeWaiver(SiteScopedModel):
    """A late fee waived in part or whole, with its reason, by someone whose authority covers it
    (or by the approver of an approval request)."""

    late_fee = models.ForeignKey(LateFee, on_delete=models.PROTECT, related_name="waivers")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("waived by"),
    )  # fmt: skip
    waived_at = models.DateTimeField(_("waived at"))
    approval = models.ForeignKey(
        ApprovalRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("late fee waiver")
        verbose_name_plural = _("late fee waivers")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="late_fee_waiver_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="late_fee_waiver_has_reason"),
        ]


class CollectionFigure(models.Model):
    """收缴统计: the ledger summed once for the collection rate (R-FEE-05, R-KPI-01) — for one
    fee item and building, what was charged for a month (`due`, on the row whose collected
    month is the charge month) and what was collected of it in a month (`collected`: live
    allocations less line refunds). Kept by the ledger's own writes in their transaction
    (`figures`), rebuilt from the ledger by `figures.rebuild_figures`; never edited by hand.
    Parking-space lines have no building."""

    site = models.ForeignKey("core.Site", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, null=True, related_name="+")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="+")
    charge_month = models.DateField()  # the first day of the month of the lines' period start
    collected_month = models.DateField()  # the first day of the month the money came
    due = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    collected = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("collection figure")
        verbose_name_plural = _("collection figures")
        permissions = [("view_collection_rate", _("Can see the collection rate and its figures"))]
        constraints = [
            # What `figures` upserts on: parking lines (no building) share one row per cell.
            models.UniqueConstraint(
                F("fee_item"),
                Coalesce(F("building"), Value(0)),
                F("charge_month"),
                F("collected_month"),
                name="collection_figure_cell",
            ),  # fmt: skip
        ]
        indexes = [
            models.Index(
                fields=["site", "charge_month", "collected_month"], name="collection_figure_charge"
            ),
            models.Index(fields=["site", "collected_month"], name="collection_figure_collected"),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item_id} {self.charge_month:%Y-%m}/{self.collected_month:%Y-%m}"


class IncomeFigure(models.Model):
    """实收: money taken in a month (payments not voided, deposits too) and paid back (refunds
    of every kind), by building, method and cashier — what the daily closes hand over, summed;
    the online channel's money, which no cashier took, is the rows with no cashier. Kept like
    `CollectionFigure`."""

    site = models.ForeignKey("core.Site", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    method = models.CharField(max_length=10, choices=Payment.Method.choices)
    # None: money that came in online (a payment of the online channel has no cashier).
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    received = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    refunded = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("income figure")
        verbose_name_plural = _("income figures")
        constraints = [
            # What `figures` upserts on: the online channel's money (no cashier) is one row.
            models.UniqueConstraint(
                F("building"),
                F("month"),
                F("method"),
                Coalesce(F("cashier"), Value(0)),
                name="income_figure_cell",
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["site", "month"], name="income_figure_month")]

    def __str__(self) -> str:
        return f"{self.building_id} {self.month:%Y-%m} {self.method}"


class CollectionTarget(models.Model):
    """A site's collection-rate targets (R-FEE-05, R-KPI-01; the company's default 90% for the
    month, 95% for the quarter, 98% for the year while a site has none of its own)."""

    site = models.OneToOneField(
        "core.Site", on_delete=models.CASCADE, related_name="collection_target"
    )
    month_percent = models.DecimalField(_("month (%)"), max_digits=5, decimal_places=2, default=90)
    quarter_percent = models.DecimalField(
        _("quarter (%)"), max_digits=5, decimal_places=2, default=95
    )
    year_percent = models.DecimalField(_("year (%)"), max_digits=5, decimal_places=2, default=98)

    class Meta:
        verbose_name = _("collection-rate target")
        verbose_name_plural = _("collection-rate targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(month_percent__gt=0, month_percent__lte=100)
                & Q(quarter_percent__gt=0, quarter_percent__lte=100)
                & Q(year_percent__gt=0, year_percent__lte=100),
                name="collection_target_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.month_percent}/{self.quarter_percent}/{self.year_percent}"


class ReliefRule(SiteScopedModel):
    """减免 / 优惠: a site's relief on one fee item, for a validity window, on the whole site or
    one building — a percentage off each line (`discount`), a fixed sum off each line
    (`reduction`), free months for paying some months ahead (`gift_months`), or a share off
    for a unit found vacant on an approved application (`vacancy`). A discount with
    `months_ahead` is granted only for paying that many months ahead."""

    class Kind(models.TextChoices):
        DISCOUNT = "discount", pgettext_lazy("relief", "discount")
        REDUCTION = "reduction", pgettext_lazy("relief", "fixed reduction")
        GIFT_MONTHS = "gift_months", pgettext_lazy("relief", "gift months")
        VACANCY = "vacancy", pgettext_lazy("relief", "vacant unit")

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="relief_rules", verbose_name=_("fee item")
    )
    percent = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(
        _("yuan off each line"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    months_ahead = models.PositiveSmallIntegerField(_("months paid ahead"), null=True, blank=True)
    gift_months = models.PositiveSmallIntegerField(_("months given"), null=True, blank=True)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True, help_text=_("Empty: until ended."))
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("building"), help_text=_("Empty: the whole site."),
    )  # fmt: skip
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A correction's history (`relief_versions`): the version this one corrects, ended the day
    # before this one starts; the first version has none.
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="correction",
        verbose_name=_("corrects"),
    )  # fmt: skip
    version = models.PositiveSmallIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("relief rule")
        verbose_name_plural = _("relief rules")
        ordering = ["-valid_from", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="relief_rule_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gt=0, percent__lte=100),
                name="relief_rule_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="relief_rule_amount_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["discount", "vacancy"]) | Q(percent__isnull=False),
                name="relief_rule_percent_given",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reduction") | Q(amount__isnull=False),
                name="relief_rule_amount_given",
            ),
            models.CheckConstraint(
                condition=~Q(kind="gift_months") | Q(months_ahead__gt=0, gift_months__gt=0),
                name="relief_rule_gift_months_given",
            ),
        ]
        indexes = [models.Index(fields=["site", "kind", "is_active"], name="relief_rule_site_idx")]

    def __str__(self) -> str:
        return self.name


class VacancyApplication(SiteScopedModel):
    """空置房减免申请: a unit's application for vacancy relief over a window — the unit is
    inspected, then the application approved (relief on the unit's lines in the window, now and
    in later bill runs) or rejected."""

    class State(models.TextChoices):
        APPLIED = "applied", pgettext_lazy("vacancy application", "applied")
        INSPECTED = "inspected", pgettext_lazy("vacancy application", "inspected")
        APPROVED = "approved", pgettext_lazy("vacancy application", "approved")
        REJECTED = "rejected", pgettext_lazy("vacancy application", "rejected")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("fee item"), help_text=_("Empty: every cyclic fee item."),
    )  # fmt: skip
    starts_on = models.DateField(_("vacant from"))
    ends_on = models.DateField(_("vacant to"))
    reason = models.CharField(_("reason"), max_length=200)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("applied by"),
    )  # fmt: skip
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.APPLIED
    )
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("inspected by"),
    )  # fmt: skip
    inspected_on = models.DateField(_("inspected on"), null=True, blank=True)
    found_vacant = models.BooleanField(_("found vacant"), null=True, blank=True)
    inspection_note = models.CharField(_("inspection note"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("vacancy relief application")
        verbose_name_plural = _("vacancy relief applications")
        ordering = ["-created_at"]
        permissions = [
            ("approve_vacancyapplication", _("Can approve or reject vacancy relief applications")),
            ("inspect_vacancyapplication", _("Can record the inspection of a vacant unit")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="vacancy_ends_after_start"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="vacancy_has_reason"),
            models.CheckConstraint(
                condition=Q(state__in=["applied", "rejected"])
                | Q(found_vacant__isnull=False, inspected_on__isnull=False),
                name="vacancy_inspected_before_decided",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=~Q(state="approved") | Q(found_vacant=True),
                name="vacancy_approved_only_found_vacant",
            ),
        ]
        indexes = [models.Index(fields=["site", "state"], name="vacancy_site_state_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.starts_on}–{self.ends_on}"


class ReliefEntry(SiteScopedModel):
    """A relief granted on one bill line — its own ledger entry: it lowers what is owed on the
    line (never below what is paid) and what the line makes due in the collection rate.
    Cancelled, never edited or deleted; cancelling gives the amount back to the line."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    bill_line = models.ForeignKey(
        BillLine, on_delete=models.PROTECT, related_name="reliefs", verbose_name=_("bill line")
    )
    rule = models.ForeignKey(
        ReliefRule, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    application = models.ForeignKey(
        VacancyApplication, on_delete=models.PROTECT, null=True, blank=True,
        related_name="entries",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=12, choices=ReliefRule.Kind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("granted by"),
    )  # fmt: skip
    granted_on = models.DateField(_("granted on"))
    reason = models.CharField(_("reason"), max_length=200)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("relief entry")
        verbose_name_plural = _("relief entries")
        ordering = ["bill_line", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="relief_entry_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="relief_entry_has_reason"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="relief_entry_cancel_has_reason",
            ),
            models.UniqueConstraint(
                fields=["bill_line", "rule"],
                condition=Q(cancelled_at__isnull=True, rule__isnull=False),
                name="relief_entry_once_per_rule",
            ),
            models.UniqueConstraint(
                fields=["bill_line", "application"],
                condition=Q(cancelled_at__isnull=True, application__isnull=False),
                name="relief_entry_once_per_application",
            ),
            # One live relief of each kind on a line: a building's rule or a second
            # application can't stack a second discount or vacancy relief on it.
            models.UniqueConstraint(
                fields=["bill_line", "kind"],
                condition=Q(cancelled_at__isnull=True),
                name="relief_entry_once_per_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "granted_on"], name="relief_entry_unit_idx"),
            models.Index(fields=["site", "granted_on"], name="relief_entry_site_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bill_line_id} −{format_yuan(self.amount)}"
