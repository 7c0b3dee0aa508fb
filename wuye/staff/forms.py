"""Forms of the staff pages: shape and type only; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Site

from . import queries
from .models import AuthorityRule, Employee, Post


class _EmployeeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Employee) -> str:
        return f"{obj.number} {obj.name}（{obj.post.name}）"


class _PostChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Post) -> str:
        return f"{obj.department.name} · {obj.name}"


def _active_employees(site: Site):
    return (
        Employee.objects.of_site(site)
        .filter(is_active=True)
        .select_related("post")
        .order_by("number", "pk")
    )


class EmployeeForm(forms.Form):
    number = forms.CharField(label=_("Employee number"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=50)
    post = _PostChoice(label=_("Post"), queryset=Post.objects.none())
    superior = _EmployeeChoice(
        label=_("Superior"),
        queryset=Employee.objects.none(),
        required=False,
        help_text=_("Empty: whoever holds the post this post reports to."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    hired_on = forms.DateField(
        label=_("Hired on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, site: Site, employee: Employee | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = queries.posts_of(site.company_id)
        superiors = _active_employees(site)
        if employee is not None:
            superiors = superiors.exclude(pk=employee.pk)
        self.fields["superior"].queryset = superiors


class NewEmployeeForm(EmployeeForm):
    username = forms.CharField(
        label=_("Login name"),
        max_length=150,
        required=False,
        help_text=_("Leave empty for an employee who does not use the system."),
    )
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class EndEmploymentForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}))


class SiteAccessForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class AuthorityRuleForm(forms.Form):
    COMPANY = "company"
    SITE = "site"

    post = _PostChoice(label=_("Post"), queryset=Post.objects.none())
    action = forms.ChoiceField(label=_("Action"), choices=AuthorityRule.Action.choices)
    scope = forms.ChoiceField(label=_("Applies to"), choices=[])
    min_amount = forms.DecimalField(
        label=_("From amount (yuan)"), required=False, min_value=0, decimal_places=2
    )
    max_amount = forms.DecimalField(
        label=_("Up to amount (yuan)"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("Empty: no upper limit."),
    )
    max_days = forms.DecimalField(
        label=_("Up to days"),
        required=False,
        decimal_places=1,
        help_text=_("For leave; in half days."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, site: Site, scopes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = queries.posts_of(site.company_id)
        self.fields["scope"].choices = scopes


class ApproverForm(forms.Form):
    employee = _EmployeeChoice(label=_("Employee"), queryset=Employee.objects.none())
    action = forms.ChoiceField(label=_("Action"), choices=AuthorityRule.Action.choices)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), required=False, min_value=0, decimal_places=2
    )
    days = forms.DecimalField(label=_("Days"), required=False, min_value=0, decimal_places=1)
    include_self = forms.BooleanField(
        label=_("The employee may approve it themselves"),
        required=False,
        initial=True,
        help_text=_("Untick for a request about the employee (their own leave)."),
    )

    def __init__(self, *args, site: Site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = _active_employees(site)
