"""The past-bills workbook (docs/collections.md, Historical import): its columns and template,
and the check that turns its rows into a plan — every problem collected, none written.

Legacy files are messy, so the unit may be written 1栋2单元1001, the period 2024年3月 or
2024-01至2024-03, several owners may share one cell (张三、李四), and phones and ID numbers are
often placeholders (13800138000, 111111…): those are kept out of the ledger and flagged in the
log for cleaning in the people register."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.billing.models import FeeItem, Payment
from wuye.billing.money import CENT
from wuye.core.identity import is_placeholder_id, is_placeholder_phone, mask
from wuye.core.spreadsheets import build_workbook, cell_date, cell_text
from wuye.estate.models import Unit
from wuye.people.people_import import split_cell
from wuye.people.queries import unit_code_candidates

NOTE = "历史导入"
HISTORY_COLUMNS = {
    "unit": ("房号", "单元编号", "房屋编号", "unit", "unit code"),
    "fee_item": ("收费项目", "费用项目", "fee item", "item"),
    "period": ("所属期间", "计费期间", "期间", "所属月份", "period", "month"),
    "amount": ("应收金额", "应收", "amount", "amount due"),
    "paid": ("实收金额", "实收", "paid", "amount paid"),
    "paid_on": ("缴费日期", "收款日期", "paid on", "paid date"),
    "cashier": ("收款人", "收费员", "cashier"),
    "method": ("付款方式", "缴费方式", "method"),
    "payer": ("业主", "缴费人", "owner", "payer"),
    "phone": ("电话", "联系电话", "phone"),
    "id_number": ("身份证号", "证件号码", "id number"),
}
REQUIRED_COLUMNS = ("unit", "fee_item", "period", "amount")
METHODS = {
    "现金": Payment.Method.CASH, "cash": Payment.Method.CASH,
    "转账": Payment.Method.TRANSFER, "银行转账": Payment.Method.TRANSFER, "银行": Payment.Method.TRANSFER,
    "transfer": Payment.Method.TRANSFER, "托收": Payment.Method.TRANSFER,
    "刷卡": Payment.Method.CARD, "pos": Payment.Method.CARD, "card": Payment.Method.CARD,
    "微信": Payment.Method.QR, "支付宝": Payment.Method.QR, "扫码": Payment.Method.QR, "qr": Payment.Method.QR,
}  # fmt: skip
_RANGE = re.compile(r"\s*(?:至|到|~|～|—|－|to)\s*", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})?日?)?月?$|^(\d{4})(\d{2})$")


def column_label(name: str) -> str:
    return HISTORY_COLUMNS.get(name, (name,))[0]


@dataclass
class HistoryRow:
    row: int
    unit: Unit
    fee_item: FeeItem
    period_start: datetime.date
    period_end: datetime.date
    amount: Decimal
    paid: Decimal
    paid_on: datetime.date | None
    method: str
    cashier_name: str
    cashier_id: int | None
    payer: str


@dataclass
class Plan:
    rows: list[HistoryRow] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)


def _month(text: str) -> datetime.date:
    """2024-03, 2024/3, 2024年3月, 202403, 2024-03-15 → the first of that month."""
    match = _MONTH.match(text.replace(" ", ""))
    if not match:
        raise ValueError(text)
    year, month = (match.group(1), match.group(2)) if match.group(1) else match.group(4, 5)
    return datetime.date(int(year), int(month), 1)


def _last_day(month: datetime.date) -> datetime.date:
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def parse_period(value) -> tuple[datetime.date, datetime.date]:
    """A cell naming a month or a range of months → (first day, last day)."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        start = value.replace(day=1)
        return start, _last_day(start)
    parts = _RANGE.split(cell_text(value))
    if not 1 <= len(parts) <= 2 or not parts[0]:
        raise ValueError(value)
    start = _month(parts[0])
    end = _month(parts[-1])
    if end < start:
        raise ValueError(value)
    return start, _last_day(end)


def _money(value) -> Decimal | None:
    if value is None or cell_text(value) == "":
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").replace("元", "").strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite():
        raise ValueError(value)
    return amount


def cashiers_by_name(site) -> dict[str, int]:
    """The site's staff by the name a legacy file would write (their full name or username)."""
    users = get_user_model().objects.filter(site_memberships__site=site, is_active=True)
    by_name = {}
    for user in users.only("pk", "username", "first_name", "last_name"):
        for name in {user.get_full_name().strip(), user.first_name.strip(), user.username}:
            if name:
                by_name.setdefault(name, user.pk)
    return by_name


class Checker:
    """Turns sheet rows into a plan, collecting every problem instead of stopping."""

    def __init__(self, site):
        self.site = site
        self.units = {u.code: u for u in Unit.objects.of_site(site)}
        items = list(FeeItem.objects.of_site(site))
        self.items = {i.code.lower(): i for i in items} | {i.name.lower(): i for i in items}
        self.cashiers = cashiers_by_name(site)
        self.errors: list[dict] = []
        self.plan = Plan()
        self.seen: dict[tuple[int, int, datetime.date], int] = {}
        self.today = timezone.localdate()

    def error(self, row: int, name: str, message: str, code: str) -> None:
        self.errors.append({"field": f"rows.{row}.{name}", "message": message, "code": code})

    def flag(self, row: int, name: str, message: str) -> None:
        self.plan.flags.append({"row": row, "column": column_label(name), "message": message})

    def check(self, sheet_row) -> None:
        n, v = sheet_row.number, sheet_row.values
        before = len(self.errors)
        unit = self._unit(n, v.get("unit"))
        fee_item = self._fee_item(n, v.get("fee_item"))
        period = self._period(n, v.get("period"))
        amount = self._amount(n, v.get("amount"))
        paid, paid_on = self._paid(n, v.get("paid"), v.get("paid_on"), amount)
        method = self._method(n, v.get("method"))
        if len(self.errors) > before:
            return
        key = (unit.pk, fee_item.pk, period[0])
        if key in self.seen:
            message = _("Row %(row)s already has this unit, fee item and period.")
            self.error(n, "period", message % {"row": self.seen[key]}, "duplicate_row")
            return
        self.seen[key] = n
        cashier_name = cell_text(v.get("cashier"))
        if paid and cashier_name and cashier_name not in self.cashiers:
            self.flag(n, "cashier", _("Cashier %(name)s is not a member of this site; the payment is recorded in your name with theirs in its note.") % {"name": cashier_name})  # fmt: skip
        payers = split_cell(v.get("payer"))
        if len(payers) > 1:
            self.flag(n, "payer", _("%(count)s owners in one cell, split: %(names)s.") % {"count": len(payers), "names": "、".join(payers)})  # fmt: skip
        self._flag_placeholders(n, v)
        self.plan.rows.append(
            HistoryRow(
                row=n, unit=unit, fee_item=fee_item, period_start=period[0],
                period_end=period[1], amount=amount, paid=paid, paid_on=paid_on, method=method,
                cashier_name=cashier_name, cashier_id=self.cashiers.get(cashier_name),
                payer="、".join(payers)[:100],
            )
        )  # fmt: skip

    def _unit(self, n, value) -> Unit | None:
        text = cell_text(value)
        if not text:
            self.error(n, "unit", _("Unit is required."), "required")
            return None
        for code in unit_code_candidates(text):
            if code in self.units:
                return self.units[code]
        self.error(n, "unit", _("There is no unit %(unit)s on this site.") % {"unit": text}, "unknown_unit")  # fmt: skip
        return None

    def _fee_item(self, n, value) -> FeeItem | None:
        text = cell_text(value)
        item = self.items.get(text.lower())
        if not text:
            self.error(n, "fee_item", _("Fee item is required."), "required")
        elif item is None:
            self.error(n, "fee_item", _("There is no fee item %(item)s on this site; set it up first.") % {"item": text}, "unknown_fee_item")  # fmt: skip
        elif item.kind == FeeItem.Kind.DEPOSIT:
            self.error(n, "fee_item", _("Deposits are not imported as bills."), "deposit")
            item = None
        return item

    def _period(self, n, value) -> tuple[datetime.date, datetime.date] | None:
        try:
            start, end = parse_period(value)
        except (ValueError, TypeError):
            self.error(n, "period", _("Write the period like 2024-03 or 2024-01至2024-03."), "invalid_period")  # fmt: skip
            return None
        if start > self.today:
            self.error(n, "period", _("The period is in the future."), "future")
            return None
        return start, end

    def _amount(self, n, value) -> Decimal | None:
        try:
            amount = _money(value)
        except ValueError:
            self.error(n, "amount", _("Enter an amount in yuan, like 80.00."), "invalid")
            return None
        if amount is None:
            self.error(n, "amount", _("The amount due is required."), "required")
        elif amount <= 0:
            self.error(n, "amount", _("The amount due must be more than zero."), "not_positive")
        elif amount != amount.quantize(CENT):
            self.error(n, "amount", _("An amount has at most two decimals (fen)."), "too_precise")
        else:
            return amount.quantize(CENT)
        return None

    def _paid(self, n, paid_value, paid_on_value, amount) -> tuple[Decimal, datetime.date | None]:
        try:
            paid = _money(paid_value)
        except ValueError:
            self.error(n, "paid", _("Enter an amount in yuan, like 80.00."), "invalid")
            return Decimal(0), None
        try:
            paid_on = cell_date(paid_on_value)
        except ValueError:
            self.error(n, "paid_on", _("Write the date like 2024-03-15."), "invalid_date")
            return Decimal(0), None
        if paid is None:
            paid = amount if paid_on is not None and amount is not None else Decimal(0)
        if paid < 0 or paid != paid.quantize(CENT):
            self.error(n, "paid", _("The amount paid must be zero or more, in yuan and fen."), "invalid")  # fmt: skip
        elif amount is not None and paid > amount:
            self.error(n, "paid", _("More was paid than was due; import the surplus as prepaid credit at the counter instead."), "more_than_due")  # fmt: skip
        elif paid and paid_on is None:
            self.error(n, "paid_on", _("Give the date it was paid."), "required")
        elif paid_on is not None and paid_on > self.today:
            self.error(n, "paid_on", _("The date is in the future."), "future")
        return paid.quantize(CENT), (paid_on if paid else None)

    def _method(self, n, value) -> str:
        text = cell_text(value).lower()
        if not text:
            return Payment.Method.CASH
        if text not in METHODS:
            self.error(n, "method", _("Method must be one of: %(methods)s.") % {"methods": "、".join(k for k in METHODS if not k.isascii())}, "invalid_method")  # fmt: skip
            return ""
        return METHODS[text]

    def _flag_placeholders(self, n, v) -> None:
        for phone in split_cell(v.get("phone")):
            if is_placeholder_phone(phone):
                self.flag(n, "phone", _("Phone %(phone)s is a placeholder; clean it in the people register.") % {"phone": mask(phone)})  # fmt: skip
        for number in split_cell(v.get("id_number")):
            if is_placeholder_id(number):
                self.flag(n, "id_number", _("ID number %(number)s is a placeholder; clean it in the people register.") % {"number": mask(number)})  # fmt: skip


def history_template() -> bytes:
    """An empty sheet with the columns, and two example rows a finance clerk replaces; the
    amounts are numbers in the money format (¥1,234.50), as the exports write them."""
    heads = [column_label(name) for name in HISTORY_COLUMNS]
    examples = [
        [
            "1-0101",
            "物业管理费",
            "2024-01至2024-03",
            Decimal("268.50"),
            Decimal("268.50"),
            "2024-01-10",
            "张会计",
            "现金",
            "张三、李四",
            "13812345678",
            "",
        ],  # fmt: skip
        ["1-0102", "物业管理费", "2024年3月", Decimal("96.05"), "", "", "", "", "王五", "", ""],
    ]
    amount, paid = list(HISTORY_COLUMNS).index("amount"), list(HISTORY_COLUMNS).index("paid")
    return build_workbook(_("Past bills"), heads, examples, money=[amount, paid])
