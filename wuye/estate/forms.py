"""Forms of the estate pages: shape and type checks only; the services decide the rest."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Building, Entrance, Facility, ParkingSpace, Unit


class ServiceForm(forms.ModelForm):
    """A model's fields, rendered and type-checked. Model validation (uniqueness, constraints,
    ranges) is left to the service, which words it for the user and also guards the API, so
    the form neither repeats it nor changes the instance it was given."""

    def _post_clean(self) -> None:
        pass


class BuildingForm(ServiceForm):
    class Meta:
        model = Building
        fields = ["code", "name", "floors_above", "floors_below", "completed_on", "note"]
        widgets = {
            "completed_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }


class EntranceForm(ServiceForm):
    class Meta:
        model = Entrance
        fields = ["code", "name"]


class UnitForm(ServiceForm):
    class Meta:
        model = Unit
        fields = [
            "building",
            "entrance",
            "floor",
            "number",
            "floor_area",
            "indoor_area",
            "use",
            "state",
            "fee_coefficient",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.of_site(site)
        self.fields["entrance"].queryset = Entrance.objects.of_site(site).select_related("building")
        self.fields["entrance"].help_text = _("Leave empty if the building has no entrances.")


class GenerateUnitsForm(forms.Form):
    entrance = forms.ModelChoiceField(
        label=_("Entrance"),
        queryset=Entrance.objects.none(),
        required=False,
        help_text=_("Leave empty if the building has no entrances."),
    )
    first_floor = forms.IntegerField(label=_("First floor"), initial=1)
    last_floor = forms.IntegerField(label=_("Last floor"))
    units_per_floor = forms.IntegerField(
        label=_("Units per floor"), initial=4, min_value=1, max_value=99
    )
    floor_area = forms.DecimalField(label=_("Floor area (m²)"), max_digits=10, decimal_places=2)
    indoor_area = forms.DecimalField(
        label=_("Indoor area (m²)"), max_digits=10, decimal_places=2, required=False
    )
    use = forms.ChoiceField(label=_("Use"), choices=Unit.Use.choices, initial=Unit.Use.RESIDENCE)
    state = forms.ChoiceField(
        label=_("State"), choices=Unit.State.choices, initial=Unit.State.UNSOLD
    )
    fee_coefficient = forms.DecimalField(
        label=_("Fee coefficient"), max_digits=6, decimal_places=3, initial=Decimal("1.000")
    )

    def __init__(self, *args, building: Building, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entrance"].queryset = building.entrances.all()
        self.fields["entrance"].label_from_instance = lambda e: e.name
        self.fields["last_floor"].initial = building.floors_above


class ParkingSpaceForm(ServiceForm):
    class Meta:
        model = ParkingSpace
        fields = ["code", "zone", "kind", "state", "floor_area", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}


class FacilityForm(ServiceForm):
    class Meta:
        model = Facility
        fields = [
            "code",
            "name",
            "kind",
            "building",
            "location",
            "state",
            "installed_on",
            "maintainer",
            "note",
        ]
        widgets = {
            "installed_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.of_site(site)
