"""Similar incidents: the weighted, explained score, the root-cause vote, and the filters."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from incidentkit.investigation import History, HistoryNotFoundError, InvestigationConfig, similar
from incidentkit.store import Store
from tests.investigation.conftest import START, incident

DB = "Database connection pool exhausted"


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    with Store.open(f"sqlite:///{tmp_path / 'history.db'}") as store:
        yield History(store)


def test_each_match_has_its_score_parts_reasons_and_resolution(history: History) -> None:
    history.upsert(
        [
            incident(
                1,
                f"{DB} on checkout",
                "checkout could not reach postgres",
                services=("checkout", "payments"),
                alert_sources=("Prometheus",),
                root_causes=("Database",),
                days=-3,
                updates=("Investigating", "Raised max connections", "Resolved"),
                follow_ups=("Alert on pool saturation [outstanding]",),
            ),
            incident(2, "Marketing site typo", "A typo on the landing page", days=-1),
        ]
    )
    query = incident(
        3, f"{DB} again", "checkout errors", services=("checkout",), alert_sources=("Prometheus",)
    )
    [match] = similar(query, k=5, threshold=0.2, history=history, config=InvestigationConfig())
    assert match.incident.reference == "INC-1"
    assert set(match.parts) == {"text", "services", "alert_sources", "time", "root_cause"}
    assert match.parts["services"] == pytest.approx(0.5)
    assert match.parts["alert_sources"] == 1.0
    assert match.parts["time"] == pytest.approx(0.5 ** (3 / 30))
    assert match.parts["root_cause"] == 1.0  # the only labelled neighbour votes Database
    weights = InvestigationConfig().weights
    expected = sum(weights[p] * v for p, v in match.parts.items()) / sum(weights[p] for p in match.parts)
    assert match.score == pytest.approx(expected)
    assert {"pool", "exhausted", "connection", "database"} <= set(match.shared_terms)
    assert match.shared_services == ("checkout",)
    assert match.likely_root_cause == "Database"
    assert any("checkout" in reason for reason in match.reasons)
    assert match.resolution.last_updates == ("Investigating", "Raised max connections", "Resolved")
    assert match.resolution.root_causes == ("Database",)
    assert match.resolution.follow_ups == ("Alert on pool saturation [outstanding]",)
    view = match.to_dict()
    assert view["reference"] == "INC-1" and view["resolution"]["root_causes"] == ["Database"]


def test_the_queries_own_root_cause_is_never_read(history: History) -> None:
    # Its neighbours by text were all caused by the database; its own label says network. A vote that
    # counted the query itself would favour INC-4, the only other network incident.
    history.upsert(
        [
            incident(1, f"{DB} on checkout", root_causes=("Database",)),
            incident(2, f"{DB} on search", root_causes=("Database",)),
            incident(3, f"{DB} on billing", root_causes=("Network",)),
            incident(4, "Packet loss between zones", root_causes=("Network",)),
        ]
    )
    matches = similar("INC-3", k=5, threshold=0.0, history=history, config=InvestigationConfig())
    assert "INC-3" not in [m.incident.reference for m in matches]
    by_reference = {m.incident.reference: m for m in matches}
    assert by_reference["INC-4"].parts["root_cause"] == 0.0
    assert by_reference["INC-1"].likely_root_cause == "Database"


def test_the_vote_of_labelled_neighbours_reranks_equally_worded_incidents(history: History) -> None:
    history.upsert(
        [
            incident(
                1, "Checkout latency high", "slow queries on the orders table", root_causes=("Database",)
            ),
            incident(
                2, "Checkout latency high", "slow queries on the orders table", root_causes=("Database",)
            ),
            incident(3, "Checkout latency high", "a bad deploy of the web tier", root_causes=("Deploy",)),
            incident(4, "Search latency high", "slow queries on the orders table", root_causes=("Database",)),
        ]
    )
    query = incident(9, "Orders latency high", "slow queries on the orders table")
    config = InvestigationConfig()
    ranked = [
        m.incident.reference for m in similar(query, k=4, threshold=0.0, history=history, config=config)
    ]
    assert ranked.index("INC-4") < ranked.index("INC-3")
    no_vote = InvestigationConfig(weights={**config.weights, "root_cause": 0.0})
    [first] = similar(query, k=1, threshold=0.0, history=history, config=no_vote)
    assert "root_cause" not in first.parts


def test_k_since_and_threshold_limit_the_matches(history: History) -> None:
    history.upsert(incident(n, f"{DB} number {n}", days=n) for n in range(10))
    history.upsert([incident(99, "Unrelated typo on the blog", days=9)])
    query = incident(100, DB, days=10)
    config = InvestigationConfig()
    assert len(similar(query, k=3, threshold=0.0, history=history, config=config)) == 3
    recent = similar(
        query, k=20, since=START + timedelta(days=7), threshold=0.0, history=history, config=config
    )
    assert {m.incident.reference for m in recent} == {"INC-7", "INC-8", "INC-9", "INC-99"}
    strict = similar(query, k=20, threshold=0.3, history=history, config=config)
    assert strict and all(m.score >= 0.3 for m in strict)
    assert "INC-99" not in {m.incident.reference for m in strict}


def test_the_threshold_and_weights_come_from_the_configuration_file(
    history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[investigation]\nthreshold = 0.5\n[investigation.weights]\ntime = 0\n", encoding="utf-8")
    monkeypatch.setenv("INCIDENTKIT_CONFIG", str(path))
    history.upsert([incident(1, f"{DB} on checkout"), incident(2, DB)])
    [match] = similar("INC-1", history=history)
    assert match.incident.reference == "INC-2"
    assert "time" not in match.parts
    path.write_text(
        "[investigation]\nthreshold = 1.0\n[investigation.weights]\ntext = 0.1\n", encoding="utf-8"
    )
    assert similar("INC-1", history=history) == []


def test_the_index_follows_the_history_as_it_changes(history: History) -> None:
    history.upsert([incident(1, DB)])
    config = InvestigationConfig()
    assert (
        similar(incident(5, DB), threshold=0.0, history=history, config=config)[0].incident.reference
        == "INC-1"
    )
    history.upsert([replace(incident(1, "Blog typo")), incident(2, f"{DB} again")])
    [first, *_] = similar(incident(5, DB), threshold=0.0, history=history, config=config)
    assert first.incident.reference == "INC-2"


def test_an_incident_not_in_the_history_is_an_error_saying_to_sync(history: History) -> None:
    with pytest.raises(HistoryNotFoundError, match=r"INC-404.*incidentkit sync"):
        similar("INC-404", history=history, config=InvestigationConfig())


def test_an_empty_history_finds_nothing(history: History) -> None:
    assert similar(incident(1, DB), history=history, config=InvestigationConfig()) == []


def test_importing_the_client_or_the_investigation_does_not_import_scikit_learn() -> None:
    code = (
        "import sys, incidentkit.api, incidentkit.investigation; "
        "assert 'sklearn' not in sys.modules and 'numpy' not in sys.modules, 'heavy import'; "
        "import incidentkit.api as a; assert 'incidentkit.investigation' not in a.__dict__"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
