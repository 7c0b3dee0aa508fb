"""Running work at the same moment on several real database connections."""

import threading

import pytest
from django.db import connection


def at_once(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; returns results and errors."""
    outcomes: list = []
    barrier = threading.Barrier(count)

    def run(i):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            outcomes.append(work(i))
        except Exception as exc:  # noqa: BLE001 - the test inspects them
            outcomes.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections: runs on PostgreSQL")
