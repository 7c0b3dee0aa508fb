"""The collection-rate page's charts read cleanly on a desktop (1366 px) and a phone (390 px):
no two labels of a chart overlap and every label stays inside the chart's card. A year billed
month by month (twelve bars, rates from none to all) and a December paid four ways — two of
them slices of under 2 % side by side, one with the longest method name — give the charts the
labels that used to collide; a month with no money gives the income chart its empty state."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wuye.billing import bill_runs, payments, refunds, services
from wuye.billing.models import FeeItem
from wuye.core import clock
from wuye.ledger.models import BillLine

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ("#rate-chart", "#income-chart")

# Every visible SVG text of each chart, with its box and its card's (the enclosing panel).
LABEL_BOXES = """(selectors) => selectors.map((selector) => {
  const chart = document.querySelector(selector);
  const box = (el) => { const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; };
  const shown = (el) => {
    for (let node = el; node && node !== chart; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === "none" || style.visibility === "hidden" || +style.opacity === 0
          || +style.fillOpacity === 0) return false;
    }
    const r = el.getBoundingClientRect();
    return el.textContent.trim() !== "" && r.width > 0 && r.height > 0;
  };
  const labels = [...chart.querySelectorAll("svg text")].filter(shown)
    .map((el) => ({ text: el.textContent, ...box(el) }));
  return { selector, card: box(chart.closest(".panel")), labels };
})"""

TOLERANCE = 1  # px


def overlap(a: dict, b: dict) -> bool:
    wide = min(a["right"], b["right"]) - max(a["left"], b["left"])
    high = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return wide > TOLERANCE and high > TOLERANCE


def inside(label: dict, card: dict) -> bool:
    return (
        label["left"] >= card["left"] - TOLERANCE
        and label["right"] <= card["right"] + TOLERANCE
        and label["top"] >= card["top"] - TOLERANCE
        and label["bottom"] <= card["bottom"] + TOLERANCE
    )


def collisions(chart: dict) -> list[str]:
    labels = chart["labels"]
    found = [
        f"{a['text']!r} overlaps {b['text']!r}"
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if overlap(a, b)
    ]
    found += [f"{x['text']!r} leaves the card" for x in labels if not inside(x, chart["card"])]
    return found


SHANGHAI = ZoneInfo("Asia/Shanghai")

# Of the billed units, how many paid their month's line within the month: 100 % down to none.
PAID_IN_MONTH = (6, 5, 4, 3, 6, 2, 1, 5, 6, 0, 4, 3)


@pytest.fixture
def paid_year(estate, fee_item, finance):
    """Last year billed ¥10,000 a unit a month, January to December, each month's line paid
    within the month by `PAID_IN_MONTH` of the units (in cash); December's money came four
    ways: cash ¥10,000, QR code ¥9,000, transfer ¥300 and card ¥123.45 (1.6 % and 0.6 %: two
    thin slices side by side, where their labels were drawn over each other). Returns
    December."""
    sup, cashier = finance["sup"].user, finance["cashier"].user
    year = timezone.localdate().year - 1
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费", is_prepaid=True, due_day=1)
    services.set_rate(fee_item=item, actor=sup, amount="10000", valid_from=datetime.date(year - 1, 12, 1))  # fmt: skip
    site = item.site
    for number, paying in enumerate(PAID_IN_MONTH, start=1):
        month = datetime.date(year, number, 1)
        with clock.as_of(datetime.datetime(year, number, 2, 9, tzinfo=SHANGHAI)):
            bill_runs.run_bills(site=site, actor=sup, month=month)
        lines = list(
            BillLine.objects.filter(fee_item=item, period_start=month).order_by("unit__code")
        )
        assert len(lines) >= 6
        with clock.as_of(datetime.datetime(year, number, 15, 10, tzinfo=SHANGHAI)):
            if number < 12:
                ways = [("cash", line.amount) for line in lines[:paying]]
            else:
                ways = [("cash", "10000"), ("qr", "9000"), ("transfer", "300"), ("card", "123.45")]
            for line, (method, amount) in zip(lines, ways, strict=False):
                payments.take_payment(site=site, actor=cashier, unit=line.unit, method=method, amount=amount, lines=[line.pk])  # fmt: skip
    return datetime.date(year, 12, 1)


DRAWN = """(selectors) => selectors.every((s) => {
  const chart = document.querySelector(s);
  return chart.dataset.drawn === String(chart.clientWidth);
})"""


def wait_until_drawn(page) -> None:
    """Until every chart has finished drawing the layout for its box's present width."""
    page.wait_for_function(DRAWN, arg=list(CHARTS), timeout=10_000)


def label_texts(page) -> tuple[dict, dict]:
    charts = {chart["selector"]: chart for chart in page.evaluate(LABEL_BOXES, list(CHARTS))}
    return charts, {s: {x["text"] for x in chart["labels"]} for s, chart in charts.items()}


def assert_charts_read_cleanly(page, name: str, words: dict) -> None:
    charts, texts = label_texts(page)
    months = {f"{number:02d}" for number in range(1, 13)}
    assert {*words["rate"], *months} <= texts["#rate-chart"], name
    assert texts["#income-chart"] == {*words["income"], *AMOUNTS}, name
    for selector, chart in charts.items():
        assert collisions(chart) == [], f"{name} {selector}"


# A legend line a method: its name, then its amount and share (of ¥19,423.45).
CHINESE = {
    "rate": ["收缴率（%）", "目标（%）"],
    "income": ["现金", "银行转账", "刷卡", "扫码（微信 / 支付宝）"],
}
ENGLISH = {
    "rate": ["Rate (%)", "Target (%)"],
    "income": ["cash", "bank transfer", "card", "QR code (WeChat / Alipay)"],
}
AMOUNTS = ["¥10,000.00 · 51.5%", "¥300.00 · 1.6%", "¥123.45 · 0.6%", "¥9,000.00 · 46.3%"]
WIDTHS = (("desktop", (1366, 860)), ("phone", (390, 844)))


def in_english(page) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base}])


def test_every_chart_of_the_collection_rate_page_keeps_its_labels_apart_and_on_its_card(
    desktop, phone, finance, paid_year
):
    """In Chinese, checked twice at each width: after the window is resized to it (the charts
    lay themselves out again for their boxes' new width) and when the page is opened at it;
    then in English, opened at each width."""
    url = f"/billing/collection-rate/?kind=month&period={paid_year:%Y-%m}"
    pages = {"desktop": desktop, "phone": phone}
    desktop.set_viewport_size({"width": 1024, "height": 768})
    phone.set_viewport_size({"width": 844, "height": 390})  # opened in landscape, then turned
    for name, (width, height) in WIDTHS:
        page = pages[name]
        sign_in(page, finance["sup"].user.username)
        page.goto(page.base + url)
        wait_until_drawn(page)
        page.set_viewport_size({"width": width, "height": height})
        wait_until_drawn(page)
        screenshot(page, f"{name}-collection-charts-resized")
        assert_charts_read_cleanly(page, f"{name} resized to {width}", CHINESE)
        page.goto(page.base + url)
        wait_until_drawn(page)
        screenshot(page, f"{name}-collection-charts")
        assert_charts_read_cleanly(page, f"{name} opened at {width}", CHINESE)
    for name, (width, _height) in WIDTHS:
        page = pages[name]
        in_english(page)
        page.goto(page.base + url)
        wait_until_drawn(page)
        screenshot(page, f"{name}-collection-charts-en")
        assert_charts_read_cleanly(page, f"{name} in English at {width}", ENGLISH)


def test_with_no_money_in_the_period_the_income_chart_says_so(desktop, phone, finance, estate):
    """Nothing billed, taken or refunded: the income chart says there was no money, inside its
    card, rather than drawing an empty box, and so does the rate chart of a year with nothing
    due."""
    url = "/billing/collection-rate/"
    for page, name, (width, height) in ((desktop, *WIDTHS[0]), (phone, *WIDTHS[1])):
        page.set_viewport_size({"width": width, "height": height})
        sign_in(page, finance["sup"].user.username)
        page.goto(page.base + url)
        wait_until_drawn(page)
        screenshot(page, f"{name}-collection-charts-empty")
        charts, texts = label_texts(page)
        assert texts["#income-chart"] == {"没有收款或退款。"}, name
        assert texts["#rate-chart"] == {"没有应收或实收。"}, name
        for selector, chart in charts.items():
            assert collisions(chart) == [], f"{name} {selector}"


def test_a_method_that_paid_back_more_than_it_took_keeps_its_legend_line_without_a_share(
    desktop, phone, finance, estate, fee_item
):
    """This month cash took ¥10,000 and transfer ¥300, and ¥500 went back by transfer: the
    donut is all cash; transfer's legend line shows its -¥200.00 and no share."""
    sup, cashier = finance["sup"].user, finance["cashier"].user
    this_month = timezone.localdate().replace(day=1)
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费", is_prepaid=True, due_day=1)
    services.set_rate(fee_item=item, actor=sup, amount="10000", valid_from=this_month)
    bill_runs.run_bills(site=item.site, actor=sup, month=this_month)
    first, second = BillLine.objects.filter(fee_item=item).order_by("unit__code")[:2]
    for line, method, amount in ((first, "cash", "10000"), (second, "transfer", "300")):
        payments.take_payment(site=item.site, actor=cashier, unit=line.unit, method=method, amount=amount, lines=[line.pk])  # fmt: skip
    refunds.refund(site=item.site, actor=finance["head"].user, unit=first.unit, source="line", bill_line=first, amount="500", method="transfer", reason="多收退还")  # fmt: skip
    for page, name, (width, height) in ((desktop, *WIDTHS[0]), (phone, *WIDTHS[1])):
        page.set_viewport_size({"width": width, "height": height})
        sign_in(page, sup.username)
        page.goto(page.base + "/billing/collection-rate/")
        wait_until_drawn(page)
        screenshot(page, f"{name}-collection-charts-paid-back")
        charts, texts = label_texts(page)
        assert texts["#income-chart"] == {"现金", "¥10,000.00 · 100%", "银行转账", "-¥200.00"}, name
        for selector, chart in charts.items():
            assert collisions(chart) == [], f"{name} {selector}"
