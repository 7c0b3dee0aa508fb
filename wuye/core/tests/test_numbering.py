import threading

import pytest
from django.db import connection, transaction

from wuye.core.models import DocumentSequence
from wuye.core.numbering import (
    format_document_number,
    next_document_number,
    next_document_numbers,
)


def test_numbers_run_from_one_per_site_kind_and_year(site_a, site_b):
    with transaction.atomic():
        taken = [next_document_number(site=site_a, kind="receipt", year=2026) for _ in range(3)]
        other_site = next_document_number(site=site_b, kind="receipt", year=2026)
        other_year = next_document_number(site=site_a, kind="receipt", year=2027)
    assert taken == [1, 2, 3]
    assert other_site == 1
    assert other_year == 1


def test_a_number_taken_in_a_rolled_back_transaction_is_given_again(site_a):
    with transaction.atomic():
        assert next_document_number(site=site_a, kind="receipt", year=2026) == 1
    try:
        with transaction.atomic():
            assert next_document_number(site=site_a, kind="receipt", year=2026) == 2
            raise RuntimeError("payment failed")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert next_document_number(site=site_a, kind="receipt", year=2026) == 2


@pytest.mark.django_db(transaction=True)
def test_taking_a_number_outside_a_transaction_is_refused(site_a):
    with pytest.raises(RuntimeError):
        next_document_number(site=site_a, kind="receipt", year=2026)


def test_document_numbers_are_formatted_with_site_and_year(site_a):
    assert format_document_number("SJ", site_a, 2026, 42) == "SJA-2026-000042"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_get_unique_gap_free_numbers(site_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections: runs on PostgreSQL")
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def take():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            for _ in range(10):
                with transaction.atomic():
                    results.append(next_document_number(site=site_a, kind="receipt", year=2026))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == list(range(1, 81))
    assert DocumentSequence.objects.get(site=site_a, kind="receipt", year=2026).last_number == 80


def test_a_block_of_numbers_is_taken_at_once_and_the_next_single_number_follows_it(site_a):
    with transaction.atomic():
        assert next_document_number(site=site_a, kind="receipt", year=2026) == 1
        block = next_document_numbers(site=site_a, kind="receipt", year=2026, count=500)
        first_of_year = next_document_numbers(site=site_a, kind="receipt", year=2027, count=3)
        after = next_document_number(site=site_a, kind="receipt", year=2026)
    assert (block.start, block.stop) == (2, 502)
    assert list(first_of_year) == [1, 2, 3]
    assert after == 502
