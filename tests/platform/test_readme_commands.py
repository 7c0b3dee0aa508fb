"""Every `uv run …` command the README shows works as written: run in README order, each in its
own process (`python -m wuye.manage`, what `uv run wuye` runs), against a fresh SQLite database
in a temporary folder that the README's own `migrate` and `load_demo` build. The files the
imports read are made here, laid out as the import templates; the benchmarks run at a tiny
scale. Commands that cannot run in a test are skipped by design, each with its reason."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from wuye.core.spreadsheets import build_workbook
from wuye.estate.workbooks import UNIT_COLUMNS
from wuye.pastbills.rows import HISTORY_COLUMNS
from wuye.people.workbooks import PEOPLE_COLUMNS
from wuye.workbench.demo_data import id_check_digit

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

# The commands run against their own SQLite database whatever the suite's database is, so the
# PostgreSQL run of the suite leaves them to the SQLite run rather than run them twice.
pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the README's commands run once, in the suite's SQLite run",
)

# The words after `uv run` that start a command this test does not run, and why.
SKIPPED_BY_DESIGN = {
    "wuye createsuperuser": "interactive: asks for a name and a password at the terminal",
    "wuye serve": "a web server: runs until it is stopped",
    "celery -A wuye worker": "needs a broker (WUYE_BROKER_URL) and runs until it is stopped",
    "celery -A wuye beat": "needs a broker (WUYE_BROKER_URL) and runs until it is stopped",
}
# Benchmarks at a tiny scale: the options replacing the README's sizes.
TINY = {
    "customers": ["--scale", "0.05"],
    "servicedesk": ["--scale", "0.001"],
    "billing": ["--units", "200"],
    "collections": ["--scale", "0.002"],
    "payments": ["--payments", "16"],
}


def readme_commands() -> list[str]:
    """Every `uv run …` line of the README's shell blocks, in order (a `&&` chain split,
    comments dropped; a command shown twice runs twice), then those quoted only inline."""
    blocks, inline = [], []
    in_block = False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block:
            blocks += [p.strip() for p in line.split("#", 1)[0].split("&&")]
        else:
            inline += [p.strip() for p in re.findall(r"`(uv run [^`]+)`", line)]
    blocks = [c for c in blocks if c.startswith("uv run ")]
    return blocks + [c for c in dict.fromkeys(inline) if c not in blocks]


def _cases() -> list:
    return [pytest.param(n, c, id=f"{n:02d} {c.removeprefix('uv run ')}") for n, c in enumerate(readme_commands())]  # fmt: skip


def _skip_reason(command: str) -> str | None:
    words = command.removeprefix("uv run ")
    return next((why for start, why in SKIPPED_BY_DESIGN.items() if words.startswith(start)), None)


def _argv(command: str) -> list[str]:
    """The `wuye` arguments to run; a benchmark's sizes replaced by TINY."""
    words = shlex.split(command)[2:]
    assert words[0] == "wuye", command
    args = words[1:]
    if args[0] == "bench":
        name = args[1]
        args = ["bench", name, *TINY[name]]
    return args


def _files(folder: Path) -> None:
    """units.xlsx: two new flats; owners.xlsx: an owner for one; past.xlsx: a quarter's
    management fee paid in 2023 — each headed as its import template is."""
    units = [texts[0] for texts in UNIT_COLUMNS.values()]
    (folder / "units.xlsx").write_bytes(build_workbook("Units", units, [
        ["8", "2", 16, "1605", 101.5, 80.2, "住宅", "空置", 1],
        ["8", "2", 16, "1606", 99.0, "", "住宅", "空置", 1],
    ]))  # fmt: skip
    body = "44030519800101123"
    people = [texts[0] for texts in PEOPLE_COLUMNS.values()]
    (folder / "owners.xlsx").write_bytes(build_workbook("Owners", people, [
        ["8-2-1605", "业主", "欧阳明", "身份证", body + id_check_digit(body), "13700001111", "",
         "2024-05-01", "", "", "", ""],
    ]))  # fmt: skip
    year = 2023  # before the demo's year, whenever the test runs
    history = [texts[0] for texts in HISTORY_COLUMNS.values()]
    amount = list(HISTORY_COLUMNS).index("amount")
    (folder / "past.xlsx").write_bytes(build_workbook("Past bills", history, [
        ["1-1-0101", "物业管理费", f"{year}-01至{year}-03", Decimal("1080.12"),
         Decimal("1080.12"), f"{year}-01-10", "", "现金", "", "", ""],
    ], money=[amount, amount + 1]))  # fmt: skip


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> dict[int, subprocess.CompletedProcess]:
    """Every runnable README command, run in README order in one temporary folder."""
    folder = tmp_path_factory.mktemp("readme")
    _files(folder)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WUYE_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'wuye.sqlite3'}",
        WUYE_DATA_DIR=str(folder),
        PYTHONPATH=str(ROOT),
    )
    results = {}
    for n, command in enumerate(readme_commands()):
        if _skip_reason(command):
            continue
        results[n] = subprocess.run(
            [sys.executable, "-m", "wuye.manage", *_argv(command)],
            cwd=folder, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    return results


def test_the_readme_shows_the_commands_this_test_knows():
    commands = readme_commands()
    words = [c.removeprefix("uv run ") for c in commands]
    assert any(w.startswith("wuye load_demo") for w in words)
    for start in SKIPPED_BY_DESIGN:
        assert any(w.startswith(start) for w in words), f"{start!r} is no longer in the README"
    for command in commands:
        if not _skip_reason(command) and _argv(command)[0] == "bench":
            assert _argv(command)[1] in TINY, command


@pytest.mark.parametrize(("n", "command"), _cases())
def test_the_readme_command_works_as_written(n, command, ran):
    reason = _skip_reason(command)
    if reason:
        pytest.skip(f"skipped by design: {reason}")
    done = ran[n]
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    args = _argv(command)
    if args[0] == "bench":
        lines = done.stdout.strip().splitlines()
        assert len(lines) == 1 and isinstance(json.loads(lines[0]), dict), done.stdout
    elif args[0] == "load_demo":
        assert "finance" in done.stdout and "13910005032" in done.stdout, done.stdout
    elif args[0] == "recount_collections":
        assert "cuihu: figures agree with the ledger" in done.stdout, done.stdout
    elif args[0] in ("import_units", "import_people", "import_history"):
        assert "0 rows" not in done.stdout, done.stdout


def test_the_demo_loaded_again_adds_nothing(ran):
    """The README loads the demo twice (the command list, then the PostgreSQL section)."""
    commands = readme_commands()
    loads = [n for n in ran if _argv(commands[n])[0] == "load_demo"]
    assert len(loads) >= 2
    assert " 0 records created this run" not in ran[loads[0]].stdout
    assert "(0 records created this run)" in ran[loads[-1]].stdout, ran[loads[-1]].stdout
