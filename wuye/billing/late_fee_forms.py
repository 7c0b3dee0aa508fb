"""Forms of late fees (R-FEE-04): a fee item's rule and a waiver. Shape and type checks only;
the services decide the rest — the cap's range, what is left to waive, authority."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LateFeeRule


class LateFeeRuleForm(forms.Form):
    basis = forms.ChoiceField(label=_("Charged"), choices=LateFeeRule.Basis.choices)
    # Not required here: the service says what a missing rate or cap means.
    rate_percent = forms.DecimalField(
        label=_("Rate (%)"), max_digits=7, decimal_places=4, required=False,
        help_text=_("Of the overdue amount, per day or per whole month overdue."),
    )  # fmt: skip
    grace_days = forms.IntegerField(
        label=_("Grace days"), initial=0, required=False,
        help_text=_("Days after the due date before the late fee starts."),
    )  # fmt: skip
    cap_percent = forms.DecimalField(
        label=_("Cap (% of the principal)"), max_digits=5, decimal_places=2, required=False,
        help_text=_("The late fee never exceeds this share of the overdue line (at most 100%)."),
    )  # fmt: skip
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class WaiveForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount to waive (yuan)"), max_digits=12, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=200)
