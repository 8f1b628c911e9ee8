"""What changed before an incident: the changes to its services and their dependencies, closest first.

:func:`changes_before` is the rule, a pure function: a change counts when it was made in the window
before the incident started (``start - window`` up to ``start``, both included) to one of the
incident's affected services (a *direct* match) or to a service one of them depends on, directly or
through others (a match *via* a dependency, with the path). Matches are ranked by how long before the
start the change was made, closest first; at the same time a direct match comes before one through a
dependency. An incident that names no affected service matches every change in the window: with
nothing to narrow by, the whole window is the honest answer.

:func:`changes` is the same over the store: it finds the incident (in the synced history, else
through the API), reads its services the way the history does (the configured ``service_fields``),
takes the dependency map given, or the catalog's, or the configuration's
``[investigation.dependencies]``, and the changes from the change log.

With a client, the dependencies come from the catalog's Service type (merged with the configured
map, see :class:`~incidentkit.investigation.service_catalog.ServiceCatalog`), and a change reported
under a service's alias (``payments`` for ``payments-api``) counts as a change to that service.
Without one, they come the same way from the services the last ``incidentkit sync`` copied into the
history's store, when it copied any.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.change_log import Change, ChangeLog
from incidentkit.investigation.config import InvestigationConfig, load_investigation_config
from incidentkit.investigation.history import History, HistoryIncident, incident_from_api
from incidentkit.investigation.similar import HistoryNotFoundError
from incidentkit.timeutil import iso

if TYPE_CHECKING:
    from incidentkit.api import Client

__all__ = ["DEFAULT_WINDOW", "ChangeMatch", "ChangesBefore", "changes", "changes_before", "describe_gap"]

DEFAULT_WINDOW = timedelta(hours=4)
"""How far before an incident's start changes are looked for."""
MAX_DEPTH = 3
"""Dependencies are followed this many hops from an affected service (a dependency of a dependency...)."""


@dataclass(frozen=True)
class ChangeMatch:
    """A change made before an incident, and how it relates to the incident.

    Attributes:
        change: the change.
        before_start: how long before the incident's start it was made.
        service: the incident's affected service it matched; None when the incident names none.
        via: the dependencies from ``service`` to the changed service, in order; empty for a change
            to ``service`` itself (``("payments",)``: the service depends on payments, which changed).
    """

    change: Change
    before_start: timedelta
    service: str | None
    via: tuple[str, ...] = ()

    @property
    def direct(self) -> bool:
        """The change was made to an affected service itself."""
        return not self.via

    @property
    def reason(self) -> str:
        """Why it matched, in words."""
        if self.service is None:
            return "in the window (the incident names no services)"
        if self.direct:
            return f"{self.service} itself"
        return " → ".join((self.service, *self.via))

    def to_dict(self) -> dict[str, Any]:
        """The match as JSON: the change, the gap in seconds and words, and what it matched."""
        return {
            "change": self.change.to_dict(),
            "before_start_seconds": int(self.before_start.total_seconds()),
            "before_start": describe_gap(self.before_start),
            "service": self.service,
            "via": list(self.via),
            "direct": self.direct,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ChangesBefore:
    """The answer for one incident: what was looked at, and the matches, closest first."""

    reference: str
    started_at: datetime
    services: tuple[str, ...]
    window: timedelta
    matches: tuple[ChangeMatch, ...]

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON."""
        return {
            "incident": self.reference,
            "started_at": iso(self.started_at),
            "services": list(self.services),
            "window_seconds": int(self.window.total_seconds()),
            "matches": [match.to_dict() for match in self.matches],
        }


def describe_gap(gap: timedelta) -> str:
    """A gap in words, to the minute: ``2h 05m``, ``12m``, ``40s``."""
    seconds = int(gap.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def _reach(
    services: Sequence[str], dependencies: Mapping[str, Iterable[str]], max_depth: int
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each service reachable from ``services`` (lower case) → (the affected service, the path to it).

    Breadth first, so each service gets its shortest path; the affected services are tried in the
    order given, so at equal length the first one named wins.
    """
    by_lower = {name.strip().lower(): [d.strip() for d in deps] for name, deps in dependencies.items()}
    reach: dict[str, tuple[str, tuple[str, ...]]] = {}
    queue: deque[tuple[str, str, tuple[str, ...]]] = deque()
    for service in services:
        key = service.strip().lower()
        if key and key not in reach:
            reach[key] = (service.strip(), ())
            queue.append((key, service.strip(), ()))
    while queue:
        key, affected, path = queue.popleft()
        if len(path) >= max_depth:
            continue
        for dependency in by_lower.get(key, []):
            dep_key = dependency.lower()
            if dep_key and dep_key not in reach:
                reach[dep_key] = (affected, (*path, dependency))
                queue.append((dep_key, affected, (*path, dependency)))
    return reach


def changes_before(
    started_at: datetime,
    services: Sequence[str],
    changes: Iterable[Change],
    *,
    dependencies: Mapping[str, Iterable[str]] | None = None,
    window: timedelta = DEFAULT_WINDOW,
    max_depth: int = MAX_DEPTH,
    aliases: Mapping[str, str] | None = None,
) -> list[ChangeMatch]:
    """The changes that may explain an incident that started at ``started_at``, closest first.

    Args:
        started_at: when the incident started.
        services: its affected services (any case); none matches every change in the window.
        changes: the candidate changes (any order; those outside the window are left out).
        dependencies: service → the services it depends on (any case).
        window: how far before the start to look.
        max_depth: how many dependency hops to follow.
        aliases: other name (lower case) → a service's name, so that a change or an incident
            naming a service by an alias matches it.

    Raises:
        ValueError: a negative window.
    """
    if window < timedelta(0):
        raise ValueError(f"the window cannot be negative, not {window}")
    known = {alias.lower(): name for alias, name in (aliases or {}).items()}

    def canonical(name: str) -> str:
        return known.get(name.strip().lower(), name.strip())

    services = list(dict.fromkeys(canonical(service) for service in services))
    reach = _reach(services, dependencies or {}, max_depth) if services else None
    matches: list[ChangeMatch] = []
    for change in changes:
        gap = started_at - change.at
        if gap < timedelta(0) or gap > window:
            continue
        if reach is None:
            matches.append(ChangeMatch(change, gap, None))
            continue
        found = reach.get(canonical(change.service).lower())
        if found is not None:
            matches.append(ChangeMatch(change, gap, found[0], found[1]))
    matches.sort(key=lambda match: (match.before_start, len(match.via), match.change.id))
    return matches


def changes(
    ref_or_incident: str | HistoryIncident,
    *,
    change_log: ChangeLog,
    history: History | None = None,
    client: Client | None = None,
    dependencies: Mapping[str, Iterable[str]] | None = None,
    window: timedelta = DEFAULT_WINDOW,
    config: InvestigationConfig | None = None,
) -> ChangesBefore:
    """The changes before an incident, from the change log: see the module's description.

    Args:
        ref_or_incident: an incident by ULID, ``INC-123`` or ``123``; or one as plain data.
        change_log: where the changes are kept.
        history: the synced incident history, looked in first.
        client: fetches the incident when the history does not have it.
        dependencies: service → the services it depends on; when None, the catalog's (with a
            client; without one, the catalog the history's last sync copied) merged with the
            configuration's.
        window: how far before the start to look.
        config: the ``[investigation]`` configuration; the configuration file's when None.

    Raises:
        HistoryNotFoundError: the incident is neither in the history nor (without a client) anywhere.
    """
    from incidentkit.investigation.service_catalog import ServiceCatalog

    config = config or load_investigation_config()
    incident = _incident(ref_or_incident, history, client, config)
    started_at = incident.created_at
    aliases: dict[str, str] = {}
    if dependencies is None:
        if client is None and history is not None:
            from incidentkit.investigation.service_directory import ServiceDirectory

            catalog = ServiceCatalog.stored(ServiceDirectory(history.store).all(), config)
        else:
            catalog = ServiceCatalog.load(client, config)
        dependencies, aliases = catalog.dependencies(), catalog.aliases()
    found = changes_before(
        started_at,
        incident.services,
        change_log.between(started_at - window, started_at),
        dependencies=dependencies,
        window=window,
        aliases=aliases,
    )
    return ChangesBefore(incident.reference, started_at, incident.services, window, tuple(found))


def _incident(
    ref_or_incident: str | HistoryIncident,
    history: History | None,
    client: Client | None,
    config: InvestigationConfig,
) -> HistoryIncident:
    if isinstance(ref_or_incident, HistoryIncident):
        return ref_or_incident
    if history is not None and (found := history.get(ref_or_incident)) is not None:
        return found
    if client is None:
        raise HistoryNotFoundError(
            f"incident {ref_or_incident!r} is not in the incident history: run `incidentkit sync` first, "
            "or give an API key to fetch it"
        )
    from incidentkit.api.errors import NotFoundError

    try:
        incident = client.incidents.get(ref_or_incident)
    except NotFoundError:
        raise HistoryNotFoundError(f"incident {ref_or_incident!r} was not found in incident.io") from None
    return incident_from_api(
        incident.to_json(),
        root_cause_fields=config.root_cause_fields,
        service_fields=config.service_fields,
    )
