"""Forms of the service-desk pages: shape and type checks only; the services decide the rest
(states, clocks, who may do what)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.estate.models import Facility, Unit
from wuye.people.forms import PersonChoiceField, UnitCodeField
from wuye.people.models import Person
from wuye.staff.models import Department, Employee

from .models import (
    Callback,
    Category,
    Channel,
    DeskSettings,
    HelpAction,
    HelpKind,
    Kind,
    PriceItem,
    QualityCheck,
    RootCause,
    WorkOrder,
)

DATETIME = {"type": "datetime-local"}
TEXTAREA = {"rows": 3}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Photos or documents, several at once."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,.pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _site_choices(form: forms.Form, site) -> None:
    """Limit every picker to the site's own rows."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is None:
            continue
        model = queryset.model
        if model is Department:
            field.queryset = Department.objects.filter(company_id=site.company_id)
        elif model is Employee:
            field.queryset = (
                Employee.objects.of_site(site).filter(is_active=True).order_by("number")
            )
        elif model in (Unit, Person, Facility, Category, RootCause, PriceItem):
            qs = model.objects.of_site(site)
            if model in (Category, RootCause, PriceItem):
                qs = qs.filter(is_active=True)
            field.queryset = qs


class SiteForm(forms.Form):
    def __init__(self, *args, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        if site is not None:
            _site_choices(self, site)


class IntakeForm(SiteForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.REPAIR)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    person = PersonChoiceField(label=_("Customer"), queryset=Person.objects.none(), required=False)
    caller_name = forms.CharField(label=_("Caller"), max_length=100, required=False)
    caller_phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )  # fmt: skip
    unit = UnitCodeField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    facility = forms.ModelChoiceField(
        label=_("Facility"), queryset=Facility.objects.none(), required=False
    )
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    help_kind = forms.ChoiceField(
        label=_("Help kind"), choices=[("", "—"), *HelpKind.choices], required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Matter"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    agreed_at = forms.DateTimeField(
        label=_("Agreed time (visit, or first answer)"), required=False, widget=_datetime_input()
    )
    neighbour_dispute = forms.BooleanField(label=_("Dispute between neighbours"), required=False)
    needs_written_answer = forms.BooleanField(label=_("Written answer wanted"), required=False)
    from_company = forms.BooleanField(label=_("Passed down from the company"), required=False)
    company_reference = forms.CharField(
        label=_("Company's reference"), max_length=60, required=False
    )
    handled_at_once = forms.BooleanField(label=_("Handled at once"), required=False)
    answer = forms.CharField(
        label=_("How it was handled"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    files = FilesField(label=_("Photos or documents"))


class DispatchForm(SiteForm):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Responsible"), queryset=Employee.objects.none(), required=False,
        help_text=_("Empty: the pool or the rotation, when the category says so."),
    )  # fmt: skip
    visit_at = forms.DateTimeField(
        label=_("Agreed visit time"), required=False, widget=_datetime_input()
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs=TEXTAREA))


class OptionalNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer given"), widget=forms.Textarea(attrs=TEXTAREA))
    complete = forms.BooleanField(label=_("This settles it"), required=False)


class DeferForm(forms.Form):
    until = forms.DateField(label=_("Until"), widget=_date_input())
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CallbackForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("Resident's verdict"),
        choices=[("1", _("satisfied")), ("0", _("not satisfied"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(label=_("How"), choices=Callback.Method.choices)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class QualityForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"), choices=QualityCheck.Verdict.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)


class AgreeTimeForm(forms.Form):
    answer_at = forms.DateTimeField(label=_("Agreed first answer"), widget=_datetime_input())


class InvestigationForm(forms.Form):
    investigation = forms.CharField(label=_("Investigation"), widget=forms.Textarea(attrs=TEXTAREA))
    measures = forms.CharField(label=_("Proposed measures"), widget=forms.Textarea(attrs=TEXTAREA))


class NegotiationForm(forms.Form):
    proposal = forms.CharField(label=_("What we proposed"), widget=forms.Textarea(attrs=TEXTAREA))
    response = forms.CharField(label=_("Complainant's answer"), required=False, max_length=500)
    agreed = forms.BooleanField(label=_("Agreed"), required=False)


class RootCauseForm(SiteForm):
    root_cause = forms.ModelChoiceField(label=_("Root cause"), queryset=RootCause.objects.none())


class ValidityForm(forms.Form):
    valid = forms.TypedChoiceField(
        label=_("Counts in the statistics"),
        choices=[("1", _("valid complaint")), ("0", _("not valid"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class MajorForm(forms.Form):
    major = forms.BooleanField(label=_("Major complaint"), required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class LinkForm(forms.Form):
    to = forms.CharField(label=_("Same event as ticket number"), max_length=40)
    reach = forms.CharField(label=_("How far the effect reached"), max_length=200, required=False)


class ReportBackForm(forms.Form):
    report = forms.CharField(label=_("Result reported"), widget=forms.Textarea(attrs=TEXTAREA))


class HelpActionForm(forms.Form):
    action = forms.ChoiceField(label=_("What was done"), choices=HelpAction.Action.choices)
    done_at = forms.DateTimeField(
        label=_("When"), required=False, widget=_datetime_input(),
        help_text=_("Empty: now."),
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class FinishForm(SiteForm):
    work_done = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs=TEXTAREA))
    result = forms.ChoiceField(
        label=_("Result"), choices=WorkOrder.Result.choices, widget=forms.RadioSelect
    )
    material_name = forms.CharField(label=_("Material"), max_length=100, required=False)
    material_quantity = forms.DecimalField(
        label=_("Quantity"), required=False, min_value=0, decimal_places=2
    )
    material_unit = forms.CharField(label=_("Unit of measure"), max_length=10, required=False)
    price_item = forms.ModelChoiceField(
        label=_("Paid service"), queryset=PriceItem.objects.none(), required=False
    )
    quantity = forms.DecimalField(label=_("Times"), required=False, min_value=1, initial=1)
    files = FilesField(label=_("Photos"))


class SignOffForm(forms.Form):
    signed_by = forms.CharField(label=_("Signed off by"), max_length=100)
    rating = forms.TypedChoiceField(
        label=_("Rating"), choices=[(str(i), "★" * i) for i in range(5, 0, -1)], coerce=int,
        required=False, empty_value=None, widget=forms.RadioSelect,
    )  # fmt: skip
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs=TEXTAREA))


class DutyLogForm(forms.Form):
    text = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs=TEXTAREA))


class HandoverForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("Next on duty"), queryset=None)
    note = forms.CharField(label=_("Handover note"), widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = users
        self.fields["to_user"].label_from_instance = lambda u: u.get_full_name() or u.username


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=_date_input())
    end = forms.DateField(label=_("To"), widget=_date_input())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 400:
            raise forms.ValidationError(_("Choose a period of at most a year."))
        return data


class SettingsForm(forms.ModelForm):
    class Meta:
        model = DeskSettings
        fields = [
            "help_answer_minutes", "inquiry_answer_minutes", "written_answer_days",
            "complaint_answer_hours", "repair_visit_hours", "warn_percent",
            "complaint_autoclose_days", "callback_within_days", "duplicate_window_days",
        ]  # fmt: skip


class CategoryForm(SiteForm):
    kind = forms.ChoiceField(label=_("Ticket kind"), choices=Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=50)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    dispatch_mode = forms.ChoiceField(
        label=_("Dispatch"), choices=Category._meta.get_field("dispatch_mode").choices
    )
    workers = forms.ModelMultipleChoiceField(
        label=_("Workers"), queryset=Employee.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class NameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)


class PriceItemForm(forms.Form):
    name = forms.CharField(label=_("Service"), max_length=60)
    price = forms.DecimalField(label=_("Price (yuan)"), min_value=0, decimal_places=2)
    unit_label = forms.CharField(label=_("Per"), max_length=10, initial="次")


class QrReportForm(forms.Form):
    """The short form behind a facility's QR code: no login."""

    subject = forms.CharField(label=_("What is wrong?"), max_length=200)
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    caller_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    caller_phone = forms.CharField(
        label=_("Your phone (for our answer)"), max_length=30, required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )  # fmt: skip
    website = forms.CharField(required=False, widget=forms.HiddenInput)  # a trap for robots


class ResidentTicketForm(forms.Form):
    """What a resident files on their own pages."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (k, label)
            for k, label in Kind.choices
            if k in ("repair", "complaint", "inquiry", "suggestion")
        ],  # fmt: skip
    )
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    agreed_at = forms.DateTimeField(
        label=_("When can we come (repairs)"), required=False, widget=_datetime_input()
    )
    files = FilesField(label=_("Photos"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.code) for u in units]
