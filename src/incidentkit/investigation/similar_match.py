"""A similar past incident as search returns it: its score, the parts, the reasons, how it was resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidentkit.investigation.history import HistoryIncident

__all__ = ["Match", "Resolution"]


@dataclass(frozen=True)
class Resolution:
    """How a past incident was resolved: what an on-call engineer reads first.

    Attributes:
        summary: its (closing) summary.
        last_updates: the messages of its last few updates, oldest first.
        root_causes: its root-cause / category labels.
        follow_ups: its follow-ups.
        resolved_at: when it was resolved, when known.
    """

    summary: str
    last_updates: tuple[str, ...]
    root_causes: tuple[str, ...]
    follow_ups: tuple[str, ...]
    resolved_at: datetime | None


@dataclass(frozen=True)
class Match:
    """One similar past incident.

    Attributes:
        incident: the past incident.
        score: the weighted score in [0, 1].
        parts: each part of the score in [0, 1] (only the parts that counted).
        weights: the weight each counted part had.
        shared_terms: the words that contributed most to the text similarity.
        shared_services: the affected services both incidents share.
        shared_alert_sources: the alert sources both share.
        likely_root_cause: the root cause the labelled neighbours voted for, when any did.
        resolution: how the past incident was resolved.
        related_services: the past incident's services one catalog dependency away from the
            query's, each with how they are related (``checkout-web depends on payments-api``).
    """

    incident: HistoryIncident
    score: float
    parts: Mapping[str, float]
    weights: Mapping[str, float]
    shared_terms: tuple[str, ...]
    shared_services: tuple[str, ...]
    shared_alert_sources: tuple[str, ...]
    likely_root_cause: str | None
    resolution: Resolution
    related_services: tuple[tuple[str, str], ...] = ()

    @property
    def reasons(self) -> list[str]:
        """The match explained in a few plain sentences."""
        reasons = []
        if self.shared_terms:
            reasons.append("shares the terms " + ", ".join(self.shared_terms))
        if self.shared_services:
            reasons.append("affects the same services: " + ", ".join(self.shared_services))
        if self.related_services:
            reasons.append(
                "affects services one dependency away: "
                + ", ".join(f"{name} ({how})" for name, how in self.related_services)
            )
        if self.shared_alert_sources:
            reasons.append("fired from the same alert sources: " + ", ".join(self.shared_alert_sources))
        if self.likely_root_cause and self.likely_root_cause in self.incident.root_causes:
            share = self.parts.get("root_cause", 0.0)
            reasons.append(
                f"its root cause {self.likely_root_cause!r} is the likeliest for the query "
                f"({share:.0%} of the nearest labelled incidents' vote)"
            )
        return reasons

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        incident = self.incident
        return {
            "id": incident.id,
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "status_category": incident.status_category,
            "created_at": incident.created_at.isoformat(),
            "permalink": incident.permalink,
            "score": round(self.score, 4),
            "parts": {name: round(value, 4) for name, value in self.parts.items()},
            "weights": dict(self.weights),
            "reasons": self.reasons,
            "shared_terms": list(self.shared_terms),
            "shared_services": list(self.shared_services),
            "related_services": [{"service": name, "how": how} for name, how in self.related_services],
            "shared_alert_sources": list(self.shared_alert_sources),
            "likely_root_cause": self.likely_root_cause,
            "resolution": {
                "summary": self.resolution.summary,
                "last_updates": list(self.resolution.last_updates),
                "root_causes": list(self.resolution.root_causes),
                "follow_ups": list(self.resolution.follow_ups),
                "resolved_at": None
                if self.resolution.resolved_at is None
                else self.resolution.resolved_at.isoformat(),
            },
        }
