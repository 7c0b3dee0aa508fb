"""Forms of the finance pages: fee items, rates and bill runs. Shape and type checks only; the
services decide the rest (overlaps, ranges, what a method needs)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.core.money import format_yuan_precise
from wuye.estate.models import Building, Unit

from .forms import MonthField
from .models import FeeItem, Rate

DATE = {"type": "date"}
# Written as "no upper bound" in a tier line.
OPEN_BOUND = {"-", "—", "*", "∞"}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


class FeeItemForm(forms.ModelForm):
    """The fee item's fields, rendered and type-checked. Model validation (unique code,
    constraints, ranges) is left to `services.save_fee_item`, which words it for the user, and
    the instance given is not changed here (the service records what changed)."""

    class Meta:
        model = FeeItem
        fields = [
            "code",
            "name",
            "kind",
            "method",
            "formula",
            "is_cyclic",
            "cycle",
            "is_prepaid",
            "due_day",
            "rounding_unit",
            "rounding_mode",
            "vacant",
            "vacant_percent",
            "is_active",
        ]
        labels = {
            "method": _("How the amount is worked out"),
            "rounding_unit": _("Round to"),
            "rounding_mode": _("Rounding"),
            "vacant": _("Vacant and unsold units"),
        }
        help_texts = {
            "code": _("Letters, digits, - and _; unique at this site."),
            "formula": _(
                "Custom formula only. Names: area, indoor_area, floor, coefficient, rate, usage, "
                "days, period_days; max, min, abs."
            ),
            "vacant_percent": _("Used when vacant units are charged a share."),
            "due_day": _("1 to 28."),
        }
        widgets = {"formula": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self) -> None:
        pass


def parse_tiers(text: str) -> list[dict]:
    """Tier lines like `20 3.50` (up to 20 at 3.50) and `- 4.20` (the rest at 4.20) → the
    service's `[{"upto": "20", "rate": "3.50"}, {"upto": None, "rate": "4.20"}]`. The order of
    the bounds is the service's to check."""
    tiers, errors = [], []
    lines = [line.strip() for line in (text or "").splitlines()]
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        parts = [p for p in re.split(r"[\s,，;；]+", line) if p]
        if len(parts) != 2:
            errors.append(
                forms.ValidationError(
                    _(
                        "Line %(line)s: write the upper bound and the rate, like “20 3.50” "
                        "(“- 4.20” for the last tier)."
                    ),
                    code="tier_shape",
                    params={"line": number},
                )
            )
            continue
        upto, rate = parts
        try:
            top = None if upto in OPEN_BOUND else _number(upto)
            price = _number(rate)
        except ValueError as exc:
            errors.append(
                forms.ValidationError(
                    _("Line %(line)s: “%(value)s” is not a number."),
                    code="tier_number",
                    params={"line": number, "value": exc.args[0]},
                )
            )
            continue
        tiers.append({"upto": top, "rate": price})
    if errors:
        raise forms.ValidationError(errors)
    return tiers


def _number(text: str) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return str(value)


class RateForm(forms.Form):
    """A new rate of one fee item. Tiers, the meter multiplier and loss are asked for metered
    items only, the yearly escalation for rents only."""

    unit_use = forms.ChoiceField(
        label=_("Unit use"),
        required=False,
        choices=[("", _("Every use"))] + list(Unit.Use.choices),
    )
    building = forms.ModelChoiceField(
        label=_("Building"),
        required=False,
        queryset=Building.objects.none(),
        empty_label=_("Every building"),
    )
    amount = forms.DecimalField(label=_("Rate (yuan)"), max_digits=12, decimal_places=4)
    valid_from = forms.DateField(label=_("From"), widget=_date_input())
    valid_to = forms.DateField(
        label=_("To"), required=False, widget=_date_input(), help_text=_("Empty: until changed.")
    )
    tiers = forms.CharField(
        label=_("Tiers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "20 3.50\n- 4.20"}),
        help_text=_("One tier a line: the upper bound of usage and its rate; “-” for no bound."),
    )
    multiplier = forms.DecimalField(
        label=_("Meter multiplier"), max_digits=10, decimal_places=4, initial=1, required=False
    )
    loss_percent = forms.DecimalField(
        label=_("Loss allowance (%)"), max_digits=6, decimal_places=2, initial=0, required=False
    )
    escalation_percent = forms.DecimalField(
        label=_("Yearly escalation (%)"),
        max_digits=6,
        decimal_places=2,
        initial=0,
        required=False,
    )

    METERED = ("tiers", "multiplier", "loss_percent")
    RENT = ("escalation_percent",)

    def __init__(self, *args, fee_item: FeeItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.of_site(fee_item.site_id)
        if fee_item.method == FeeItem.Method.PER_PARKING:
            # A parking space has no unit use or building: only the item's general rate applies.
            del self.fields["unit_use"], self.fields["building"]
        if fee_item.method != FeeItem.Method.METER:
            for name in self.METERED:
                del self.fields[name]
        if fee_item.method != FeeItem.Method.RENT:
            for name in self.RENT:
                del self.fields[name]

    def clean_tiers(self) -> list[dict]:
        return parse_tiers(self.cleaned_data.get("tiers", ""))

    def rate_fields(self) -> dict:
        """The cleaned data as `services.set_rate` takes it."""
        data = dict(self.cleaned_data)
        data["unit_use"] = data.get("unit_use") or ""
        if data.get("multiplier") is None:
            data.pop("multiplier", None)
        for name in ("loss_percent", "escalation_percent"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class EndRateForm(forms.Form):
    """End one of the item's rates that has not ended yet (on its last day)."""

    rate = forms.ModelChoiceField(label=_("Rate"), queryset=Rate.objects.none())
    valid_to = forms.DateField(label=_("Last day"), widget=_date_input())

    def __init__(self, *args, fee_item: FeeItem, today: datetime.date, **kwargs):
        kwargs.setdefault("prefix", "end")
        super().__init__(*args, **kwargs)
        field = self.fields["rate"]
        field.queryset = (
            fee_item.rates.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .select_related("building")
            .order_by("unit_use", "building__code", "valid_from")
        )
        field.label_from_instance = rate_label

    def has_rates(self) -> bool:
        return self.fields["rate"].queryset.exists()


def rate_label(rate: Rate) -> str:
    use = rate.get_unit_use_display() if rate.unit_use else _("every use")
    building = rate.building.name if rate.building else _("every building")
    return f"{rate_text(rate.amount)} · {rate.valid_from:%Y-%m-%d} · {use} · {building}"


def rate_text(amount: Decimal) -> str:
    """A rate as entered, in a column headed in yuan: 2.80, 3.00, 2.8525, 12,000.00 (rates keep
    four places; most use two)."""
    return format_yuan_precise(amount, sign=False)


class RunBillsForm(forms.Form):
    month = MonthField(
        label=_("Month"), help_text=_("Bills every fee item whose cycle starts then.")
    )


class ReverseRunForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Every line of the run is cancelled; the month may then be billed again."),
    )
