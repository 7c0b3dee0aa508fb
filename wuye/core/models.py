"""The shared kernel's tables: companies and sites, membership, audit trail, document numbers,
API tokens, login lockout and background jobs."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .clock import StampField
from .scoping import SiteScopedQuerySet


class Company(models.Model):
    """物业公司: the property-management company running the deployment."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """管理处: one managed community and its service centre; the unit of scoping."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="sites")
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("service phone"), max_length=30, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SiteMembership(models.Model):
    """A staff user's access to a site. Which rows a user may see follows from these rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    is_default = models.BooleanField(_("default site"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("site membership")
        verbose_name_plural = _("site memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="membership_unique_user_site"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="membership_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.site}"


class SiteScopedModel(models.Model):
    """Base of every operational row: it belongs to a site and knows when it was written.

    Reads go through `objects.visible_to(user)` / `objects.of_site(site)` or the access helpers
    in `wuye.core.scoping`, never a bare `.get()` in a view or router.
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    # Stamped by the clock (`wuye.core.clock`): the real time, or the demo's moment.
    created_at = StampField(_("created at"), auto_now_add=True)
    updated_at = StampField(_("updated at"), auto_now=True)

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One change to an operational record: who, when, which fields, old and new values."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        ACTION = "action", _("action")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = StampField(_("at"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    verb = models.CharField(_("what happened"), max_length=100, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"], name="audit_record_idx"),
            models.Index(fields=["site", "-at"], name="audit_site_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"


class DocumentSequence(models.Model):
    """The last number issued per site, kind and year; rows are locked while a number is taken,
    so numbers are unique and gap-free within the transaction that uses them."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "year"], name="docseq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id}/{self.kind}/{self.year}: {self.last_number}"


class ApiToken(models.Model):
    """A bearer token for apps. Only a hash of the key is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginFailure(models.Model):
    """A failed login; enough recent ones lock the username and the client address."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"


class Job(models.Model):
    """A long piece of work (import, export, bill run) and how far it has got."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    input_file = models.FileField(upload_to="jobs/in/%Y/%m/", blank=True)
    output_file = models.FileField(upload_to="jobs/out/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["site", "-created_at"], name="job_site_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")) | Q(total=0), name="job_done_within_total"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.finished_at else 0)


class FieldKeyFingerprint(models.Model):
    """The fingerprint of the personal-data key this database was first used with; start-up
    compares the configured key with it (`wuye.core.checks`)."""

    fingerprint = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.fingerprint
