"""The API only gains operations: every method and path a client was offered is still in the
OpenAPI document, so moving code between apps cannot drop one silently."""

from pathlib import Path

from wuye.api.api import api

KEPT = Path(__file__).with_name("openapi_operations.txt")


def operations() -> set[str]:
    paths = api.get_openapi_schema()["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item}


def test_every_operation_once_offered_is_still_offered(db):
    offered = {line for line in KEPT.read_text().splitlines() if line and not line.startswith("#")}
    assert len(offered) > 150
    assert offered - operations() == set()


def test_the_approval_engine_added_its_inbox_and_decision(db):
    assert {
        "GET /api/v1/approvals/inbox",
        "POST /api/v1/approvals/{request_id}/decide",
    } <= operations()
