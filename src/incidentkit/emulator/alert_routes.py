"""Alert routes (``/v3/alert_routes`` and the older ``/v2/alert_routes``): what an alert turns into.

A route matches alerts from its sources (and conditions); with incident creation enabled it
creates an incident from its template, and with grouping enabled later alerts join that
incident instead (see :mod:`incidentkit.emulator.alert_events`).

Both versions show the same routes. A route is kept in the v3 shape; the v2 API reads and
writes it through :func:`as_v2` and :func:`v3_from_v2`, and the few settings only v2 has
(``auto_relate_grouped_alerts``, ``defer_time_seconds``) are kept beside it.
"""

from __future__ import annotations

from typing import Any

from incidentkit.emulator.alert_conditions import check_conditions
from incidentkit.emulator.alert_schema import check_body, shape
from incidentkit.emulator.call import Call, Operation
from incidentkit.emulator.errors import APIError, invalid, not_found, required
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.state import OrgState, Record

_V2_ONLY = ("auto_relate_grouped_alerts", "defer_time_seconds")


def build_route(
    state: OrgState, body: dict[str, Any], *, route_id: str, now: float, previous: Record | None
) -> Record:
    """An ``AlertRouteV3`` from a v3 create or update payload (already checked against its schema)."""
    for index, source in enumerate(body["alert_sources"]):
        if state.find(state.alert_sources, source["alert_source_id"]) is None:
            raise invalid(
                f"alert_sources[{index}].alert_source_id",
                f"No alert source exists with id {source['alert_source_id']!r}",
                code="not_found",
            )
        check_conditions(source["condition_groups"], f"alert_sources[{index}].condition_groups")
    check_conditions(body["condition_groups"], "condition_groups")
    incident_config = body["incident_config"]
    if incident_config["enabled"]:
        if incident_config.get("auto_decline_enabled") is None:
            raise required("incident_config.auto_decline_enabled")
        if incident_config.get("template") is None:
            raise required("incident_config.template")
        check_conditions(incident_config.get("condition_groups"), "incident_config.condition_groups")
    elif incident_config.get("auto_decline_enabled") is not None:
        raise invalid(
            "incident_config.auto_decline_enabled",
            "incident_config.auto_decline_enabled must be unset when incident creation is disabled",
        )
    grouping = body["grouping_config"]["default"]
    window = grouping.get("window_seconds")
    if grouping["enabled"] and window is not None and not 60 <= window <= 172800:
        raise invalid(
            "grouping_config.default.window_seconds",
            f"grouping_config.default.window_seconds must be between 60 and 172800, not {window}",
        )
    stamp = rfc3339(now)
    record = {
        **body,
        "id": route_id,
        "version": previous["version"] + 1 if previous else 1,
        "created_at": previous["created_at"] if previous else stamp,
        "updated_at": stamp,
    }
    shaped: Record = shape(record, "AlertRouteV3")
    return shaped


def v3_from_v2(body: dict[str, Any]) -> tuple[dict[str, Any], Record]:
    """A v2 payload as the v3 payload it means, and the settings only v2 has."""
    config = body["incident_config"]
    keys = config.get("grouping_keys") or []
    v3: dict[str, Any] = {
        key: body[key]
        for key in ("name", "alert_sources", "condition_groups", "enabled", "escalation_config")
        if key in body
    }
    v3 |= {
        "is_private": body["is_private"],
        "expressions": body["expressions"],
        "owning_team_ids": body.get("owning_team_ids") or [],
        "grouping_config": {
            "default": {"enabled": bool(keys), "grouping_keys": keys, "window_type": "rolling"}
            | ({"window_seconds": config["grouping_window_seconds"]} if keys else {})
        },
        "incident_config": {
            "enabled": config["enabled"],
            "condition_groups": config.get("condition_groups") or [],
            "template": body["incident_template"],
        }
        | ({"auto_decline_enabled": config.get("auto_decline_enabled")} if config["enabled"] else {}),
        "message_config": {"destinations": body["channel_config"]}
        | ({"template": body["message_template"]} if body.get("message_template") else {}),
    }
    extra = {name: config[name] for name in _V2_ONLY if name in config}
    return v3, extra


def as_v2(state: OrgState, route: Record) -> Record:
    """The ``AlertRouteV2`` view of a route kept in the v3 shape."""
    extra = state.alert_route_v2_settings.get(route["id"], {})
    config = route["incident_config"]
    grouping = route["grouping_config"]["default"]
    v2 = {key: value for key, value in route.items() if key not in ("grouping_config", "message_config")}
    v2["channel_config"] = route["message_config"]["destinations"]
    if "template" in route["message_config"]:
        v2["message_template"] = route["message_config"]["template"]
    v2["incident_template"] = config.get("template") or {"name": {"autogenerated": False}}
    v2["incident_config"] = {
        "enabled": config["enabled"],
        "auto_decline_enabled": config.get("auto_decline_enabled", False),
        "condition_groups": config.get("condition_groups", []),
        "grouping_keys": grouping.get("grouping_keys", []) if grouping["enabled"] else [],
        "grouping_window_seconds": grouping.get("window_seconds", 0) if grouping["enabled"] else 0,
        "auto_relate_grouped_alerts": extra.get("auto_relate_grouped_alerts", False),
        "defer_time_seconds": extra.get("defer_time_seconds", 0),
    }
    shaped: Record = shape(v2, "AlertRouteV2")
    return shaped


def _route(call: Call) -> Record:
    found = call.state.find(call.state.alert_routes, call.path_params["id"])
    if found is None:
        raise not_found("alert route", call.path_params["id"])
    return found


def _check_version(body: dict[str, Any], route: Record) -> None:
    if body["version"] != route["version"] + 1:
        raise APIError(
            409,
            f"version must be {route['version'] + 1}, one more than the route's latest version "
            f"{route['version']}: someone else may have changed it",
            code="conflict",
            field="version",
        )


def _replace(call: Call, previous: Record, route: Record) -> None:
    call.state.alert_routes[call.state.alert_routes.index(previous)] = route
    call.changed = True


def _slim(routes: list[Record]) -> list[Record]:
    return [{"id": r["id"], "name": r["name"], "enabled": r["enabled"]} for r in routes]


# v3


def list_routes_v3(call: Call) -> tuple[int, Record]:
    page, meta = paginate(call, call.state.alert_routes, lambda _: True, maximum=50)
    return 200, {"alert_routes": _slim(page), "pagination_meta": meta}


def show_route_v3(call: Call) -> tuple[int, Record]:
    return 200, {"alert_route": _route(call)}


def create_route_v3(call: Call) -> tuple[int, Record]:
    body = check_body(call.body, "AlertRoutesCreatePayloadV3")
    route = build_route(call.state, body, route_id=new_ulid(call.now, call.rng), now=call.now, previous=None)
    call.state.alert_routes.append(route)
    call.changed = True
    return 201, {"alert_route": route}


def update_route_v3(call: Call) -> tuple[int, Record]:
    previous = _route(call)
    body = check_body(call.body, "AlertRoutesUpdatePayloadV3")
    _check_version(body, previous)
    route = build_route(call.state, body, route_id=previous["id"], now=call.now, previous=previous)
    _replace(call, previous, route)
    return 200, {"alert_route": route}


def delete_route(call: Call) -> tuple[int, None]:
    route = _route(call)
    call.state.alert_routes.remove(route)
    call.state.alert_route_v2_settings.pop(route["id"], None)
    call.changed = True
    return 204, None


# v2


def list_routes_v2(call: Call) -> tuple[int, Record]:
    page, meta = paginate(call, call.state.alert_routes, lambda _: True, maximum=50)
    return 200, {"alert_routes": _slim(page), "pagination_meta": meta}


def show_route_v2(call: Call) -> tuple[int, Record]:
    return 200, {"alert_route": as_v2(call.state, _route(call))}


def create_route_v2(call: Call) -> tuple[int, Record]:
    body = check_body(call.body, "AlertRoutesCreatePayloadV2")
    v3, extra = v3_from_v2(body)
    route = build_route(call.state, v3, route_id=new_ulid(call.now, call.rng), now=call.now, previous=None)
    call.state.alert_routes.append(route)
    call.state.alert_route_v2_settings[route["id"]] = extra
    call.changed = True
    return 201, {"alert_route": as_v2(call.state, route)}


def update_route_v2(call: Call) -> tuple[int, Record]:
    previous = _route(call)
    body = check_body(call.body, "AlertRoutesUpdatePayloadV2")
    _check_version(body, previous)
    v3, extra = v3_from_v2(body)
    route = build_route(call.state, v3, route_id=previous["id"], now=call.now, previous=previous)
    _replace(call, previous, route)
    call.state.alert_route_v2_settings[route["id"]] = extra
    return 200, {"alert_route": as_v2(call.state, route)}


ROUTES = [
    Operation("GET", "/v2/alert_routes", list_routes_v2, "alert_routes.view"),
    Operation("POST", "/v2/alert_routes", create_route_v2, "alert_route.create"),
    Operation("GET", "/v2/alert_routes/{id}", show_route_v2, "alert_routes.view"),
    Operation("PUT", "/v2/alert_routes/{id}", update_route_v2, "alert_route.update"),
    Operation("DELETE", "/v2/alert_routes/{id}", delete_route, "alert_route.destroy"),
    Operation("GET", "/v3/alert_routes", list_routes_v3, "alert_routes.view"),
    Operation("POST", "/v3/alert_routes", create_route_v3, "alert_route.create"),
    Operation("GET", "/v3/alert_routes/{id}", show_route_v3, "alert_routes.view"),
    Operation("PUT", "/v3/alert_routes/{id}", update_route_v3, "alert_route.update"),
    Operation("DELETE", "/v3/alert_routes/{id}", delete_route, "alert_route.destroy"),
]
