"""CI: every `wuye bench` at a small scale on the configured database, its JSON line checked.

    uv run python scripts/check_benches.py [--scale 0.01]

Each benchmark runs as the README shows it (`wuye bench <name> --scale S`), in its own
throwaway database. Its one line of stdout must be JSON holding the fields the docs name
(docs/development.md, Benchmarks; each benchmark's own doc says what they mean); the results that are facts rather than speeds must hold at any scale
(the figures equal the recount, one of twenty payments of one line succeeds). Speeds are
printed beside their targets but never fail the run: a shared CI machine times nothing
reliably, and the targets are for the full-scale runs given in the closing notes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

FIELDS = {
    "billing": ["units", "lines", "bill_run_s", "baseline_s", "ratio", "statement_ms"],
    "collections": [
        "sites", "units", "report_ms", "recount_ms", "ratio", "figures_equal", "aging_ms",
        "aging_baseline_ms", "aging_over_baseline", "late_fee_job_s", "late_fee_first_s",
    ],
    "customers": ["import_rows", "import_s", "openpyxl_read_s", "import_over_read", "search_ms"],
    "payments": [
        "payments", "queries_per_payment", "payments_per_s", "queries_per_payment_api",
        "concurrent_payments_per_s", "concurrent_speedup", "concurrent_one_line_successes",
        "concurrent_one_line_refusals",
    ],
    "servicedesk": ["pages", "worst_ratio", "tickets"],
}  # fmt: skip

# The facts: (benchmark, field, expected value).
FACTS = [
    ("collections", "figures_equal", True),
    ("payments", "concurrent_one_line_successes", 1),
]

# The speeds the issue sets, shown beside what this run measured: (benchmark, field, bound).
TARGETS = [
    ("billing", "ratio", "≤ 1.1"),
    ("collections", "aging_over_baseline", "≤ 3"),
    ("collections", "ratio", "≥ 50"),
    ("collections", "late_fee_job_s", "≤ 1"),
    ("customers", "import_over_read", "≤ 2"),
    ("payments", "queries_per_payment", "≤ 6"),
    ("payments", "concurrent_speedup", "≥ 1.5"),
]


def problems(name: str, result: dict) -> list[str]:
    """What is wrong with a benchmark's result: missing fields, facts that don't hold."""
    found = [f"{name}: no field {field}" for field in FIELDS[name] if field not in result]
    for bench, field, expected in FACTS:
        if bench == name and field in result and result[field] != expected:
            found.append(f"{name}: {field} is {result[field]!r}, must be {expected!r}")
    return found


def run(name: str, scale: float) -> dict:
    command = [sys.executable, "-m", "wuye.manage", "bench", name, "--scale", str(scale)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    spent = time.monotonic() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"wuye bench {name} failed ({done.returncode}) after {spent:.0f}s")
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    try:
        result = json.loads(line)
    except json.JSONDecodeError:
        raise SystemExit(
            f"wuye bench {name} printed no JSON line: {done.stdout[-400:]!r}"
        ) from None
    print(f"bench {name} ({spent:.0f}s): {line}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("names", nargs="*", default=sorted(FIELDS))
    args = parser.parse_args()
    results = {name: run(name, args.scale) for name in args.names}
    for bench, field, bound in TARGETS:
        if bench in results:
            print(f"  {bench}.{field} = {results[bench].get(field)} (target {bound} at full scale)")
    found = [p for name, result in results.items() for p in problems(name, result)]
    if found:
        raise SystemExit("\n".join(found))
    print(f"benchmarks checked: {', '.join(results)}")


if __name__ == "__main__":
    main()
