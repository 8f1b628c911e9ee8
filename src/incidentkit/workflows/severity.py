"""Severity labels in workflows (``SEV-1``…``SEV-4``, ``P0``…``P3``) against the organisation's own.

Organisations name their severities differently (``Critical``/``Major``/``Minor``, ``SEV 1``...).
A workflow writes ``SEV-n`` or ``Pn`` and means the organisation's severity of exactly that name
where one exists, else the one at that position by rank (highest rank = ``SEV-1`` = ``P0``); the
``severity_map:`` of the configuration file overrides both. Matching by name and rank is the
client's (``incidentkit.api.lookups.match_severity``); this module adds the map and the reverse
direction: which label an incident's severity carries, so that ``$trigger.incident_io.severity ==
'SEV-1'`` holds for a ``Critical`` incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from incidentkit.api.lookups import match_severity, severity_index
from incidentkit.api.models import Severity
from incidentkit.workflows.errors import WorkflowError

LEVELS = 4
SEVERITY_LABELS = tuple(f"SEV-{n}" for n in range(1, LEVELS + 1))
PRIORITY_LABELS = tuple(f"P{n}" for n in range(LEVELS))


class SeverityMapError(WorkflowError, ValueError):
    """The configured ``severity_map`` is malformed or names a severity the organisation lacks."""


class UnknownSeverityError(WorkflowError, ValueError):
    """A workflow names a severity that matches nothing; the message lists what would."""


@dataclass(frozen=True)
class SeverityScale:
    """The organisation's severities, with the workflow labels resolved against them.

    Attributes:
        severities: The organisation's severities (any order).
        severity_map: Label (``SEV-1``, ``P0`` or any name) → severity name or id; overrides
            name and rank matching.
    """

    severities: Sequence[Severity]
    severity_map: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label, target in self.severity_map.items():
            if not isinstance(label, str) or not isinstance(target, str):
                raise SeverityMapError(f"severity_map entries must be text: {label!r}: {target!r}")
            if self._by_name_or_id(target) is None:
                names = ", ".join(s.name for s in self.severities) or "none"
                raise SeverityMapError(
                    f"severity_map maps {label!r} to {target!r}, which is not a severity of this "
                    f"organisation (its severities: {names})"
                )

    def _by_name_or_id(self, value: str) -> Severity | None:
        wanted = value.strip().lower()
        return next((s for s in self.severities if s.id == value or s.name.lower() == wanted), None)

    def resolve(self, value: str) -> Severity | None:
        """The severity a label, name or id means: the map first, then exact name, then rank."""
        mapped = map_label(value, self.severity_map)
        if mapped is not None:
            return self._by_name_or_id(mapped)
        return match_severity(self.severities, value)

    def require(self, value: str) -> Severity:
        """Like ``resolve``, but an unknown value is an error listing the valid ones.

        Raises:
            UnknownSeverityError: nothing matches.
        """
        found = self.resolve(value)
        if found is None:
            known = [s.name for s in self.severities]
            known += [label for label in (*SEVERITY_LABELS, *PRIORITY_LABELS) if self.resolve(label)]
            raise UnknownSeverityError(f"unknown severity {value!r}; expected one of: {', '.join(known)}")
        return found

    def label(self, severity: Severity) -> str | None:
        """The ``SEV-n`` label that resolves to this severity, if any."""
        return next((label for label in SEVERITY_LABELS if self._same(self.resolve(label), severity)), None)

    def priority(self, severity: Severity) -> str | None:
        """The ``Pn`` label that resolves to this severity, if any."""
        return next((label for label in PRIORITY_LABELS if self._same(self.resolve(label), severity)), None)

    @staticmethod
    def _same(found: Severity | None, severity: Severity) -> bool:
        return found is not None and found.id == severity.id

    def trigger_fields(self, severity: Severity | None) -> dict[str, Any]:
        """The severity fields of ``$trigger.incident_io`` for an incident with this severity.

        ``severity`` is the workflow label (``SEV-n``) when one resolves to it, else the
        organisation's name, so documented comparisons work in every organisation;
        ``severity_name`` is always the organisation's own name.
        """
        if severity is None:
            return {"severity": None, "severity_name": None, "severity_rank": None, "priority": None}
        return {
            "severity": self.label(severity) or severity.name,
            "severity_name": severity.name,
            "severity_rank": severity.rank,
            "priority": self.priority(severity),
        }


def map_label(value: str, severity_map: Mapping[str, str]) -> str | None:
    """What ``severity_map`` maps a label to, or None when it does not mention it.

    Keys match in any case; ``Pn`` not mapped itself takes the mapping of ``SEV-(n+1)``, since
    the same mapping gives both (WORKFLOWS.md, Severity).
    """
    lookup = {key.strip().lower(): target for key, target in severity_map.items()}
    wanted = value.strip().lower()
    if wanted in lookup:
        return lookup[wanted]
    index = severity_index(wanted)
    if index is not None and wanted.startswith("p"):
        return lookup.get(f"sev-{index + 1}")
    return None


def severity_for_api(value: str, severity_map: Mapping[str, str]) -> str:
    """The severity to ask the API for: the mapped name, else the value as written.

    The client then matches it by id, by name, or ``SEV-n``/``Pn`` by rank, exactly as
    :meth:`SeverityScale.resolve` does, so a step and a trigger always agree on what a label means.
    """
    return map_label(value, severity_map) or value.strip()


def severity_map_from_config(config: Mapping[str, Any]) -> dict[str, str]:
    """The ``severity_map`` table of a parsed configuration file (empty when absent).

    Raises:
        SeverityMapError: it is not a table of text to text, or a key is not a usable label.
    """
    raw = config.get("severity_map", {})
    if not isinstance(raw, Mapping):
        raise SeverityMapError(f"severity_map must be a table of label = severity name, not {raw!r}")
    result: dict[str, str] = {}
    for label, target in raw.items():
        if not isinstance(target, str) or not target.strip():
            raise SeverityMapError(f"severity_map.{label} must be a severity name or id, not {target!r}")
        if severity_index(str(label)) is None or severity_index(str(label)) not in range(LEVELS):
            raise SeverityMapError(
                f"severity_map key {label!r} is not one of {', '.join((*SEVERITY_LABELS, *PRIORITY_LABELS))}"
            )
        result[str(label)] = target
    return result
