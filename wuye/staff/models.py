"""Departments, posts, employees and the authority matrix (审批权限)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Company, Site, SiteScopedModel


class Department(models.Model):
    """部门 (R-ADM-01): the company's departments, the same at every site."""

    class Kind(models.TextChoices):
        MANAGEMENT = "management", _("site management")
        CUSTOMER_SERVICE = "customer_service", _("customer service")
        ENGINEERING = "engineering", _("engineering")
        SECURITY = "security", _("security")
        ENVIRONMENT = "environment", _("environment")
        FINANCE = "finance", _("finance")
        ADMINISTRATION = "administration", _("administration")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="departments")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["company", "order", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["company", "kind"], name="department_unique_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """岗位: a job with its duties and the post it reports to (R-ADM-01)."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="posts", verbose_name=_("department")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=50)
    superior = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subordinates",
        verbose_name=_("reports to"),
    )
    duties = models.TextField(_("duties"), blank=True)
    role = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("role"),
        help_text=_("The permissions an employee in this post gets."),
    )
    is_head = models.BooleanField(_("heads the department"), default=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["department__order", "-is_head", "name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "code"], name="post_unique_code"),
            models.CheckConstraint(
                condition=~Q(superior=models.F("id")), name="post_not_own_superior"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Employee(SiteScopedModel):
    """员工: a member of a site's staff, in a post, reporting to a superior."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="employee",
        verbose_name=_("login"),
    )
    number = models.CharField(_("employee number"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    # The name in pinyin, whole and as initials ("zhangsan zs"), so a clerk typing on an
    # English keyboard finds 张三. Derived from `name` by the services; not itself audited.
    name_pinyin = models.CharField(max_length=200, blank=True, editable=False)
    name_pinyin.audit_hidden = True
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="employees", verbose_name=_("post")
    )
    superior = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subordinates",
        verbose_name=_("superior"),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    hired_on = models.DateField(_("hired on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    is_active = models.BooleanField(_("in service"), default=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["site", "number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="employee_unique_number"),
            models.CheckConstraint(
                condition=~Q(superior=models.F("id")), name="employee_not_own_superior"
            ),
        ]
        indexes = [
            models.Index(fields=["site", "post"], name="employee_site_post_idx"),
            models.Index(fields=["site", "is_active"], name="employee_site_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.post.name}）"


class AuthorityRule(models.Model):
    """审批权限 (R-ADM-02): what a post may approve, within what amount or duration.

    A rule with no site is the company's; a rule for a site overrides it there.
    """

    class Action(models.TextChoices):
        SICK_LEAVE = "sick_leave", _("approve sick leave")
        PERSONAL_LEAVE = "personal_leave", _("approve personal leave")
        PAY_ADJUSTMENT = "pay_adjustment", _("propose a pay change")
        CONTRACT = "contract", _("propose a contract")
        PURCHASE = "purchase", _("approve a purchase")
        EXPENSE = "expense", _("approve an expense claim")
        FINE = "fine", _("impose a fine on staff")
        REFUND = "refund", _("approve a refund")
        VOID_PAYMENT = "void_payment", _("void a payment")
        CANCEL_BILL_LINE = "cancel_bill_line", _("cancel a bill line")
        WAIVE_LATE_FEE = "waive_late_fee", _("waive a late fee")
        # 减免: granting relief — approving a vacancy application — up to an amount (R-ADM-02).
        RELIEF = "relief", _("grant relief")
        FORCE_CLOSE_TICKET = "force_close_ticket", _("force-close a ticket")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="authority_rules")
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authority_rules",
        verbose_name=_("site"),
        help_text=_("Leave empty for the company's rule."),
    )
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="authority_rules", verbose_name=_("post")
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    min_amount = models.DecimalField(
        _("from amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_amount = models.DecimalField(
        _("up to amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_days = models.DecimalField(
        _("up to days"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("authority rule")
        verbose_name_plural = _("authority matrix")
        ordering = ["company", "action", "post"]
        permissions = [
            # Site overrides need `change_authorityrule` at the site; the company's own rules
            # bind every site, so setting them is a separate, head-office permission.
            ("set_company_authority", _("Can set the company's authority rules")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "post", "action"],
                condition=Q(site__isnull=True),
                name="authority_unique_company_rule",
            ),
            models.UniqueConstraint(
                fields=["site", "post", "action"],
                condition=Q(site__isnull=False),
                name="authority_unique_site_rule",
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(min_amount__gte=0),
                name="authority_min_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=0),
                name="authority_max_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True)
                | Q(max_amount__isnull=True)
                | Q(min_amount__lte=models.F("max_amount")),
                name="authority_amount_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(max_days__isnull=True) | Q(max_days__gt=0),
                name="authority_max_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} · {self.get_action_display()}"
