"""Every client operation, written once as a sans-I/O generator.

Each function takes the client's :class:`~incidentkit.api.catalog.Catalog` first and yields
:class:`~incidentkit.api.core.APIRequest` objects; the sync and async clients expose them as
methods (see :mod:`incidentkit.api.resources`). List operations return a
:class:`~incidentkit.api.pagination.ListSpec` that the client wraps in a pager.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from incidentkit.api.catalog import (
    Catalog,
    load_severities,
    load_statuses,
    load_types,
    resolve_severity,
    resolve_status,
    resolve_type,
)
from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import OrganisationMismatchError
from incidentkit.api.pagination import ListSpec
from incidentkit.api.refs import IncidentRef, organisation_slug, parse_incident_ref
from incidentkit.timeutil import iso

if TYPE_CHECKING:
    # The models are imported where they are used: pydantic is the heaviest import of the client,
    # and a program that wants the API's JSON (``SyncPager.raw()``) never needs it.
    from incidentkit.api.models import (
        CustomField,
        FollowUp,
        Identity,
        Incident,
        IncidentRole,
        IncidentStatus,
        IncidentType,
        IncidentUpdate,
        Severity,
        TimelineItem,
        User,
    )

# The largest page each endpoint accepts (the schema's `maximum` for `page_size`).
MAX_PAGE_SIZE = {
    "/v2/incidents": 500,
    "/v2/incident_updates": 250,
    "/v2/incident_timeline_items": 250,
    "/v2/users": 10000,
    "/v3/follow_ups": 250,
}

T = TypeVar("T")

OneOrMany = str | Sequence[str]
DateLike = date | datetime | str
CustomFieldValues = str | int | float | Sequence[str | int | float]
"""One custom field's value(s) as people give them: an option's value or id, a number, a URL, text."""


def new_idempotency_key() -> str:
    """A fresh idempotency key for a create that was not given one."""
    return str(uuid.uuid4())


def _path_id(value: str) -> str:
    return quote(value, safe="")


def _many(value: OneOrMany | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _date_value(value: DateLike) -> str:
    if isinstance(value, datetime):
        return iso(value)  # refuses a naive datetime: it names no instant
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- organisation configuration -----------------------------------------------------------


def list_severities(catalog: Catalog) -> Op[list[Severity]]:
    """List the organisation's severities, most severe first (``GET /v1/severities``)."""
    return (yield from load_severities(catalog, refresh=True))


def get_severity(catalog: Catalog, severity: str) -> Op[Severity]:
    """Get a severity by id, name or ``SEV-n``."""
    return (yield from resolve_severity(catalog, severity))


def list_incident_statuses(catalog: Catalog, *, category: str | None = None) -> Op[list[IncidentStatus]]:
    """List the incident statuses (``GET /v1/incident_statuses``), optionally of one category."""
    statuses = yield from load_statuses(catalog, refresh=True)
    return [s for s in statuses if category is None or s.category == category]


def get_incident_status(catalog: Catalog, status: str) -> Op[IncidentStatus]:
    """Get an incident status by id or name."""
    return (yield from resolve_status(catalog, status))


def list_incident_types(catalog: Catalog) -> Op[list[IncidentType]]:
    """List the incident types (``GET /v1/incident_types``)."""
    return (yield from load_types(catalog, refresh=True))


def get_incident_type(catalog: Catalog, incident_type: str) -> Op[IncidentType]:
    """Get an incident type by id or name."""
    return (yield from resolve_type(catalog, incident_type))


def list_incident_roles(catalog: Catalog) -> Op[list[IncidentRole]]:
    """List the incident roles (``GET /v2/incident_roles``)."""
    body = yield APIRequest("GET", "/v2/incident_roles")
    from incidentkit.api.models import IncidentRole

    return [IncidentRole.model_validate(r) for r in body["incident_roles"]]


def get_incident_role(catalog: Catalog, role_id: str) -> Op[IncidentRole]:
    """Get an incident role by id (``GET /v2/incident_roles/{id}``)."""
    body = yield APIRequest("GET", f"/v2/incident_roles/{_path_id(role_id)}")
    from incidentkit.api.models import IncidentRole

    return IncidentRole.model_validate(body["incident_role"])


def list_custom_fields(catalog: Catalog) -> Op[list[CustomField]]:
    """List the custom fields (``GET /v2/custom_fields``)."""
    body = yield APIRequest("GET", "/v2/custom_fields")
    from incidentkit.api.models import CustomField

    return [CustomField.model_validate(f) for f in body["custom_fields"]]


def get_custom_field(catalog: Catalog, field_id: str) -> Op[CustomField]:
    """Get a custom field by id (``GET /v2/custom_fields/{id}``)."""
    body = yield APIRequest("GET", f"/v2/custom_fields/{_path_id(field_id)}")
    from incidentkit.api.models import CustomField

    return CustomField.model_validate(body["custom_field"])


def custom_field_entries(
    catalog: Catalog, values: Mapping[str, CustomFieldValues]
) -> Op[list[dict[str, Any]]]:
    """Turn ``{field name or id: value(s)}`` into the API's ``custom_field_entries``.

    A field is named by id or by name in any case. Select fields take an option's value (when
    the API lists the options) or its id; numeric fields a number; link fields a URL; anything
    else text. An empty list clears the field. Reads the custom fields (``GET /v2/custom_fields``).

    Raises:
        ValueError: a field that does not exist; the message names it and lists the fields.
    """
    fields = yield from list_custom_fields(catalog)
    entries = []
    for key, given in values.items():
        found = next((f for f in fields if f.id == key or f.name.lower() == key.strip().lower()), None)
        if found is None:
            names = ", ".join(f.name for f in fields) or "(none)"
            raise ValueError(f"no custom field {key!r}; custom fields: {names}")
        items = [given] if isinstance(given, str | int | float) else list(given)
        entry_values: list[dict[str, Any]] = []
        for item in items:
            text = str(item)
            if found.field_type in ("single_select", "multi_select"):
                option = next((o for o in found.options if text in (o.id, o.value)), None)
                entry_values.append({"value_option_id": option.id if option else text})
            elif found.field_type == "numeric":
                entry_values.append({"value_numeric": text})
            elif found.field_type == "link":
                entry_values.append({"value_link": text})
            else:
                entry_values.append({"value_text": text})
        entries.append({"custom_field_id": found.id, "values": entry_values})
    return entries


def list_users(
    catalog: Catalog,
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

    return (
        yield from _ready(_list_spec("/v2/users", "users", User.model_validate, params, page_size, limit))
    )


def get_user(catalog: Catalog, user_id: str) -> Op[User]:
    """Get a user by id (``GET /v2/users/{id}``)."""
    body = yield APIRequest("GET", f"/v2/users/{_path_id(user_id)}")
    from incidentkit.api.models import User

    return User.model_validate(body["user"])


def get_identity(catalog: Catalog) -> Op[Identity]:
    """What the API key is: its name, roles and teams (``GET /v1/identity``)."""
    body = yield APIRequest("GET", "/v1/identity")
    from incidentkit.api.models import Identity

    return Identity.model_validate(body["identity"])


def _ready(value: T) -> Op[T]:
    """An operation that needs no request, so that every operation can be driven alike."""
    return value
    yield  # unreachable, but makes this function a generator


def _resolve_ids(
    resolve: Callable[[Catalog, str], Op[Any]], catalog: Catalog, values: OneOrMany | None
) -> Op[list[str]]:
    ids: list[str] = []
    for value in _many(values):
        ids.append((yield from resolve(catalog, value)).id)
    return ids


def _list_spec(
    path: str,
    items_key: str,
    parse: Any,
    params: Sequence[tuple[str, str]],
    page_size: int | None,
    limit: int | None,
) -> ListSpec[Any]:
    maximum = MAX_PAGE_SIZE[path]
    if page_size is not None and not 1 <= page_size <= maximum:
        raise ValueError(f"page_size must be between 1 and {maximum} for {path}, not {page_size}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return ListSpec(
        path=path,
        items_key=items_key,
        parse=parse,
        params=tuple(params),
        page_size=page_size or maximum,
        limit=limit,
    )


# --- incidents ------------------------------------------------------------------------------


def key_organisation(catalog: Catalog) -> Op[str | None]:
    """The slug of the API key's organisation (from ``GET /v1/identity``), fetched once per client."""
    if catalog.organisation is None:
        identity = yield from get_identity(catalog)
        catalog.organisation = organisation_slug(identity.dashboard_url) or ""
    return catalog.organisation or None


def resolve_incident_ref(catalog: Catalog, incident: str | IncidentRef) -> Op[IncidentRef]:
    """Parse a reference, and refuse a dashboard URL of another organisation than the key's.

    Every operation that takes an incident reference comes through here, so no caller (the CLI,
    a workflow step, a script) can act on this organisation's INC-47 when given another
    organisation's ``https://app.incident.io/other-org/incidents/47``.

    Raises:
        InvalidReferenceError: the value is not a reference.
        OrganisationMismatchError: a dashboard URL names another organisation, or the API did not
            say which organisation the key belongs to (fails closed).
    """
    ref = incident if isinstance(incident, IncidentRef) else parse_incident_ref(incident)
    if ref.organisation is not None:
        mine = yield from key_organisation(catalog)
        if mine != ref.organisation:
            raise OrganisationMismatchError(str(incident), ref.organisation, mine)
    return ref


def get_incident(catalog: Catalog, incident: str | IncidentRef) -> Op[Incident]:
    """Get an incident by ULID, ``INC-123``, ``123`` or dashboard URL (``GET /v2/incidents/{id}``).

    Raises:
        OrganisationMismatchError: a dashboard URL of another organisation than the API key's.
    """
    ref = yield from resolve_incident_ref(catalog, incident)
    body = yield APIRequest("GET", f"/v2/incidents/{_path_id(ref.path_value)}")
    from incidentkit.api.models import Incident

    return Incident.model_validate(body["incident"])


def resolve_incident_id(catalog: Catalog, incident: str | IncidentRef) -> Op[str]:
    """The ULID of an incident, fetching it only when given a numeric reference or URL.

    Raises:
        OrganisationMismatchError: a dashboard URL of another organisation than the API key's.
    """
    ref = yield from resolve_incident_ref(catalog, incident)
    if ref.id is not None:
        return ref.id
    return (yield from get_incident(catalog, ref)).id


def list_incidents(
    catalog: Catalog,
    *,
    status_category: OneOrMany | None = None,
    status_category_not_in: OneOrMany | None = None,
    status: OneOrMany | None = None,
    status_not_in: OneOrMany | None = None,
    severity: OneOrMany | None = None,
    severity_not_in: OneOrMany | None = None,
    severity_gte: str | None = None,
    severity_lte: str | None = None,
    created_at_gte: DateLike | None = None,
    created_at_lte: DateLike | None = None,
    created_at_date_range: tuple[DateLike, DateLike] | None = None,
    updated_at_gte: DateLike | None = None,
    updated_at_lte: DateLike | None = None,
    updated_at_date_range: tuple[DateLike, DateLike] | None = None,
    incident_type: OneOrMany | None = None,
    incident_type_not_in: OneOrMany | None = None,
    incident_role: Mapping[str, Mapping[str, OneOrMany]] | None = None,
    custom_field: Mapping[str, Mapping[str, OneOrMany]] | None = None,
    mode: OneOrMany | None = None,
    filter_mode: str | None = None,
    sort_by: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[Incident]]:
    """List incidents (``GET /v2/incidents``) with any of the API's filters, every page.

    Severities, statuses and types may be given by name (``SEV-n`` too) or id; names are
    resolved to ids first. ``incident_role`` and ``custom_field`` map an id to
    ``{operator: values}``, for example ``{"01F...": {"one_of": ["01G..."]}}``. Without
    ``mode`` the API returns standard and retrospective incidents only.
    """
    params: list[tuple[str, str]] = []

    def add(name: str, operator: str, values: list[str]) -> None:
        params.extend((f"{name}[{operator}]", v) for v in values)

    add("status_category", "one_of", _many(status_category))
    add("status_category", "not_in", _many(status_category_not_in))
    for operator, statuses in (("one_of", status), ("not_in", status_not_in)):
        add("status", operator, (yield from _resolve_ids(resolve_status, catalog, statuses)))
    for operator, severities in (("one_of", severity), ("not_in", severity_not_in)):
        add("severity", operator, (yield from _resolve_ids(resolve_severity, catalog, severities)))
    for operator, bound in (("gte", severity_gte), ("lte", severity_lte)):
        if bound is not None:
            add("severity", operator, [(yield from resolve_severity(catalog, bound)).id])
    for operator, types in (("one_of", incident_type), ("not_in", incident_type_not_in)):
        add("incident_type", operator, (yield from _resolve_ids(resolve_type, catalog, types)))
    for name, gte, lte, date_range in (
        ("created_at", created_at_gte, created_at_lte, created_at_date_range),
        ("updated_at", updated_at_gte, updated_at_lte, updated_at_date_range),
    ):
        if gte is not None:
            add(name, "gte", [_date_value(gte)])
        if lte is not None:
            add(name, "lte", [_date_value(lte)])
        if date_range is not None:
            add(name, "date_range", [f"{_date_value(date_range[0])}~{_date_value(date_range[1])}"])
    for name, nested in (("incident_role", incident_role), ("custom_field", custom_field)):
        for key, operators in (nested or {}).items():
            for operator, values in operators.items():
                add(f"{name}[{key}]", operator, _many(values))
    add("mode", "one_of", _many(mode))
    if filter_mode is not None:
        params.append(("filter_mode", filter_mode))
    if sort_by is not None:
        params.append(("sort_by", sort_by))
    return _list_spec("/v2/incidents", "incidents", _incident_from, params, page_size, limit)


def _incident_from(raw: Any) -> Incident:
    from incidentkit.api.models import Incident

    return Incident.model_validate(raw)


def create_incident(
    catalog: Catalog,
    *,
    name: str | None = None,
    summary: str | None = None,
    severity: str | None = None,
    incident_type: str | None = None,
    status: str | None = None,
    visibility: str = "public",
    mode: str | None = None,
    idempotency_key: str | None = None,
    custom_fields: Mapping[str, CustomFieldValues] | None = None,
    custom_field_entries: Sequence[Mapping[str, Any]] | None = None,
    incident_role_assignments: Sequence[Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Op[Incident]:
    """Declare an incident (``POST /v2/incidents``).

    An idempotency key is generated when none is given and sent unchanged on every retry,
    so a retried create never declares a second incident. Severity, type and status may be
    given by name or id; ``custom_fields`` by field name or id (see :func:`custom_field_entries`),
    added to any ``custom_field_entries`` given as the API spells them.
    """
    payload: dict[str, Any] = {
        "idempotency_key": idempotency_key or new_idempotency_key(),
        "visibility": visibility,
    }
    if name is not None:
        payload["name"] = name
    if summary is not None:
        payload["summary"] = summary
    if severity is not None:
        payload["severity_id"] = (yield from resolve_severity(catalog, severity)).id
    if incident_type is not None:
        payload["incident_type_id"] = (yield from resolve_type(catalog, incident_type)).id
    if status is not None:
        payload["incident_status_id"] = (yield from resolve_status(catalog, status)).id
    if mode is not None:
        payload["mode"] = mode
    if custom_field_entries is not None or custom_fields is not None:
        payload["custom_field_entries"] = yield from _entries(catalog, custom_field_entries, custom_fields)
    if incident_role_assignments is not None:
        payload["incident_role_assignments"] = list(incident_role_assignments)
    payload.update(extra or {})
    body = yield APIRequest("POST", "/v2/incidents", json=payload)
    from incidentkit.api.models import Incident

    return Incident.model_validate(body["incident"])


def edit_incident(
    catalog: Catalog,
    incident: str | IncidentRef,
    *,
    name: str | None = None,
    summary: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    call_url: str | None = None,
    custom_fields: Mapping[str, CustomFieldValues] | None = None,
    custom_field_entries: Sequence[Mapping[str, Any]] | None = None,
    incident_role_assignments: Sequence[Mapping[str, Any]] | None = None,
    notify_incident_channel: bool = False,
) -> Op[Incident]:
    """Edit an incident (``POST /v2/incidents/{id}/actions/edit``), sending only the fields given.

    Severity and status may be given by name or id; ``custom_fields`` by field name or id (see
    :func:`custom_field_entries`).

    Raises:
        ValueError: no field to change was given (nothing is sent).
    """
    changes: dict[str, Any] = {}
    for key, value in (("name", name), ("summary", summary), ("call_url", call_url)):
        if value is not None:
            changes[key] = value
    if incident_role_assignments is not None:
        changes["incident_role_assignments"] = list(incident_role_assignments)
    no_fields = custom_fields is None and custom_field_entries is None
    if not changes and severity is None and status is None and no_fields:
        raise ValueError(
            "nothing to edit: give at least one of name, summary, severity, status, call_url, "
            "custom_fields, custom_field_entries or incident_role_assignments"
        )
    if custom_field_entries is not None or custom_fields is not None:
        changes["custom_field_entries"] = yield from _entries(catalog, custom_field_entries, custom_fields)
    if severity is not None:
        changes["severity_id"] = (yield from resolve_severity(catalog, severity)).id
    if status is not None:
        changes["incident_status_id"] = (yield from resolve_status(catalog, status)).id
    incident_id = yield from resolve_incident_id(catalog, incident)
    return (yield from _edit(incident_id, changes, notify_incident_channel))


def _entries(
    catalog: Catalog,
    entries: Sequence[Mapping[str, Any]] | None,
    by_name: Mapping[str, CustomFieldValues] | None,
) -> Op[list[Any]]:
    named = (yield from custom_field_entries(catalog, by_name)) if by_name is not None else []
    return [*(entries or []), *named]


def _edit(incident_id: str, changes: Mapping[str, Any], notify: bool) -> Op[Incident]:
    body = yield APIRequest(
        "POST",
        f"/v2/incidents/{_path_id(incident_id)}/actions/edit",
        json={"incident": dict(changes), "notify_incident_channel": notify},
        retry_safe=True,  # it sets values, so repeating it changes nothing more
    )
    from incidentkit.api.models import Incident

    return Incident.model_validate(body["incident"])


@dataclass(frozen=True)
class IncidentChange:
    """The outcome of an intent such as acknowledge, escalate or close.

    Attributes:
        incident: the incident as it is now.
        changed: False when the incident was already where the intent would take it.
        description: a sentence saying what happened, for people.
        update: the incident update posted with the change, if a message was given.
    """

    incident: Incident
    changed: bool
    description: str
    update: IncidentUpdate | None = None


def _move(
    catalog: Catalog,
    incident: Incident,
    *,
    status: IncidentStatus | None = None,
    severity: Severity | None = None,
    message: str | None,
    idempotency_key: str | None,
    notify_incident_channel: bool,
) -> Op[tuple[Incident, IncidentUpdate | None]]:
    """Apply a status and/or severity change, as an incident update when there is a message."""
    if message:
        # One incident update both changes the incident and tells people why, atomically.
        update = yield from create_incident_update(
            catalog,
            incident.id,
            message=message,
            status=status.id if status else None,
            severity=severity.id if severity else None,
            idempotency_key=idempotency_key,
        )
        return (yield from get_incident(catalog, IncidentRef(id=incident.id))), update
    changes: dict[str, Any] = {}
    if status is not None:
        changes["incident_status_id"] = status.id
    if severity is not None:
        changes["severity_id"] = severity.id
    return (yield from _edit(incident.id, changes, notify_incident_channel)), None


def acknowledge_incident(
    catalog: Catalog,
    incident: str | IncidentRef,
    *,
    message: str | None = None,
    idempotency_key: str | None = None,
    notify_incident_channel: bool = False,
) -> Op[IncidentChange]:
    """Move a triage incident to the organisation's first live status.

    An incident that is not in triage is left alone (``changed`` is False). With ``message``,
    the change is posted as an incident update carrying that message.
    """
    current = yield from get_incident(catalog, incident)
    if current.status_category != "triage":
        return IncidentChange(
            current,
            False,
            f"{current.reference} is not in triage (it is {current.incident_status.name}); nothing to do",
        )
    target = yield from _first_status(catalog, "live")
    after, update = yield from _move(
        catalog,
        current,
        status=target,
        message=message,
        idempotency_key=idempotency_key,
        notify_incident_channel=notify_incident_channel,
    )
    return IncidentChange(
        after, True, f"{after.reference} acknowledged: {current.incident_status.name} → {target.name}", update
    )


def _first_status(catalog: Catalog, category: str) -> Op[IncidentStatus]:
    """The organisation's first status (lowest rank) of ``category``, looked up, never hard-coded."""
    statuses = [s for s in (yield from load_statuses(catalog)) if s.category == category]
    if not statuses:
        raise ValueError(f"the organisation has no status of category {category!r}")
    return min(statuses, key=lambda s: s.rank)


def escalate_incident(
    catalog: Catalog,
    incident: str | IncidentRef,
    *,
    to: str | None = None,
    message: str | None = None,
    idempotency_key: str | None = None,
    notify_incident_channel: bool = False,
) -> Op[IncidentChange]:
    """Raise an incident's severity one step by rank, or to the severity named by ``to``.

    An incident already at the most severe level (or at ``to``) is left alone.
    """
    current = yield from get_incident(catalog, incident)
    severities = yield from load_severities(catalog)
    if to is not None:
        target: Severity | None = yield from resolve_severity(catalog, to)
    else:
        rank = current.severity.rank if current.severity else None
        higher = [s for s in severities if rank is None or s.rank > rank]
        target = min(higher, key=lambda s: s.rank) if higher else None
    if target is None or (current.severity is not None and current.severity.id == target.id):
        where = current.severity.name if current.severity else "no severity"
        return IncidentChange(current, False, f"{current.reference} is already at {where}; nothing to do")
    after, update = yield from _move(
        catalog,
        current,
        severity=target,
        message=message,
        idempotency_key=idempotency_key,
        notify_incident_channel=notify_incident_channel,
    )
    before = current.severity.name if current.severity else "no severity"
    return IncidentChange(after, True, f"{after.reference} escalated: {before} → {target.name}", update)


def close_incident(
    catalog: Catalog,
    incident: str | IncidentRef,
    *,
    message: str | None = None,
    idempotency_key: str | None = None,
    notify_incident_channel: bool = False,
) -> Op[IncidentChange]:
    """Move an incident to the organisation's first status of category ``closed``.

    The status is looked up, never hard-coded. An incident already closed is left alone.
    """
    current = yield from get_incident(catalog, incident)
    if current.status_category == "closed":
        return IncidentChange(
            current,
            False,
            f"{current.reference} is already closed ({current.incident_status.name}); nothing to do",
        )
    target = yield from _first_status(catalog, "closed")
    after, update = yield from _move(
        catalog,
        current,
        status=target,
        message=message,
        idempotency_key=idempotency_key,
        notify_incident_channel=notify_incident_channel,
    )
    return IncidentChange(
        after, True, f"{after.reference} closed: {current.incident_status.name} → {target.name}", update
    )


# --- incident updates and timeline items ------------------------------------------------------


def list_incident_updates(
    catalog: Catalog,
    incident: str | IncidentRef | None = None,
    *,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[IncidentUpdate]]:
    """List incident updates (``GET /v2/incident_updates``), of one incident or of all."""
    params: list[tuple[str, str]] = []
    if incident is not None:
        params.append(("incident_id", (yield from resolve_incident_id(catalog, incident))))
    from incidentkit.api.models import IncidentUpdate

    return _list_spec(
        "/v2/incident_updates", "incident_updates", IncidentUpdate.model_validate, params, page_size, limit
    )


def create_incident_update(
    catalog: Catalog,
    incident: str | IncidentRef,
    *,
    message: str | None = None,
    status: str | None = None,
    severity: str | None = None,
    idempotency_key: str | None = None,
) -> Op[IncidentUpdate]:
    """Post an incident update (``POST /v2/incident_updates``), optionally changing status or severity."""
    payload: dict[str, Any] = {
        "incident_id": (yield from resolve_incident_id(catalog, incident)),
        "idempotency_key": idempotency_key or new_idempotency_key(),
    }
    if message is not None:
        payload["message"] = message
    if status is not None:
        payload["to_incident_status_id"] = (yield from resolve_status(catalog, status)).id
    if severity is not None:
        payload["to_severity_id"] = (yield from resolve_severity(catalog, severity)).id
    body = yield APIRequest("POST", "/v2/incident_updates", json=payload)
    from incidentkit.api.models import IncidentUpdate

    return IncidentUpdate.model_validate(body["incident_update"])


def list_timeline_items(
    catalog: Catalog,
    incident: str | IncidentRef | None = None,
    *,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[TimelineItem]]:
    """List timeline items (``GET /v2/incident_timeline_items``), of one incident or of all."""
    params: list[tuple[str, str]] = []
    if incident is not None:
        params.append(("incident_id", (yield from resolve_incident_id(catalog, incident))))
    from incidentkit.api.models import TimelineItem

    return _list_spec(
        "/v2/incident_timeline_items",
        "incident_timeline_items",
        TimelineItem.model_validate,
        params,
        page_size,
        limit,
    )


def create_timeline_item(
    catalog: Catalog,
    incident: str | IncidentRef,
    *,
    title: str,
    timestamp: datetime | None = None,
    description: str | None = None,
    idempotency_key: str | None = None,
) -> Op[TimelineItem]:
    """Add a timeline item (``POST /v2/incident_timeline_items``); ``timestamp`` defaults to now."""
    when = timestamp or datetime.now(UTC)
    payload: dict[str, Any] = {
        "incident_id": (yield from resolve_incident_id(catalog, incident)),
        "title": title,
        "timestamp": _date_value(when),
        "idempotency_key": idempotency_key or new_idempotency_key(),
    }
    if description is not None:
        payload["description"] = description
    body = yield APIRequest("POST", "/v2/incident_timeline_items", json=payload)
    from incidentkit.api.models import TimelineItem

    return TimelineItem.model_validate(body["incident_timeline_item"])


def update_timeline_item(
    catalog: Catalog,
    item_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    timestamp: datetime | None = None,
) -> Op[TimelineItem]:
    """Change a timeline item (``PATCH /v2/incident_timeline_items/{id}``), sending only the fields given."""
    payload: dict[str, Any] = {}
    if title is not None:
        payload["title"] = title
    if description is not None:
        payload["description"] = description
    if timestamp is not None:
        payload["timestamp"] = _date_value(timestamp)
    if not payload:
        raise ValueError("nothing to update: give at least one of title, description or timestamp")
    body = yield APIRequest("PATCH", f"/v2/incident_timeline_items/{_path_id(item_id)}", json=payload)
    from incidentkit.api.models import TimelineItem

    return TimelineItem.model_validate(body["incident_timeline_item"])


# --- follow-ups -------------------------------------------------------------------------------


def list_follow_ups(
    catalog: Catalog,
    incident: str | IncidentRef | None = None,
    *,
    incident_mode: str | None = None,
    assignee_team_id: str | None = None,
    created_at_gte: DateLike | None = None,
    created_at_lte: DateLike | None = None,
    updated_at_gte: DateLike | None = None,
    updated_at_lte: DateLike | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[FollowUp]]:
    """List follow-ups (``GET /v3/follow_ups``), of one incident or of all, every page.

    Without ``incident_mode`` the API returns follow-ups of standard and retrospective incidents only.
    """
    params: list[tuple[str, str]] = []
    if incident is not None:
        params.append(("incident_id", (yield from resolve_incident_id(catalog, incident))))
    if incident_mode is not None:
        params.append(("incident_mode", incident_mode))
    if assignee_team_id is not None:
        params.append(("assignee_team_id", assignee_team_id))
    for name, operator, value in (
        ("created_at", "gte", created_at_gte),
        ("created_at", "lte", created_at_lte),
        ("updated_at", "gte", updated_at_gte),
        ("updated_at", "lte", updated_at_lte),
    ):
        if value is not None:
            params.append((f"{name}[{operator}]", _date_value(value)))
    from incidentkit.api.models import FollowUp

    return _list_spec("/v3/follow_ups", "follow_ups", FollowUp.model_validate, params, page_size, limit)


def create_follow_up(
    catalog: Catalog,
    incident: str | IncidentRef,
    *,
    title: str,
    description: str | None = None,
    assignee_id: str | None = None,
    assignee_team_id: str | None = None,
    labels: Sequence[str] | None = None,
    follow_up_category_id: str | None = None,
    follow_up_priority_option_id: str | None = None,
    external_issue_reference_id: str | None = None,
) -> Op[FollowUp]:
    """Create a follow-up on an incident (``POST /v3/follow_ups``).

    The endpoint takes no idempotency key, so a retried create may make a second follow-up:
    the client retries it only on a 429 or when the request was never sent.
    """
    payload: dict[str, Any] = {
        "incident_id": (yield from resolve_incident_id(catalog, incident)),
        "title": title,
    }
    for key, value in (
        ("description", description),
        ("assignee_id", assignee_id),
        ("assignee_team_id", assignee_team_id),
        ("follow_up_category_id", follow_up_category_id),
        ("follow_up_priority_option_id", follow_up_priority_option_id),
        ("external_issue_reference_id", external_issue_reference_id),
    ):
        if value is not None:
            payload[key] = value
    if labels is not None:
        payload["labels"] = list(labels)
    body = yield APIRequest("POST", "/v3/follow_ups", json=payload)
    from incidentkit.api.models import FollowUp

    return FollowUp.model_validate(body["follow_up"])
