"""Forms of the meter pages: shape and type checks only; `meters.py` decides the rest (numbers
unique, readings in order, what is suspicious)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuye.core.forms import SpreadsheetUploadForm
from wuye.estate.models import Building

from .forms import MonthField
from .models import FeeItem, Meter

DATE = {"type": "date"}


class MeterForm(forms.Form):
    """A new meter: a unit's own (give the unit's code) or a shared one (a building or the
    whole site, and how its usage is split)."""

    code = forms.CharField(label=_("Meter number"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=Meter.Kind.choices)
    fee_item = forms.ModelChoiceField(label=_("Billed as"), queryset=FeeItem.objects.none())
    unit = forms.CharField(
        label=_("Unit"),
        max_length=40,
        required=False,
        help_text=_("The unit's code, e.g. 1-0101. Empty: a shared meter."),
    )
    building = forms.ModelChoiceField(
        label=_("Shared by building"),
        queryset=Building.objects.none(),
        required=False,
        empty_label=_("The whole site"),
        help_text=_("A shared meter only."),
    )
    split = forms.ChoiceField(
        label=_("Split among units"),
        choices=[("", "—")] + list(Meter.Split.choices),
        required=False,
        help_text=_("A shared meter only."),
    )
    split_formula = forms.CharField(
        label=_("Split formula"),
        max_length=200,
        required=False,
        help_text=_("Weighs each unit by area, indoor_area, floor, coefficient."),
    )
    location = forms.CharField(label=_("Location"), max_length=100, required=False)
    multiplier = forms.DecimalField(
        label=_("Multiplier"), max_digits=10, decimal_places=4, initial=1
    )
    start_value = forms.DecimalField(
        label=_("Start reading"), max_digits=14, decimal_places=2, initial=0
    )
    installed_on = forms.DateField(
        label=_("Installed on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )

    def __init__(self, *args, site, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("installed_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["fee_item"].queryset = FeeItem.objects.of_site(site).filter(
            method=FeeItem.Method.METER, is_active=True
        )
        self.fields["building"].queryset = Building.objects.of_site(site).order_by("code")


class ReadingForm(forms.Form):
    """One meter's reading on the phone page. The value stays text here so the service words
    what is wrong with it (not a number, negative)."""

    value = forms.CharField(
        label=_("This month's reading"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "enterkeyhint": "done"}
        ),
    )
    month = MonthField(widget=forms.HiddenInput)

    def clean_value(self) -> str:
        # Phones with a Chinese keyboard may send a full-width point or digits.
        text = self.cleaned_data["value"].strip()
        return text.translate(str.maketrans("０１２３４５６７８９．。", "0123456789..")).replace(
            " ", ""
        )


class ConfirmForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class RejectForm(forms.Form):
    # Required by the service, which words the refusal; the page shows it beside the field.
    note = forms.CharField(label=_("What is wrong"), max_length=200, required=False)


class ImportForm(SpreadsheetUploadForm):
    month = MonthField(label=_("Month read"))

    field_order = ["month", "file"]
