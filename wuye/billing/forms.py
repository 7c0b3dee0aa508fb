"""Forms of the cashier's pages, and the month field every billing page shares: shape and type
checks; the services decide the rest."""

import datetime
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.core.money import format_yuan

from .models import FeeItem, Payment


def parse_month(text: str | None) -> datetime.date | None:
    """`2026-05` → its first day; None when it isn't one."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*", text or "")
    try:
        return datetime.date(int(match[1]), int(match[2]), 1) if match else None
    except ValueError:
        return None


class MonthField(forms.CharField):
    """A month as `YYYY-MM`, cleaned to its first day."""

    # A text input: every browser takes it, and the style sheet dresses it like the others.
    widget = forms.TextInput(
        attrs={"placeholder": "2026-05", "inputmode": "numeric", "maxlength": 7}
    )

    def clean(self, value):
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(
                _("Enter a month like 2026-05.") if value else self.error_messages["required"],
                code="invalid" if value else "required",
            )
        return month


class PaymentForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Method"), choices=Payment.Method.choices, initial=Payment.Method.CASH
    )
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=12, decimal_places=2)
    tendered = forms.DecimalField(
        label=_("Cash handed over"), max_digits=12, decimal_places=2, required=False,
        help_text=_("Cash only: the change is worked out."),
    )  # fmt: skip
    lines = forms.TypedMultipleChoiceField(
        label=_("Pay these lines"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the oldest lines first."),
    )  # fmt: skip
    take_rest_as_credit = forms.BooleanField(
        label=_("Take what is left as prepaid credit"), required=False
    )
    earmark = forms.ModelChoiceField(
        label=_("Earmark the credit for"), queryset=FeeItem.objects.none(), required=False
    )
    payer = forms.CharField(label=_("Paid by"), max_length=100, required=False)
    reference = forms.CharField(label=_("Transaction reference"), max_length=60, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, open_lines=(), site=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [
            (
                line.pk,
                f"{line.fee_item.name} {line.period_start:%Y-%m} {format_yuan(line.outstanding)}",
            )
            for line in open_lines
        ]
        if site is not None:
            self.fields["earmark"].queryset = FeeItem.objects.of_site(site).filter(is_active=True)
