"""Forms of relief (docs/collections.md, Relief): a rule, its end, a vacancy application and its
steps, paying ahead and cancelling an entry. Shape and type checks only (a unit code resolved within
the site); the services decide the rest — windows, overlaps, what is open, authority."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.estate.models import Building, Unit

from .models import FeeItem, Payment, ReliefRule
from .relief import NOT_RELIEVED


def _date(label, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label, required=required, help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )  # fmt: skip


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=pgettext_lazy("relief", "Kind"), choices=ReliefRule.Kind.choices)
    fee_item = forms.ModelChoiceField(label=_("Fee item"), queryset=FeeItem.objects.none())
    # Not required here: which of them a kind needs is the service's to say, beside the field.
    percent = forms.DecimalField(
        label=_("Percent off"), max_digits=5, decimal_places=2, required=False,
        help_text=_("Discount and vacant-unit relief: e.g. 5 for 5% off each line."),
    )  # fmt: skip
    amount = forms.DecimalField(
        label=_("Yuan off each line"), max_digits=12, decimal_places=2, required=False,
        help_text=_("Fixed reduction."),
    )  # fmt: skip
    months_ahead = forms.IntegerField(
        label=_("Months paid ahead"), required=False, min_value=1, max_value=120,
        help_text=_("Gift months; or a discount only for paying this many months ahead."),
    )  # fmt: skip
    gift_months = forms.IntegerField(label=_("Months given"), required=False, min_value=1, max_value=120)  # fmt: skip
    valid_from = _date(_("From"))
    valid_to = _date(_("To"), required=False, help_text=_("Empty: until ended."))
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Building.objects.none(), required=False,
        empty_label=_("The whole site"),
    )  # fmt: skip

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee_item"].queryset = (
            FeeItem.objects.of_site(site).filter(is_active=True).exclude(kind__in=NOT_RELIEVED)
        )
        self.fields["building"].queryset = Building.objects.of_site(site).order_by("code")


class EndRuleForm(forms.Form):
    ends_on = _date(_("Ends on"), required=False, help_text=_("Empty: today."))


class CorrectRuleForm(forms.Form):
    """A rule's terms corrected from a month on (its kind, fee item and scope stay)."""

    starts_on = _date(_("Corrected from"), help_text=_("The first day of a month. What was granted before stays as it was."))  # fmt: skip
    name = forms.CharField(label=_("Name"), max_length=60, required=False, help_text=_("Empty: the name kept."))  # fmt: skip
    percent = forms.DecimalField(label=_("Percent off"), max_digits=5, decimal_places=2, required=False)  # fmt: skip
    amount = forms.DecimalField(label=_("Yuan off each line"), max_digits=12, decimal_places=2, required=False)  # fmt: skip
    months_ahead = forms.IntegerField(label=_("Months paid ahead"), required=False, min_value=1, max_value=120)  # fmt: skip
    gift_months = forms.IntegerField(label=_("Months given"), required=False, min_value=1, max_value=120)  # fmt: skip

    def __init__(self, *args, rule: ReliefRule, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the terms its kind has are shown.
        needs = {
            ReliefRule.Kind.DISCOUNT: ("percent", "months_ahead"),
            ReliefRule.Kind.VACANCY: ("percent",),
            ReliefRule.Kind.REDUCTION: ("amount",),
            ReliefRule.Kind.GIFT_MONTHS: ("months_ahead", "gift_months"),
        }[rule.kind]
        for name in ("percent", "amount", "months_ahead", "gift_months"):
            if name not in needs:
                del self.fields[name]
            else:
                self.fields[name].initial = getattr(rule, name)


class UnitCodeField(forms.CharField):
    """A unit of the site by its code, like 1-0101."""

    def __init__(self, *args, site=None, **kwargs):
        self.site = site
        super().__init__(*args, **kwargs)

    def clean(self, value):
        code = super().clean(value).strip()
        unit = Unit.objects.of_site(self.site).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("No unit %(code)s at this site."), code="not_found", params={"code": code})  # fmt: skip
        return unit


class ApplicationForm(forms.Form):
    unit = UnitCodeField(label=_("Unit"), max_length=40, help_text=_("Its code, like 1-0101."))
    fee_item = forms.ModelChoiceField(
        label=_("Fee item"), queryset=FeeItem.objects.none(), required=False,
        empty_label=_("Every fee item with a vacancy rule"),
    )  # fmt: skip
    starts_on = _date(_("Vacant from"))
    ends_on = _date(_("Vacant to"))
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].site = site
        self.fields["fee_item"].queryset = FeeItem.objects.of_site(site).filter(
            relief_rules__kind=ReliefRule.Kind.VACANCY, relief_rules__is_active=True
        ).distinct()  # fmt: skip


class InspectionForm(forms.Form):
    found_vacant = forms.TypedChoiceField(
        label=_("Found vacant"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Yes, vacant")), ("no", _("No, lived in or used"))],
        widget=forms.RadioSelect,
    )  # fmt: skip
    inspected_on = _date(_("Inspected on"), required=False, help_text=_("Empty: today."))
    note = forms.CharField(label=_("What was found"), max_length=200, required=False)


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"), coerce=lambda v: v == "approve",
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.RadioSelect,
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), max_length=200, required=False, help_text=_("Required to reject."))  # fmt: skip


class PayAheadForm(forms.Form):
    rule = forms.ModelChoiceField(label=_("Offer"), queryset=ReliefRule.objects.none())
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices, initial=Payment.Method.CASH)  # fmt: skip
    tendered = forms.DecimalField(label=_("Cash tendered"), max_digits=12, decimal_places=2, required=False)  # fmt: skip
    payer = forms.CharField(label=_("Paid by"), max_length=100, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules


class CancelReliefForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
