"""The company's one approval engine (R-ADM-02): a request for something beyond its asker's
authority waits for someone whose post covers it. Each kind of request is a row of the
authority matrix (`AuthorityRule.Action`); the capability that owns it registers how it is
checked, carried out and described (`kinds.py`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import SiteScopedModel
from wuye.core.money import format_yuan
from wuye.staff.models import AuthorityRule


class ApprovalRequest(SiteScopedModel):
    """Something beyond its asker's authority — cancelling a bill line, voiding a payment, a
    refund, waiving a late fee, a vacancy relief — waiting for someone whose authority covers
    it. Approving carries it out in the approver's name, with the asker's reason."""

    # The authority matrix's rows are the kinds of request (R-ADM-02).
    Action = AuthorityRule.Action

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    # What the kind needs to carry the request out, e.g. {"bill_line": id} or {"payment": id};
    # each kind documents its own (`kinds.Kind`).
    params = models.JSONField(default=dict)
    reason = models.CharField(_("reason"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("asked by"),
    )  # fmt: skip
    approver_name = models.CharField(_("to be approved by"), max_length=100, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        # The table it was made in, when approval requests were billing's corrections.
        db_table = "billing_approvalrequest"
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="approval_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="approval_has_reason"),
            models.UniqueConstraint(
                fields=["action", "params"],
                condition=Q(state="pending"),
                name="approval_one_pending_per_correction",
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["site", "state"], name="approval_site_state_idx")]

    def __str__(self) -> str:
        return f"{self.action} {format_yuan(self.amount)}"
