"""The operations on incidents and their records, each written once as a sans-I/O generator.

Incidents (list, get, create, edit), incident updates, timeline items and follow-ups. Each
function takes the client's :class:`~incidentkit.api.lookups.Lookups` first and yields
:class:`~incidentkit.api.core.APIRequest` objects; the sync and async clients expose them as
methods (see :mod:`incidentkit.api.resources`). List operations return a
:class:`~incidentkit.api.pagination.ListSpec` that the client wraps in a pager. The
organisation's set-up is in :mod:`incidentkit.api.organisation`, the intents on top
(acknowledge, escalate, close) in :mod:`incidentkit.api.intents`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import InvalidArgumentError
from incidentkit.api.incident_inputs import (
    custom_field_filter,
    lead_assignment,
    lead_filter,
    timestamp_values,
)
from incidentkit.api.lookups import Lookups, resolve_severity, resolve_status, resolve_type
from incidentkit.api.pagination import ListSpec
from incidentkit.api.params import (
    CustomFieldValues,
    DateLike,
    OneOrMany,
    date_value,
    list_spec,
    many,
    new_idempotency_key,
    path_id,
)
from incidentkit.api.refs import IncidentRef
from incidentkit.api.resolvers import custom_field_entries, resolve_ids, resolve_incident_ref

if TYPE_CHECKING:
    # The models are imported where they are used: pydantic is the heaviest import of the client,
    # and a program that wants the API's JSON (``SyncPager.raw()``) never needs it.
    from incidentkit.api.models import FollowUp, Incident, IncidentUpdate, TimelineItem


# --- incidents ------------------------------------------------------------------------------


def get_incident(lookups: Lookups, incident: str | IncidentRef) -> Op[Incident]:
    """Get an incident by ULID, ``INC-123``, ``123`` or dashboard URL (``GET /v2/incidents/{id}``).

    Raises:
        OrganisationMismatchError: a dashboard URL of another organisation than the API key's.
    """
    ref = yield from resolve_incident_ref(lookups, incident)
    body = yield APIRequest("GET", f"/v2/incidents/{path_id(ref.path_value)}")
    from incidentkit.api.models import Incident

    return Incident.model_validate(body["incident"])


def resolve_incident_id(lookups: Lookups, incident: str | IncidentRef) -> Op[str]:
    """The ULID of an incident, fetching it only when given a numeric reference or URL.

    Raises:
        OrganisationMismatchError: a dashboard URL of another organisation than the API key's.
    """
    ref = yield from resolve_incident_ref(lookups, incident)
    if ref.id is not None:
        return ref.id
    return (yield from get_incident(lookups, ref)).id


def list_incidents(
    lookups: Lookups,
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
    custom_fields: Mapping[str, OneOrMany] | None = None,
    lead: OneOrMany | None = None,
    mode: OneOrMany | None = None,
    filter_mode: str | None = None,
    sort_by: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[Incident]]:
    """List incidents (``GET /v2/incidents``) with any of the API's filters, every page.

    Severities, statuses and types may be given by name (``SEV-n`` too) or id; names are
    resolved to ids first. ``incident_role`` and ``custom_field`` map an id to
    ``{operator: values}``, for example ``{"01F...": {"one_of": ["01G..."]}}``; ``custom_fields``
    maps a field's name (or id) to the value(s) wanted, select options by value, and ``lead``
    keeps incidents led by any of the users given (email, id or Slack user id). Without ``mode``
    the API returns standard and retrospective incidents only.
    """
    params: list[tuple[str, str]] = []

    def add(name: str, operator: str, values: list[str]) -> None:
        params.extend((f"{name}[{operator}]", v) for v in values)

    add("status_category", "one_of", many(status_category))
    add("status_category", "not_in", many(status_category_not_in))
    for operator, statuses in (("one_of", status), ("not_in", status_not_in)):
        add("status", operator, (yield from resolve_ids(resolve_status, lookups, statuses)))
    for operator, severities in (("one_of", severity), ("not_in", severity_not_in)):
        add("severity", operator, (yield from resolve_ids(resolve_severity, lookups, severities)))
    for operator, bound in (("gte", severity_gte), ("lte", severity_lte)):
        if bound is not None:
            add("severity", operator, [(yield from resolve_severity(lookups, bound)).id])
    for operator, types in (("one_of", incident_type), ("not_in", incident_type_not_in)):
        add("incident_type", operator, (yield from resolve_ids(resolve_type, lookups, types)))
    for name, gte, lte, date_range in (
        ("created_at", created_at_gte, created_at_lte, created_at_date_range),
        ("updated_at", updated_at_gte, updated_at_lte, updated_at_date_range),
    ):
        if gte is not None:
            add(name, "gte", [date_value(gte)])
        if lte is not None:
            add(name, "lte", [date_value(lte)])
        if date_range is not None:
            add(name, "date_range", [f"{date_value(date_range[0])}~{date_value(date_range[1])}"])
    roles = dict(incident_role or {})
    if lead is not None:
        roles.update((yield from lead_filter(lookups, lead)))
    fields = dict(custom_field or {})
    if custom_fields is not None:
        fields.update((yield from custom_field_filter(lookups, custom_fields)))
    for name, nested in (("incident_role", roles), ("custom_field", fields)):
        for key, operators in (nested or {}).items():
            for operator, values in operators.items():
                add(f"{name}[{key}]", operator, many(values))
    add("mode", "one_of", many(mode))
    if filter_mode is not None:
        params.append(("filter_mode", filter_mode))
    if sort_by is not None:
        params.append(("sort_by", sort_by))
    return list_spec("/v2/incidents", "incidents", _incident_from, params, page_size, limit)


def _incident_from(raw: Any) -> Incident:
    from incidentkit.api.models import Incident

    return Incident.model_validate(raw)


def create_incident(
    lookups: Lookups,
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
    lead: str | None = None,
    timestamps: Mapping[str, DateLike | None] | None = None,
    slack_channel_name: str | None = None,
    retrospective_incident_options: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Op[Incident]:
    """Declare an incident (``POST /v2/incidents``).

    An idempotency key is generated when none is given and sent unchanged on every retry,
    so a retried create never declares a second incident. Severity, type and status may be
    given by name or id; ``custom_fields`` by field name or id (see :func:`custom_field_entries`),
    added to any ``custom_field_entries`` given as the API spells them. ``lead`` is a user's
    email, id or Slack user id; ``timestamps`` maps timestamp names (``Impact started at``) or ids
    to when. ``slack_channel_name`` overrides the channel's name; ``retrospective_incident_options``
    (``external_id``, ``postmortem_document_url``, ``slack_channel_id``) go with ``mode="retrospective"``.
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
        payload["severity_id"] = (yield from resolve_severity(lookups, severity)).id
    if incident_type is not None:
        payload["incident_type_id"] = (yield from resolve_type(lookups, incident_type)).id
    if status is not None:
        payload["incident_status_id"] = (yield from resolve_status(lookups, status)).id
    if mode is not None:
        payload["mode"] = mode
    if custom_field_entries is not None or custom_fields is not None:
        payload["custom_field_entries"] = yield from _entries(lookups, custom_field_entries, custom_fields)
    assignments = yield from _assignments(lookups, incident_role_assignments, lead)
    if assignments is not None:
        payload["incident_role_assignments"] = assignments
    if timestamps is not None:
        payload["incident_timestamp_values"] = yield from timestamp_values(lookups, timestamps)
    if slack_channel_name is not None:
        payload["slack_channel_name_override"] = slack_channel_name
    if retrospective_incident_options is not None:
        payload["retrospective_incident_options"] = dict(retrospective_incident_options)
    payload.update(extra or {})
    body = yield APIRequest("POST", "/v2/incidents", json=payload)
    from incidentkit.api.models import Incident

    return Incident.model_validate(body["incident"])


def edit_incident(
    lookups: Lookups,
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
    lead: str | None = None,
    timestamps: Mapping[str, DateLike | None] | None = None,
    slack_channel_name: str | None = None,
    notify_incident_channel: bool = False,
) -> Op[Incident]:
    """Edit an incident (``POST /v2/incidents/{id}/actions/edit``), sending only the fields given.

    Severity and status may be given by name or id; ``custom_fields`` by field name or id (see
    :func:`custom_field_entries`). ``lead`` is a user's email, id or Slack user id (``""``
    unassigns the lead); ``timestamps`` maps timestamp names or ids to when (``None`` clears one).

    Raises:
        InvalidArgumentError: no field to change was given (nothing is sent).
    """
    changes: dict[str, Any] = {}
    for key, value in (
        ("name", name),
        ("summary", summary),
        ("call_url", call_url),
        ("slack_channel_name_override", slack_channel_name),
    ):
        if value is not None:
            changes[key] = value
    no_fields = custom_fields is None and custom_field_entries is None
    nothing_else = incident_role_assignments is None and lead is None and timestamps is None
    if not changes and severity is None and status is None and no_fields and nothing_else:
        raise InvalidArgumentError(
            "nothing to edit: give at least one of name, summary, severity, status, call_url, "
            "custom_fields, custom_field_entries, incident_role_assignments, lead, timestamps "
            "or slack_channel_name"
        )
    assignments = yield from _assignments(lookups, incident_role_assignments, lead)
    if assignments is not None:
        changes["incident_role_assignments"] = assignments
    if timestamps is not None:
        changes["incident_timestamp_values"] = yield from timestamp_values(lookups, timestamps)
    if custom_field_entries is not None or custom_fields is not None:
        changes["custom_field_entries"] = yield from _entries(lookups, custom_field_entries, custom_fields)
    if severity is not None:
        changes["severity_id"] = (yield from resolve_severity(lookups, severity)).id
    if status is not None:
        changes["incident_status_id"] = (yield from resolve_status(lookups, status)).id
    incident_id = yield from resolve_incident_id(lookups, incident)
    return (yield from send_edit(incident_id, changes, notify_incident_channel))


def _assignments(
    lookups: Lookups, given: Sequence[Mapping[str, Any]] | None, lead: str | None
) -> Op[list[Any] | None]:
    """The role assignments given as the API spells them, and the lead's, if any."""
    if given is None and lead is None:
        return None
    assignments: list[Any] = [dict(a) for a in given or []]
    if lead is not None:
        assignments.append((yield from lead_assignment(lookups, lead)))
    return assignments


def _entries(
    lookups: Lookups,
    entries: Sequence[Mapping[str, Any]] | None,
    by_name: Mapping[str, CustomFieldValues] | None,
) -> Op[list[Any]]:
    named = (yield from custom_field_entries(lookups, by_name)) if by_name is not None else []
    return [*(entries or []), *named]


def send_edit(incident_id: str, changes: Mapping[str, Any], notify: bool) -> Op[Incident]:
    body = yield APIRequest(
        "POST",
        f"/v2/incidents/{path_id(incident_id)}/actions/edit",
        json={"incident": dict(changes), "notify_incident_channel": notify},
        retry_safe=True,  # it sets values, so repeating it changes nothing more
    )
    from incidentkit.api.models import Incident

    return Incident.model_validate(body["incident"])


# --- incident updates and timeline items ------------------------------------------------------


def list_incident_updates(
    lookups: Lookups,
    incident: str | IncidentRef | None = None,
    *,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[IncidentUpdate]]:
    """List incident updates (``GET /v2/incident_updates``), of one incident or of all."""
    params: list[tuple[str, str]] = []
    if incident is not None:
        params.append(("incident_id", (yield from resolve_incident_id(lookups, incident))))
    from incidentkit.api.models import IncidentUpdate

    return list_spec(
        "/v2/incident_updates", "incident_updates", IncidentUpdate.model_validate, params, page_size, limit
    )


def create_incident_update(
    lookups: Lookups,
    incident: str | IncidentRef,
    *,
    message: str | None = None,
    status: str | None = None,
    severity: str | None = None,
    idempotency_key: str | None = None,
) -> Op[IncidentUpdate]:
    """Post an incident update (``POST /v2/incident_updates``), optionally changing status or severity."""
    payload: dict[str, Any] = {
        "incident_id": (yield from resolve_incident_id(lookups, incident)),
        "idempotency_key": idempotency_key or new_idempotency_key(),
    }
    if message is not None:
        payload["message"] = message
    if status is not None:
        payload["to_incident_status_id"] = (yield from resolve_status(lookups, status)).id
    if severity is not None:
        payload["to_severity_id"] = (yield from resolve_severity(lookups, severity)).id
    body = yield APIRequest("POST", "/v2/incident_updates", json=payload)
    from incidentkit.api.models import IncidentUpdate

    return IncidentUpdate.model_validate(body["incident_update"])


def list_timeline_items(
    lookups: Lookups,
    incident: str | IncidentRef | None = None,
    *,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[TimelineItem]]:
    """List timeline items (``GET /v2/incident_timeline_items``), of one incident or of all."""
    params: list[tuple[str, str]] = []
    if incident is not None:
        params.append(("incident_id", (yield from resolve_incident_id(lookups, incident))))
    from incidentkit.api.models import TimelineItem

    return list_spec(
        "/v2/incident_timeline_items",
        "incident_timeline_items",
        TimelineItem.model_validate,
        params,
        page_size,
        limit,
    )


def create_timeline_item(
    lookups: Lookups,
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
        "incident_id": (yield from resolve_incident_id(lookups, incident)),
        "title": title,
        "timestamp": date_value(when),
        "idempotency_key": idempotency_key or new_idempotency_key(),
    }
    if description is not None:
        payload["description"] = description
    body = yield APIRequest("POST", "/v2/incident_timeline_items", json=payload)
    from incidentkit.api.models import TimelineItem

    return TimelineItem.model_validate(body["incident_timeline_item"])


def update_timeline_item(
    lookups: Lookups,
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
        payload["timestamp"] = date_value(timestamp)
    if not payload:
        raise InvalidArgumentError("nothing to update: give at least one of title, description or timestamp")
    body = yield APIRequest("PATCH", f"/v2/incident_timeline_items/{path_id(item_id)}", json=payload)
    from incidentkit.api.models import TimelineItem

    return TimelineItem.model_validate(body["incident_timeline_item"])


# --- follow-ups -------------------------------------------------------------------------------


def list_follow_ups(
    lookups: Lookups,
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
        params.append(("incident_id", (yield from resolve_incident_id(lookups, incident))))
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
            params.append((f"{name}[{operator}]", date_value(value)))
    from incidentkit.api.models import FollowUp

    return list_spec("/v3/follow_ups", "follow_ups", FollowUp.model_validate, params, page_size, limit)


def create_follow_up(
    lookups: Lookups,
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
        "incident_id": (yield from resolve_incident_id(lookups, incident)),
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
