"""docs/architecture.md's graph of who imports whom is the code's: an import between apps added
or dropped without redrawing it (`scripts/import_graph.py --write`) fails here."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _arrows(mermaid: str) -> set[str]:
    return {line.strip() for line in mermaid.splitlines() if "-->" in line}


def test_the_documented_arrows_are_the_codes_imports():
    spec = importlib.util.spec_from_file_location(
        "import_graph", ROOT / "scripts" / "import_graph.py"
    )
    import_graph = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(import_graph)
    drawn = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = drawn.split("```mermaid\n", 1)[1].split("```", 1)[0]
    measured = _arrows(import_graph.graph())
    assert "billing --> approvals" in measured and "core --> billing" not in measured
    assert _arrows(block) == measured
