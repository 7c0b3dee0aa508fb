"""`wuye bench <name>`: a benchmark, in a throwaway database, printing one JSON line.

The database is a fresh test database of the configured backend (a temporary SQLite file by
default, `test_<name>` on PostgreSQL), created, migrated and dropped around the run, so a
benchmark never touches real data. Progress goes to stderr; stdout carries only the JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from importlib import import_module
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

BENCHMARKS = {
    "billing": "wuye.billing.bench",
    "collections": "wuye.billing.collection_bench",
    "customers": "wuye.people.bench",
    "payments": "wuye.billing.payment_bench",
    "servicedesk": "wuye.servicedesk.bench",
}


class Command(BaseCommand):
    help = "Run a benchmark in a throwaway database and print one JSON line."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(BENCHMARKS))
        parser.add_argument("--scale", type=float, default=1.0, help="shrink or grow the data")
        parser.add_argument("--units", type=int, help="billing: the number of units")
        parser.add_argument("--payments", type=int, help="payments: how many (1,000 by default)")

    def handle(self, *args, name: str, scale: float, units: int | None = None,
               payments: int | None = None, **options):  # fmt: skip
        if scale <= 0:
            raise CommandError("--scale must be positive")
        module = import_module(BENCHMARKS[name])
        started = time.monotonic()

        def report(message: str) -> None:
            sys.stderr.write(f"[{time.monotonic() - started:7.1f}s] {message}\n")

        with tempfile.TemporaryDirectory() as folder:
            if connection.vendor == "sqlite":
                connection.settings_dict["TEST"]["NAME"] = str(Path(folder) / "bench.sqlite3")
            old_name = connection.settings_dict["NAME"]
            report("creating the benchmark database")
            connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
            try:
                extra = {"units": units} if units else {}
                if payments:
                    extra["payments"] = payments
                result = module.bench(scale=scale, report=report, **extra)
            finally:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        self.stdout.write(json.dumps(result))
