"""`wuye bench payments [--payments N]`: cashiers of one site taking payments, one after another
and at once (docs/billing.md, Payments at once).

Builds a site of 2N + 2 units (set-based, as `bench billing` does) billed ¥100 each for one
month by a bill run, so every unit has one open line, and eight cashiers of the site. Then:

- `payments` (N, 1,000 by default) single-line cash payments through the cashier's service
  `payments.take_payment`, one after another, each by a cashier read afresh (as a request would
  have it): `queries_per_payment` (the average, by Django's `CaptureQueriesContext`) and
  `payments_per_s`;
- the same number of payments on the next N units by the eight cashiers at once, eight
  processes each on its own connection (as a server's workers): `concurrent_payments_per_s`,
  and `concurrent_speedup`
  (that rate over the serial one: how far payments of one site don't wait for each other);
- 20 payments at once of one line, each for its full ¥100: `concurrent_one_line_successes`
  (must be 1) and what the others were told, by error code (`concurrent_one_line_refusals`:
  all `nothing_open`, never a database error);
- one payment through the API (`POST /api/v1/billing/payments` with the test client, signed in
  as a cashier): `queries_per_payment_api`, the whole request.

The concurrent parts need PostgreSQL's real concurrent connections; on SQLite they are left out
and `concurrency` says so. Prints one JSON line.
"""

from __future__ import annotations

import datetime
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wuye.core.models import Company, Site, SiteMembership
from wuye.estate.models import Unit
from wuye.ledger.models import BillLine

from . import bill_runs, payments, services
from .bench import build_units
from .models import FeeItem, Payment

MONTH = datetime.date(2026, 11, 1)
PAYMENTS = 1_000
CASHIERS = 8
ONE_LINE_AT_ONCE = 20


def _cashiers(site: Site, count: int) -> list:
    role = Group.objects.get(name="cashier")
    users = []
    for n in range(count):
        user = get_user_model().objects.create_user(f"bench-cashier-{n}", password="bench-2026")
        user.groups.add(role)
        SiteMembership.objects.create(user=user, site=site, is_default=True)
        users.append(user)
    return users


def _fresh(user):
    """The user as a request reads it: no permissions cached yet (and no query to make it)."""
    fields = [f.attname for f in user._meta.concrete_fields]
    return type(user).from_db("default", fields, [getattr(user, f) for f in fields])


def _pay(site: Site, cashier, unit: Unit, line_id: int):
    return payments.take_payment(site=site, actor=_fresh(cashier), unit=unit, method="cash",
                                 amount="100", tendered="100", lines=[line_id])  # fmt: skip


def _at_once(count: int, work: Callable[[int], object]) -> tuple[list, float]:
    """`work(i)` in `count` processes released together — as a production server's workers
    take requests, each with its own interpreter and its own connection — and the outcomes
    (each result's `_outcome`) with the seconds from their release to the last one's end.

    Threads would share one interpreter lock, and the benchmark would measure that rather
    than whether payments of one site wait for each other in the database. The processes are
    forked from this one, so they work in the benchmark's database; the parent's connection is
    closed first so that no child shares its socket."""
    context = multiprocessing.get_context("fork")
    released = context.Barrier(count + 1)
    results = context.Queue()
    connections.close_all()

    def run(i: int) -> None:
        released.wait()
        try:
            outcome = _outcome(work(i))
        except Exception as exc:  # noqa: BLE001 - told to the parent, which counts it
            outcome = _outcome(exc)
        finally:
            connections.close_all()
        results.put((i, outcome, time.perf_counter()))

    children = [context.Process(target=run, args=(i,)) for i in range(count)]
    for child in children:
        child.start()
    released.wait()
    started = time.perf_counter()  # perf_counter is the machine's monotonic clock: shared
    outcomes: list = [None] * count
    finished = started
    for _ in range(count):
        i, outcome, ended = results.get()
        outcomes[i], finished = outcome, max(finished, ended)
    for child in children:
        child.join()
    return outcomes, finished - started


def _outcome(result) -> object:
    """What a child tells the parent: a count as it is, a payment as "paid", a refusal as its
    error codes, any other failure as its type and message."""
    if isinstance(result, int):
        return result
    if isinstance(result, Payment):
        return "paid"
    if isinstance(result, ValidationError):
        return ",".join(sorted({e.code for errors in result.error_dict.values() for e in errors}))
    return f"{type(result).__name__}: {result}"


def run(*, count: int = PAYMENTS, report: Callable[[str], None] = lambda m: None) -> dict:
    concurrent = connection.vendor == "postgresql"
    user = get_user_model().objects.create_superuser("bench", password="bench-2026")
    company = Company.objects.create(name="基准物业")
    site = Site.objects.create(company=company, code="bench", name="基准小区")
    build_units(site, 2 * count + 2)
    item = services.save_fee_item(site=site, actor=user, code="mgmt", name="物业管理费",
                                  method=FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.MANAGEMENT)  # fmt: skip
    services.set_rate(fee_item=item, actor=user, amount="100", valid_from=MONTH.replace(month=1))
    bill_runs.run_bills(site=site, actor=user, month=MONTH)
    if concurrent:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    cashiers = _cashiers(site, CASHIERS)
    units = list(Unit.objects.of_site(site).order_by("pk"))
    line_of = dict(BillLine.objects.filter(site=site).values_list("unit_id", "pk"))
    report(f"{len(units):,} units with a line each; {count:,} payments one after another")

    queries, started = 0, time.perf_counter()
    for unit in units[:count]:
        connection.queries_log.clear()  # the log keeps the last 9,000: counted afresh each time
        with CaptureQueriesContext(connection) as captured:
            _pay(site, cashiers[0], unit, line_of[unit.pk])
        queries += len(captured)
    serial_s = time.perf_counter() - started
    result = {
        "payments": count,
        "queries_per_payment": round(queries / count, 2),
        "payments_per_s": round(count / serial_s, 1),
    }

    api_unit = units[-1]
    client = Client()
    client.force_login(cashiers[0])
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        answer = client.post("/api/v1/billing/payments", {"unit": api_unit.pk, "method": "cash",
                             "amount": "100", "lines": [line_of[api_unit.pk]]},
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY="bench-api")  # fmt: skip
    if answer.status_code != 201:
        raise RuntimeError(f"the API payment answered {answer.status_code}: {answer.content!r}")
    result["queries_per_payment_api"] = len(captured)

    if not concurrent:
        result["concurrency"] = "concurrency needs PostgreSQL"
        return result
    report(f"{count:,} payments by {CASHIERS} cashiers at once")
    share = units[count : 2 * count]

    def cashier_round(i: int) -> int:
        mine = share[i::CASHIERS]
        for unit in mine:
            _pay(site, cashiers[i], unit, line_of[unit.pk])
        return len(mine)

    outcomes, concurrent_s = _at_once(CASHIERS, cashier_round)
    failed = [o for o in outcomes if not isinstance(o, int)]
    if failed:
        raise RuntimeError(f"payments at once failed: {failed}")
    result["concurrent_payments_per_s"] = round(count / concurrent_s, 1)
    result["concurrent_speedup"] = round(result["concurrent_payments_per_s"] / result["payments_per_s"], 2)  # fmt: skip

    report(f"{ONE_LINE_AT_ONCE} payments of one line at once")
    one = units[2 * count]
    outcomes, _s = _at_once(
        ONE_LINE_AT_ONCE, lambda i: _pay(site, cashiers[i % CASHIERS], one, line_of[one.pk])
    )
    result["concurrent_one_line_successes"] = outcomes.count("paid")
    result["concurrent_one_line_refusals"] = dict(Counter(o for o in outcomes if o != "paid"))
    return result


def bench(*, scale: float, report: Callable[[str], None], payments: int | None = None, **_) -> dict:
    return run(count=payments or max(8, int(PAYMENTS * scale)), report=report)
