"""``investigate``: an incident's context, similar past incidents, changes before it, evidence, findings.

:func:`investigate` puts the parts together for one incident:

- its context (:func:`~incidentkit.investigation.context`);
- similar past incidents, from the history synced into the store (when there is a store and a history);
- the changes before impact to its services and their dependencies, from the store's change log;
- evidence from Prometheus, when ``[investigation.prometheus]`` is configured, for each affected service;
- findings by the rules of :mod:`incidentkit.investigation.summary`, and a plain summary of them.

A part that cannot be had is left out and said so in :attr:`Investigation.notes` (a Prometheus that
does not answer does not stop the investigation). :func:`~incidentkit.investigation.post_findings`
writes the result back to the incident.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.change_window import DEFAULT_WINDOW, ChangesBefore, changes_before
from incidentkit.investigation.config import InvestigationConfig, load_investigation_config
from incidentkit.investigation.evidence import Evidence, EvidenceError, PrometheusSource
from incidentkit.investigation.incident_context import IncidentContext, context
from incidentkit.investigation.similar import Match
from incidentkit.investigation.summary import Finding, findings_from, summary_of
from incidentkit.timeutil import iso

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.store import Store

__all__ = ["SIMILAR_K", "Investigation", "investigate"]

SIMILAR_K = 5
"""How many similar past incidents an investigation looks at."""
MAX_EVIDENCE_SERVICES = 5


@dataclass(frozen=True)
class Investigation:
    """What an investigation found about one incident. Build one with :func:`investigate`.

    Attributes:
        context: the incident and what surrounds it.
        similar: similar past incidents, best first.
        changes: the changes before impact; None without a change log.
        evidence: what the configured signals did around the start.
        findings: what stands out, most confident first.
        summary: the findings in a sentence or three.
        summary_source: ``rules`` (the deterministic summary) or ``llm`` (a language model's).
        investigated_at: when the investigation ran.
        notes: the parts that were left out, and why.
    """

    context: IncidentContext
    similar: tuple[Match, ...]
    changes: ChangesBefore | None
    evidence: tuple[Evidence, ...]
    findings: tuple[Finding, ...]
    summary: str
    investigated_at: datetime
    summary_source: str = "rules"
    notes: tuple[str, ...] = ()

    @property
    def root_cause(self) -> Finding | None:
        """The most confident finding that names a cause, when it is high-confidence."""
        return next((f for f in self.findings if f.confidence == "high" and f.names_cause), None)

    @property
    def key(self) -> str:
        """What identifies these findings for this incident: the same findings give the same key.

        The write-back marks what it writes with it, to find its own earlier items.
        """
        text = "\n".join([self.context.id, *(f"{f.kind}:{f.claim}" for f in self.findings)])
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_json(self) -> dict[str, Any]:
        """The investigation as compact JSON."""
        root = self.root_cause
        return {
            "incident": self.context.to_json()["incident"],
            "services": [service.to_json() for service in self.context.services],
            "summary": self.summary,
            "summary_source": self.summary_source,
            "root_cause": root.claim if root else None,
            "findings": [finding.to_json() for finding in self.findings],
            "similar": [match.to_dict() for match in self.similar],
            "changes": self.changes.to_dict() if self.changes is not None else None,
            "evidence": [item.to_dict() for item in self.evidence],
            "investigated_at": iso(self.investigated_at),
            "key": self.key,
            "notes": [*self.context.notes, *self.notes],
        }


def investigate(
    client: Client,
    ref: str,
    *,
    store: Store | None = None,
    config: InvestigationConfig | None = None,
    now: Callable[[], datetime] | None = None,
) -> Investigation:
    """Investigate incident ``ref``: see the module's description.

    Args:
        client: a client for the incident's organisation.
        ref: the incident's ULID, ``INC-123``, ``123`` or dashboard URL.
        store: where the history and the change log are; without one, only the context and evidence.
        config: the ``[investigation]`` configuration; the configuration file's when None.
        now: the current time (aware), for "in the last quarter"; the system clock when None.

    Raises:
        InvalidReferenceError: ``ref`` is not an incident reference.
        NotFoundError: no such incident.
    """
    from incidentkit.investigation.change_log import ChangeLog
    from incidentkit.investigation.history import History
    from incidentkit.investigation.similar import similar

    config = config or load_investigation_config()
    clock = now or (lambda: datetime.now(UTC))
    history = History(store) if store is not None else None
    found = context(client, ref, config=config, history=history)
    notes: list[str] = []
    looked_at: list[str] = []

    matches: list[Match] = []
    if history is not None and history.count() > 0:
        matches = similar(found.to_history_incident(config), SIMILAR_K, history=history, config=config)
        looked_at.append(f"{history.count()} past incidents")
    else:
        notes.append("no incident history in the store: run `incidentkit sync` for similar incidents")

    before: ChangesBefore | None = None
    if store is not None:
        start = found.started_at
        window = DEFAULT_WINDOW
        recorded = ChangeLog(store).between(start - window, start)
        matched = changes_before(
            start,
            found.service_names,
            recorded,
            dependencies=found.catalog.dependencies(),
            window=window,
            aliases=found.catalog.aliases(),
        )
        before = ChangesBefore(found.reference, start, found.service_names, window, tuple(matched))
        looked_at.append(f"{len(recorded)} changes in the four hours before impact")
    else:
        notes.append("no store: no change log to read")

    evidence = _evidence(found, config, notes, looked_at)
    findings = findings_from(
        changes=before, similar=matches, evidence=evidence, started_at=found.started_at, now=clock()
    )
    summary = summary_of(findings, services=found.service_names, looked_at=looked_at)
    return Investigation(
        context=found,
        similar=tuple(matches),
        changes=before,
        evidence=tuple(evidence),
        findings=tuple(findings),
        summary=summary,
        investigated_at=clock(),
        notes=tuple(notes),
    )


def _evidence(
    found: IncidentContext, config: InvestigationConfig, notes: list[str], looked_at: list[str]
) -> list[Evidence]:
    """Prometheus evidence for each affected service (the first few), when Prometheus is configured."""
    if config.prometheus is None:
        return []
    source = PrometheusSource(config.prometheus)
    evidence: list[Evidence] = []
    for service in found.service_names[:MAX_EVIDENCE_SERVICES]:
        try:
            evidence += source.evidence(service, found.started_at)
        except EvidenceError as error:
            notes.append(f"no Prometheus evidence for {service}: {error}")
    if evidence:
        looked_at.append(f"{len(evidence)} Prometheus signals")
    return evidence
