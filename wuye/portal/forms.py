from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.core.forms import LockoutAuthenticationForm
from wuye.core.identity import normalize_phone
from wuye.estate.models import Unit

from .models import ResidentLink
from .services import resident_username


class SignUpForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    phone = forms.CharField(label=_("Mobile number"), max_length=30)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=128)


class ResidentLoginForm(LockoutAuthenticationForm):
    """Sign in with the mobile number the account was made with."""

    def clean_username(self):
        text = self.cleaned_data.get("username") or ""
        try:
            return resident_username(normalize_phone(text))
        except forms.ValidationError:
            return text


class LinkForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    unit = forms.CharField(
        label=_("Unit"), max_length=60, help_text=_("As on your door: 3-1-0802 or 3栋1单元802")
    )
    role = forms.ChoiceField(label=_("I am the unit's"), choices=ResidentLink.Role.choices)
    note = forms.CharField(label=_("Note for the centre"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from wuye.core.models import Site

        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(is_active=True)

    def clean(self):
        from wuye.people.queries import unit_code_candidates

        data = super().clean()
        if data.get("site") and data.get("unit"):
            codes = unit_code_candidates(data["unit"])
            unit = Unit.objects.filter(site=data["site"], code__in=codes).first()
            if unit is None:
                self.add_error("unit", _("There is no such unit in this community."))
            data["unit_obj"] = unit
        return data


class DecisionForm(forms.Form):
    lease_start = forms.DateField(
        label=_("Lease starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lease_end = forms.DateField(
        label=_("Lease ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason (when rejecting)"), max_length=200, required=False)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"), choices=[(str(i), "★" * i) for i in range(5, 0, -1)], coerce=int,
        widget=forms.RadioSelect,
    )  # fmt: skip
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class HurryForm(forms.Form):
    note = forms.CharField(label=_("Anything to add?"), max_length=300, required=False)
