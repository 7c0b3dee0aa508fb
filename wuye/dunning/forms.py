"""Forms of the dunning pages: shape and type checks only; the services decide the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.estate.models import Building

from .layouts import LAYOUT_FIELDS
from .models import ChasingEntry, NoticeDelivery, NoticeKind, NoticeLayout

OVERDUE_FILTERS = [
    ("", _("every unit that qualifies")),
    ("30", _("only units with something overdue over 30 days")),
    ("90", _("only units with something overdue over 90 days")),
    ("180", _("only units with something overdue over 180 days")),
]


class IssueNoticeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Notice"), choices=NoticeKind.choices, initial=NoticeKind.DUNNING
    )


class DeliveryForm(forms.Form):
    channel = forms.ChoiceField(label=_("How"), choices=NoticeDelivery.Channel.choices)


class ChasingForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Contact"), choices=ChasingEntry.Kind.choices, initial=ChasingEntry.Kind.CALL
    )
    note = forms.CharField(
        label=_("What was said"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    promised_amount = forms.DecimalField(
        label=_("Promised to pay (yuan)"), max_digits=12, decimal_places=2, required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip
    promised_by = forms.DateField(
        label=pgettext_lazy("promised by", "By"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A promise needs both the amount and the date."),
    )  # fmt: skip


class BuildingNoticesForm(forms.Form):
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none())
    kind = forms.ChoiceField(
        label=_("Notice"), choices=NoticeKind.choices, initial=NoticeKind.DUNNING
    )
    only_overdue_over_days = forms.ChoiceField(
        label=_("Which units"), choices=OVERDUE_FILTERS, required=False
    )

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.of_site(site).order_by("code")


class LayoutForm(forms.ModelForm):
    class Meta:
        model = NoticeLayout
        fields = list(LAYOUT_FIELDS)
        widgets = {
            "fee_body": forms.Textarea(attrs={"rows": 5}),
            "dunning_body": forms.Textarea(attrs={"rows": 5}),
            "payment_instructions": forms.Textarea(attrs={"rows": 3}),
        }

    def _post_clean(self) -> None:
        """No model validation here: the service (`layouts.check_layout`) words each field's
        error and tells them all at once, where the model's check constraint would refuse the
        whole form first, in the database's words, and keep the service's errors back."""
