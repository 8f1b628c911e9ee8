"""Alerts (``/v2/alerts``, ``/v2/alert_tags``) and incident alerts (``/v2/incident_alerts``).

Alerts are created by events sent to an HTTP alert source (:mod:`~incidentkit.emulator.alert_events`,
whose route is listed here too); these operations list, show, resolve and tag them, and link
them to incidents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidentkit.emulator import alert_events
from incidentkit.emulator.alert_events import attach, incident_alert_view, resolve_alert
from incidentkit.emulator.call import Call, Operation
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.filters import _filters, _membership, _operator_error, _time_filter, paginate
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import enum_field, string_field

Predicate = Callable[[Record], bool]


def _alert(call: Call, value: str | None = None) -> Record:
    alert_id = value if value is not None else call.path_params["id"]
    found = call.state.find(call.state.alerts, alert_id)
    if found is None:
        raise not_found("alert", alert_id)
    return found


def _boolean(name: str, values: list[str]) -> bool:
    value = values[-1].lower()
    if value not in ("true", "false"):
        raise invalid(name, f"{name} must be true or false, not {values[-1]!r}")
    return value == "true"


def _tag_filter(operators: dict[str, list[str]]) -> list[Predicate]:
    predicates: list[Predicate] = []
    for operator, values in operators.items():
        if operator not in ("one_of", "all_of", "not_in"):
            raise _operator_error("tags", operator, ["one_of", "all_of", "not_in"])
        predicates.append(_tags_are(operator, set(values)))
    return predicates


def _tag_names_of(alert: Record) -> set[str]:
    return {tag["name"] for tag in alert.get("tags", [])}


def _tags_are(operator: str, wanted: set[str]) -> Predicate:
    if operator == "one_of":
        return lambda alert: bool(_tag_names_of(alert) & wanted)
    if operator == "all_of":
        return lambda alert: wanted <= _tag_names_of(alert)
    return lambda alert: not _tag_names_of(alert) & wanted


def _in_group(groups: set[str]) -> Predicate:
    return lambda alert: bool(set(alert.get("alert_group_ids", [])) & groups)


def _in(value_of: Callable[[Record], Any], wanted: set[str]) -> Predicate:
    return lambda alert: value_of(alert) in wanted


def _only(name: str, operators: dict[str, list[str]], allowed: str) -> list[str]:
    for operator in operators:
        if operator != allowed:
            raise _operator_error(name, operator, [allowed])
    return operators.get(allowed, [])


def alert_filter(call: Call) -> Predicate:
    """Every filter of ``GET /v2/alerts``; all must hold."""
    predicates: list[Predicate] = []
    for name, operators in _filters(call).items():
        if name == "deduplication_key":
            predicates.append(_in(lambda a: a["deduplication_key"], set(_only(name, operators, "is"))))
        elif name == "status":
            for values in operators.values():
                for value in values:
                    if value not in ("firing", "resolved"):
                        raise invalid(name, f"status must be firing or resolved, not {value!r}")
            predicates += _membership(name, operators, lambda a: a["status"])
        elif name == "alert_source":
            predicates += _membership(name, operators, lambda a: a["alert_source_id"])
        elif name == "alert_group_id":
            predicates.append(_in_group(set(_only(name, operators, "one_of"))))
        elif name in ("created_at", "updated_at"):
            predicates += _time_filter(name, operators)
        elif name == "tags":
            predicates += _tag_filter(operators)
        elif name == "has_notes":
            # The emulated organisation keeps no alert notes, so no alert has any.
            if _boolean("has_notes[is]", _only(name, operators, "is")):
                predicates.append(lambda _alert: False)
        elif name == "include_maintenance_window":
            # There are no maintenance windows: including their alerts or not changes nothing.
            _boolean("include_maintenance_window[is]", _only(name, operators, "is"))
        elif name.startswith("attributes[") and name.endswith("]"):
            attribute = name[len("attributes[") : -1]
            raise invalid(name, f"No alert attribute exists with id {attribute!r}", code="not_found")
        else:
            raise invalid(name, f"{name} is not a filter of this endpoint")
    return lambda alert: all(predicate(alert) for predicate in predicates)


def list_alerts(call: Call) -> tuple[int, Record]:
    keep = alert_filter(call)
    # Newest first; ULIDs begin with their creation time.
    ordered = sorted(call.state.alerts, key=lambda a: a["id"], reverse=True)
    alerts, meta = paginate(call, ordered, keep, maximum=50)
    return 200, {"alerts": alerts, "pagination_meta": meta}


def show_alert(call: Call) -> tuple[int, Record]:
    return 200, {"alert": _alert(call)}


def resolve(call: Call) -> tuple[int, Record]:
    alert = _alert(call)
    resolve_alert(call, alert)
    return 200, {"alert": alert}


# Tags.


def _tag_names(body: Any) -> list[str]:
    if not isinstance(body, dict) or body.get("tags") is None:
        raise required("tags")
    tags = body["tags"]
    if not isinstance(tags, list):
        raise invalid("tags", "tags must be a list of tag names")
    for index, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag.strip():
            raise invalid(f"tags[{index}]", f"tags[{index}] must be a tag name, not {tag!r}")
    return list(dict.fromkeys(tag.strip() for tag in tags))


def _tag(call: Call, name: str) -> Record:
    existing = next((t for t in call.state.alert_tags if t["name"] == name), None)
    if existing is not None:
        return existing
    tag = {"id": new_ulid(call.now, call.rng), "name": name}
    call.state.alert_tags.append(tag)
    return tag


def _set(call: Call, alert: Record, names: list[str]) -> tuple[int, Record]:
    alert["tags"] = [dict(_tag(call, name)) for name in names]
    alert["updated_at"] = rfc3339(call.now)
    call.changed = True
    return 200, {"alert": alert}


def add_tags(call: Call) -> tuple[int, Record]:
    alert = _alert(call)
    current = [tag["name"] for tag in alert.get("tags", [])]
    return _set(call, alert, list(dict.fromkeys([*current, *_tag_names(call.body)])))


def remove_tags(call: Call) -> tuple[int, Record]:
    alert = _alert(call)
    removed = set(_tag_names(call.body))
    return _set(call, alert, [tag["name"] for tag in alert.get("tags", []) if tag["name"] not in removed])


def set_tags(call: Call) -> tuple[int, Record]:
    return _set(call, _alert(call), _tag_names(call.body))


def list_tags(call: Call) -> tuple[int, Record]:
    search = (call.param("search") or "").lower()
    ordered = sorted(call.state.alert_tags, key=lambda t: t["id"])
    tags, meta = paginate(call, ordered, lambda t: search in t["name"].lower(), maximum=250)
    return 200, {"alert_tags": tags, "pagination_meta": meta}


# Incident alerts.


def list_incident_alerts(call: Call) -> tuple[int, Record]:
    alert_id = call.param("alert_id")
    incident_id = call.param("incident_id")
    if incident_id:
        incident = call.state.incident_by_reference(incident_id)
        incident_id = incident["id"] if incident else incident_id

    def keep(link: Record) -> bool:
        return (
            link["state"] == "related"
            and (not alert_id or link["alert_id"] == alert_id)
            and (not incident_id or link["incident_id"] == incident_id)
        )

    links, meta = paginate(call, call.state.incident_alerts, keep, maximum=50)
    return 200, {
        "incident_alerts": [incident_alert_view(call.state, link) for link in links],
        "pagination_meta": meta,
    }


def create_incident_alert(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    alert_id = string_field(body, "alert_id", needed=True)
    incident_id = string_field(body, "incident_id", needed=True)
    assert alert_id is not None and incident_id is not None
    alert = call.state.find(call.state.alerts, alert_id)
    if alert is None:
        raise invalid("alert_id", f"No alert exists with id {alert_id!r}", code="not_found")
    incident = call.state.incident_by_reference(incident_id)
    if incident is None:
        raise invalid("incident_id", f"No incident exists with id {incident_id!r}", code="not_found")
    re_relate = body.get("re_relate", False)
    if not isinstance(re_relate, bool):
        raise invalid("re_relate", "re_relate must be true or false")
    earlier = next(
        (
            link
            for link in call.state.incident_alerts
            if link["alert_id"] == alert["id"] and link["incident_id"] == incident["id"]
        ),
        None,
    )
    if earlier is not None and earlier["state"] == "unrelated" and not re_relate:
        raise invalid(
            "re_relate",
            "Someone marked this alert unrelated to the incident; send re_relate: true to relate it again",
            code="previously_unrelated",
        )
    link = attach(call, alert, incident, earlier.get("alert_route_id") if earlier else None)
    return 201, {"incident_alert": incident_alert_view(call.state, link)}


def transition_incident_alert(call: Call) -> tuple[int, Record]:
    link = call.state.find(call.state.incident_alerts, call.path_params["id"])
    if link is None:
        raise not_found("incident alert", call.path_params["id"])
    body = call.json_object()
    state = enum_field(body, "state", ["related", "unrelated"])
    if state is None:
        raise required("state")
    link["state"] = state
    call.changed = True
    return 200, {"incident_alert": incident_alert_view(call.state, link)}


ROUTES = [
    *alert_events.ROUTES,
    Operation("GET", "/v2/alerts", list_alerts, "alerts.view"),
    Operation("GET", "/v2/alerts/{id}", show_alert, "alerts.view"),
    Operation("POST", "/v2/alerts/{id}/actions/resolve", resolve, "alerts.resolve"),
    Operation("POST", "/v2/alerts/{id}/actions/add_tags", add_tags, "alerts.edit"),
    Operation("POST", "/v2/alerts/{id}/actions/remove_tags", remove_tags, "alerts.edit"),
    Operation("POST", "/v2/alerts/{id}/actions/set_tags", set_tags, "alerts.edit"),
    Operation("GET", "/v2/alert_tags", list_tags, "alerts.view"),
    Operation("GET", "/v2/incident_alerts", list_incident_alerts, "alerts.view"),
    Operation("POST", "/v2/incident_alerts", create_incident_alert, "alerts.attach_to_incident"),
    Operation(
        "POST",
        "/v2/incident_alerts/{id}/actions/transition",
        transition_incident_alert,
        "incident_alerts.transition",
    ),
]
