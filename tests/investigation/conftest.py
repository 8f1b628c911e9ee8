"""Fixtures for the investigation tests: the CLI runner's isolated directories, and history builders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incidentkit.investigation import HistoryIncident, HistoryUpdate
from tests.cli.conftest import invoke, isolated_dirs, sleeps

__all__ = ["incident", "invoke", "isolated_dirs", "sleeps"]

START = datetime(2026, 3, 1, tzinfo=UTC)


def incident(
    number: int,
    title: str,
    summary: str = "",
    *,
    services: tuple[str, ...] = (),
    alert_sources: tuple[str, ...] = (),
    root_causes: tuple[str, ...] = (),
    days: float = 0.0,
    updates: tuple[str, ...] = (),
    follow_ups: tuple[str, ...] = (),
) -> HistoryIncident:
    """A past incident, ``days`` after the first of March 2026."""
    created = START + timedelta(days=days)
    return HistoryIncident(
        id=f"inc-{number:04d}",
        reference=f"INC-{number}",
        title=title,
        summary=summary,
        status_category="closed",
        created_at=created,
        updated_at=created,
        severity="Minor",
        services=services,
        alert_sources=alert_sources,
        custom_fields={"Root cause": root_causes} if root_causes else {},
        root_causes=root_causes,
        updates=tuple(
            HistoryUpdate(created_at=created + timedelta(minutes=i), message=m) for i, m in enumerate(updates)
        ),
        follow_ups=follow_ups,
    )
