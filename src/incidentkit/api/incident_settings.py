"""Operations on the organisation's incident settings: timestamps, custom field options, incident roles.

Incident timestamps (``GET /v2/incident_timestamps``) are named by people (``Impact started at``)
and resolved here to the ids incidents use. Custom field options are the v1 API's
(``/v1/custom_field_options``); incident roles gain create, update and delete beside the list and
get of :mod:`incidentkit.api.organisation`. Like every operation, each takes the client's
:class:`~incidentkit.api.lookups.Lookups` first and yields :class:`~incidentkit.api.core.APIRequest`
objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import InvalidArgumentError, UnknownNameError
from incidentkit.api.lookups import Lookups
from incidentkit.api.organisation import get_incident_role, list_custom_fields, list_incident_roles
from incidentkit.api.pagination import ListSpec
from incidentkit.api.params import list_spec, path_id

if TYPE_CHECKING:
    from incidentkit.api.models import CustomField, CustomFieldOption, IncidentRole, IncidentTimestamp

T = TypeVar("T")


def collect(spec: ListSpec[T]) -> Op[list[T]]:
    """Every item of a listing, fetched page by page inside an operation."""
    items: list[T] = []
    after: str | None = None
    while True:
        request = spec.request(after, len(items))
        page = spec.read((yield request), request, len(items))
        items += page.items
        if page.after is None:
            return items
        after = page.after


# --- incident timestamps ----------------------------------------------------------------------


def list_incident_timestamps(lookups: Lookups) -> Op[list[IncidentTimestamp]]:
    """List the organisation's incident timestamps in rank order (``GET /v2/incident_timestamps``)."""
    body = yield APIRequest("GET", "/v2/incident_timestamps")
    from incidentkit.api.models import IncidentTimestamp

    found = [IncidentTimestamp.model_validate(t) for t in body["incident_timestamps"]]
    return sorted(found, key=lambda t: t.rank)


def get_incident_timestamp(lookups: Lookups, timestamp: str) -> Op[IncidentTimestamp]:
    """Get an incident timestamp by id (``GET /v2/incident_timestamps/{id}``) or by name, in any case.

    Raises:
        UnknownNameError: no timestamp has that name; the message lists the names.
    """
    found = yield from list_incident_timestamps(lookups)
    wanted = timestamp.strip().lower()
    match = next((t for t in found if t.id == timestamp.strip() or t.name.lower() == wanted), None)
    if match is None:
        raise UnknownNameError("incident timestamp", timestamp, [t.name for t in found])
    body = yield APIRequest("GET", f"/v2/incident_timestamps/{path_id(match.id)}")
    from incidentkit.api.models import IncidentTimestamp

    return IncidentTimestamp.model_validate(body["incident_timestamp"])


# --- custom field options ---------------------------------------------------------------------


def _option_from(raw: Any) -> CustomFieldOption:
    from incidentkit.api.models import CustomFieldOption

    return CustomFieldOption.model_validate(raw)


def resolve_custom_field(lookups: Lookups, custom_field: str) -> Op[CustomField]:
    """The custom field named by id or by name (any case).

    Raises:
        InvalidArgumentError: no such field; the message lists the fields.
    """
    fields = yield from list_custom_fields(lookups)
    wanted = custom_field.strip()
    found = next((f for f in fields if f.id == wanted or f.name.lower() == wanted.lower()), None)
    if found is None:
        names = ", ".join(f.name for f in fields) or "(none)"
        raise InvalidArgumentError(f"no custom field {custom_field!r}; custom fields: {names}")
    return found


def list_custom_field_options(
    lookups: Lookups, custom_field: str, *, page_size: int | None = None, limit: int | None = None
) -> Op[ListSpec[CustomFieldOption]]:
    """List a custom field's options in sort order (``GET /v1/custom_field_options``), every page.

    The field may be named by id or by name (any case).
    """
    field_id = (yield from resolve_custom_field(lookups, custom_field)).id
    params = [("custom_field_id", field_id)]
    return list_spec(
        "/v1/custom_field_options", "custom_field_options", _option_from, params, page_size, limit
    )


def all_custom_field_options(lookups: Lookups, field_id: str) -> Op[list[CustomFieldOption]]:
    """Every option of the custom field with id ``field_id``, fetched page by page."""
    params = [("custom_field_id", field_id)]
    spec = list_spec("/v1/custom_field_options", "custom_field_options", _option_from, params, None, None)
    return (yield from collect(spec))


def get_custom_field_option(lookups: Lookups, option_id: str) -> Op[CustomFieldOption]:
    """Get a custom field option by id (``GET /v1/custom_field_options/{id}``)."""
    body = yield APIRequest("GET", f"/v1/custom_field_options/{path_id(option_id)}")
    return _option_from(body["custom_field_option"])


def create_custom_field_option(
    lookups: Lookups, custom_field: str, value: str, *, sort_key: int | None = None
) -> Op[CustomFieldOption]:
    """Add an option to a select custom field (``POST /v1/custom_field_options``).

    The field may be named by id or by name. Without ``sort_key`` the API uses 1000, near the end.
    The endpoint takes no idempotency key, so a retried create could add the option twice; the API
    refuses a second option of the same value, which is what a retry then sees.
    """
    payload: dict[str, Any] = {
        "custom_field_id": (yield from resolve_custom_field(lookups, custom_field)).id,
        "value": value,
    }
    if sort_key is not None:
        payload["sort_key"] = sort_key
    body = yield APIRequest("POST", "/v1/custom_field_options", json=payload)
    return _option_from(body["custom_field_option"])


def update_custom_field_option(
    lookups: Lookups, option_id: str, *, value: str | None = None, sort_key: int | None = None
) -> Op[CustomFieldOption]:
    """Change an option's value or sort key (``PUT /v1/custom_field_options/{id}``).

    The API wants both; the one not given is read from the option first.

    Raises:
        InvalidArgumentError: neither was given (nothing is sent).
    """
    if value is None and sort_key is None:
        raise InvalidArgumentError("nothing to update: give value, sort_key or both")
    if value is None or sort_key is None:
        current = yield from get_custom_field_option(lookups, option_id)
        value = current.value if value is None else value
        sort_key = (
            (current.sort_key if current.sort_key is not None else 1000) if sort_key is None else sort_key
        )
    body = yield APIRequest(
        "PUT", f"/v1/custom_field_options/{path_id(option_id)}", json={"value": value, "sort_key": sort_key}
    )
    return _option_from(body["custom_field_option"])


def delete_custom_field_option(lookups: Lookups, option_id: str) -> Op[None]:
    """Delete a custom field option (``DELETE /v1/custom_field_options/{id}``)."""
    yield APIRequest("DELETE", f"/v1/custom_field_options/{path_id(option_id)}")


# --- incident roles ---------------------------------------------------------------------------


def _role_from(raw: Any) -> IncidentRole:
    from incidentkit.api.models import IncidentRole

    return IncidentRole.model_validate(raw)


def lead_role(lookups: Lookups) -> Op[IncidentRole]:
    """The organisation's incident lead role (the role of type ``lead``).

    Raises:
        InvalidArgumentError: the organisation has no lead role.
    """
    roles = yield from list_incident_roles(lookups)
    found = next((r for r in roles if r.role_type == "lead"), None)
    if found is None:
        raise InvalidArgumentError("the organisation has no incident lead role")
    return found


def create_incident_role(
    lookups: Lookups, *, name: str, shortform: str, description: str, instructions: str = ""
) -> Op[IncidentRole]:
    """Create a custom incident role (``POST /v2/incident_roles``)."""
    payload = {"name": name, "shortform": shortform, "description": description, "instructions": instructions}
    body = yield APIRequest("POST", "/v2/incident_roles", json=payload)
    return _role_from(body["incident_role"])


def update_incident_role(
    lookups: Lookups,
    role_id: str,
    *,
    name: str | None = None,
    shortform: str | None = None,
    description: str | None = None,
    instructions: str | None = None,
) -> Op[IncidentRole]:
    """Change an incident role (``PUT /v2/incident_roles/{id}``); the fields not given keep their values.

    Raises:
        InvalidArgumentError: no field was given (nothing is sent).
    """
    given = {"name": name, "shortform": shortform, "description": description, "instructions": instructions}
    if all(value is None for value in given.values()):
        raise InvalidArgumentError("nothing to update: give name, shortform, description or instructions")
    current = yield from get_incident_role(lookups, role_id)
    payload = {
        key: value if value is not None else (getattr(current, key) or "") for key, value in given.items()
    }
    body = yield APIRequest("PUT", f"/v2/incident_roles/{path_id(role_id)}", json=payload)
    return _role_from(body["incident_role"])


def delete_incident_role(lookups: Lookups, role_id: str) -> Op[None]:
    """Delete a custom incident role (``DELETE /v2/incident_roles/{id}``); the lead and reporter stay."""
    yield APIRequest("DELETE", f"/v2/incident_roles/{path_id(role_id)}")
