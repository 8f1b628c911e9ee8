"""Cached look-ups of the organisation's severities, statuses and types, and name resolution.

People and workflows name severities and statuses: ``Critical``, ``SEV-1``, ``Investigating``.
The API wants ids. The catalogue is fetched once per client and cached; a name that matches
nothing triggers one refresh (it may have been added since) before the error, which lists the
valid names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import UnknownNameError

if TYPE_CHECKING:
    # Imported where they are used: pydantic is the heaviest import of the client.
    from incidentkit.api.models import IncidentStatus, IncidentType, Severity

_SEV_N = re.compile(r"^SEV-?(\d)$", re.IGNORECASE)
_PRIORITY = re.compile(r"^P(\d)$", re.IGNORECASE)


@dataclass
class Lookups:
    """The organisation's configuration as last fetched by one client."""

    severities: list[Severity] | None = None
    statuses: list[IncidentStatus] | None = None
    types: list[IncidentType] | None = None
    # The API key's organisation slug from ``GET /v1/identity`` ("" when the API gave none), to
    # check dashboard URLs against; a client has one key, so this is cached per key.
    organisation: str | None = None

    def clear(self) -> None:
        """Forget everything, so the next use fetches afresh."""
        self.severities = self.statuses = self.types = None
        self.organisation = None


def load_severities(lookups: Lookups, *, refresh: bool = False) -> Op[list[Severity]]:
    """The organisation's severities, most severe first."""
    if lookups.severities is None or refresh:
        from incidentkit.api.models import Severity

        body = yield APIRequest("GET", "/v1/severities")
        severities = [Severity.model_validate(s) for s in body["severities"]]
        lookups.severities = sorted(severities, key=lambda s: s.rank, reverse=True)
    return lookups.severities


def load_statuses(lookups: Lookups, *, refresh: bool = False) -> Op[list[IncidentStatus]]:
    """The organisation's incident statuses, in rank order."""
    if lookups.statuses is None or refresh:
        from incidentkit.api.models import IncidentStatus

        body = yield APIRequest("GET", "/v1/incident_statuses")
        statuses = [IncidentStatus.model_validate(s) for s in body["incident_statuses"]]
        lookups.statuses = sorted(statuses, key=lambda s: s.rank)
    return lookups.statuses


def load_types(lookups: Lookups, *, refresh: bool = False) -> Op[list[IncidentType]]:
    """The organisation's incident types."""
    if lookups.types is None or refresh:
        from incidentkit.api.models import IncidentType

        body = yield APIRequest("GET", "/v1/incident_types")
        lookups.types = [IncidentType.model_validate(t) for t in body["incident_types"]]
    return lookups.types


def match_severity(severities: Sequence[Severity], value: str) -> Severity | None:
    """Find a severity by id, by name (any case), or as ``SEV-n`` or ``Pn`` by rank.

    ``SEV-1`` is a severity of exactly that name where one exists, else the most severe
    (highest rank), ``SEV-2`` the next, and so on. Priorities count from zero: ``P0`` is
    ``SEV-1``'s rank, ``P1`` ``SEV-2``'s.
    """
    wanted = value.strip()
    for severity in severities:
        if severity.id == wanted or severity.name.lower() == wanted.lower():
            return severity
    index = severity_index(wanted)
    if index is not None:
        by_rank = sorted(severities, key=lambda s: s.rank, reverse=True)
        if 0 <= index < len(by_rank):
            return by_rank[index]
    return None


def severity_index(label: str) -> int | None:
    """The 0-based rank position a ``SEV-n`` (n-1) or ``Pn`` (n) label names, else None."""
    match = _SEV_N.match(label.strip())
    if match:
        return int(match.group(1)) - 1
    match = _PRIORITY.match(label.strip())
    return int(match.group(1)) if match else None


def match_status(statuses: Sequence[IncidentStatus], value: str) -> IncidentStatus | None:
    """Find a status by id or by name (any case)."""
    wanted = value.strip()
    for status in statuses:
        if status.id == wanted or status.name.lower() == wanted.lower():
            return status
    return None


def match_type(types: Sequence[IncidentType], value: str) -> IncidentType | None:
    """Find an incident type by id or by name (any case)."""
    wanted = value.strip()
    for incident_type in types:
        if incident_type.id == wanted or incident_type.name.lower() == wanted.lower():
            return incident_type
    return None


def resolve_severity(lookups: Lookups, value: str) -> Op[Severity]:
    """The severity a name, id or ``SEV-n`` refers to.

    Raises:
        UnknownNameError: nothing matches; the message lists the valid names.
    """
    cached = lookups.severities is not None
    found = match_severity((yield from load_severities(lookups)), value)
    if found is None and cached:
        found = match_severity((yield from load_severities(lookups, refresh=True)), value)
    if found is None:
        severities = lookups.severities or []
        names = [s.name for s in severities]
        names += [f"SEV-{n}" for n in range(1, len(severities) + 1) if f"SEV-{n}" not in names]
        raise UnknownNameError("severity", value, names)
    return found


def resolve_status(lookups: Lookups, value: str) -> Op[IncidentStatus]:
    """The status a name or id refers to.

    Raises:
        UnknownNameError: nothing matches; the message lists the valid names.
    """
    cached = lookups.statuses is not None
    found = match_status((yield from load_statuses(lookups)), value)
    if found is None and cached:
        found = match_status((yield from load_statuses(lookups, refresh=True)), value)
    if found is None:
        raise UnknownNameError("status", value, [s.name for s in lookups.statuses or []])
    return found


def resolve_type(lookups: Lookups, value: str) -> Op[IncidentType]:
    """The incident type a name or id refers to.

    Raises:
        UnknownNameError: nothing matches; the message lists the valid names.
    """
    cached = lookups.types is not None
    found = match_type((yield from load_types(lookups)), value)
    if found is None and cached:
        found = match_type((yield from load_types(lookups, refresh=True)), value)
    if found is None:
        raise UnknownNameError("incident type", value, [t.name for t in lookups.types or []])
    return found
