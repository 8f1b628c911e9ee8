"""One flat reading of an incident: the fields automation uses, its team and its affected services.

Workflow triggers (``$trigger.incident_io``), the incident steps' outputs and the investigation
all read an incident through :func:`incident_view`, so "which custom field is the team" and "what
does a value of it say" have one answer. The view reads the API's JSON (or an
:class:`~incidentkit.api.models.Incident`) tolerantly: a field missing from a partial webhook
payload is ``None``, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incidentkit.api.models import Incident

TEAM_WORD = "team"
"""Without a configured team field, every custom field whose name contains this word holds the team."""

SERVICE_WORD = "service"
"""Without configured service fields, every custom field whose name contains this word holds services."""


def is_team_field(field: Mapping[str, Any], team_field: str | None) -> bool:
    """Whether a custom field (the API's JSON) holds the team.

    Args:
        field: the custom field.
        team_field: the configured team field, by id or by name in any case; without one, any
            field whose name contains "team".
    """
    name = str(field.get("name") or "").strip().lower()
    if team_field:
        return field.get("id") == team_field or name == team_field.strip().lower()
    return TEAM_WORD in name


def value_names(value: Mapping[str, Any]) -> list[str]:
    """What one custom field value is called: its option's value, its text, or its catalog entry's name."""
    option = value.get("value_option")
    entry = value.get("value_catalog_entry")
    names = [
        option.get("value") if isinstance(option, Mapping) else None,
        value.get("value_text"),
        entry.get("name") if isinstance(entry, Mapping) else None,
    ]
    return [str(name) for name in names if name]


def _value_keys(value: Mapping[str, Any]) -> set[str]:
    """Every name and id a value may be matched by, lower case."""
    keys = set(value_names(value))
    for key in ("value_option", "value_catalog_entry"):
        nested = value.get(key)
        if isinstance(nested, Mapping):
            keys |= {str(nested[k]) for k in ("id", "external_id") if nested.get(k)}
    return {key.strip().lower() for key in keys}


def is_service_field(field: Mapping[str, Any], service_fields: Sequence[str] = ()) -> bool:
    """Whether a custom field (the API's JSON) lists the incident's affected services.

    Args:
        field: the custom field.
        service_fields: the configured service fields, by id or by name in any case; without any,
            every field whose name contains "service" (``Affected services``, ``Service``).
    """
    name = str(field.get("name") or "").strip().lower()
    if service_fields:
        return any(field.get("id") == wanted or name == wanted.strip().lower() for wanted in service_fields)
    return SERVICE_WORD in name


@dataclass(frozen=True)
class ServiceValue:
    """One affected service named by a custom field.

    Attributes:
        name: the service's name (the option's value, the text, or the catalog entry's name).
        field: the custom field's name.
        catalog_entry_id: the catalog entry's id, when the field is backed by the catalog.
    """

    name: str
    field: str
    catalog_entry_id: str | None = None


def service_values(data: Mapping[str, Any], service_fields: Sequence[str] = ()) -> list[ServiceValue]:
    """The affected services an incident's custom fields name, catalog-backed values first, once each.

    This is the one rule for "which services does this incident affect, by its fields": the incident
    view, the synced history and the investigation all read services through it.

    Args:
        data: the incident as the API's JSON.
        service_fields: which fields hold services (see :func:`is_service_field`).
    """
    found: list[ServiceValue] = []
    for entry in data.get("custom_field_entries") or []:
        field = entry.get("custom_field") if isinstance(entry, Mapping) else None
        if not isinstance(field, Mapping) or not is_service_field(field, service_fields):
            continue
        for value in entry.get("values") or []:
            if not isinstance(value, Mapping):
                continue
            catalog = value.get("value_catalog_entry")
            entry_id = catalog.get("id") if isinstance(catalog, Mapping) else None
            for name in value_names(value):
                found.append(ServiceValue(name, str(field.get("name") or ""), entry_id))
    # An organisation may have both a catalog field and an older select field of services.
    found.sort(key=lambda value: value.catalog_entry_id is None)
    seen: set[str] = set()
    unique: list[ServiceValue] = []
    for value in found:
        if value.name.lower() not in seen:
            seen.add(value.name.lower())
            unique.append(value)
    return unique


def service_names(data: Mapping[str, Any], service_fields: Sequence[str] = ()) -> list[str]:
    """The names of the affected services an incident's custom fields name (see :func:`service_values`)."""
    return [value.name for value in service_values(data, service_fields)]


@dataclass(frozen=True)
class IncidentView:
    """An incident as automation reads it. Build one with :func:`incident_view`.

    Attributes:
        data: the incident as the API's JSON.
        team_field: the configured team custom field (id or name), if any.
        service_fields: the configured service custom fields (ids or names); none: any field whose
            name contains "service".
    """

    data: Mapping[str, Any]
    team_field: str | None = None
    service_fields: tuple[str, ...] = ()

    @property
    def id(self) -> str | None:
        """The incident's ULID."""
        return self.data.get("id")

    @property
    def status(self) -> Mapping[str, Any]:
        """The incident status object (empty when the payload has none)."""
        status = self.data.get("incident_status")
        return status if isinstance(status, Mapping) else {}

    @property
    def severity(self) -> Mapping[str, Any] | None:
        """The severity object, or None."""
        severity = self.data.get("severity")
        return severity if isinstance(severity, Mapping) else None

    @property
    def reporter(self) -> str | None:
        """Who declared it: the creator's name, else their email."""
        creator = self.data.get("creator")
        user = creator.get("user") if isinstance(creator, Mapping) else None
        if isinstance(user, Mapping):
            return user.get("name") or user.get("email")
        return None

    def _entries(self, wanted: Any) -> list[Mapping[str, Any]]:
        values: list[Mapping[str, Any]] = []
        for entry in self.data.get("custom_field_entries") or []:
            field = entry.get("custom_field") if isinstance(entry, Mapping) else None
            if isinstance(field, Mapping) and wanted(field):
                values += [v for v in entry.get("values") or [] if isinstance(v, Mapping)]
        return values

    @property
    def teams(self) -> list[str]:
        """The names in the team custom field(s), in order."""
        return [name for value in self._entries(self._is_team) for name in value_names(value)]

    @property
    def team(self) -> str | list[str] | None:
        """The team: one name, several names as a list, or None."""
        teams = self.teams
        if not teams:
            return None
        return teams[0] if len(teams) == 1 else teams

    @property
    def services(self) -> list[str]:
        """The affected services, by the one rule of :func:`service_values` (catalog-backed values first)."""
        return service_names(self.data, self.service_fields)

    def belongs_to_team(self, team: str) -> bool:
        """Whether ``team`` (a name in any case, or an id) is in ``team_ids`` or a team field's values."""
        if team in (self.data.get("team_ids") or []):
            return True
        wanted = team.strip().lower()
        return any(wanted in _value_keys(value) for value in self._entries(self._is_team))

    def _is_team(self, field: Mapping[str, Any]) -> bool:
        return is_team_field(field, self.team_field)

    def fields(self) -> dict[str, Any]:
        """The flat fields workflows use (``$trigger.incident_io``, step outputs), plus the whole incident."""
        severity = self.severity or {}
        return {
            "incident_id": self.id,
            "reference": self.data.get("reference"),
            "name": self.data.get("name"),
            "title": self.data.get("name"),
            "summary": self.data.get("summary"),
            "status": self.status.get("name"),
            "status_category": self.status.get("category"),
            "severity": severity.get("name"),
            "severity_rank": severity.get("rank"),
            "reporter": self.reporter,
            "team": self.team,
            "services": self.services,
            "mode": self.data.get("mode"),
            "visibility": self.data.get("visibility"),
            "url": self.data.get("permalink"),
            "incident": dict(self.data),
        }


def incident_view(
    incident: Incident | Mapping[str, Any],
    *,
    team_field: str | None = None,
    service_fields: Sequence[str] = (),
) -> IncidentView:
    """The view of an incident, from the API's JSON or a typed :class:`~incidentkit.api.models.Incident`.

    Args:
        incident: the incident.
        team_field: the custom field that holds the team, by id or name (any case); by default
            every field whose name contains "team".
        service_fields: the custom fields that list the affected services, by id or name (any
            case); by default every field whose name contains "service".
    """
    data = incident if isinstance(incident, Mapping) else incident.to_json()
    return IncidentView(data, team_field, tuple(service_fields))
