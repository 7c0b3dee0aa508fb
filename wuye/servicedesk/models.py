"""The service desk (seeds 000, 003, 004): tickets from every channel, their work orders,
clocks, complaints, help requests, callbacks, the daily review, the duty log and the counted
figures the statistics read.

A ticket's history is its steps (`TicketStep`): every change of state, with who and when.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Company, Site, SiteScopedModel
from wuye.core.money import format_yuan
from wuye.estate.models import Facility, Unit
from wuye.people.models import Person
from wuye.staff.models import Department, Employee


class Kind(models.TextChoices):
    REPAIR = "repair", _("repair request")
    COMPLAINT = "complaint", _("complaint")
    HELP = "help", _("help request")
    INQUIRY = "inquiry", _("inquiry")
    SUGGESTION = "suggestion", _("suggestion")
    PRAISE = "praise", _("praise")


class Channel(models.TextChoices):
    """R-DSK-01: every channel a contact can come by."""

    PHONE = "phone", _("phone")
    VISIT = "visit", _("visit")
    LETTER = "letter", _("letter")
    EMAIL = "email", _("email")
    ONLINE = "online", _("online (portal, QR code, forum)")
    PRESS = "press", _("newspaper / press")
    REFERRAL = "referral", _("passed on by the company or another body")


class HelpKind(models.TextChoices):
    """R-HLP-01."""

    MEDICAL = "medical", _("medical emergency")
    REPAIR = "repair", _("repair")
    COMPLAINT = "complaint", _("complaint")
    INQUIRY = "inquiry", _("inquiry")
    CRIME = "crime", _("crime (theft, fight, robbery, poisoning, traffic accident)")
    DISASTER = "disaster", _("disaster (typhoon, flood, fire, gas leak, burst pipe)")
    OTHER = "other", _("other everyday help")


class DispatchMode(models.TextChoices):
    DESK = "desk", _("assigned by the desk")
    POOL = "pool", _("offered to a pool for workers to take")
    ROTATION = "rotation", _("rotated among the category's workers")


class DeskSettings(models.Model):
    """A site's service-desk policy; each default is the seeds' (RULES.md *default*)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="desk_settings")
    help_answer_minutes = models.PositiveSmallIntegerField(
        _("help request: answer within (minutes)"), default=5
    )  # R-HLP-02
    inquiry_answer_minutes = models.PositiveSmallIntegerField(
        _("spoken inquiry: answer within (minutes)"), default=5
    )
    written_answer_days = models.PositiveSmallIntegerField(
        _("written inquiry: written answer within (days)"), default=2
    )  # R-HLP-03
    complaint_answer_hours = models.PositiveSmallIntegerField(
        _("complaint: first answer within (hours) unless agreed otherwise"), default=24
    )  # R-CMP-03
    repair_visit_hours = models.PositiveSmallIntegerField(
        _("repair: visit within (hours) unless agreed otherwise"), default=24
    )  # R-REP-01
    warn_percent = models.PositiveSmallIntegerField(
        _("warn when this share of the time is used (%)"), default=80
    )
    complaint_autoclose_days = models.PositiveSmallIntegerField(
        _("close a complaint needing no callback after (days)"), default=7
    )  # R-CMP-10
    callback_within_days = models.PositiveSmallIntegerField(
        _("call back within (days) of completion"), default=2
    )
    duplicate_window_days = models.PositiveSmallIntegerField(
        _("look for likely duplicates over (days)"), default=7
    )

    class Meta:
        verbose_name = _("service-desk settings")
        verbose_name_plural = _("service-desk settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_percent__gte=10, warn_percent__lte=99),
                name="desk_settings_warn_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(help_answer_minutes__gte=1) & Q(inquiry_answer_minutes__gte=1),
                name="desk_settings_minutes_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.site)


class CompanyDeskSettings(models.Model):
    """The company's own service-desk policy, the same at every site of it."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="desk_settings")
    help_register_keep_years = models.PositiveSmallIntegerField(
        _("keep the help register's yearly archives for (years)"), default=2
    )  # R-HLP-06

    class Meta:
        verbose_name = _("company service-desk settings")
        verbose_name_plural = _("company service-desk settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(help_register_keep_years__gte=1, help_register_keep_years__lte=30),
                name="company_desk_keep_years_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.company)


class HelpArchive(SiteScopedModel):
    """R-HLP-06: a site's help register of one year, archived when the year is over: read-only,
    searchable, and after the company's keeping period removed — this row then stays as the
    log of what was removed (how many, their numbers, when)."""

    year = models.PositiveSmallIntegerField(_("year"))
    archived_at = models.DateTimeField(_("archived at"))
    request_count = models.PositiveIntegerField(_("help requests"), default=0)
    remove_after = models.DateField(_("kept until"))
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_count = models.PositiveIntegerField(_("help requests removed"), default=0)
    removed_numbers = models.JSONField(_("ticket numbers removed"), default=list, blank=True)

    class Meta:
        verbose_name = _("help-register archive")
        verbose_name_plural = _("help-register archives")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["site", "year"], name="help_archive_one_per_year"),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True, removed_count=0) | Q(removed_at__isnull=False),
                name="help_archive_removal_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.year}"


class Category(SiteScopedModel):
    """A kind of work the desk dispatches (plumbing, lifts, cleaning…) and how: by the desk,
    through a pool, or in rotation among its workers."""

    kind = models.CharField(_("ticket kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    dispatch_mode = models.CharField(
        _("dispatch"), max_length=10, choices=DispatchMode.choices, default=DispatchMode.DESK
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "kind", "name"], name="category_unique_site_kind_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryWorker(models.Model):
    """A worker a category's work may go to; `last_assigned_at` drives the rotation."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="workers")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "employee"], name="category_worker_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.employee}"


class RootCause(SiteScopedModel):
    """R-CMP-09: a site's list of final root causes, which the handler sets."""

    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="root_cause_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class PriceItem(SiteScopedModel):
    """有偿服务 price list: what a paid job costs (R-REP-03)."""

    name = models.CharField(_("name"), max_length=60)
    unit_label = models.CharField(_("per"), max_length=10, default="次")
    price = models.DecimalField(_("price (yuan)"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("paid-service price")
        verbose_name_plural = _("paid-service price list")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="price_item_unique_name"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_item_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {format_yuan(self.price)}/{self.unit_label}"


class ComplaintEvent(SiteScopedModel):
    """R-CMP-07: one event complained of, however many people complained how many times.

    Every complaint belongs to one; linking complaints about the same event puts them in one.
    The event is what the statistics count. `people_count` and `times_count` are kept by the
    services from the linked complaints; `reach` is the handler's judgement of how far the
    effect went.
    """

    primary = models.OneToOneField(
        "Ticket", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    people_count = models.PositiveIntegerField(_("people"), default=1)
    times_count = models.PositiveIntegerField(_("times"), default=1)
    reach = models.CharField(_("how far the effect reached"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")

    def __str__(self) -> str:
        return f"#{self.pk}"


class Ticket(SiteScopedModel):
    """工单: one contact and everything done about it."""

    class State(models.TextChoices):
        OPEN = "open", _("registered")
        ASSIGNED = "assigned", _("assigned")
        IN_PROGRESS = "in_progress", _("in progress")
        ON_HOLD = "on_hold", _("on hold")
        DEFERRED = "deferred", _("deferred")
        COMPLETED = "completed", _("completed")
        CLOSED = "closed", _("closed")

    OPEN_STATES = (State.OPEN, State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD, State.DEFERRED)

    class Clock(models.TextChoices):
        FIRST_ANSWER = "first_answer", _("first answer")
        WRITTEN_ANSWER = "written_answer", _("written answer")
        AGREED_ANSWER = "agreed_answer", _("answer at the agreed time")
        VISIT = "visit", _("visit at the agreed time")

    number = models.CharField(_("ticket number"), max_length=40, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("category"),
    )  # fmt: skip
    help_kind = models.CharField(
        _("help kind"), max_length=20, choices=HelpKind.choices, blank=True
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)

    # Who and where (R-CMP-02). The phone is personal data: stored encrypted and masked.
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("customer"),
    )  # fmt: skip
    caller_name = models.CharField(_("caller"), max_length=100, blank=True)
    caller_phone_cipher = models.TextField(blank=True, editable=False)
    caller_phone_cipher.audit_hidden = True
    caller_phone_masked = models.CharField(_("phone"), max_length=30, blank=True)
    # The keyed hash of the phone: who called, for counting people (R-CMP-07) — never the mask.
    caller_phone_hash = models.CharField(max_length=40, blank=True, editable=False)
    caller_phone_hash.audit_hidden = True
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("unit"),
    )  # fmt: skip
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("facility"),
    )  # fmt: skip
    location = models.CharField(_("place"), max_length=200, blank=True)
    neighbour_dispute = models.BooleanField(_("dispute between neighbours"), default=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("matter"), blank=True)
    needs_written_answer = models.BooleanField(_("written answer wanted"), default=False)
    received_at = models.DateTimeField(_("received at"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("received by"),
    )  # fmt: skip
    # A resident's own account, when they filed it themselves (portal, API).
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reporter_ip = models.GenericIPAddressField(null=True, blank=True)
    reporter_ip.audit_hidden = True

    # Dispatch
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("department"),
    )  # fmt: skip
    assignee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("responsible"),
    )  # fmt: skip

    # The clock (R-HLP-02, R-HLP-03, R-CMP-03, R-REP-01): one obligation per ticket.
    clock = models.CharField(_("clock"), max_length=20, choices=Clock.choices, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warn_at.audit_hidden = True
    met_at = models.DateTimeField(_("answered / visited at"), null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    warned_at.audit_hidden = True
    breached_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("escalated to"),
    )  # fmt: skip

    # Complaints (R-CMP-03…12)
    event = models.ForeignKey(
        ComplaintEvent, on_delete=models.PROTECT, null=True, blank=True,
        related_name="complaints",
    )  # fmt: skip
    # The event's first complaint stands for it in the statistics (R-CMP-07).
    is_event_primary = models.BooleanField(default=False)
    is_event_primary.audit_hidden = True
    root_cause = models.ForeignKey(
        RootCause, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("root cause"),
    )  # fmt: skip
    investigation = models.TextField(_("investigation"), blank=True)
    measures = models.TextField(_("proposed measures"), blank=True)
    verified_at = models.DateTimeField(_("work verified at"), null=True, blank=True)
    is_valid = models.BooleanField(_("valid complaint"), null=True, blank=True)
    is_major = models.BooleanField(_("major complaint"), default=False)
    from_company = models.BooleanField(_("passed down from the company"), default=False)
    company_reference = models.CharField(_("company's reference"), max_length=60, blank=True)
    reported_back_at = models.DateTimeField(_("reported back at"), null=True, blank=True)

    # Paid service (R-REP-03): the seam billing takes charges from.
    price_item = models.ForeignKey(
        PriceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("paid service"),
    )  # fmt: skip
    charge_amount = models.DecimalField(
        _("charge (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    charge_reference = models.CharField(_("billing reference"), max_length=60, blank=True)

    # Outcome
    needs_callback = models.BooleanField(_("needs a callback"), default=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=200, blank=True)
    force_closed = models.BooleanField(_("force-closed"), default=False)
    hold_reason = models.CharField(_("hold reason"), max_length=200, blank=True)
    deferred_until = models.DateField(_("deferred until"), null=True, blank=True)
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    satisfied = models.BooleanField(_("satisfied"), null=True, blank=True)
    hurry_count = models.PositiveIntegerField(_("hurries"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    # R-HLP-06: a closed help request of a year that is over sits in that year's archive.
    archive = models.ForeignKey(
        HelpArchive, on_delete=models.PROTECT, null=True, blank=True, related_name="requests",
        verbose_name=_("archive"),
    )  # fmt: skip
    version = models.PositiveIntegerField(default=1)
    version.audit_hidden = True

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-received_at", "-id"]
        permissions = [
            ("dispatch_ticket", _("Can dispatch tickets")),
            ("supervise_ticket", _("Can supervise tickets (force-close, quality, daily review)")),
            ("validate_complaint", _("Can confirm whether a complaint is valid")),
            ("view_desk_statistics", _("Can see service-desk statistics")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="ticket_unique_number"),
            models.CheckConstraint(
                condition=Q(hurry_count__gte=0) & Q(reopen_count__gte=0),
                name="ticket_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(charge_amount__isnull=True) | Q(charge_amount__gte=0),
                name="ticket_charge_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_at__isnull=False),
                name="ticket_closed_has_time",
            ),
            # R-CMP-07: the complaint that stands for an event has one.
            models.CheckConstraint(
                condition=Q(is_event_primary=False) | Q(event__isnull=False),
                name="ticket_primary_has_event",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["completed", "closed"])
                | Q(completed_at__isnull=False)
                | Q(force_closed=True),
                name="ticket_completed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="deferred") | Q(deferred_until__isnull=False),
                name="ticket_deferred_has_date",
            ),
            models.CheckConstraint(
                condition=Q(kind="help") | Q(help_kind=""), name="ticket_help_kind_only_on_help"
            ),
            models.CheckConstraint(
                condition=Q(kind="complaint") | Q(event__isnull=True),
                name="ticket_event_only_on_complaint",
            ),
            models.CheckConstraint(
                condition=Q(archive__isnull=True) | Q(kind="help", state="closed"),
                name="ticket_archive_only_closed_help",
            ),
        ]
        indexes = [
            # The open list and the daily review: open tickets of a site, overdue first.
            models.Index(
                fields=["site", "due_at"],
                name="ticket_open_due_idx",
                condition=Q(state__in=["open", "assigned", "in_progress", "on_hold", "deferred"]),
            ),
            models.Index(fields=["site", "-received_at"], name="ticket_site_received_idx"),
            models.Index(fields=["site", "state", "-received_at"], name="ticket_site_state_idx"),
            models.Index(fields=["site", "kind", "-received_at"], name="ticket_site_kind_idx"),
            models.Index(fields=["assignee", "state"], name="ticket_assignee_state_idx"),
            models.Index(fields=["resident", "-received_at"], name="ticket_resident_idx"),
            # The sweeps: clocks not yet met, deferred tickets, completions to auto-close.
            models.Index(
                fields=["warn_at"],
                name="ticket_clock_warn_idx",
                condition=Q(met_at__isnull=True, warned_at__isnull=True, warn_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"],
                name="ticket_clock_due_idx",
                condition=Q(met_at__isnull=True, breached_at__isnull=True, due_at__isnull=False),
            ),
            models.Index(
                fields=["deferred_until"],
                name="ticket_deferred_idx",
                condition=Q(state="deferred"),
            ),
            models.Index(
                fields=["completed_at"],
                name="ticket_completed_idx",
                condition=Q(state="completed"),
            ),
            models.Index(fields=["reporter_ip", "-received_at"], name="ticket_reporter_ip_idx"),
            models.Index(fields=["archive", "-received_at"], name="ticket_archive_idx"),
            # The archive job: help requests not yet in an archive (R-HLP-06).
            models.Index(
                fields=["site", "received_at"],
                name="ticket_help_unarchived_idx",
                condition=Q(kind="help", archive__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"[:200]

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class TicketStep(models.Model):
    """One entry of a ticket's history: what happened, who did it and when."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_step_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"


class Attachment(models.Model):
    """A photo or document of a ticket: what the caller sent, or the work before and after."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    work_order = models.ForeignKey(
        "WorkOrder", on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="tickets/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class WorkOrder(SiteScopedModel):
    """派工单 (R-REP-01, R-REP-02): a job given to a worker, with its visit time and result."""

    class State(models.TextChoices):
        OFFERED = "offered", _("offered to the pool")
        ASSIGNED = "assigned", _("assigned")
        ACCEPTED = "accepted", _("accepted")
        ARRIVED = "arrived", _("on site")
        ON_HOLD = "on_hold", _("on hold")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    ACTIVE_STATES = (State.OFFERED, State.ASSIGNED, State.ACCEPTED, State.ARRIVED, State.ON_HOLD)

    class Result(models.TextChoices):
        FIXED = "fixed", _("fixed")
        PARTLY = "partly", _("partly fixed")
        NEEDS_PARTS = "needs_parts", _("waiting for parts")
        NOT_FIXED = "not_fixed", _("could not be fixed")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="work_orders")
    number = models.CharField(_("work-order number"), max_length=40, editable=False)
    worker = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("worker"),
    )  # fmt: skip
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    visit_at = models.DateTimeField(_("agreed visit time"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices, blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=200, blank=True)
    signed_by = models.CharField(_("signed off by"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )  # fmt: skip
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        permissions = [("work_on_workorder", _("Can take and do work orders"))]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="work_order_unique_number"),
            # One live work order per ticket; a reassigned job keeps its order.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state__in=["offered", "assigned", "accepted", "arrived", "on_hold"]),
                name="work_order_one_active_per_ticket",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="work_order_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(state="offered") | Q(state="cancelled") | Q(worker__isnull=False),
                name="work_order_worker_unless_offered",
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "state"], name="work_order_worker_idx"),
            models.Index(
                fields=["site", "visit_at"],
                name="work_order_pool_idx",
                condition=Q(state="offered"),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES


class Material(models.Model):
    """What a work order used."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("material"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_label = models.CharField(_("unit"), max_length=10, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="material_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class HelpAction(models.Model):
    """R-HLP-04, R-HLP-05: what was done for a help request, and when."""

    class Action(models.TextChoices):
        CALLED_AMBULANCE = "called_120", _("called 120")
        MET_AMBULANCE = "met_ambulance", _("met the ambulance at the gate")
        ESCORTED_HOSPITAL = "escorted_hospital", _("escorted to hospital")
        SHORT_TERM_CARE = "short_term_care", _("short-term care")
        CALLED_POLICE = "called_110", _("called the police (110)")
        CALLED_FIRE = "called_119", _("called the fire brigade (119)")
        NOTIFIED_SUPERVISOR = "notified_supervisor", _("told the supervisor")
        NOTIFIED_SECURITY = "notified_security", _("told security")
        NOTIFIED_ENGINEERING = "notified_engineering", _("told the engineering supervisor")
        OTHER = "other", _("other")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="help_actions")
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    done_at = models.DateTimeField(_("done at"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["done_at", "id"]

    def __str__(self) -> str:
        return self.get_action_display()


class NegotiationRound(models.Model):
    """R-CMP-05: one round of talks with the complainant about the proposed measures."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="negotiations")
    at = models.DateTimeField(_("at"))
    proposal = models.TextField(_("what we proposed"))
    response = models.TextField(_("complainant's answer"), blank=True)
    agreed = models.BooleanField(_("agreed"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.at:%Y-%m-%d}"


class Hurry(models.Model):
    """催单: someone asked why an open ticket is taking so long."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="hurries")
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.at:%Y-%m-%d %H:%M}"


class Callback(SiteScopedModel):
    """回访 (R-CMP-06, R-REP-04): a follow-up due after completion, and what the resident said."""

    class Method(models.TextChoices):
        PHONE = "phone", _("phone")
        VISIT = "visit", _("home visit")
        ONLINE = "online", _("online")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="callbacks")
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    method = models.CharField(_("how"), max_length=10, choices=Method.choices, blank=True)
    satisfied = models.BooleanField(_("satisfied"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(done_at__isnull=True), name="callback_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(satisfied__isnull=False),
                name="callback_done_has_verdict",
            ),
        ]
        indexes = [
            models.Index(
                fields=["site", "due_at"],
                name="callback_due_idx",
                condition=Q(done_at__isnull=True),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.due_at:%Y-%m-%d}"


class QualityCheck(models.Model):
    """A supervisor's own check of the work, kept apart from the resident's verdict."""

    class Verdict(models.TextChoices):
        GOOD = "good", _("good")
        POOR = "poor", _("poor")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="quality_checks")
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    reason = models.CharField(_("why"), max_length=500, blank=True)
    checked_at = models.DateTimeField(_("checked at"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["checked_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict="good") | ~Q(reason=""), name="quality_poor_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.verdict}"


class DailyReview(SiteScopedModel):
    """日盘点 (R-CMP-04): the supervisor's sign-off of a day's tickets."""

    day = models.DateField(_("day"))
    received_count = models.PositiveIntegerField(_("received"))
    open_count = models.PositiveIntegerField(_("still open"))
    overdue_count = models.PositiveIntegerField(_("overdue"))
    note = models.TextField(_("note"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("daily review")
        verbose_name_plural = _("daily reviews")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="daily_review_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day}"


class DutyShift(SiteScopedModel):
    """R-DSK-03: one duty person's shift at the desk, its log and its handover."""

    on_duty = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("on duty"),
    )  # fmt: skip
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("handed over to"),
    )  # fmt: skip
    handover_note = models.TextField(_("handover note"), blank=True)
    # The open tickets at handover, as they stood: number, subject, state, due.
    open_tickets = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["site"], condition=Q(ended_at__isnull=True), name="duty_one_open_shift"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="duty_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.started_at:%Y-%m-%d %H:%M}"


class DutyLogEntry(models.Model):
    """值班记录: one line of the duty log."""

    shift = models.ForeignKey(DutyShift, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(_("at"))
    text = models.TextField(_("what happened"))
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class TicketFact(models.Model):
    """The statistics' aggregate: counts of tickets by the day they were received and their
    kind, channel, root cause and department.

    Every service that changes a ticket moves its contribution from its old key and measures
    to its new ones (`wuye.servicedesk.facts`), so a month's figures sum a few hundred rows
    whatever the number of tickets; `rebuild_facts` recomputes them from the tickets.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=20)
    channel = models.CharField(max_length=20)
    # Plain ids, 0 for none: a key column that is never NULL keeps the key unique on every
    # database.
    root_cause_key = models.IntegerField(default=0)
    department_key = models.IntegerField(default=0)
    received = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)  # completed or closed with work done
    with_clock = models.IntegerField(default=0)
    clock_met = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    late = models.IntegerField(default=0)  # met late, or overdue and still unmet
    breached = models.IntegerField(default=0)
    callbacks_due = models.IntegerField(default=0)
    callbacks_done = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    hurries = models.IntegerField(default=0)
    valid_complaints = models.IntegerField(default=0)
    invalid_complaints = models.IntegerField(default=0)
    counted_complaints = models.IntegerField(default=0)  # R-CMP-07: one per event
    counted_satisfied = models.IntegerField(default=0)
    major = models.IntegerField(default=0)

    MEASURES = (
        "received", "closed", "completed", "with_clock", "clock_met", "on_time", "late",
        "breached",
        "callbacks_due", "callbacks_done", "satisfied", "reopened", "hurries",
        "valid_complaints", "invalid_complaints", "counted_complaints", "counted_satisfied",
        "major",
    )  # fmt: skip

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "kind", "channel", "root_cause_key", "department_key"],
                name="ticket_fact_unique_key",
            ),
        ]
        indexes = [models.Index(fields=["site", "day"], name="ticket_fact_site_day_idx")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day} {self.kind}"
