"""What people give an incident create, edit or list, turned into what the API wants.

Users are given by email, id or Slack user id. The incident lead becomes an
``incident_role_assignments`` entry;
timestamps by name (``{"Impact started at": datetime}``) become ``incident_timestamp_values``; and
list filters by lead or by custom field name and option value become ``incident_role[...]`` and
``custom_field[...]`` filters with the ids the API wants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidentkit.api.core import Op
from incidentkit.api.errors import InvalidArgumentError, UnknownNameError
from incidentkit.api.incident_settings import (
    all_custom_field_options,
    collect,
    lead_role,
    list_incident_timestamps,
    resolve_custom_field,
)
from incidentkit.api.lookups import Lookups
from incidentkit.api.organisation import list_users
from incidentkit.api.params import DateLike, OneOrMany, date_value, many

SELECT_TYPES = ("single_select", "multi_select")


def user_reference(user: str) -> dict[str, str]:
    """A ``UserReferencePayloadV2`` for a user given by email, Slack user id (``U...``/``W...``) or id."""
    value = user.strip()
    if not value:
        raise InvalidArgumentError("a user must be given by id, email or Slack user id, not an empty string")
    if "@" in value:
        return {"email": value}
    if value[0] in "UW" and len(value) < 20 and value.isalnum() and value.isupper():
        return {"slack_user_id": value}
    return {"id": value}


def resolve_user_id(lookups: Lookups, user: str) -> Op[str]:
    """The id of a user given by id, email or Slack user id (looked up in ``GET /v2/users``).

    Raises:
        InvalidArgumentError: no user has that email or Slack user id.
    """
    reference = user_reference(user)
    if "id" in reference:
        return reference["id"]
    spec = yield from list_users(
        lookups, email=reference.get("email"), slack_user_id=reference.get("slack_user_id")
    )
    found = yield from collect(spec)
    if not found:
        raise InvalidArgumentError(f"no user has the {next(iter(reference)).replace('_', ' ')} {user!r}")
    return found[0].id


def lead_assignment(lookups: Lookups, lead: str) -> Op[dict[str, Any]]:
    """The role assignment making ``lead`` (email, id or Slack user id) the lead; ``""`` unassigns."""
    role = yield from lead_role(lookups)
    assignment: dict[str, Any] = {"incident_role_id": role.id}
    if lead.strip():
        assignment["assignee"] = user_reference(lead)
    return assignment


def timestamp_values(lookups: Lookups, timestamps: Mapping[str, DateLike | None]) -> Op[list[dict[str, Any]]]:
    """``{timestamp name or id: when}`` as ``incident_timestamp_values``; ``None`` clears a timestamp.

    Raises:
        UnknownNameError: a timestamp the organisation does not have; the message lists them.
    """
    known = yield from list_incident_timestamps(lookups)
    values: list[dict[str, Any]] = []
    for name, when in timestamps.items():
        wanted = name.strip().lower()
        found = next((t for t in known if t.id == name.strip() or t.name.lower() == wanted), None)
        if found is None:
            raise UnknownNameError("incident timestamp", name, [t.name for t in known])
        value: dict[str, Any] = {"incident_timestamp_id": found.id}
        if when is not None:
            value["value"] = date_value(when)
        values.append(value)
    return values


def lead_filter(lookups: Lookups, leads: OneOrMany) -> Op[dict[str, dict[str, list[str]]]]:
    """The ``incident_role`` filter for incidents led by any of ``leads`` (emails, ids or Slack ids)."""
    role = yield from lead_role(lookups)
    user_ids = []
    for lead in many(leads):
        user_ids.append((yield from resolve_user_id(lookups, lead)))
    return {role.id: {"one_of": user_ids}}


def custom_field_filter(
    lookups: Lookups, by_name: Mapping[str, OneOrMany]
) -> Op[dict[str, dict[str, list[str]]]]:
    """The ``custom_field`` filter for ``{field name or id: value(s)}``: select values become option ids.

    Raises:
        InvalidArgumentError: a field, or an option of a select field, that does not exist.
    """
    filters: dict[str, dict[str, list[str]]] = {}
    for name, given in by_name.items():
        field = yield from resolve_custom_field(lookups, name)
        values = many(given)
        if field.field_type in SELECT_TYPES:
            values = yield from option_ids(lookups, field.id, field.name, values)
        filters.setdefault(field.id, {}).setdefault("one_of", []).extend(values)
    return filters


def option_ids(lookups: Lookups, field_id: str, field_name: str, values: list[str]) -> Op[list[str]]:
    """The ids of a select field's options, each named by value (any case) or id.

    Raises:
        InvalidArgumentError: a value that is no option of the field; the message lists them.
    """
    options = yield from all_custom_field_options(lookups, field_id)
    ids = []
    for value in values:
        wanted = value.strip()
        found = next((o for o in options if o.id == wanted or o.value.lower() == wanted.lower()), None)
        if found is None:
            choices = ", ".join(o.value for o in options) or "(none)"
            raise InvalidArgumentError(f"{field_name} has no option {value!r}; its options: {choices}")
        ids.append(found.id)
    return ids
