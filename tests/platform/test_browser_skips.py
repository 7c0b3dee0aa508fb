"""A machine without Chromium runs the suite with the browser tests skipped and says so; CI,
which sets WUYE_REQUIRE_BROWSER, fails instead of passing without them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_browser_tests(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "WUYE_REQUIRE_BROWSER"}
    environment.update(WUYE_CHROMIUM="/nonexistent/chromium", **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/browser/test_people.py", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_without_chromium_the_run_passes_and_says_how_many_browser_tests_did_not_run():
    run = _run_browser_tests()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "browser tests skipped" in run.stdout
    assert "browser test(s) did not run: /nonexistent/chromium is not installed" in run.stdout


def test_where_browser_tests_are_required_a_skipped_one_fails_the_run():
    run = _run_browser_tests(WUYE_REQUIRE_BROWSER="1")
    assert run.returncode != 0
    assert "a skipped browser test fails this run" in run.stdout
