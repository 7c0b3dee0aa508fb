"""Code, tests and docs cite rule ids (`../shared/RULES.md`) and doc sections, never items of
the tracker, which the next engineer cannot read (docs/development.md, Conventions). Every
source and documentation file of wuye/, tests/, docs/ and README.md is read for a reference
such as the word for a tracker item followed by its number."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [ROOT / "wuye", ROOT / "tests", ROOT / "docs", ROOT / "README.md"]
SUFFIXES = {".py", ".md", ".html", ".js", ".txt"}
# Built in two parts so that this file's own source does not match it.
TRACKER_ITEM = re.compile(r"\b" + "is" + r"sue\s+#?\d+", re.IGNORECASE)


def _files():
    for place in SCANNED:
        paths = [place] if place.is_file() else sorted(place.rglob("*"))
        for path in paths:
            if path.is_file() and path.suffix in SUFFIXES:
                yield path


def test_no_file_cites_a_tracker_item():
    hits = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if TRACKER_ITEM.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "cite rule ids and docs, not tracker items:\n" + "\n".join(hits)


def test_the_pattern_finds_a_tracker_item():
    assert TRACKER_ITEM.search("see " + "Is" + "sue #12")
    assert TRACKER_ITEM.search("(" + "is" + "sue 6 point 4)")
    assert not TRACKER_ITEM.search("issue_api_token(user)")
    assert not TRACKER_ITEM.search("R-FEE-04; docs/collections.md, Late fees")
