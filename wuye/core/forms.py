"""Forms the staff workbench and the resident pages share: the login with lockout, the
spreadsheet upload of every import page."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from wuye.core.security import (
    clear_login_failures,
    client_ip,
    is_locked_out,
    record_login_failure,
)


class LockoutAuthenticationForm(AuthenticationForm):
    """The login form, refusing a username or address that failed too often recently."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username or password."),
        "locked_out": _(
            "Too many failed sign-ins. This account is locked for a while; try again later "
            "or ask the site manager."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else None
        if is_locked_out(username, ip):
            raise forms.ValidationError(self.error_messages["locked_out"], code="locked_out")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_login_failure(username, ip)
            raise
        clear_login_failures(username)
        return cleaned


class SpreadsheetUploadForm(forms.Form):
    """An import page's upload: one .xlsx file."""

    file = forms.FileField(
        label=_("Spreadsheet (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Choose an .xlsx file."), code="not_xlsx")
        return upload
