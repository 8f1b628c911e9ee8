"""Which services an incident affects, and how each was found.

The rule, first that finds anything wins:

1. ``catalog_field``: the values of the incident's catalog-backed service field (``Affected
   services``, a multi-select of Service catalog entries);
2. ``field``: the values of its other service fields (a text or select field such as ``Affected
   service``), matched to the catalog by name or alias when it knows them;
3. ``title``, ``summary``, ``alert``: the known services (the catalog's names and aliases, or the
   configured ``[investigation] services``) mentioned in the incident's title, its summary, or the
   payloads of the alerts attached to it, in that order.

Which custom fields hold services is the one rule of :func:`incidentkit.api.view.service_values`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from incidentkit.api.view import service_values
from incidentkit.investigation.service_catalog import KnownService, ServiceCatalog

__all__ = ["FOUND_BY", "AffectedService", "find_affected_services"]

FOUND_BY = ("catalog_field", "field", "title", "summary", "alert")
"""How a service can be found, most certain first."""

# Keys of an alert whose values are identifiers or times, not text a service name could be in.
_NOT_TEXT = {"id", "alert_source_id", "alert_group_ids", "created_at", "updated_at", "resolved_at"}


@dataclass(frozen=True)
class AffectedService:
    """One service the incident affects.

    Attributes:
        name: the service's name (the catalog's, when it knows the service).
        found_by: how it was found (see :data:`FOUND_BY`).
        where: the field's name, ``title``, ``summary``, or the alert's title.
        matched: the name or alias found in text, for services found in text.
        known: the catalog's (or configuration's) record of it, when there is one.
    """

    name: str
    found_by: str
    where: str
    matched: str | None = None
    known: KnownService | None = None

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The services it depends on, as far as the catalog knows."""
        return self.known.depends_on if self.known else ()

    def to_json(self) -> dict[str, Any]:
        """The service as compact JSON: how it was found, its owner, tier and dependencies."""
        known = self.known
        found: dict[str, Any] = {"name": self.name, "found_by": self.found_by, "where": self.where}
        if self.matched is not None:
            found["matched"] = self.matched
        found["in_catalog"] = bool(known and known.catalog_entry_id)
        if known is not None:
            found.update(
                owner=known.owner,
                tier=known.tier,
                depends_on=list(known.depends_on),
                dependents=list(known.dependents),
            )
        return found


def find_affected_services(
    incident: Mapping[str, Any],
    alerts: Sequence[Mapping[str, Any]],
    catalog: ServiceCatalog,
    *,
    service_fields: Sequence[str] = (),
) -> list[AffectedService]:
    """The incident's affected services by the module's rule.

    Args:
        incident: the incident as the API's JSON.
        alerts: the alerts attached to it (``AlertV2`` JSON).
        catalog: the known services.
        service_fields: which custom fields hold services
            (see :func:`~incidentkit.api.view.is_service_field`).
    """
    values = service_values(incident, service_fields)
    from_catalog = [value for value in values if value.catalog_entry_id is not None]
    chosen = from_catalog or values
    if chosen:
        found: list[AffectedService] = []
        for value in chosen:
            known = _by_entry(catalog, value.catalog_entry_id) or catalog.find(value.name)
            how = "catalog_field" if value.catalog_entry_id is not None else "field"
            found.append(AffectedService(known.name if known else value.name, how, value.field, known=known))
        return _unique(found)
    texts: list[tuple[str, str, str]] = [
        ("title", "title", str(incident.get("name") or "")),
        ("summary", "summary", str(incident.get("summary") or "")),
    ]
    for alert in alerts:
        title = str(alert.get("title") or "alert")
        texts.append(("alert", f"alert {title!r}", "\n".join(_strings(alert))))
    mentioned: list[AffectedService] = []
    for how, where, text in texts:
        for known, term in catalog.mentions(text):
            mentioned.append(AffectedService(known.name, how, where, matched=term, known=known))
    return _unique(mentioned)


def _by_entry(catalog: ServiceCatalog, entry_id: str | None) -> KnownService | None:
    if entry_id is None:
        return None
    return next((s for s in catalog.services if s.catalog_entry_id == entry_id), None)


def _unique(services: list[AffectedService]) -> list[AffectedService]:
    """Each service once, where it was first found."""
    seen: set[str] = set()
    unique = []
    for service in services:
        if service.name.lower() not in seen:
            seen.add(service.name.lower())
            unique.append(service)
    return unique


def _strings(value: Any, key: str | None = None) -> Iterator[str]:
    """Every text value in an alert's JSON, leaving out ids and times."""
    if key in _NOT_TEXT:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for name, item in value.items():
            yield from _strings(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)
