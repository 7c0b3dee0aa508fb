"""Who imports whom among wuye's apps, as the Mermaid graph in docs/architecture.md.

    uv run python scripts/import_graph.py            # print the graph
    uv run python scripts/import_graph.py --write    # put it into docs/architecture.md

Read from the code by grimp (import-linter's own graph), tests and migrations left out: an
arrow A --> B says some module of app A imports one of app B. Each app is labelled with its
lines of code, so the picture also shows where the weight of the house is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "```mermaid\n", "```\n"
LEFT_OUT = {"tests", "migrations"}


def _app(module: str) -> str | None:
    parts = module.split(".")
    return None if len(parts) < 2 or LEFT_OUT & set(parts) else parts[1]


def _lines(app: str) -> int:
    folder = ROOT / "wuye" / app
    files = [folder.with_suffix(".py")] if not folder.is_dir() else folder.rglob("*.py")
    return sum(
        len(path.read_text(encoding="utf-8").splitlines())
        for path in files
        if path.exists() and not LEFT_OUT & set(path.relative_to(ROOT).parts)
    )


def graph() -> str:
    imports = grimp.build_graph("wuye", include_external_packages=False)
    apps = sorted(
        {app for m in imports.modules if (app := _app(m)) and (ROOT / "wuye" / app).is_dir()}
    )
    edges = set()
    for importer in imports.modules:
        source = _app(importer)
        if source not in apps:
            continue
        for imported in imports.find_modules_directly_imported_by(importer):
            target = _app(imported)
            if target in apps and target != source:
                edges.add((source, target))
    out = ["graph TD"]
    out += [f'    {app}["{app} · {_lines(app):,} lines"]' for app in apps]
    out += [f"    {source} --> {target}" for source, target in sorted(edges)]
    return "\n".join(out) + "\n"


def write() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END, start)
    DOC.write_text(text[:start] + graph() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--write" in sys.argv:
        write()
    else:
        sys.stdout.write(graph())
