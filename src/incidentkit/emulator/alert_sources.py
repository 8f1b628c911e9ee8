"""Alert sources (``/v2/alert_sources``): where alerts come from, and how an HTTP source is reached.

An HTTP source (``source_type`` ``http`` or ``http_custom``) gets an ``alert_events_url``
(``/v2/alert_events/http/{id}``: the source's id is the *alert source config id* events are sent
to) and a ``secret_token`` that every event must carry; see :mod:`incidentkit.emulator.alert_events`.
"""

from __future__ import annotations

import random
from typing import Any

from incidentkit.emulator.alert_schema import check_body, shape
from incidentkit.emulator.call import Call, Operation
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.ids import new_ulid
from incidentkit.emulator.state import OrgState, Record

HTTP_SOURCE_TYPES = ("http", "http_custom")

# The options object each kind of source needs, by source type.
_OPTIONS_FOR = {
    "http_custom": "http_custom_options",
    "email": "email_options",
    "heartbeat": "heartbeat_options",
    "jira": "jira_options",
    "azure_devops": "azure_devops_options",
}


def events_url(source_id: str) -> str:
    """Where an HTTP source's events are sent, as the API writes it."""
    return f"https://api.incident.io/v2/alert_events/http/{source_id}"


def new_token(rng: random.Random) -> str:
    """A source's secret token: 32 random bytes as hex."""
    return rng.randbytes(32).hex()


def build_source(
    state: OrgState, body: dict[str, Any], *, source_id: str, token: str | None, previous: Record | None
) -> Record:
    """An ``AlertSourceV2`` from a create or update payload (already checked against its schema)."""
    name = body["name"]
    if not isinstance(name, str) or not name.strip():
        raise required("name")
    if any(s["name"] == name and s["id"] != source_id for s in state.alert_sources):
        raise invalid("name", f"An alert source named {name!r} already exists", code="not_unique")
    source_type = previous["source_type"] if previous else body["source_type"]
    option = _OPTIONS_FOR.get(source_type)
    if option is not None and body.get(option) is None and not (previous and option in previous):
        raise required(option)
    record: Record = {
        key: value
        for key, value in body.items()
        if key not in ("disabled", "source_type") and value is not None
    }
    record["id"] = source_id
    record["source_type"] = source_type
    record["template"] = {"is_private": False, **body["template"]}
    if previous is not None:
        for kept in ("alert_events_url", "secret_token", *_OPTIONS_FOR.values()):
            if kept in previous and kept not in record:
                record[kept] = previous[kept]
    if source_type in HTTP_SOURCE_TYPES:
        record["alert_events_url"] = events_url(source_id)
        record["secret_token"] = previous["secret_token"] if previous else token
    if source_type == "email":
        record["email_options"] = {
            "email_address": f"alerts-{source_id.lower()}@{state.organisation_slug}.incident.io",
            **record["email_options"],
        }
    if source_type == "heartbeat":
        record["heartbeat_options"] = {
            "failure_threshold": 1,
            "grace_period_seconds": 0,
            "ping_url": f"https://api.incident.io/v2/heartbeat/{source_id}/ping",
            **record["heartbeat_options"],
        }
    shaped: Record = shape(record, "AlertSourceV2")
    return shaped


def _source(call: Call) -> Record:
    found = call.state.find(call.state.alert_sources, call.path_params["id"])
    if found is None:
        raise not_found("alert source", call.path_params["id"])
    return found


def list_sources(call: Call) -> tuple[int, Record]:
    return 200, {"alert_sources": call.state.alert_sources}


def show_source(call: Call) -> tuple[int, Record]:
    return 200, {"alert_source": _source(call)}


def create_source(call: Call) -> tuple[int, Record]:
    body = check_body(call.body, "AlertSourcesCreatePayloadV2")
    source_id = new_ulid(call.now, call.rng)
    source = build_source(call.state, body, source_id=source_id, token=new_token(call.rng), previous=None)
    call.state.alert_sources.append(source)
    call.changed = True
    return 200, {"alert_source": source}


def update_source(call: Call) -> tuple[int, Record]:
    previous = _source(call)
    body = check_body(call.body, "AlertSourcesUpdatePayloadV2")
    source = build_source(call.state, body, source_id=previous["id"], token=None, previous=previous)
    index = call.state.alert_sources.index(previous)
    call.state.alert_sources[index] = source
    call.changed = True
    return 200, {"alert_source": source}


def delete_source(call: Call) -> tuple[int, None]:
    source = _source(call)
    call.state.alert_sources.remove(source)
    # Routes stop matching a source that no longer exists; its alerts stay, as history.
    for route in call.state.alert_routes:
        route["alert_sources"] = [s for s in route["alert_sources"] if s["alert_source_id"] != source["id"]]
    call.changed = True
    return 204, None


def validate_source(call: Call) -> tuple[int, None]:
    check_body(call.body, "AlertSourcesValidatePayloadV2")
    return 204, None


ROUTES = [
    Operation("GET", "/v2/alert_sources", list_sources, "alert_sources.view"),
    Operation("POST", "/v2/alert_sources", create_source, "alert_source.create"),
    Operation("POST", "/v2/alert_sources/actions/validate", validate_source, "alert_sources.view"),
    Operation("GET", "/v2/alert_sources/{id}", show_source, "alert_sources.view"),
    Operation("PUT", "/v2/alert_sources/{id}", update_source, "alert_source.update"),
    Operation("DELETE", "/v2/alert_sources/{id}", delete_source, "alert_source.destroy"),
]
