"""A site's notice layout (titles, the letter's text, days to pay, how to pay, footer, seal) and
the placeholders its texts may use.

Placeholders are filled by name with a plain substitution — never `str.format`, whose
`{unit.__class__…}` and format specs would let a layout reach into Python objects. A layout
naming a placeholder that doesn't exist is refused when it is saved.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.receipts import company_name
from wuye.billing.receipts import layout_of as receipt_layout_of
from wuye.core.audit import record_create, record_update, snapshot
from wuye.core.errors import collecting
from wuye.core.permissions import ensure_can

from .models import NoticeKind, NoticeLayout

PLACEHOLDERS = {
    "owner": gettext_lazy("the owners' names (业主 when none is registered)"),
    "unit": gettext_lazy("the unit code"),
    "total": gettext_lazy("the total owed on the notice, e.g. 1,280.00"),
    "due_date": gettext_lazy("the earliest due date among the notice's lines"),
    "pay_by": gettext_lazy("the date to pay by (issue date + days to pay)"),
    "today": gettext_lazy("the issue date"),
    "site": gettext_lazy("the site's name"),
    "company": gettext_lazy("the company name"),
    "phone": gettext_lazy("the contact phone (the site's service phone when empty)"),
    "number": gettext_lazy("the notice number"),
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
TEXT_FIELDS = ("fee_body", "dunning_body", "payment_instructions", "footer")
LAYOUT_FIELDS = (
    "company_name", "fee_title", "dunning_title", "fee_body", "dunning_body", "pay_by_days",
    "contact_phone", "payment_instructions", "footer", "seal_text",
)  # fmt: skip


def layout_of(site) -> NoticeLayout:
    """The site's layout, or the defaults (unsaved) when it has none."""
    return NoticeLayout.objects.filter(site=site).first() or NoticeLayout(site=site)


def company_of(layout: NoticeLayout, site) -> str:
    """The notice's company: the layout's own, else the one on the site's receipts."""
    return layout.company_name or company_name(receipt_layout_of(site), site)


def title_of(layout: NoticeLayout, kind: str) -> str:
    return layout.dunning_title if kind == NoticeKind.DUNNING else layout.fee_title


def body_of(layout: NoticeLayout, kind: str) -> str:
    return layout.dunning_body if kind == NoticeKind.DUNNING else layout.fee_body


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each known {name} replaced by its value; anything else is left as it is."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text or "")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text or "") if name not in PLACEHOLDERS})


def save_layout(*, site, actor, **fields) -> NoticeLayout:
    """Save the site's notice layout; unknown placeholders and out-of-range days refused."""
    ensure_can(actor, "dunning.change_noticelayout", site)
    check_layout(fields)
    with transaction.atomic():
        layout = NoticeLayout.objects.select_for_update().filter(site=site).first()
        created = layout is None
        if created:
            layout = NoticeLayout(site=site)
        before = snapshot(layout)
        apply(layout, fields)
        layout.updated_by = actor
        layout.save()
        if created:
            record_create(actor, layout)
        else:
            record_update(actor, layout, before)
    return layout


def apply(layout: NoticeLayout, fields: dict) -> NoticeLayout:
    for name, value in fields.items():
        setattr(layout, name, value.strip() if isinstance(value, str) else value)
    return layout


def check_layout(fields: dict) -> None:
    """Refuse fields that are not the layout's, unknown placeholders, empty titles or texts,
    and days to pay outside 1–90 — every field's error at once."""
    with collecting() as errors:
        for name in sorted(set(fields) - set(LAYOUT_FIELDS)):
            errors.add(name, _("This field is not part of the layout."), "unknown")
        for name, value in fields.items():
            if name not in LAYOUT_FIELDS:
                continue
            most = NoticeLayout._meta.get_field(name).max_length or 2000
            if isinstance(value, str) and len(value.strip()) > most:
                errors.add(name, _("At most %(most)s characters.") % {"most": most}, "too_long")
        for name in TEXT_FIELDS:
            bad = unknown_placeholders(fields.get(name, ""))
            if bad:
                errors.add(
                    name,
                    _("Unknown placeholder %(names)s; use %(known)s.")
                    % {
                        "names": ", ".join(f"{{{b}}}" for b in bad),
                        "known": ", ".join(f"{{{k}}}" for k in PLACEHOLDERS),
                    },
                    "unknown_placeholder",
                )
        for name in ("fee_title", "dunning_title", "fee_body", "dunning_body"):
            if name in fields and not str(fields[name] or "").strip():
                errors.add(name, _("This text can't be empty."), "required")
        days = fields.get("pay_by_days", 15)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
            errors.add("pay_by_days", _("Give between 1 and 90 days to pay."), "out_of_range")
