"""Typed models of incident.io's alerting objects: alerts, alert sources, alert routes, incident alerts.

Tolerant like the other models (:mod:`incidentkit.api.models`): unknown fields are kept, enum-like
fields are plain strings, and the large nested configuration of sources and routes (templates,
conditions, expressions) stays as the API's JSON in ``dict`` fields.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, Field

from incidentkit.api.models import APIModel


class AlertTag(APIModel):
    """A tag someone applied to alerts (``AlertTagV2``)."""

    id: str
    name: str


class Alert(APIModel):
    """An alert (``AlertV2``): one deduplication key of one alert source, ``firing`` or ``resolved``."""

    id: str
    alert_source_id: str
    title: str
    status: str
    deduplication_key: str
    description: str | None = None
    source_url: str | None = None
    tags: list[AlertTag] = []
    alert_group_ids: list[str] = []
    attributes: list[dict[str, Any]] = []
    created_at: AwareDatetime
    updated_at: AwareDatetime
    resolved_at: AwareDatetime | None = None

    @property
    def tag_names(self) -> list[str]:
        """The names of the alert's tags."""
        return [tag.name for tag in self.tags]


class AlertSource(APIModel):
    """An alert source (``AlertSourceV2``). HTTP sources take events at ``alert_events_url``.

    ``secret_token`` authenticates those events; it is left out of the model's ``repr``.
    """

    id: str
    name: str
    source_type: str
    alert_events_url: str | None = None
    secret_token: str | None = Field(default=None, repr=False)
    template: dict[str, Any] = {}
    owning_team_ids: list[str] = []

    @property
    def config_id(self) -> str:
        """The *alert source config id* events are sent to: the source's id."""
        return self.id


class AlertRoute(APIModel):
    """An alert route (``AlertRouteV3``; a listing gives only id, name and enabled)."""

    id: str
    name: str
    enabled: bool
    version: int | None = None
    is_private: bool | None = None
    alert_sources: list[dict[str, Any]] = []
    condition_groups: list[dict[str, Any]] = []
    incident_config: dict[str, Any] | None = None
    grouping_config: dict[str, Any] | None = None
    escalation_config: dict[str, Any] | None = None
    message_config: dict[str, Any] | None = None
    expressions: list[dict[str, Any]] = []
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    @property
    def creates_incidents(self) -> bool:
        """Whether the route opens incidents from the alerts it matches."""
        return bool((self.incident_config or {}).get("enabled"))

    @property
    def alert_source_ids(self) -> list[str]:
        """The ids of the alert sources the route matches."""
        return [str(source["alert_source_id"]) for source in self.alert_sources]


class IncidentSummary(APIModel):
    """The incident an incident alert links to (``IncidentSlimV2``)."""

    id: str
    reference: str
    name: str
    status_category: str
    visibility: str
    external_id: int | None = None
    summary: str | None = None


class IncidentAlert(APIModel):
    """An alert attached to an incident (``IncidentAlertV2``), and the route that attached it, if one did."""

    id: str
    alert: Alert
    incident: IncidentSummary
    alert_route_id: str | None = None


class AlertEventResult(APIModel):
    """What an HTTP alert source answered an event with (``AlertEventsCreateHTTPResultV2``)."""

    deduplication_key: str
    status: str
    message: str
