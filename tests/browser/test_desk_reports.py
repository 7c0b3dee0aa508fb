"""The desk's statistics (complaint events with their people and contacts, R-CMP-07) and the help
register's archive (R-HLP-06) read cleanly at a desktop and a phone width."""

import datetime

import pytest
import time_machine

from wuye.servicedesk import complaints, services
from wuye.servicedesk.archive import archive_help_register
from wuye.servicedesk.models import Kind
from wuye.servicedesk.tests.conftest import new_ticket  # noqa: F401

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def desk_year(new_ticket, team):  # noqa: F811
    """Help requests of last year (archived), and this year's complaints: one event of two
    people calling three times, and a single complaint."""
    clerk = team["clerk"].user
    last_year = datetime.datetime.now(SHANGHAI).year - 1
    with time_machine.travel(datetime.datetime(last_year, 6, 10, 9, tzinfo=SHANGHAI), tick=False):
        for subject in ("老人摔倒求助", "钥匙锁在屋内", "寻找走失的猫"):
            ticket = new_ticket(kind=Kind.HELP, help_kind="other", subject=subject)
            services.answer_ticket(ticket=ticket, actor=clerk, answer="已协助", complete=True)
            services.record_callback(ticket=ticket, actor=clerk, satisfied=True)
    first = new_ticket(kind=Kind.COMPLAINT, subject="3栋门口垃圾无人清理")
    for name, phone in (("李四", "13998765432"), ("张三", "13812345678")):
        again = new_ticket(kind=Kind.COMPLAINT, subject="3栋垃圾", caller_name=name,
                           caller_phone=phone)  # fmt: skip
        complaints.link_complaint(ticket=again, actor=clerk, to=first, reach="整栋楼")
    new_ticket(kind=Kind.COMPLAINT, subject="夜间施工噪音", caller_phone="13700001111")
    archive_help_register(site=first.site, year=last_year)
    return last_year


@pytest.mark.parametrize("width", [1366, 390])
def test_the_statistics_and_the_help_archive_read_cleanly(browser, live_server, team, desk_year, width):  # fmt: skip
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN",
                                  is_mobile=width < 600, has_touch=width < 600)  # fmt: skip
    page = context.new_page()
    page.base = live_server.url
    sign_in(page, team["pm"].user.username)
    page.goto(page.base + "/desk/statistics/")
    events = page.locator("table", has_text="整栋楼")
    assert events.count() >= 1 and events.first.is_visible()
    assert _fits(page), "the statistics page scrolls sideways"
    screenshot(page, f"desk-statistics-{width}")
    page.goto(page.base + f"/desk/help-archive/{desk_year}/?q=钥匙")
    assert page.get_by_text("钥匙锁在屋内").first.is_visible()
    assert page.get_by_text("老人摔倒求助").count() == 0
    assert _fits(page), "the help archive scrolls sideways"
    screenshot(page, f"desk-help-archive-{width}")
    context.close()
