"""Resident accounts and their links to units (docs/people.md, Resident accounts).

A resident signs up with a phone number and asks to be linked to a unit as owner, tenant or
household member; until the link is approved the account sees nothing of the unit.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import SiteScopedModel
from wuye.estate.models import Unit
from wuye.people.models import Person


class ResidentAccount(models.Model):
    """A resident's sign-in, identified by a mobile number (stored like a person's)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident_account"
    )
    name = models.CharField(_("name"), max_length=100)
    phone_cipher = models.TextField(editable=False)
    phone_hash = models.CharField(max_length=40, unique=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=30)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("resident account")
        verbose_name_plural = _("resident accounts")

    def __str__(self) -> str:
        return f"{self.name} {self.phone_masked}"


class ResidentLink(SiteScopedModel):
    """A resident's request to see a unit, and the centre's (or the owner's) decision."""

    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        TENANT = "tenant", _("tenant")
        HOUSEHOLD = "household", _("household member")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        REVOKED = "revoked", _("revoked")

    account = models.ForeignKey(
        ResidentAccount, on_delete=models.CASCADE, related_name="links", verbose_name=_("account")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="resident_links", verbose_name=_("unit")
    )
    role = models.CharField(_("as"), max_length=20, choices=Role.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="resident_links"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("resident link")
        verbose_name_plural = _("resident links")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "unit"],
                condition=Q(state__in=["pending", "approved"]),
                name="resident_link_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "state", "-created_at"], name="resident_link_queue_idx"),
            models.Index(fields=["unit", "state"], name="resident_link_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account} → {self.unit} ({self.role})"
