"""`wuye recount_collections [--site CODE] [--fix]`: each bill line's ledger figures (paid,
relief, so its open amount) recounted from its allocations, refunds and relief entries, and the
collection figures recounted from the ledger, cell by cell; prints where they differ (exit
status 1), and with `--fix` sets those lines to their recount and rebuilds those sites'
figures (docs/ledger.md)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from wuye.billing import figures
from wuye.core.models import Site
from wuye.ledger import services as receivables


class Command(BaseCommand):
    help = "Compare the collection figures with the ledger; --fix rebuilds where they differ."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="site code (default: every site)")
        parser.add_argument("--fix", action="store_true", help="rebuild what differs")

    def handle(self, *args, site=None, fix=False, **options):
        sites = Site.objects.order_by("code")
        if site:
            sites = sites.filter(code=site)
            if not sites.exists():
                raise CommandError(f"no site with the code {site!r}")
        differing: set[str] = set()  # the codes of sites with anything differing
        for one in sites:
            lines = receivables.differences(one)
            if lines:
                differing.add(one.code)
                self.stdout.write(f"{one.code}: {len(lines)} lines' open amounts differ from the recount")  # fmt: skip
                for entry in lines[:50]:
                    self.stdout.write(
                        f"  line {entry['line']}: paid/relief stored {_money(entry['stored'])},"
                        f" recounted {_money(entry['recounted'])}"
                    )
                if fix:
                    fixed = receivables.recount(one)
                    self.stdout.write(f"{one.code}: {fixed} lines set to their recount")
            found = figures.differences(one)
            if not found:
                self.stdout.write(f"{one.code}: figures agree with the ledger")
                continue
            differing.add(one.code)
            self.stdout.write(f"{one.code}: {len(found)} figures differ from the ledger")
            for entry in found:
                cell = " ".join(str(part) for part in entry["cell"][1:])
                self.stdout.write(
                    f"  {entry['figure']} {cell}: stored {_money(entry['stored'])},"
                    f" ledger {_money(entry['ledger'])}"
                )
            if fix:
                figures.rebuild_figures(site=one)
                self.stdout.write(f"{one.code}: figures rebuilt from the ledger")
        if differing:
            done = "fixed" if fix else "differ"
            self.stdout.write(f"{len(differing)} of {len(sites)} sites {done}: {', '.join(sorted(differing))}")  # fmt: skip
        if differing and not fix:
            sys.exit(1)


def _money(values: tuple) -> str:
    return "/".join(str(v) for v in values) if values else "none"
