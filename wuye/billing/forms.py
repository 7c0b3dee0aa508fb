"""Forms of the cashier's pages: shape and type checks; the services decide the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FeeItem, Payment


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
            (line.pk, f"{line.fee_item.name} {line.period_start:%Y-%m} ¥{line.outstanding}")
            for line in open_lines
        ]
        if site is not None:
            self.fields["earmark"].queryset = FeeItem.objects.of_site(site).filter(is_active=True)
