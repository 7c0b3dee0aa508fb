"""Forms of the unit account's deposits, refunds and corrections, of approval decisions and of
leases. Shape and type checks only (and a unit or parking-space code resolved within the site);
the services decide the rest — amounts held or paid, authority, overlaps."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.core.money import format_yuan
from wuye.estate.models import ParkingSpace, Unit

from .models import FeeItem, Payment


def _money(label, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=12, decimal_places=2, required=required, help_text=help_text
    )


def _method() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Method"), choices=Payment.Method.choices, initial=Payment.Method.CASH
    )


def _reason() -> forms.CharField:
    return forms.CharField(label=_("Reason"), max_length=200)


def _date(label) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class LabelledChoiceField(forms.ModelChoiceField):
    """A choice of rows labelled by `labeller(row)`."""

    def __init__(self, *args, labeller=str, **kwargs):
        super().__init__(*args, **kwargs)
        self.labeller = labeller

    def label_from_instance(self, obj) -> str:
        return self.labeller(obj)


def line_label(line) -> str:
    paid = getattr(line, "paid", None)
    text = f"{line.fee_item.name} {line.period_start:%Y-%m} {format_yuan(line.amount)}"
    return text + (f" · {_('paid')} {format_yuan(paid)}" if paid else "")


class ChargeForm(forms.Form):
    """A one-off charge on the unit (a replacement card, a paid job done off the desk…)."""

    fee_item = forms.ModelChoiceField(label=_("Fee item"), queryset=FeeItem.objects.none())
    amount = _money(_("Amount (yuan)"), required=False, help_text=_("Empty: the fee item's rate for the unit."))  # fmt: skip
    period_start = forms.DateField(label=_("For the day"), widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    # A fresh key per form: a double submission posts one charge.
    key = forms.CharField(widget=forms.HiddenInput, max_length=36)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee_item"].queryset = (
            FeeItem.objects.of_site(site)
            .filter(is_cyclic=False, is_active=True)
            .exclude(kind=FeeItem.Kind.DEPOSIT)
        )


class DepositForm(forms.Form):
    fee_item = forms.ModelChoiceField(label=_("Deposit for"), queryset=FeeItem.objects.none())
    method = _method()
    amount = _money(_("Amount (yuan)"))
    tendered = _money(
        _("Cash handed over"), required=False, help_text=_("Cash only: the change is worked out.")
    )
    payer = forms.CharField(label=_("Paid by"), max_length=100, required=False)
    reference = forms.CharField(label=_("Transaction reference"), max_length=60, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee_item"].queryset = FeeItem.objects.of_site(site).filter(
            kind=FeeItem.Kind.DEPOSIT, is_active=True
        )


class ApplyDepositForm(forms.Form):
    amount = _money(_("Amount (yuan)"), required=False, help_text=_("Empty: all that is held."))
    lines = forms.TypedMultipleChoiceField(
        label=_("Pay these lines"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the oldest lines first."),
    )  # fmt: skip

    def __init__(self, *args, open_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [
            (
                line.pk,
                f"{line.fee_item.name} {line.period_start:%Y-%m} {format_yuan(line.outstanding)}",
            )
            for line in open_lines
        ]


class RefundForm(forms.Form):
    """What every refund asks: how much, how it is paid back, to whom and why."""

    amount = _money(_("Amount (yuan)"))
    method = _method()
    paid_to = forms.CharField(label=_("Paid to"), max_length=100, required=False)
    reason = _reason()


class RefundLineForm(RefundForm):
    bill_line = LabelledChoiceField(
        label=_("Line"), queryset=None, labeller=line_label,
        help_text=_("What was paid on it goes back; the line is open again."),
    )  # fmt: skip
    field_order = ["bill_line", "amount", "method", "paid_to", "reason"]

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bill_line"].queryset = lines


class RefundCreditForm(RefundForm):
    fee_item = forms.ModelChoiceField(
        label=_("Credit"), queryset=FeeItem.objects.none(), required=False
    )
    field_order = ["fee_item", "amount", "method", "paid_to", "reason"]

    def __init__(self, *args, held: dict, **kwargs):
        """`held`: {fee item or None: credit held} (None: general credit)."""
        super().__init__(*args, **kwargs)
        field = self.fields["fee_item"]
        field.queryset = FeeItem.objects.filter(pk__in=[item.pk for item in held if item])
        amounts = {item.pk: amount for item, amount in held.items() if item}
        field.label_from_instance = lambda item: _("earmarked for %(item)s · %(amount)s") % {
            "item": item.name, "amount": format_yuan(amounts.get(item.pk))}  # fmt: skip
        field.empty_label = _("General credit · %(amount)s") % {
            "amount": format_yuan(held.get(None, 0))
        }


class RefundDepositForm(RefundForm):
    pass


class CancelLineForm(forms.Form):
    bill_line = LabelledChoiceField(label=_("Line"), queryset=None, labeller=line_label)
    reason = _reason()

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bill_line"].queryset = lines


class VoidPaymentForm(forms.Form):
    payment = LabelledChoiceField(
        label=_("Payment"), queryset=None,
        labeller=lambda p: f"{p.receipt.number} · {p.received_at:%Y-%m-%d} · {format_yuan(p.amount)} · {p.get_method_display()}",
    )  # fmt: skip
    reason = _reason()

    def __init__(self, *args, live_payments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment"].queryset = live_payments


class LeaseForm(forms.Form):
    number = forms.CharField(label=_("Lease number"), max_length=40)
    fee_item = forms.ModelChoiceField(label=_("Billed as"), queryset=FeeItem.objects.none())
    unit = forms.CharField(
        label=_("Unit code"), max_length=60,
        help_text=_("The shop let, or the lessee's home for a parking space."),
    )  # fmt: skip
    parking_space = forms.CharField(
        label=_("Parking space"), max_length=30, required=False,
        help_text=_("Empty: the unit itself is let."),
    )  # fmt: skip
    lessee = forms.CharField(label=_("Lessee"), max_length=100)
    lessee_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    monthly_rent = _money(_("Monthly rent (yuan)"))
    escalation_percent = forms.DecimalField(
        label=_("Yearly escalation (%)"), max_digits=6, decimal_places=2, initial=0
    )
    starts_on = _date(_("Starts on"))
    ends_on = _date(_("Ends on"))

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        self.fields["fee_item"].queryset = FeeItem.objects.of_site(site).filter(
            method=FeeItem.Method.RENT, is_active=True
        )

    def clean_unit(self) -> Unit:
        code = self.cleaned_data["unit"].strip()
        unit = Unit.objects.of_site(self.site).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(
                _("No unit %(code)s at this site."), code="not_found", params={"code": code}
            )
        return unit

    def clean_parking_space(self) -> ParkingSpace | None:
        code = self.cleaned_data["parking_space"].strip()
        if not code:
            return None
        space = ParkingSpace.objects.of_site(self.site).filter(code=code).first()
        if space is None:
            raise forms.ValidationError(
                _("No parking space %(code)s at this site."),
                code="not_found",
                params={"code": code},
            )
        return space


class TerminateLeaseForm(forms.Form):
    on = _date(_("Last day"))
    reason = _reason()
