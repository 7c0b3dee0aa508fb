"""Notices and chasing (R-FEE-03): fee notices (费用通知单) before due, dunning notices
(催费通知书) after, each a frozen snapshot of what the unit owed when it was issued; how each
notice reached the resident and who sent it; and the collections clerk's chasing log of calls,
visits and promises to pay by a date.

A notice is never edited: its PDF is drawn again from its snapshot, so a reprint reads exactly
like the first print, whatever was paid or re-laid-out since.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.core.models import Job, Site, SiteScopedModel
from wuye.estate.models import Building, Unit


def _hidden(field: models.Field) -> models.Field:
    """A column the audit trail leaves out (the notice's snapshot is the notice itself)."""
    field.audit_hidden = True
    return field


DEFAULT_FEE_BODY = (
    "尊敬的{owner}：\n"
    "您好！截至{today}，您的房屋{unit}应缴费用合计人民币{total}元，明细见下表。"
    "请于{pay_by}前缴纳。感谢您对我们工作的支持与配合！"
)
DEFAULT_DUNNING_BODY = (
    "尊敬的{owner}：\n"
    "您的房屋{unit}尚有费用合计人民币{total}元逾期未缴，最早一笔应于{due_date}缴纳，明细见下表。"
    "请您于{pay_by}前到管理处或通过线上渠道缴清。如已缴纳，请忽略本通知；如有疑问，请致电{phone}。"
)


class NoticeKind(models.TextChoices):
    FEE = "fee", _("fee notice")
    DUNNING = "dunning", _("dunning notice")


class NoticeLayout(models.Model):
    """How a site's notices read: titles, the company, the letter's body for each kind (with
    placeholders such as {unit} and {total}), how many days to pay, how to pay, the footer and
    the seal. A site without one gets the defaults."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="notice_layout")
    company_name = models.CharField(
        _("company name"), max_length=100, blank=True,
        help_text=_("Empty: the name on the site's receipts."),
    )  # fmt: skip
    fee_title = models.CharField(_("fee notice title"), max_length=30, default="费用通知单")
    dunning_title = models.CharField(_("dunning notice title"), max_length=30, default="催费通知书")
    fee_body = models.TextField(_("fee notice text"), default=DEFAULT_FEE_BODY)
    dunning_body = models.TextField(_("dunning notice text"), default=DEFAULT_DUNNING_BODY)
    pay_by_days = models.PositiveSmallIntegerField(_("days to pay"), default=15)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    payment_instructions = models.TextField(_("how to pay"), blank=True)
    footer = models.CharField(_("footer"), max_length=200, blank=True)
    seal_text = models.CharField(_("seal text"), max_length=40, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notice layout")
        verbose_name_plural = _("notice layouts")
        constraints = [
            models.CheckConstraint(
                condition=Q(pay_by_days__gte=1, pay_by_days__lte=90),
                name="notice_layout_pay_by_days_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.site)


class NoticeBatch(SiteScopedModel):
    """One building's notices issued in one run, printed as one PDF and handed out together."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="+", verbose_name=_("building")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=NoticeKind.choices)
    only_overdue_over_days = models.PositiveSmallIntegerField(
        _("only units overdue more than (days)"), null=True, blank=True
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("issued by"),
    )  # fmt: skip
    issued_at = models.DateTimeField(_("issued at"))
    notices_count = models.PositiveIntegerField(_("notices"), default=0)
    total = models.DecimalField(_("total (yuan)"), max_digits=14, decimal_places=2, default=0)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    delivered_at = models.DateTimeField(_("printed and delivered at"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("delivered by"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("notice batch")
        verbose_name_plural = _("notice batches")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered_at__isnull=True) | Q(delivered_by__isnull=False),
                name="notice_batch_delivered_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building_id} {self.kind} {self.issued_at:%Y-%m-%d}"


class Notice(SiteScopedModel):
    """费用通知单 / 催费通知书: what one unit owed when the notice was issued, frozen in
    `snapshot` (lines, totals, aging and the layout's texts, amounts as Decimal strings)."""

    Kind = NoticeKind

    kind = models.CharField(_("kind"), max_length=10, choices=NoticeKind.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("notice number"), max_length=40)
    snapshot = _hidden(models.JSONField(default=dict))
    total = models.DecimalField(_("total (yuan)"), max_digits=12, decimal_places=2)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("issued by"),
    )  # fmt: skip
    issued_at = models.DateTimeField(_("issued at"))
    batch = models.ForeignKey(
        NoticeBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "kind", "year", "sequence"], name="notice_gap_free_sequence"
            ),
            models.UniqueConstraint(fields=["site", "number"], name="notice_unique_number"),
            models.CheckConstraint(condition=Q(total__gt=0), name="notice_total_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=NoticeKind.values), name="notice_kind_known"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "-issued_at"], name="notice_unit_idx"),
            models.Index(fields=["site", "-issued_at"], name="notice_site_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class NoticeDelivery(SiteScopedModel):
    """送达: one way a notice went out — printed and handed over, an SMS, an app message —
    to whom (a phone only masked), by whom, and whether it went."""

    class Channel(models.TextChoices):
        PRINTED = "printed", _("printed and delivered")
        SMS = "sms", _("SMS")
        APP = "app", _("app message")

    class Outcome(models.TextChoices):
        SENT = "sent", pgettext_lazy("delivery", "sent")
        FAILED = "failed", pgettext_lazy("delivery", "failed")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(_("how"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("to"), max_length=120, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("sent by"),
    )  # fmt: skip
    sent_at = models.DateTimeField(_("sent at"))
    outcome = models.CharField(
        pgettext_lazy("delivery", "outcome"), max_length=10, choices=Outcome.choices
    )
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("notice delivery")
        verbose_name_plural = _("notice deliveries")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="sent") | ~Q(error=""), name="notice_delivery_failure_says_why"
            ),
        ]
        indexes = [models.Index(fields=["notice", "-sent_at"], name="notice_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.channel} {self.outcome}"


class ChasingEntry(SiteScopedModel):
    """催缴记录: a call, a visit or a letter to a unit in arrears, and what the resident said —
    with a promise to pay an amount by a date when they made one."""

    class Kind(models.TextChoices):
        CALL = "call", _("phone call")
        VISIT = "visit", _("visit")
        LETTER = "letter", _("letter or notice")
        OTHER = "other", _("other")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    promised_amount = models.DecimalField(
        _("promised amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    promised_by = models.DateField(_("promised by"), null=True, blank=True)
    # The end of `promised_by` in the site's time zone, so that which payments count towards
    # the promise is one comparison in SQL.
    promise_ends_at = models.DateTimeField(null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("recorded by"),
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("chasing entry")
        verbose_name_plural = _("chasing entries")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        promised_amount__isnull=True,
                        promised_by__isnull=True,
                        promise_ends_at__isnull=True,
                    )
                    | Q(
                        promised_amount__gt=0,
                        promised_by__isnull=False,
                        promise_ends_at__isnull=False,
                    )
                ),
                name="chasing_promise_amount_and_date_together",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(promise_ends_at__isnull=True) | Q(promise_ends_at__gt=F("recorded_at")),
                name="chasing_promise_after_recording",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "-recorded_at"], name="chasing_unit_idx"),
            models.Index(
                fields=["site", "promise_ends_at"],
                condition=Q(promise_ends_at__isnull=False),
                name="chasing_promise_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} {self.recorded_at:%Y-%m-%d}"
