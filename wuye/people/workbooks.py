"""The customer registers' .xlsx files: the owners-and-tenants import template, and the export
of the people list and of every register.

ID and phone columns come only from `privacy.identities`: masked unless the user's role may see
them, and every unmasked export is logged person by person (R-CUS-04).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.spreadsheets import build_workbook

from .privacy import identities
from .queries import with_current_units
from .registers import Register

# Column name → the header texts that mean it; the first is what the template shows.
PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("房号", "房屋", "房屋编号", "unit", "unit code"),
    "role": ("身份", "类别", "role"),
    "name": ("姓名", "业主姓名", "名称", "name"),
    "id_type": ("证件类型", "document type"),
    "id_number": ("证件号码", "身份证号", "身份证号码", "document number", "id number"),
    "phone": ("手机", "手机号", "联系电话", "电话", "phone", "mobile"),
    "share": ("产权份额(%)", "产权份额", "份额", "share", "share (%)"),
    "title_date": ("收房日期", "取得产权日期", "入住日期", "title date", "took title on"),
    "lease_start": ("租期开始", "租赁开始", "lease start", "lease starts"),
    "lease_end": ("租期结束", "租赁结束", "lease end", "lease ends"),
    "relation": ("与业主关系", "关系", "relation"),
    "note": ("备注", "note"),
}
REQUIRED_PEOPLE_COLUMNS = ("unit", "name")


def people_template() -> bytes:
    """The import template: Chinese headers and example rows showing the formats."""
    headers = [texts[0] for texts in PEOPLE_COLUMNS.values()]
    examples = [
        ["1-1-0101", "业主", "张三、李四", "身份证", "（每人一个，顿号分隔）", "13800000000、", 50,
         "2020-05-01", "", "", "", "两人共有，份额留空则平分"],
        ["1栋2单元1001", "租户", "王五", "", "", "13900000000", "", "", "2025-01-01",
         "2026-12-31", "", ""],
        ["1-2-1001", "家庭成员", "王小五", "", "", "", "", "", "", "", "子女", ""],
    ]  # fmt: skip
    return build_workbook(_("Owners and tenants"), headers, examples)


def _cell(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return float(value)
    return value


def _units(person) -> str:
    entries = (
        getattr(person, "current_ownerships", [])
        + getattr(person, "current_tenancies", [])
        + getattr(person, "current_households", [])
    )
    return "、".join(dict.fromkeys(e.unit.code for e in entries))


def export_people(people, user) -> bytes:
    """The people list as filtered on the page, with their current units."""
    rows = list(with_current_units(people.order_by("name_pinyin", "pk")))
    shown = identities(user, rows, where="export customers.xlsx")
    headers = [
        _("Name"),
        _("Kind"),
        _("Gender"),
        _("Document type"),
        _("Document number"),
        _("Phone"),
        _("Units"),
        _("To clean"),
        _("Note"),
    ]
    return build_workbook(
        _("Customers"),
        headers,
        (
            [
                p.name,
                p.get_kind_display(),
                p.get_gender_display() if p.gender else "",
                p.get_id_type_display() if p.id_type else "",
                shown[p.pk].id_number,
                shown[p.pk].phone,
                _units(p),
                p.clean_notes if p.to_clean else "",
                p.note,
            ]
            for p in rows
        ),
    )


def export_register(register: Register, entries, user) -> bytes:
    """A register's entries as listed on its page."""
    related = [register.person_field, "verified_by"]
    if register.unit_field:
        related.append(register.unit_field)
    rows = list(entries.select_related(*related).order_by("pk"))
    people = [getattr(e, register.person_field) for e in rows]
    shown = identities(user, people, where=f"export {register.code}.xlsx")
    own = [f for f in register.fields if f not in (register.person_field, register.unit_field)]
    model = register.model
    headers = (
        [str(model._meta.get_field(register.person_field).verbose_name)]
        + [_("Document number"), _("Phone")]
        + (
            [str(model._meta.get_field(register.unit_field).verbose_name)]
            if register.unit_field
            else []
        )
        + [str(model._meta.get_field(name).verbose_name) for name in own]
        + [str(model._meta.get_field(register.end_field).verbose_name)]
        + [_("Last verified"), _("Verified by")]
    )

    def row(entry):
        person = getattr(entry, register.person_field)
        unit = [str(getattr(entry, register.unit_field) or "")] if register.unit_field else []
        values = [_display(entry, name) for name in own]
        return (
            [person.name, shown[person.pk].id_number, shown[person.pk].phone]
            + unit
            + values
            + [_cell(getattr(entry, register.end_field))]
            + [
                _cell(entry.verified_at),
                entry.verified_by.get_username() if entry.verified_by else "",
            ]
        )

    return build_workbook(str(register.label), headers, (row(e) for e in rows))


def _display(entry, name: str):
    field = entry._meta.get_field(name)
    if field.choices:
        return getattr(entry, f"get_{name}_display")()
    return _cell(getattr(entry, name))
