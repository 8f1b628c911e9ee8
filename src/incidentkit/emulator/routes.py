"""The API's route table: each method and path the emulator answers, its handler and the scope it needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from incidentkit.emulator import (
    alert_routes,
    alert_sources,
    alerts,
    attachments,
    catalog_entries,
    catalog_types,
    custom_field_options,
    escalations,
    follow_ups,
    handlers,
    incident_settings,
    memberships,
    postmortems,
    relationships,
    schedules,
    teams,
)
from incidentkit.emulator.call import Handler
from incidentkit.emulator.errors import APIError


@dataclass(frozen=True)
class Route:
    """One operation: its method, its path (with ``{id}`` parameters) and what answers it."""

    method: str
    template: str  # the schema's path, such as /v2/incidents/{id}
    pattern: re.Pattern[str]
    handler: Handler
    scope: str | None  # the schema's x-rbac-scopes; None when any valid key may call it
    public: bool = False  # the schema's security is empty: no API key; the handler authenticates


def _route(method: str, template: str, handler: Handler, scope: str | None, public: bool = False) -> Route:
    # \Z, not $: a path ending in a newline is not the path without it.
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + r"\Z")
    return Route(method, template, pattern, handler, scope, public)


ROUTES = [
    _route("GET", "/v1/identity", handlers.identity, None),
    _route("GET", "/v1/severities", handlers.list_severities, "severities.view"),
    _route("GET", "/v1/severities/{id}", handlers.show_severity, "severities.view"),
    _route("GET", "/v1/incident_statuses", handlers.list_statuses, "incident_statuses.view"),
    _route("GET", "/v1/incident_statuses/{id}", handlers.show_status, "incident_statuses.view"),
    _route("GET", "/v1/incident_types", handlers.list_types, "incident_types.view"),
    _route("GET", "/v1/incident_types/{id}", handlers.show_type, "incident_types.view"),
    _route("GET", "/v2/incident_roles", handlers.list_roles, "incident_roles.view"),
    _route("GET", "/v2/incident_roles/{id}", handlers.show_role, "incident_roles.view"),
    _route("GET", "/v2/custom_fields", handlers.list_custom_fields, "custom_fields.view"),
    _route("GET", "/v2/custom_fields/{id}", handlers.show_custom_field, "custom_fields.view"),
    _route("GET", "/v2/users", handlers.list_users, "users.view"),
    _route("GET", "/v2/users/{id}", handlers.show_user, "users.view"),
    _route("GET", "/v2/incidents", handlers.list_incidents, "incidents.view"),
    _route("POST", "/v2/incidents", handlers.create_incident, "incidents.create"),
    _route("GET", "/v2/incidents/{id}", handlers.show_incident, "incidents.view"),
    # The schema lists no scope for edit; a key needs the right to edit incidents all the same.
    _route("POST", "/v2/incidents/{id}/actions/edit", handlers.edit_incident, "incidents.edit"),
    _route("GET", "/v2/incident_updates", handlers.list_incident_updates, "incidents.view"),
    _route("POST", "/v2/incident_updates", handlers.create_incident_update, "incident_updates.create"),
    _route("GET", "/v2/incident_timeline_items", handlers.list_timeline_items, "incidents.view"),
    _route("POST", "/v2/incident_timeline_items", handlers.create_timeline_item, "timeline_items.create"),
    _route(
        "PATCH", "/v2/incident_timeline_items/{id}", handlers.update_timeline_item, "timeline_items.update"
    ),
]
# The areas with a module of their own, each with its table of operations.
AREAS = (
    follow_ups,
    catalog_types,
    catalog_entries,
    teams,
    alert_sources,
    alert_routes,
    alerts,
    schedules,
    escalations,
    incident_settings,
    custom_field_options,
    memberships,
    attachments,
    postmortems,
    relationships,
)
ROUTES += [_route(*operation) for module in AREAS for operation in module.ROUTES]


def role_for_scope(scope: str) -> str:
    """The API key role (IdentityV1.roles) that grants a scope."""
    if scope.endswith(".view"):
        return "viewer"
    if scope == "incidents.create":
        return "incident_creator"
    if scope.startswith("organisation_settings."):
        return "manage_settings"
    return "incident_editor"


def match_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for ``method path`` and its path parameters; 405 naming the allowed methods, or 404."""
    allowed: list[str] = []
    for route in ROUTES:
        matched = route.pattern.match(path)
        if matched is None:
            continue
        if route.method == method:
            return route, matched.groupdict()
        allowed.append(route.method)
    if allowed:
        raise APIError(
            405,
            f"{method} is not allowed on {path}; use {', '.join(allowed)}",
            code="method_not_allowed",
            headers={"Allow": ", ".join(allowed)},
        )
    raise APIError(404, f"There is no endpoint at {path}", code="not_found")
