"""investigate(): findings from the context, history, change log and evidence, against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.investigation import ChangeLog, History, InvestigationConfig, investigate
from incidentkit.investigation.change_window import ChangesBefore, changes_before
from incidentkit.investigation.evidence import Evidence
from incidentkit.investigation.summary import findings_from, gap_in_words, in_words
from incidentkit.investigation.sync import sync_history
from incidentkit.store import Store

CONFIG = InvestigationConfig()
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def demo() -> Iterator[Client]:
    emulator = Emulator(seed="demo", random_seed="findings")
    with Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as client:
        yield client


@pytest.fixture
def synced(demo: Client, tmp_path: Path) -> Iterator[Store]:
    """A SQLite store with the demo's history synced into it."""
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        sync_history(demo, History(store), CONFIG, full=True)
        yield store


def test_a_deploy_of_the_service_just_before_impact_is_the_root_cause(demo: Client, synced: Store) -> None:
    incident = demo.incidents.get("INC-47")  # checkout-web
    ChangeLog(synced).record(
        "checkout-web",
        version="v2.3.1",
        author="sam",
        at=incident.created_at - timedelta(minutes=12),
        source="cli",
    )
    found = investigate(demo, "INC-47", store=synced, config=CONFIG, now=lambda: NOW)
    assert found.summary.startswith("checkout-web deployed v2.3.1 twelve minutes before impact")
    change = found.findings[0]
    assert (change.kind, change.confidence) == ("change", "high")
    assert "it is the only change in the window" in change.evidence
    assert found.root_cause == change
    assert [m.incident.reference for m in found.similar] and all(
        m.incident.reference != "INC-47" for m in found.similar
    )
    body = found.to_json()
    json.dumps(body)
    assert body["root_cause"] == change.claim and body["findings"][0]["confidence"] == "high"
    assert body["changes"]["matches"][0]["change"]["version"] == "v2.3.1"


def test_competing_changes_or_a_dependency_are_not_a_root_cause(demo: Client, synced: Store) -> None:
    incident = demo.incidents.get("INC-47")  # checkout-web depends on payments-api (alias "payments")
    log = ChangeLog(synced)
    log.record("payments", version="v9.1", at=incident.created_at - timedelta(minutes=10), source="cli")
    log.record("checkout-web", version="v2.3.0", at=incident.created_at - timedelta(hours=2), source="cli")
    found = investigate(demo, "INC-47", store=synced, config=CONFIG, now=lambda: NOW)
    changes = [f for f in found.findings if f.kind == "change"]
    assert [(f.claim, f.confidence) for f in changes] == [
        ("payments deployed v9.1 ten minutes before impact (checkout-web depends on it)", "medium"),
        ("checkout-web deployed v2.3.0 two hours before impact", "medium"),
    ]
    assert found.root_cause is None


def test_similar_incidents_resolved_by_rolling_back_are_a_finding(demo: Client, synced: Store) -> None:
    declared = demo.incidents.create(
        name="Failed deploy of the billing worker",
        summary="The last deploy of the billing worker failed health checks.",
        severity="Minor",
    )
    found = investigate(demo, declared.id, store=synced, config=CONFIG, now=lambda: NOW)
    [resolution] = [f for f in found.findings if f.kind == "resolution"]
    assert "resolved by rolling back" in resolution.claim
    assert resolution.data["references"] and all(
        "Failed deploy" in m.incident.title
        for m in found.similar
        if m.incident.reference in resolution.data["references"]
    )
    assert resolution.confidence in ("high", "medium")
    assert found.root_cause is None  # a remedy is not a cause


def test_without_a_store_only_the_context_is_read_and_that_is_said(demo: Client) -> None:
    found = investigate(demo, "INC-47", config=CONFIG, now=lambda: NOW)
    assert found.findings == () and found.changes is None and found.similar == ()
    assert found.summary == (
        "Nothing stands out for checkout-web yet; looked at nothing (no store and no evidence source)."
    )
    assert any("incidentkit sync" in note for note in found.notes)


def test_the_same_findings_have_the_same_key(demo: Client, synced: Store) -> None:
    first = investigate(demo, "INC-47", store=synced, config=CONFIG, now=lambda: NOW)
    again = investigate(demo, "INC-47", store=synced, config=CONFIG, now=lambda: NOW + timedelta(minutes=3))
    assert first.key == again.key
    ChangeLog(synced).record(
        "checkout-web", version="v1", at=first.context.started_at - timedelta(minutes=1), source="cli"
    )
    assert investigate(demo, "INC-47", store=synced, config=CONFIG, now=lambda: NOW).key != first.key


def _evidence(signal: str, ratio: float, changed_at: datetime, direction: str = "rose") -> Evidence:
    return Evidence(
        "prometheus", "checkout-web", signal, "q", {}, 1.0, ratio, ratio, direction, changed_at,
        f"{signal} {direction} {ratio:g}x at {changed_at:%H:%M} UTC",
    )  # fmt: skip


def test_evidence_confidence_follows_the_size_and_the_timing() -> None:
    start = NOW
    found = findings_from(
        changes=None,
        similar=[],
        evidence=[
            _evidence("error_rate", 12.0, start + timedelta(minutes=2)),
            _evidence("latency", 1.8, start + timedelta(minutes=1)),
            _evidence("saturation", 5.0, start + timedelta(hours=1)),
            _evidence("traffic", 1.0, start, direction="steady"),
        ],
        started_at=start,
        now=NOW,
    )
    assert [(f.claim, f.confidence) for f in found] == [
        ("error_rate of checkout-web rose 12x at 12:02 UTC", "high"),
        ("latency of checkout-web rose 1.8x at 12:01 UTC", "medium"),
        ("saturation of checkout-web rose 5x at 13:00 UTC", "medium"),
    ]
    assert all(not finding.names_cause for finding in found)


def test_a_moving_signal_corroborates_a_close_deploy_among_others() -> None:
    from incidentkit.investigation.change_log import Change

    def change(service: str, minutes: int) -> Change:
        at = NOW - timedelta(minutes=minutes)
        return Change(f"chg_{service}", service, "deploy", at, "cli", at, version="v1")

    recorded = [change("checkout-web", 20), change("search", 40)]
    matches = changes_before(NOW, ["checkout-web", "search"], recorded)
    before = ChangesBefore("INC-1", NOW, ("checkout-web", "search"), timedelta(hours=4), tuple(matches))
    plain = findings_from(changes=before, similar=[], evidence=[], started_at=NOW, now=NOW)
    assert [f.confidence for f in plain] == ["medium", "medium"]  # two candidates, nothing to tell them apart
    moved = findings_from(
        changes=before,
        similar=[],
        evidence=[_evidence("error_rate", 10.0, NOW)],
        started_at=NOW,
        now=NOW,
    )
    assert [(f.kind, f.confidence) for f in moved][:2] == [("change", "high"), ("evidence", "high")]


def test_numbers_and_gaps_in_words() -> None:
    assert [in_words(n) for n in (0, 3, 12, 20, 21)] == ["zero", "three", "twelve", "twenty", "21"]
    assert gap_in_words(timedelta(minutes=12)) == "twelve minutes"
    assert gap_in_words(timedelta(hours=2, minutes=5)) == "two hours five minutes"
    assert gap_in_words(timedelta(hours=1)) == "one hour"
    assert gap_in_words(timedelta(seconds=40)) == "40 seconds"
