"""The paging operations: escalation paths and escalations, as sans-I/O generators.

Escalations page people, through an escalation path (named by id or name) or directly (users by
id or email). A create sends one idempotency key, generated when none is given and sent unchanged
on every retry, so a retried create never pages twice. Responding and cancelling answer no body,
so those operations fetch the escalation afterwards and return it as it now is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import InvalidArgumentError, NotFoundError
from incidentkit.api.lookups import Lookups
from incidentkit.api.oncall import resolve_user_ids
from incidentkit.api.pagination import ListSpec
from incidentkit.api.params import (
    DateLike,
    OneOrMany,
    date_value,
    list_spec,
    many,
    new_idempotency_key,
    path_id,
    ready,
)
from incidentkit.api.resolvers import one_named, resolve_incident_ref

if TYPE_CHECKING:
    from datetime import datetime

    from incidentkit.api.paging_models import Escalation, EscalationPath

Response = Literal["ack", "nack", "snooze"]

# --- escalation paths ------------------------------------------------------------------------


def _path_from(raw: Any) -> EscalationPath:
    from incidentkit.api.paging_models import EscalationPath

    return EscalationPath.model_validate(raw)


def _all_paths(lookups: Lookups) -> Op[list[EscalationPath]]:
    found: list[EscalationPath] = []
    after: str | None = None
    while True:
        params = [("page_size", "25"), *([("after", after)] if after else [])]
        body = yield APIRequest("GET", "/v2/escalation_paths", params=tuple(params))
        found += [_path_from(raw) for raw in body.get("escalation_paths", [])]
        after = (body.get("pagination_meta") or {}).get("after")
        if not after:
            return found


def resolve_escalation_path(lookups: Lookups, path: str) -> Op[EscalationPath]:
    """The escalation path with id ``path``, or else with that name (case-insensitive).

    Raises:
        UnknownNameError: no path has that id or name; the message lists the names.
        InvalidArgumentError: several paths have that name (give the id).
    """
    value = path.strip()
    try:
        body = yield APIRequest("GET", f"/v2/escalation_paths/{path_id(value)}")
        return _path_from(body["escalation_path"])
    except NotFoundError:
        pass
    paths = yield from _all_paths(lookups)
    return one_named("escalation path", path, paths)


def list_escalation_paths(
    lookups: Lookups, *, page_size: int | None = None, limit: int | None = None
) -> Op[ListSpec[EscalationPath]]:
    """List the escalation paths (``GET /v2/escalation_paths``), every page."""
    return (
        yield from ready(
            list_spec("/v2/escalation_paths", "escalation_paths", _path_from, [], page_size, limit)
        )
    )


def get_escalation_path(lookups: Lookups, path: str) -> Op[EscalationPath]:
    """Get an escalation path by id or name (``GET /v2/escalation_paths/{id}``)."""
    return (yield from resolve_escalation_path(lookups, path))


def _path_payload(
    name: str,
    path: Sequence[Mapping[str, Any]],
    team_ids: Sequence[str] | None,
    repeat_config: Mapping[str, Any] | None,
    working_hours: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"name": name, "path": [dict(node) for node in path]}
    if team_ids is not None:
        payload["team_ids"] = list(team_ids)
    if repeat_config is not None:
        payload["repeat_config"] = dict(repeat_config)
    if working_hours is not None:
        payload["working_hours"] = [dict(hours) for hours in working_hours]
    return payload


def _binding_payload(binding: Mapping[str, Any]) -> dict[str, Any]:
    def value(raw: Mapping[str, Any]) -> dict[str, Any]:
        return {key: raw[key] for key in ("literal", "reference") if key in raw}

    payload: dict[str, Any] = {}
    if "value" in binding:
        payload["value"] = value(binding["value"])
    if "array_value" in binding:
        payload["array_value"] = [value(item) for item in binding["array_value"]]
    return payload


def node_payload(node: Mapping[str, Any]) -> dict[str, Any]:
    """A path node as the API shows it (``EscalationPathNodeV2``) turned back into what it accepts.

    Only branches differ: a shown condition names its subject and operation with labels, a sent one
    by reference and value, and parameter values lose their labels.
    """
    payload = dict(node)
    branch = node.get("if_else")
    if isinstance(branch, Mapping):
        payload["if_else"] = {
            "conditions": [
                {
                    "subject": condition["subject"]["reference"],
                    "operation": condition["operation"]["value"],
                    "param_bindings": [_binding_payload(b) for b in condition.get("param_bindings", [])],
                }
                for condition in branch.get("conditions", [])
            ],
            "then_path": [node_payload(n) for n in branch.get("then_path", [])],
            "else_path": [node_payload(n) for n in branch.get("else_path", [])],
        }
    return payload


def create_escalation_path(
    lookups: Lookups,
    *,
    name: str,
    path: Sequence[Mapping[str, Any]],
    team_ids: Sequence[str] | None = None,
    repeat_config: Mapping[str, Any] | None = None,
    working_hours: Sequence[Mapping[str, Any]] | None = None,
) -> Op[EscalationPath]:
    """Create an escalation path (``POST /v2/escalation_paths``); ``path`` is nodes as the API spells them.

    For example, a level paging a schedule's on-call user, then after five minutes a person::

        [{"id": "first", "type": "level", "level": {"targets": [
            {"type": "schedule", "id": SCHEDULE_ID, "urgency": "high"}], "time_to_ack_seconds": 300}},
         {"id": "then", "type": "level", "level": {"targets": [
            {"type": "user", "id": USER_ID, "urgency": "high"}]}}]
    """
    payload = _path_payload(name, path, team_ids, repeat_config, working_hours)
    body = yield APIRequest("POST", "/v2/escalation_paths", json=payload)
    return _path_from(body["escalation_path"])


def update_escalation_path(
    lookups: Lookups,
    path_ref: str,
    *,
    name: str | None = None,
    path: Sequence[Mapping[str, Any]] | None = None,
    team_ids: Sequence[str] | None = None,
    repeat_config: Mapping[str, Any] | None = None,
    working_hours: Sequence[Mapping[str, Any]] | None = None,
) -> Op[EscalationPath]:
    """Replace an escalation path (``PUT /v2/escalation_paths/{id}``); what is not given keeps its value."""
    current = yield from resolve_escalation_path(lookups, path_ref)
    nodes = path if path is not None else [node_payload(node.to_json()) for node in current.path]
    payload = _path_payload(
        name or current.name,
        nodes,
        team_ids if team_ids is not None else current.team_ids,
        repeat_config if repeat_config is not None else current.repeat_config,
        working_hours if working_hours is not None else (current.working_hours or None),
    )
    body = yield APIRequest("PUT", f"/v2/escalation_paths/{path_id(current.id)}", json=payload)
    return _path_from(body["escalation_path"])


def delete_escalation_path(lookups: Lookups, path: str) -> Op[None]:
    """Delete an escalation path by id or name (``DELETE /v2/escalation_paths/{id}``)."""
    found = yield from resolve_escalation_path(lookups, path)
    yield APIRequest("DELETE", f"/v2/escalation_paths/{path_id(found.id)}")


# --- escalations -----------------------------------------------------------------------------


def _escalation_from(raw: Any) -> Escalation:
    from incidentkit.api.paging_models import Escalation

    return Escalation.model_validate(raw)


def get_escalation(lookups: Lookups, escalation_id: str) -> Op[Escalation]:
    """Get an escalation (``GET /v2/escalations/{id}``)."""
    body = yield APIRequest("GET", f"/v2/escalations/{path_id(escalation_id)}")
    return _escalation_from(body["escalation"])


def create_escalation(
    lookups: Lookups,
    *,
    title: str,
    path: str | None = None,
    users: OneOrMany | None = None,
    description: str | None = None,
    incident: str | None = None,
    idempotency_key: str | None = None,
) -> Op[Escalation]:
    """Page people (``POST /v2/escalations``): through an escalation path, or directly to users.

    Args:
        title: what the page says; in every notification.
        path: the escalation path, by id or name.
        users: or the users to page directly, by id or email.
        description: more detail for the people paged.
        incident: an incident to link (ULID, INC-123, 123 or its dashboard URL).
        idempotency_key: the same key returns the same escalation instead of paging again;
            generated when not given, and reused on every retry of this call.

    Raises:
        InvalidArgumentError: neither or both of ``path`` and ``users`` were given (nothing is sent).
    """
    people = many(users)
    if (path is None) == (not people):
        raise InvalidArgumentError(
            "give either an escalation path or users to page, not both and not neither"
        )
    payload: dict[str, Any] = {"idempotency_key": idempotency_key or new_idempotency_key(), "title": title}
    if path is not None:
        payload["escalation_path_id"] = (yield from resolve_escalation_path(lookups, path)).id
    else:
        payload["user_ids"] = yield from resolve_user_ids(lookups, people)
    if description is not None:
        payload["description"] = description
    if incident is not None:
        ref = yield from resolve_incident_ref(lookups, incident)
        payload["incident_id"] = ref.path_value
    body = yield APIRequest("POST", "/v2/escalations", json=payload)
    return _escalation_from(body["escalation"])


def list_escalations(
    lookups: Lookups,
    *,
    status: OneOrMany | None = None,
    status_not_in: OneOrMany | None = None,
    path: OneOrMany | None = None,
    path_not_in: OneOrMany | None = None,
    incident: OneOrMany | None = None,
    incident_not_in: OneOrMany | None = None,
    alert: OneOrMany | None = None,
    alert_not_in: OneOrMany | None = None,
    created_at_gte: DateLike | None = None,
    created_at_lte: DateLike | None = None,
    updated_at_gte: DateLike | None = None,
    updated_at_lte: DateLike | None = None,
    idempotency_key: str | None = None,
    idempotency_key_prefix: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[Escalation]]:
    """List escalations, newest first (``GET /v2/escalations``), with the API's filters, every page.

    Escalation paths may be named by id or name; incidents by ULID (the API filters on ids).
    ``idempotency_key`` matches exactly, ``idempotency_key_prefix`` by prefix.
    """
    params: list[tuple[str, str]] = []

    def add(name: str, operator: str, values: list[str]) -> None:
        params.extend((f"{name}[{operator}]", value) for value in values)

    add("status", "one_of", many(status))
    add("status", "not_in", many(status_not_in))
    for operator, paths in (("one_of", path), ("not_in", path_not_in)):
        for named in many(paths):
            add("escalation_path", operator, [(yield from resolve_escalation_path(lookups, named)).id])
    add("incident", "one_of", many(incident))
    add("incident", "not_in", many(incident_not_in))
    add("alert", "one_of", many(alert))
    add("alert", "not_in", many(alert_not_in))
    for name, operator, value in (
        ("created_at", "gte", created_at_gte),
        ("created_at", "lte", created_at_lte),
        ("updated_at", "gte", updated_at_gte),
        ("updated_at", "lte", updated_at_lte),
    ):
        if value is not None:
            add(name, operator, [date_value(value)])
    if idempotency_key is not None:
        add("idempotency_key", "is", [idempotency_key])
    if idempotency_key_prefix is not None:
        add("idempotency_key", "starts_with", [idempotency_key_prefix])
    return list_spec("/v2/escalations", "escalations", _escalation_from, params, page_size, limit)


def respond_escalation(
    lookups: Lookups,
    escalation_id: str,
    response: Response = "ack",
    *,
    snooze_until: datetime | None = None,
    reason: str | None = None,
) -> Op[Escalation]:
    """Answer a page (``POST /v2/escalations/{id}/actions/respond``) and return the escalation after it.

    ``ack`` acknowledges it (paging stops; acknowledging twice changes nothing), ``snooze`` pauses
    it until ``snooze_until``. ``nack`` (decline) is a person's answer: the API refuses it from an
    API key acting on its own, with a 422.

    Raises:
        InvalidArgumentError: ``snooze`` without ``snooze_until`` (nothing is sent).
    """
    payload: dict[str, Any] = {"response": response}
    if response == "snooze":
        if snooze_until is None:
            raise InvalidArgumentError("snooze needs snooze_until: when paging should resume")
        details: dict[str, Any] = {"snooze_until": date_value(snooze_until)}
        if reason is not None:
            details["reason"] = reason
        payload["snooze_details"] = details
    yield APIRequest(
        "POST",
        f"/v2/escalations/{path_id(escalation_id)}/actions/respond",
        json=payload,
        retry_safe=True,  # an answer given twice is the same answer
    )
    return (yield from get_escalation(lookups, escalation_id))


def acknowledge_escalation(lookups: Lookups, escalation_id: str) -> Op[Escalation]:
    """Acknowledge a page (``respond`` with ``ack``); returns the escalation, now ``acked``."""
    return (yield from respond_escalation(lookups, escalation_id, "ack"))


def cancel_escalation(lookups: Lookups, escalation_id: str) -> Op[Escalation]:
    """Stop a page (``POST /v2/escalations/{id}/actions/cancel``); returns the escalation after it.

    Cancelling a cancelled escalation changes nothing; one that resolved or expired is refused (422).
    """
    yield APIRequest(
        "POST",
        f"/v2/escalations/{path_id(escalation_id)}/actions/cancel",
        retry_safe=True,  # cancelling twice is a no-op
    )
    return (yield from get_escalation(lookups, escalation_id))
