"""An HTTP alert source's events (``POST /v2/alert_events/http/{alert_source_config_id}``) and what follows.

An event is authenticated by the source's secret token (the ``token`` query parameter, or the
``Authorization`` header, Bearer or Basic), not by an API key. Its ``deduplication_key`` names
one alert of the source: a ``firing`` event creates the alert, or updates it while it fires; a
``resolved`` event resolves it. Once resolved, a firing event with the same key starts a new
alert. An event without a key gets a fresh one, so it is an alert of its own.

A new alert goes through the alert routes of its source (:mod:`~incidentkit.emulator.alert_routes`):
a matching route with incident creation enabled creates an incident from its template (or,
with grouping, attaches the alert to the open incident of an earlier alert with the same
grouping values) and links the alert to it as an *incident alert*. Resolving the last alert of
a triage incident declines it when the route says ``auto_decline_enabled``.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from incidentkit.emulator.alert_conditions import binding_values, matches, resolve
from incidentkit.emulator.alert_schema import check_body
from incidentkit.emulator.alert_sources import HTTP_SOURCE_TYPES
from incidentkit.emulator.call import Call, Operation
from incidentkit.emulator.errors import APIError, required
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.records import new_incident, new_update, stamp_timestamps
from incidentkit.emulator.state import OrgState, Record
from incidentkit.timeutil import parse_iso

OPEN_CATEGORIES = ("triage", "live", "paused")
# IncidentSlimV2 names two status categories differently from IncidentStatusV1.
_SLIM_CATEGORY = {"live": "active", "learning": "post-incident"}
_DEFAULT_WINDOW = 1800


# Alerts and incident alerts as the API shows them.


def is_private(state: OrgState, alert: Record) -> bool:
    """Whether the alert's source makes private alerts."""
    source = state.find(state.alert_sources, alert["alert_source_id"])
    return bool(source and source["template"].get("is_private"))


def announce_alert(call: Call, alert: Record, event: str) -> None:
    """Emit ``alert_created_v1`` or ``alert_resolved_v1``: private alerts send only their id."""
    if is_private(call.state, alert):
        call.emit(f"private_alert.{event}", {"id": alert["id"]})
    else:
        call.emit(f"public_alert.{event}", dict(alert))


def slim_incident(incident: Record) -> Record:
    """An ``IncidentSlimV2``."""
    category = incident["incident_status"]["category"]
    slim: Record = {
        "id": incident["id"],
        "external_id": int(incident["reference"].split("-")[-1]),
        "reference": incident["reference"],
        "name": incident["name"],
        "status_category": _SLIM_CATEGORY.get(category, category),
        "visibility": incident["visibility"],
    }
    if "summary" in incident:
        slim["summary"] = incident["summary"]
    return slim


def incident_alert_view(state: OrgState, link: Record) -> Record:
    """An ``IncidentAlertV2`` from a stored link (the alert and incident as they are now)."""
    alert = next(a for a in state.alerts if a["id"] == link["alert_id"])
    view: Record = {
        "id": link["id"],
        "alert": {key: value for key, value in alert.items() if key not in ("attributes", "tags")},
        "incident": slim_incident(state.incidents[link["incident_id"]]),
    }
    if link.get("alert_route_id"):
        view["alert_route_id"] = link["alert_route_id"]
    return view


def attach(call: Call, alert: Record, incident: Record, route_id: str | None) -> Record:
    """Link an alert to an incident (a new incident alert, or the old link related again)."""
    for link in call.state.incident_alerts:
        if link["alert_id"] == alert["id"] and link["incident_id"] == incident["id"]:
            link["state"] = "related"
            call.changed = True
            return link
    link = {
        "id": new_ulid(call.now, call.rng),
        "alert_id": alert["id"],
        "incident_id": incident["id"],
        "state": "related",
        "created_at": rfc3339(call.now),
    }
    if route_id:
        link["alert_route_id"] = route_id
    call.state.incident_alerts.append(link)
    call.changed = True
    return link


def related_links(
    state: OrgState, *, alert_id: str | None = None, incident_id: str | None = None
) -> list[Record]:
    return [
        link
        for link in state.incident_alerts
        if link["state"] == "related"
        and (alert_id is None or link["alert_id"] == alert_id)
        and (incident_id is None or link["incident_id"] == incident_id)
    ]


# Resolving.


def resolve_alert(call: Call, alert: Record) -> None:
    """Resolve a firing alert, announce it, and decline triage incidents it was the last alert of."""
    if alert["status"] == "resolved":
        return
    alert["status"] = "resolved"
    alert["resolved_at"] = alert["updated_at"] = rfc3339(call.now)
    call.changed = True
    announce_alert(call, alert, "alert_resolved_v1")
    for link in related_links(call.state, alert_id=alert["id"]):
        _maybe_decline(call, link)


def _maybe_decline(call: Call, link: Record) -> None:
    route = call.state.find(call.state.alert_routes, link.get("alert_route_id") or "")
    incident = call.state.incidents.get(link["incident_id"])
    if route is None or incident is None or not route["incident_config"].get("auto_decline_enabled"):
        return
    if incident["incident_status"]["category"] != "triage":
        return
    alerts = {a["id"]: a for a in call.state.alerts}
    links = related_links(call.state, incident_id=incident["id"])
    if any(alerts[other["alert_id"]]["status"] == "firing" for other in links):
        return
    declined = next((s for s in call.state.incident_statuses if s["category"] == "declined"), None)
    if declined is None:
        return
    previous = incident["incident_status"]
    incident["incident_status"] = dict(declined)
    stamp_timestamps(call.state, incident, call.now)
    incident["updated_at"] = incident["last_activity_at"] = rfc3339(call.now)
    actor = {"alert": {"id": alerts[link["alert_id"]]["id"], "title": alerts[link["alert_id"]]["title"]}}
    call.state.incident_updates.append(new_update(incident, now=call.now, rng=call.rng, updater=actor))
    if incident["visibility"] == "private":
        call.emit("private_incident.incident_updated_v2", {"id": incident["id"]})
    else:
        call.emit(
            "public_incident.incident_status_updated_v2",
            {
                "incident": dict(incident),
                "previous_status": previous,
                "new_status": incident["incident_status"],
            },
        )


# Receiving an event.


def _presented_token(call: Call) -> str | None:
    token = call.param("token")
    if token:
        return token
    scheme, _, credentials = call.headers.get("authorization", "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        # Either half may carry the secret: tools put it in the user or the password.
        return password or user
    return None


def _source_for(call: Call) -> Record:
    source_id = call.path_params["alert_source_config_id"]
    source = call.state.find(call.state.alert_sources, source_id)
    if source is None or source["source_type"] not in HTTP_SOURCE_TYPES:
        raise APIError(404, f"No HTTP alert source was found with id {source_id!r}", code="not_found")
    presented = _presented_token(call)
    if presented is None:
        raise APIError(
            401,
            "No token provided: send the alert source's secret token as ?token= or in the Authorization "
            "header",
            code="missing_authorization_material",
        )
    # Never echo the token back; compare in constant time.
    if not hmac.compare_digest(presented.encode(), str(source.get("secret_token", "")).encode()):
        raise APIError(
            401, "The token is not this alert source's secret token", code="invalid_authorization_material"
        )
    return source


def create_http_event(call: Call) -> tuple[int, Record]:
    source = _source_for(call)
    body = check_body(call.body, "AlertEventsCreateHTTPPayloadV2")
    if not body["title"].strip():
        raise required("title")
    key = body.get("deduplication_key") or new_ulid(call.now, call.rng)
    firing = next(
        (
            a
            for a in call.state.alerts
            if a["alert_source_id"] == source["id"]
            and a["deduplication_key"] == key
            and a["status"] == "firing"
        ),
        None,
    )
    message = "Event accepted for processing"
    if body["status"] == "resolved":
        if firing is None:
            message = "Event accepted for processing: no firing alert has this deduplication key"
        else:
            _update(call, firing, body)
            resolve_alert(call, firing)
    elif firing is not None:
        _update(call, firing, body)
    else:
        alert = _new_alert(call, source, key, body)
        announce_alert(call, alert, "alert_created_v1")
        route_alert(call, alert)
    return 202, {"deduplication_key": key, "message": message, "status": "success"}


def _update(call: Call, alert: Record, body: Record) -> None:
    alert["title"] = body["title"]
    for name in ("description", "source_url"):
        if body.get(name) is not None:
            alert[name] = body[name]
    if body.get("metadata") is not None:
        call.state.alert_metadata[alert["id"]] = body["metadata"]
    alert["updated_at"] = rfc3339(call.now)
    call.changed = True


def _new_alert(call: Call, source: Record, key: str, body: Record) -> Record:
    stamp = rfc3339(call.now)
    alert: Record = {
        "id": new_ulid(call.now, call.rng),
        "alert_source_id": source["id"],
        "deduplication_key": key,
        "status": "firing",
        "title": body["title"],
        "attributes": [],
        "alert_group_ids": [],
        "tags": [],
        "created_at": stamp,
        "updated_at": stamp,
    }
    for name in ("description", "source_url"):
        if body.get(name) is not None:
            alert[name] = body[name]
    call.state.alerts.append(alert)
    call.state.alert_metadata[alert["id"]] = body.get("metadata") or {}
    call.changed = True
    return alert


# Routing a new alert.


def route_alert(call: Call, alert: Record) -> None:
    """Send a new alert through every enabled route of its source that matches it."""
    metadata = call.state.alert_metadata.get(alert["id"], {})
    for route in call.state.alert_routes:
        if not route["enabled"] or not matches(route["condition_groups"], alert, metadata):
            continue
        sources = [s for s in route["alert_sources"] if s["alert_source_id"] == alert["alert_source_id"]]
        if not any(matches(s["condition_groups"], alert, metadata) for s in sources):
            continue
        config = route["incident_config"]
        if not config["enabled"] or not matches(config.get("condition_groups", []), alert, metadata):
            continue
        grouped = _group_incident(call.state, route, alert, metadata, call.now)
        if grouped is not None:
            attach(call, alert, grouped, route["id"])
            _merge_severity(call, route, grouped, alert, metadata)
        else:
            incident = _incident_from(call, route, alert, metadata)
            attach(call, alert, incident, route["id"])


def _grouping_values(route: Record, alert: Record, metadata: Record) -> list[list[str]]:
    keys = route["grouping_config"]["default"].get("grouping_keys", [])
    return [resolve(key["reference"], alert, metadata) for key in keys]


def _group_incident(
    state: OrgState, route: Record, alert: Record, metadata: Record, now: float
) -> Record | None:
    """The open incident of this route an earlier alert with the same grouping values is on, if any."""
    grouping = route["grouping_config"]["default"]
    if not grouping["enabled"]:
        return None
    window = grouping.get("window_seconds") or _DEFAULT_WINDOW
    wanted = _grouping_values(route, alert, metadata)
    alerts = {a["id"]: a for a in state.alerts}
    by_incident: dict[str, list[Record]] = {}
    for link in related_links(state):
        if link.get("alert_route_id") == route["id"] and link["alert_id"] != alert["id"]:
            by_incident.setdefault(link["incident_id"], []).append(alerts[link["alert_id"]])
    for incident_id, members in reversed(list(by_incident.items())):
        incident = state.incidents.get(incident_id)
        if incident is None or incident["incident_status"]["category"] not in OPEN_CATEGORIES:
            continue
        times = sorted(parse_iso(m["created_at"]).timestamp() for m in members)
        opened = times[-1] if grouping.get("window_type", "rolling") == "rolling" else times[0]
        if now - opened > window:
            continue
        first = members[0]
        if _grouping_values(route, first, state.alert_metadata.get(first["id"], {})) == wanted:
            return incident
    return None


def _severity(state: OrgState, template: Record, alert: Record, metadata: Record) -> Record | None:
    values = binding_values((template.get("severity") or {}).get("binding"), alert, metadata)
    for value in values:
        for severity in state.severities:
            if value == severity["id"] or value.lower() == severity["name"].lower():
                return severity
    return None


def _merge_severity(call: Call, route: Record, incident: Record, alert: Record, metadata: Record) -> None:
    template = route["incident_config"].get("template") or {}
    if (template.get("severity") or {}).get("merge_strategy") != "max":
        return
    severity = _severity(call.state, template, alert, metadata)
    if severity is not None and severity["rank"] > incident.get("severity", {}).get("rank", -1):
        incident["severity"] = dict(severity)
        incident["updated_at"] = incident["last_activity_at"] = rfc3339(call.now)
        call.changed = True


def _first(template: Record, name: str, alert: Record, metadata: Record) -> str | None:
    values = binding_values((template.get(name) or {}).get("binding"), alert, metadata)
    return values[0] if values else None


def _incident_from(call: Call, route: Record, alert: Record, metadata: Record) -> Record:
    """A new incident from the route's template, created by the alert."""
    state = call.state
    template = route["incident_config"].get("template") or {}
    triage = (_first(template, "start_in_triage", alert, metadata) or "true").lower() != "false"
    severity = _severity(state, template, alert, metadata)
    if severity is None and not triage and state.severities:
        severity = min(state.severities, key=lambda s: s["rank"])  # a live incident needs one
    category = "triage" if triage else "live"
    status = (
        next((s for s in state.incident_statuses if s["category"] == category), None)
        or state.incident_statuses[0]
    )
    type_id = _first(template, "incident_type", alert, metadata)
    incident_type = next((t for t in state.incident_types if t["id"] == type_id), None) or next(
        (t for t in state.incident_types if t["is_default"]), None
    )
    mode = _first(template, "incident_mode", alert, metadata) or "standard"
    private = (
        route["is_private"]
        or is_private(state, alert)
        or bool(incident_type and incident_type["private_incidents_only"])
    )
    actor = {"alert": {"id": alert["id"], "title": alert["title"]}}
    incident = new_incident(
        state,
        now=call.now,
        rng=call.rng,
        creator=actor,
        name=_first(template, "name", alert, metadata) or alert["title"],
        summary=_first(template, "summary", alert, metadata) or alert.get("description"),
        status=status,
        severity=severity,
        incident_type=incident_type,
        visibility="private" if private else "public",
        mode=mode if mode in ("standard", "retrospective", "test", "tutorial") else "standard",
    )
    state.incidents[incident["id"]] = incident
    state.incident_updates.append(new_update(incident, now=call.now, rng=call.rng, updater=actor))
    call.changed = True
    if incident["visibility"] == "private":
        call.emit("private_incident.incident_created_v2", {"id": incident["id"]})
    else:
        call.emit("public_incident.incident_created_v2", dict(incident))
    return incident


ROUTES = [
    Operation("POST", "/v2/alert_events/http/{alert_source_config_id}", create_http_event, None, True),
]
