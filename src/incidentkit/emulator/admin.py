"""Admin endpoints under ``/_emulator/``: reset, seeds, bulk incidents, API keys, rate limit, faults,
webhook endpoints and webhook deliveries.

They are not part of incident.io's API; they let tests and demos set the emulator up over HTTP.
They need no API key, which is one reason the server binds to 127.0.0.1 by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from incidentkit.emulator.errors import APIError, invalid, required
from incidentkit.emulator.faults import fault_from_json
from incidentkit.emulator.seed import MAX_GENERATED, SEEDS
from incidentkit.emulator.state import Record
from incidentkit.httpbody import BodyNotJSON, parse_json

if TYPE_CHECKING:
    from incidentkit.emulator.core import Emulator, EmulatorRequest

Answer = tuple[int, Record | None]
"""An admin endpoint's status and JSON body."""

AdminHandler = Callable[["Emulator", "EmulatorRequest", dict[str, Any]], Answer]


def _body(request: EmulatorRequest) -> dict[str, Any]:
    try:
        body = parse_json(request.body)
    except BodyNotJSON as error:
        raise APIError(400, str(error), code="invalid_json") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise APIError(400, "The request body must be a JSON object", code="invalid_body")
    return body


def _without_secret(endpoint: Record) -> Record:
    from incidentkit.webhooks.verify import secret_fingerprint

    shown = {key: value for key, value in endpoint.items() if key != "secret"}
    shown["secret_fingerprint"] = secret_fingerprint(endpoint["secret"])
    return shown


def _state(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    state = emulator.state
    return 200, {
        "seed": emulator.seed,
        "incidents": len(state.incidents),
        "incident_updates": len(state.incident_updates),
        "timeline_items": len(state.timeline_items),
        "api_keys": len(state.api_keys),
        "webhook_endpoints": len(state.webhook_endpoints),
    }


def _reset(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    seed = body.get("seed")
    if seed is not None and seed not in SEEDS:
        raise invalid("seed", f"seed must be one of {', '.join(SEEDS)}, not {seed!r}")
    emulator.reset(seed)
    return 200, {"seed": emulator.seed}


def _add_incidents(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    count = body.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_GENERATED:
        raise invalid("count", f"count must be an integer from 1 to {MAX_GENERATED}")
    try:
        total = emulator.add_incidents(count)
    except ValueError as error:
        raise invalid("count", str(error)) from None
    return 201, {"added": count, "incidents": total}


def _add_api_key(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    secret = body.get("key")
    if not isinstance(secret, str) or not secret:
        raise required("key")
    key = emulator.add_api_key(
        secret, name=str(body.get("name") or "API key"), read_only=bool(body.get("read_only", False))
    )
    return 201, {"api_key": {"id": key.id, "name": key.name, "roles": key.roles}}


def _list_api_keys(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    # The secrets themselves are never listed.
    keys = [{"id": k.id, "name": k.name, "roles": k.roles} for k in emulator.state.api_keys.values()]
    return 200, {"api_keys": keys}


def _set_rate_limit(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    per_minute = body.get("per_minute")
    if per_minute is not None and (not isinstance(per_minute, int) or per_minute < 1):
        raise invalid("per_minute", "per_minute must be a positive integer or null")
    emulator.set_rate_limit(per_minute)
    return 200, {"per_minute": per_minute}


def _add_fault(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    emulator.inject_fault(fault_from_json(body))
    return 201, {"fault": body}


def _clear_faults(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    emulator.clear_faults()
    return 204, None


def _add_webhook_endpoint(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise invalid("url", "url must be an http:// or https:// URL")
    secret = body.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise invalid("secret", "secret must be a string: 'whsec_' followed by base64")
    event_types = body.get("event_types")
    if event_types is not None and (
        not isinstance(event_types, list) or not all(isinstance(t, str) for t in event_types)
    ):
        raise invalid("event_types", "event_types must be a list of event type names")
    try:
        endpoint = emulator.register_webhook(url, secret=secret, event_types=event_types)
    except ValueError as error:
        raise invalid("secret", str(error)) from None
    # The secret is shown here, once; listings show only its fingerprint.
    return 201, {"webhook_endpoint": endpoint}


def _list_webhook_endpoints(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    return 200, {"webhook_endpoints": [_without_secret(e) for e in emulator.state.webhook_endpoints]}


def _list_webhook_deliveries(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    messages = emulator.webhooks.messages()
    wanted = next((value for name, value in request.query if name == "state"), None)
    if wanted is not None and wanted not in ("pending", "delivered", "failed"):
        raise invalid("state", "state must be one of pending, delivered, failed")
    shown = [m.to_json() for m in messages if wanted is None or m.state == wanted]
    return 200, {"webhook_deliveries": shown}


def _relate_incidents(emulator: Emulator, request: EmulatorRequest, body: dict[str, Any]) -> Answer:
    from incidentkit.emulator.relationships import relate

    incidents = []
    for name in ("incident_id", "related_incident_id"):
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise required(name)
        incident = emulator.state.incident_by_reference(value.upper().removeprefix("INC-"))
        if incident is None:
            raise invalid(name, f"No incident exists with id or reference {value!r}", code="not_found")
        incidents.append(incident)
    try:
        relationship = relate(emulator.state, incidents[0], incidents[1], now=emulator.clock().timestamp())
    except ValueError as error:
        raise invalid("related_incident_id", str(error)) from None
    emulator._persist()  # the state file keeps what the admin endpoints change, too
    return 201, {
        "incident_relationship": {"id": relationship["id"], "incident_ids": relationship["incident_ids"]}
    }


ADMIN_ROUTES: dict[tuple[str, str], AdminHandler] = {
    ("GET", "/_emulator/state"): _state,
    ("POST", "/_emulator/reset"): _reset,
    ("POST", "/_emulator/incidents"): _add_incidents,
    ("POST", "/_emulator/api_keys"): _add_api_key,
    ("GET", "/_emulator/api_keys"): _list_api_keys,
    ("PUT", "/_emulator/rate_limit"): _set_rate_limit,
    ("POST", "/_emulator/faults"): _add_fault,
    ("DELETE", "/_emulator/faults"): _clear_faults,
    ("POST", "/_emulator/webhook_endpoints"): _add_webhook_endpoint,
    ("GET", "/_emulator/webhook_endpoints"): _list_webhook_endpoints,
    ("GET", "/_emulator/webhook_deliveries"): _list_webhook_deliveries,
    ("POST", "/_emulator/incident_relationships"): _relate_incidents,
}
"""The admin endpoints by (method, path), beside the API's own route table in :mod:`.core`."""


def handle_admin(emulator: Emulator, request: EmulatorRequest) -> Answer:
    """Answer one admin request.

    Raises:
        APIError: an unknown path (404), a known path with another method (405), or bad input.
    """
    path = request.path.rstrip("/")
    handler = ADMIN_ROUTES.get((request.method, path))
    if handler is None:
        allowed = sorted(method for method, known in ADMIN_ROUTES if known == path)
        if allowed:
            raise APIError(
                405,
                f"{request.method} is not allowed on {path}; use {', '.join(allowed)}",
                code="method_not_allowed",
            )
        raise APIError(
            404, f"There is no emulator admin endpoint {request.method} {request.path}", code="not_found"
        )
    return handler(emulator, request, _body(request))
