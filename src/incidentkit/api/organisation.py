"""Operations on the organisation's set-up and people, written once as sans-I/O generators.

Severities, incident statuses, types and roles, custom fields, users, and what the API key is
(``GET /v1/identity``). Like every operation, each takes the client's
:class:`~incidentkit.api.lookups.Lookups` first and yields
:class:`~incidentkit.api.core.APIRequest` objects (see :mod:`incidentkit.api.operations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.lookups import (
    Lookups,
    load_severities,
    load_statuses,
    load_types,
    resolve_severity,
    resolve_status,
    resolve_type,
)
from incidentkit.api.pagination import ListSpec
from incidentkit.api.params import list_spec, path_id, ready

if TYPE_CHECKING:
    # The models are imported where they are used: pydantic is the heaviest import of the client,
    # and a program that wants the API's JSON (``SyncPager.raw()``) never needs it.
    from incidentkit.api.models import (
        CustomField,
        Identity,
        IncidentRole,
        IncidentStatus,
        IncidentType,
        Severity,
        User,
    )


def list_severities(lookups: Lookups) -> Op[list[Severity]]:
    """List the organisation's severities, most severe first (``GET /v1/severities``)."""
    return (yield from load_severities(lookups, refresh=True))


def get_severity(lookups: Lookups, severity: str) -> Op[Severity]:
    """Get a severity by id, name or ``SEV-n``."""
    return (yield from resolve_severity(lookups, severity))


def list_incident_statuses(lookups: Lookups, *, category: str | None = None) -> Op[list[IncidentStatus]]:
    """List the incident statuses (``GET /v1/incident_statuses``), optionally of one category."""
    statuses = yield from load_statuses(lookups, refresh=True)
    return [s for s in statuses if category is None or s.category == category]


def get_incident_status(lookups: Lookups, status: str) -> Op[IncidentStatus]:
    """Get an incident status by id or name."""
    return (yield from resolve_status(lookups, status))


def list_incident_types(lookups: Lookups) -> Op[list[IncidentType]]:
    """List the incident types (``GET /v1/incident_types``)."""
    return (yield from load_types(lookups, refresh=True))


def get_incident_type(lookups: Lookups, incident_type: str) -> Op[IncidentType]:
    """Get an incident type by id or name."""
    return (yield from resolve_type(lookups, incident_type))


def list_incident_roles(lookups: Lookups) -> Op[list[IncidentRole]]:
    """List the incident roles (``GET /v2/incident_roles``)."""
    body = yield APIRequest("GET", "/v2/incident_roles")
    from incidentkit.api.models import IncidentRole

    return [IncidentRole.model_validate(r) for r in body["incident_roles"]]


def get_incident_role(lookups: Lookups, role_id: str) -> Op[IncidentRole]:
    """Get an incident role by id (``GET /v2/incident_roles/{id}``)."""
    body = yield APIRequest("GET", f"/v2/incident_roles/{path_id(role_id)}")
    from incidentkit.api.models import IncidentRole

    return IncidentRole.model_validate(body["incident_role"])


def list_custom_fields(lookups: Lookups) -> Op[list[CustomField]]:
    """List the custom fields (``GET /v2/custom_fields``)."""
    body = yield APIRequest("GET", "/v2/custom_fields")
    from incidentkit.api.models import CustomField

    return [CustomField.model_validate(f) for f in body["custom_fields"]]


def get_custom_field(lookups: Lookups, field_id: str) -> Op[CustomField]:
    """Get a custom field by id (``GET /v2/custom_fields/{id}``)."""
    body = yield APIRequest("GET", f"/v2/custom_fields/{path_id(field_id)}")
    from incidentkit.api.models import CustomField

    return CustomField.model_validate(body["custom_field"])


def list_users(
    lookups: Lookups,
    *,
    email: str | None = None,
    slack_user_id: str | None = None,
    include_inactive: bool | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[User]]:
    """List users (``GET /v2/users``), every page."""
    params: list[tuple[str, str]] = []
    if email:
        params.append(("email", email))
    if slack_user_id:
        params.append(("slack_user_id", slack_user_id))
    if include_inactive is not None:
        params.append(("include_inactive", "true" if include_inactive else "false"))
    from incidentkit.api.models import User

    return (yield from ready(list_spec("/v2/users", "users", User.model_validate, params, page_size, limit)))


def get_user(lookups: Lookups, user_id: str) -> Op[User]:
    """Get a user by id (``GET /v2/users/{id}``)."""
    body = yield APIRequest("GET", f"/v2/users/{path_id(user_id)}")
    from incidentkit.api.models import User

    return User.model_validate(body["user"])


def get_identity(lookups: Lookups) -> Op[Identity]:
    """What the API key is: its name, roles and teams (``GET /v1/identity``)."""
    body = yield APIRequest("GET", "/v1/identity")
    from incidentkit.api.models import Identity

    return Identity.model_validate(body["identity"])
