"""The README's table of operations matches what the emulator serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentkit.emulator import coverage, routes
from incidentkit.emulator.routes import ROUTES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_of_operations_is_current() -> None:
    readme = README.read_text()
    assert coverage.BEGIN in readme and coverage.END in readme, "README.md lacks the operations table markers"
    current = readme[readme.index(coverage.BEGIN) : readme.index(coverage.END) + len(coverage.END)]
    assert current == coverage.render(), "README.md's table of operations is stale: run `make readme`"


def test_every_operation_is_served_and_hand_written_routes_count_as_real() -> None:
    rows = coverage.coverage()
    assert len(rows) == 299
    served = {(method, path): how for path, method, _, how in rows}
    assert {how for how in served.values()} <= {coverage.REAL, coverage.GENERIC}
    assert all(served[(route.method, route.template)] == coverage.REAL for route in ROUTES)
    assert served[("GET", "/v2/status_pages")] == coverage.GENERIC


def test_a_new_hand_written_route_moves_its_row(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = routes._route("GET", "/v2/status_pages", lambda call: (200, {}), "status_pages.view")
    monkeypatch.setattr(routes, "ROUTES", [*ROUTES, extra])
    assert (
        "| `/v2/status_pages` | GET | Status Pages V2#ListStatusPages | real semantics |" in coverage.render()
    )
