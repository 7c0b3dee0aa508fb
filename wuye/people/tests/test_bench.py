"""The customers benchmark runs end to end on a small site and reports what the issue asks."""

import json
import os
import subprocess
import sys

from wuye.people import bench


def test_the_benchmark_builds_imports_and_searches_a_small_site(db):
    result = bench.run(units=250, people=600, import_rows=300)
    assert set(result) == {
        "units", "people", "import_rows", "import_s", "openpyxl_read_s", "import_over_read",
        "search_ms",
    }  # fmt: skip
    assert result["units"] == 250
    assert result["import_over_read"] > 0  # the import against the bare read of its file
    assert result["import_rows"] == 300
    # Half the imported owners were already registered: only the other half are new people.
    assert result["people"] == 600 + 150


def test_the_bench_command_prints_one_json_line(tmp_path):
    """Run as a user would, in its own process (it makes and drops its own database)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["WUYE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "wuye.manage", "bench", "customers", "--scale", "0.05"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["units"] == 250
    assert "importing" in done.stderr, "progress goes to stderr"
