"""Forms of the customer-register pages: shape and type checks only; the services and the
lifecycle decide the rest (ID checksums, lease dates, shares, who may do what)."""

from __future__ import annotations

import datetime

from django import forms
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wuye.estate.models import ParkingSpace, Unit
from wuye.staff.models import Department, Employee

from .lifecycle import MOVE_IN_CHECKLIST
from .models import Person, RegisterSettings
from .queries import unit_code_candidates, with_current_units
from .registers import Register

DATE = {"type": "date"}
MAX_OWNERS = 4


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


# ---------------------------------------------------------------------------------------------
# Choosing a person and a unit on a site of thousands


def person_label(person: Person) -> str:
    """How a person appears in a picker: the name, and the units they are at now when the
    queryset prefetched them (`queries.with_current_units`). Never a number."""
    units = [
        entry.unit.code
        for name in ("current_ownerships", "current_tenancies", "current_households")
        for entry in getattr(person, name, [])
    ]
    return f"{person.name}（{'、'.join(dict.fromkeys(units))}）" if units else person.name


class PersonPicker(forms.Widget):
    """A search box that asks the server for matching people (name, pinyin, initials, unit,
    last four digits of a phone) and a select holding the matches. The select renders only
    the chosen person, so a page never lists a whole site's people."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choice_label = person_label

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        select_id = attrs.get("id") or f"id_{name}"
        chosen = None
        if value not in (None, ""):
            chosen = value if isinstance(value, Person) else self._lookup(value)
        options = format_html('<option value="">{}</option>', _("— search, then choose —"))
        if chosen is not None:
            options += format_html(
                '<option value="{}" selected>{}</option>', chosen.pk, self.choice_label(chosen)
            )
        return format_html(
            '<div class="picker">'
            '<input type="search" name="{find}" id="{id}_find" autocomplete="off" '
            'placeholder="{placeholder}" aria-label="{placeholder}" hx-get="{url}" '
            'hx-vals=\'{{"field": "{name}"}}\' hx-trigger="input changed delay:300ms, search" '
            'hx-target="#{id}" hx-swap="outerHTML" hx-sync="this:replace">'
            '<select name="{name}" id="{id}">{options}</select></div>',
            find=f"{name}__find",
            id=select_id,
            placeholder=_("Name, pinyin, unit or last 4 phone digits"),
            url=reverse("people:person_pick"),
            name=name,
            options=options,
        )

    def _lookup(self, value):
        queryset = getattr(self, "queryset", None)
        if queryset is None:
            return None
        try:
            return queryset.filter(pk=value).first()
        except (ValueError, TypeError):
            return None

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class PersonChoiceField(forms.ModelChoiceField):
    widget = PersonPicker

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, **kwargs)
        self.widget.queryset = queryset

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        self.widget.queryset = self._queryset

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj):
        return person_label(obj)


class UnitCodeField(forms.ModelChoiceField):
    """A unit typed as its code: 1-2-1001, 1栋2单元1001 and 1-2-801 all find 1-2-1001 / 0801."""

    widget = forms.TextInput

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("help_text", _("Unit code, e.g. 1-2-1001 or 1栋2单元1001."))
        super().__init__(queryset, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, Unit):
            return value.code
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            found = self.queryset.filter(pk=value).first()
            return found.code if found else value
        return value

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        codes = unit_code_candidates(text) or [text]
        found = list(self.queryset.filter(code__in=codes)[:2])
        if len(found) != 1:
            raise forms.ValidationError(
                _("There is no unit %(code)s on this site.") % {"code": text}, code="unknown_unit"
            )
        return found[0]

    def validate(self, value):
        forms.Field.validate(self, value)

    def has_changed(self, initial, data):
        return str(self.prepare_value(initial) or "") != str(data or "")


# ---------------------------------------------------------------------------------------------
# People


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name (person or company)"), max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Person.Kind.choices, initial=Person.Kind.INDIVIDUAL
    )
    id_type = forms.ChoiceField(
        label=_("Document type"),
        choices=[("", _("— by kind —"))] + Person.IdType.choices,
        required=False,
        help_text=_("Empty: resident ID card for a person, credit code for a company."),
    )
    id_number = forms.CharField(label=_("Document number"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=[("", "—")] + Person.Gender.choices,
        required=False,
        help_text=_("Taken from a resident ID number when there is one."),
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=_date_input())
    nationality = forms.CharField(label=_("Nationality"), max_length=50, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class OwnerRowForm(forms.Form):
    """One owner (or buyer, or tenant): someone already registered, or a new person."""

    person = PersonChoiceField(
        label=_("Registered person"), queryset=Person.objects.none(), required=False
    )
    name = forms.CharField(label=_("or a new person: name"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Person.Kind.choices,
        initial=Person.Kind.INDIVIDUAL,
        required=False,
    )
    id_number = forms.CharField(label=_("ID or credit code number"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    share = forms.DecimalField(
        label=_("Share (%)"),
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text=_("Empty for all owners: equal shares."),
    )

    def __init__(self, *args, site, with_share: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = with_current_units(Person.objects.of_site(site))
        if not with_share:
            del self.fields["share"]

    @property
    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not data.get("person") and not (data.get("name") or "").strip()

    def clean(self):
        data = super().clean()
        if data.get("person") and (data.get("name") or "").strip():
            self.add_error("name", _("Choose a registered person or type a new name, not both."))
        return data


def owner_rows(data, *, site, count: int = MAX_OWNERS, with_share: bool = True, prefix="owner"):
    return [
        OwnerRowForm(data, site=site, with_share=with_share, prefix=f"{prefix}-{i}")
        for i in range(count)
    ]


class MoveInForm(forms.Form):
    moved_in_on = forms.DateField(label=_("Move-in date"), widget=_date_input())
    keys_handed = forms.IntegerField(label=_("Keys handed over"), min_value=0, initial=0)
    checklist = forms.MultipleChoiceField(
        label=_("Handed over"),
        choices=MOVE_IN_CHECKLIST,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransferForm(forms.Form):
    transferred_on = forms.DateField(label=_("Transfer date"), widget=_date_input())
    contract_number = forms.CharField(
        label=_("Contract / certificate number"), max_length=60, required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TenancyForm(forms.Form):
    lease_start = forms.DateField(label=_("Lease starts"), widget=_date_input())
    lease_end = forms.DateField(label=_("Lease ends"), widget=_date_input())
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EndEntryForm(forms.Form):
    on = forms.DateField(label=_("Ended on"), widget=_date_input())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["on"].label = label
        self.fields["on"].initial = timezone.localdate()


# ---------------------------------------------------------------------------------------------
# Register entries: one form per register, built from its field list


class RegisterEntryForm(forms.ModelForm):
    """A register's own fields, type-checked; the service checks dates, sites and duplicates
    and words what it refuses, so model validation is left to it."""

    def _post_clean(self) -> None:
        pass


def _formfield(site):
    def callback(field: models.Field, **kwargs):
        if isinstance(field, models.ForeignKey):
            target = field.related_model
            required = not field.blank
            label = field.verbose_name
            if target is Person:
                return PersonChoiceField(
                    queryset=with_current_units(Person.objects.of_site(site)),
                    required=required,
                    label=label,
                )
            if target is Unit:
                return UnitCodeField(
                    queryset=Unit.objects.of_site(site), required=required, label=label
                )
            if target is ParkingSpace:
                return forms.ModelChoiceField(
                    queryset=ParkingSpace.objects.of_site(site).order_by("code"),
                    required=required,
                    label=label,
                )
            if target is Employee:
                return forms.ModelChoiceField(
                    queryset=Employee.objects.of_site(site)
                    .filter(is_active=True)
                    .order_by("number"),
                    required=required,
                    label=label,
                )
        if isinstance(field, models.DateField):
            return field.formfield(widget=_date_input(), **kwargs)
        if isinstance(field, models.TextField):
            return field.formfield(widget=forms.Textarea(attrs={"rows": 2}), **kwargs)
        return field.formfield(**kwargs)

    return callback


def entry_form_class(register: Register, site) -> type[RegisterEntryForm]:
    return forms.modelform_factory(
        register.model,
        form=RegisterEntryForm,
        fields=list(register.fields),
        formfield_callback=_formfield(site),
    )


# ---------------------------------------------------------------------------------------------
# Verification, privacy report, settings


class PrivacyReportForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=[(1, _("Q1")), (2, _("Q2")), (3, _("Q3")), (4, _("Q4"))],
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )

    def __init__(self, *args, company_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        from wuye.staff.queries import departments_of

        self.fields["department"].queryset = departments_of(company_id)

    @staticmethod
    def current_quarter(today: datetime.date | None = None) -> dict:
        today = today or timezone.localdate()
        return {"year": today.year, "quarter": (today.month - 1) // 3 + 1}


class RegisterSettingsForm(forms.ModelForm):
    class Meta:
        model = RegisterSettings
        fields = ["verification_months", "expiry_warning_days"]

    def _post_clean(self) -> None:
        pass
