"""Online payment (docs/collections.md, Online payment): a resident's order for chosen open lines,
every notification a gateway sends about it, and the daily reconciliation against the gateway's own
ledger.

What must always hold is a constraint: an order number is unique (the gateway knows the order
only by it), a gateway's transaction pays one order, an order is paid by one payment, and a paid
order has its payment.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.billing.models import Payment
from wuye.core.models import Site, SiteScopedModel
from wuye.estate.models import Unit
from wuye.ledger.models import BillLine


class OnlineOrder(SiteScopedModel):
    """在线缴费订单: the open lines a resident chose to pay online, and what became of it."""

    class State(models.TextChoices):
        CREATED = "created", pgettext_lazy("online order", "waiting for payment")
        PAID = "paid", pgettext_lazy("online order", "paid")
        CANCELLED = "cancelled", pgettext_lazy("online order", "cancelled")
        EXPIRED = "expired", pgettext_lazy("online order", "expired")
        FAILED = "failed", pgettext_lazy("online order", "failed")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    # The out_trade_no the gateway sees: it names the site, so it is unique across sites too.
    number = models.CharField(_("order number"), max_length=32)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    state = models.CharField(
        pgettext_lazy("online order", "state"), max_length=12, choices=State.choices,
        default=State.CREATED,
    )  # fmt: skip
    gateway = models.CharField(_("gateway"), max_length=40)
    gateway_txn_id = models.CharField(_("gateway transaction"), max_length=64, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="online_order",
        verbose_name=_("payment"),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("ordered by"),
    )  # fmt: skip
    expires_at = models.DateTimeField(_("expires at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    return_url = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("online order")
        verbose_name_plural = _("online orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Unique per site and, since it names the site, across sites: one merchant account
            # at the gateway may serve several sites.
            models.UniqueConstraint(fields=["number"], name="onlineorder_number_unique"),
            models.UniqueConstraint(
                fields=["gateway", "gateway_txn_id"],
                condition=~Q(gateway_txn_id=""),
                name="onlineorder_gateway_txn_once",
            ),  # fmt: skip
            models.CheckConstraint(condition=Q(amount__gt=0), name="onlineorder_positive"),
            models.CheckConstraint(
                condition=Q(state="paid", payment__isnull=False, paid_at__isnull=False)
                | (~Q(state="paid") & Q(payment__isnull=True)),
                name="onlineorder_paid_has_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "state", "-created_at"], name="onlineorder_site_idx"),
            models.Index(fields=["site", "gateway", "paid_at"], name="onlineorder_paid_idx"),
            models.Index(fields=["state", "expires_at"], name="onlineorder_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """A line the order pays, with what was open on it when the order was made."""

    order = models.ForeignKey(OnlineOrder, on_delete=models.CASCADE, related_name="lines")
    bill_line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("online order line")
        verbose_name_plural = _("online order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "bill_line"], name="orderline_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="orderline_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.bill_line_id} {self.amount}"


class GatewayNotification(models.Model):
    """Every notification a gateway sent, as received — the bad ones too. `site` is the site of
    the order it names, when there is one."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", pgettext_lazy("notification", "applied")
        DUPLICATE = "duplicate", pgettext_lazy("notification", "duplicate")
        BAD_SIGNATURE = "bad_signature", pgettext_lazy("notification", "bad signature")
        UNKNOWN_ORDER = "unknown_order", pgettext_lazy("notification", "unknown order")
        AMOUNT_MISMATCH = "amount_mismatch", pgettext_lazy("notification", "amount differs")
        ERROR = "error", pgettext_lazy("notification", "error")

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("site"),
    )  # fmt: skip
    gateway = models.CharField(_("gateway"), max_length=40)
    order = models.ForeignKey(
        OnlineOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications",
        verbose_name=_("online order"),
    )  # fmt: skip
    out_trade_no = models.CharField(_("order number"), max_length=64, blank=True)
    gateway_txn_id = models.CharField(_("gateway transaction"), max_length=64, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    body = models.TextField(_("body"))
    headers = models.JSONField(default=dict)
    signature_ok = models.BooleanField(_("signature valid"))
    outcome = models.CharField(
        pgettext_lazy("notification", "outcome"), max_length=20, choices=Outcome.choices
    )
    message = models.CharField(_("message"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gateway notification")
        verbose_name_plural = _("gateway notifications")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["site", "-received_at"], name="gatewaynotice_site_idx"),
            models.Index(fields=["outcome", "-received_at"], name="gatewaynotice_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.out_trade_no} {self.outcome}"

    @property
    def is_bad(self) -> bool:
        return self.outcome not in (self.Outcome.APPLIED, self.Outcome.DUPLICATE)


class Reconciliation(SiteScopedModel):
    """对账: a site's paid orders of one day against what the gateway reports for that day. Run
    again, it replaces its counts and mismatches."""

    class State(models.TextChoices):
        MATCHED = "matched", pgettext_lazy("reconciliation", "matched")
        MISMATCHED = "mismatched", pgettext_lazy("reconciliation", "mismatches")

    day = models.DateField(_("day"))
    gateway = models.CharField(_("gateway"), max_length=40)
    state = models.CharField(
        pgettext_lazy("reconciliation", "state"), max_length=12, choices=State.choices
    )
    orders_count = models.PositiveIntegerField(_("paid orders"), default=0)
    orders_total = models.DecimalField(_("paid here (yuan)"), max_digits=14, decimal_places=2, default=0)  # fmt: skip
    gateway_count = models.PositiveIntegerField(_("gateway transactions"), default=0)
    gateway_total = models.DecimalField(_("at the gateway (yuan)"), max_digits=14, decimal_places=2, default=0)  # fmt: skip
    mismatches_count = models.PositiveIntegerField(_("mismatches"), default=0)
    run_at = models.DateTimeField(_("run at"))
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("run by"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-day", "gateway"]
        permissions = [("reconcile", _("Can reconcile online payments with the gateway"))]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "gateway"], name="reconciliation_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day} {self.gateway}"


class ReconciliationMismatch(models.Model):
    """One difference a reconciliation found."""

    class Kind(models.TextChoices):
        GATEWAY_ONLY = "gateway_only", _("paid at the gateway, not here")
        OURS_ONLY = "ours_only", _("paid here, not at the gateway")
        AMOUNT_DIFFERS = "amount_differs", _("amount differs")

    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.CASCADE, related_name="mismatches"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    order = models.ForeignKey(
        OnlineOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("online order"),
    )  # fmt: skip
    out_trade_no = models.CharField(_("order number"), max_length=64, blank=True)
    gateway_txn_id = models.CharField(_("gateway transaction"), max_length=64, blank=True)
    our_amount = models.DecimalField(_("here (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)  # fmt: skip
    gateway_amount = models.DecimalField(_("at the gateway (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)  # fmt: skip

    class Meta:
        verbose_name = _("reconciliation mismatch")
        verbose_name_plural = _("reconciliation mismatches")
        ordering = ["kind", "out_trade_no", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.out_trade_no}"


class SimulatedTransaction(models.Model):
    """The built-in simulator's side of the books: what a real gateway's ledger would hold. Not
    ours — reconciliation reads it only through the simulator's `transactions_on`."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    out_trade_no = models.CharField(max_length=64)
    txn_id = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_at = models.DateTimeField()
    notified = models.PositiveIntegerField(default=0)
    # False: the simulator leaves it out of its statement, to test the reconciliation.
    listed = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("simulated gateway transaction")
        verbose_name_plural = _("simulated gateway transactions")
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["out_trade_no"], name="simulated_txn_once_per_order")
        ]
        indexes = [models.Index(fields=["site", "paid_at"], name="simulated_txn_day_idx")]

    def __str__(self) -> str:
        return f"{self.txn_id} {self.out_trade_no} {self.amount}"


class SiteGateway(models.Model):
    """The gateway a site takes online payments through, when not the default
    (`WUYE_PAYMENT_GATEWAY`): the dotted path of a `gateways.PaymentGateway` subclass."""

    site = models.OneToOneField(
        Site, on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    path = models.CharField(_("gateway"), max_length=200)

    class Meta:
        verbose_name = _("site payment gateway")
        verbose_name_plural = _("site payment gateways")

    def __str__(self) -> str:
        return f"{self.site} → {self.path}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError
        from django.utils.module_loading import import_string

        from .gateways import PaymentGateway

        try:
            cls = import_string(self.path)
        except ImportError:
            cls = None
        if not (isinstance(cls, type) and issubclass(cls, PaymentGateway)):
            raise ValidationError({"path": _("Name a payment gateway class (a dotted path).")})
