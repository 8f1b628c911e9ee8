"""The alerting operations: alerts, alert sources, alert routes, incident alerts and HTTP alert events.

Written once as sans-I/O generators like :mod:`incidentkit.api.operations`; the clients bind them
in :mod:`incidentkit.api.alert_resources` (``client.alerts``, ``client.alert_sources``,
``client.alert_routes``, ``client.incident_alerts``, ``client.alert_events``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import InvalidArgumentError
from incidentkit.api.lookups import Lookups
from incidentkit.api.operations import resolve_incident_id
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
from incidentkit.api.refs import IncidentRef

if TYPE_CHECKING:
    from incidentkit.api.alert_models import (
        Alert,
        AlertEventResult,
        AlertRoute,
        AlertSource,
        AlertTag,
        IncidentAlert,
    )

ALERT_STATUSES = ("firing", "resolved")
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


# --- alert sources ----------------------------------------------------------------------------


def list_alert_sources(lookups: Lookups) -> Op[list[AlertSource]]:
    """The organisation's alert sources (``GET /v2/alert_sources``)."""
    body = yield APIRequest("GET", "/v2/alert_sources")
    from incidentkit.api.alert_models import AlertSource

    return [AlertSource.model_validate(raw) for raw in body["alert_sources"]]


def get_alert_source(lookups: Lookups, source: str) -> Op[AlertSource]:
    """An alert source by id or by name (``GET /v2/alert_sources/{id}``).

    Raises:
        InvalidArgumentError: no source has that name; the message lists the sources.
    """
    source_id = yield from resolve_alert_source_id(lookups, source)
    body = yield APIRequest("GET", f"/v2/alert_sources/{path_id(source_id)}")
    from incidentkit.api.alert_models import AlertSource

    return AlertSource.model_validate(body["alert_source"])


def resolve_alert_source_id(lookups: Lookups, source: str) -> Op[str]:
    """The id of an alert source given by id (sent as is) or by name (looked up).

    Raises:
        InvalidArgumentError: no source has that name; the message lists the sources.
    """
    if _ULID.match(source):
        return source
    sources = yield from list_alert_sources(lookups)
    for candidate in sources:
        if candidate.name.lower() == source.lower():
            return candidate.id
    names = ", ".join(repr(s.name) for s in sources) or "none"
    raise InvalidArgumentError(f"no alert source is named {source!r}; the sources are: {names}")


def create_alert_source(
    lookups: Lookups,
    *,
    name: str,
    source_type: str = "http",
    template: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Op[AlertSource]:
    """Create an alert source (``POST /v2/alert_sources``).

    Without a ``template`` the source's alerts take the title and description of their events.
    ``extra`` adds any other field of the payload as the API spells it (``http_custom_options``...).
    An HTTP source's answer carries its ``secret_token``: keep it, events need it.
    """
    payload: dict[str, Any] = {
        "name": name,
        "source_type": source_type,
        "template": dict(template) if template is not None else _default_template(),
        **(extra or {}),
    }
    body = yield APIRequest("POST", "/v2/alert_sources", json=payload)
    from incidentkit.api.alert_models import AlertSource

    return AlertSource.model_validate(body["alert_source"])


def _default_template() -> dict[str, Any]:
    return {
        "title": {"reference": "alert.title"},
        "description": {"reference": "alert.description"},
        "attributes": [],
        "expressions": [],
    }


def update_alert_source(
    lookups: Lookups,
    source: str,
    *,
    name: str,
    template: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> Op[AlertSource]:
    """Replace an alert source's settings (``PUT /v2/alert_sources/{id}``); its type and token stay."""
    source_id = yield from resolve_alert_source_id(lookups, source)
    payload = {"name": name, "template": dict(template), **(extra or {})}
    body = yield APIRequest("PUT", f"/v2/alert_sources/{path_id(source_id)}", json=payload)
    from incidentkit.api.alert_models import AlertSource

    return AlertSource.model_validate(body["alert_source"])


def delete_alert_source(lookups: Lookups, source: str) -> Op[None]:
    """Delete an alert source (``DELETE /v2/alert_sources/{id}``)."""
    source_id = yield from resolve_alert_source_id(lookups, source)
    yield APIRequest("DELETE", f"/v2/alert_sources/{path_id(source_id)}")
    return None


# --- alert routes (the v3 API) ------------------------------------------------------------------


def list_alert_routes(
    lookups: Lookups, *, page_size: int | None = None, limit: int | None = None
) -> Op[ListSpec[AlertRoute]]:
    """List alert routes (``GET /v3/alert_routes``): id, name and whether enabled, every page."""
    from incidentkit.api.alert_models import AlertRoute

    spec = list_spec("/v3/alert_routes", "alert_routes", AlertRoute.model_validate, [], page_size, limit)
    return (yield from ready(spec))


def get_alert_route(lookups: Lookups, route_id: str) -> Op[AlertRoute]:
    """An alert route with its whole configuration (``GET /v3/alert_routes/{id}``)."""
    body = yield APIRequest("GET", f"/v3/alert_routes/{path_id(route_id)}")
    from incidentkit.api.alert_models import AlertRoute

    return AlertRoute.model_validate(body["alert_route"])


def create_alert_route(lookups: Lookups, payload: Mapping[str, Any]) -> Op[AlertRoute]:
    """Create an alert route (``POST /v3/alert_routes``) from an ``AlertRoutesCreatePayloadV3``."""
    body = yield APIRequest("POST", "/v3/alert_routes", json=dict(payload))
    from incidentkit.api.alert_models import AlertRoute

    return AlertRoute.model_validate(body["alert_route"])


def update_alert_route(lookups: Lookups, route_id: str, payload: Mapping[str, Any]) -> Op[AlertRoute]:
    """Replace an alert route (``PUT /v3/alert_routes/{id}``).

    The payload's ``version`` must be one more than the route's; when it is left out, the route is
    read first and the next version is sent. A concurrent edit still fails (409, ``ConflictError``).
    """
    data = dict(payload)
    if "version" not in data:
        current = yield from get_alert_route(lookups, route_id)
        data["version"] = (current.version or 0) + 1
    body = yield APIRequest("PUT", f"/v3/alert_routes/{path_id(route_id)}", json=data)
    from incidentkit.api.alert_models import AlertRoute

    return AlertRoute.model_validate(body["alert_route"])


def delete_alert_route(lookups: Lookups, route_id: str) -> Op[None]:
    """Delete an alert route (``DELETE /v3/alert_routes/{id}``)."""
    yield APIRequest("DELETE", f"/v3/alert_routes/{path_id(route_id)}")
    return None


# --- alerts -------------------------------------------------------------------------------------


def list_alerts(
    lookups: Lookups,
    *,
    status: OneOrMany | None = None,
    status_not_in: OneOrMany | None = None,
    deduplication_key: OneOrMany | None = None,
    alert_source: OneOrMany | None = None,
    alert_source_not_in: OneOrMany | None = None,
    alert_group_id: OneOrMany | None = None,
    created_at_gte: DateLike | None = None,
    created_at_lte: DateLike | None = None,
    created_at_date_range: tuple[DateLike, DateLike] | None = None,
    updated_at_gte: DateLike | None = None,
    updated_at_lte: DateLike | None = None,
    updated_at_date_range: tuple[DateLike, DateLike] | None = None,
    tags: OneOrMany | None = None,
    tags_all_of: OneOrMany | None = None,
    tags_not_in: OneOrMany | None = None,
    has_notes: bool | None = None,
    include_maintenance_window: bool | None = None,
    attributes: Mapping[str, Mapping[str, OneOrMany]] | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[Alert]]:
    """List alerts, newest first (``GET /v2/alerts``), with any of the API's filters, every page.

    Alert sources may be given by name or id. ``tags`` keeps alerts with any of the tags,
    ``tags_all_of`` those with all of them. ``attributes`` maps an alert attribute id to
    ``{operator: values}``.

    Raises:
        InvalidArgumentError: a status other than firing or resolved; an unknown source name.
    """
    params: list[tuple[str, str]] = []

    def add(name: str, operator: str, values: list[str]) -> None:
        params.extend((f"{name}[{operator}]", value) for value in values)

    for value in [*many(status), *many(status_not_in)]:
        if value not in ALERT_STATUSES:
            raise InvalidArgumentError(f"an alert's status is firing or resolved, not {value!r}")
    add("status", "one_of", many(status))
    add("status", "not_in", many(status_not_in))
    add("deduplication_key", "is", many(deduplication_key))
    for operator, sources in (("one_of", alert_source), ("not_in", alert_source_not_in)):
        for source in many(sources):
            add("alert_source", operator, [(yield from resolve_alert_source_id(lookups, source))])
    add("alert_group_id", "one_of", many(alert_group_id))
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
    add("tags", "one_of", many(tags))
    add("tags", "all_of", many(tags_all_of))
    add("tags", "not_in", many(tags_not_in))
    for name, flag in (("has_notes", has_notes), ("include_maintenance_window", include_maintenance_window)):
        if flag is not None:
            add(name, "is", ["true" if flag else "false"])
    for attribute, operators in (attributes or {}).items():
        for operator, values in operators.items():
            add(f"attributes[{attribute}]", operator, many(values))
    from incidentkit.api.alert_models import Alert

    return list_spec("/v2/alerts", "alerts", Alert.model_validate, params, page_size, limit)


def get_alert(lookups: Lookups, alert_id: str) -> Op[Alert]:
    """An alert (``GET /v2/alerts/{id}``)."""
    body = yield APIRequest("GET", f"/v2/alerts/{path_id(alert_id)}")
    from incidentkit.api.alert_models import Alert

    return Alert.model_validate(body["alert"])


def resolve_alert(lookups: Lookups, alert_id: str) -> Op[Alert]:
    """Resolve an alert (``POST /v2/alerts/{id}/actions/resolve``); resolving it again changes nothing."""
    body = yield APIRequest("POST", f"/v2/alerts/{path_id(alert_id)}/actions/resolve", retry_safe=True)
    from incidentkit.api.alert_models import Alert

    return Alert.model_validate(body["alert"])


def _tags_action(action: str, alert_id: str, tags: OneOrMany) -> Op[Alert]:
    names = many(tags)
    body = yield APIRequest(
        "POST", f"/v2/alerts/{path_id(alert_id)}/actions/{action}", json={"tags": names}, retry_safe=True
    )
    from incidentkit.api.alert_models import Alert

    return Alert.model_validate(body["alert"])


def add_alert_tags(lookups: Lookups, alert_id: str, tags: OneOrMany) -> Op[Alert]:
    """Add tags (by name) to an alert (``POST /v2/alerts/{id}/actions/add_tags``)."""
    return (yield from _tags_action("add_tags", alert_id, tags))


def remove_alert_tags(lookups: Lookups, alert_id: str, tags: OneOrMany) -> Op[Alert]:
    """Remove tags (by name) from an alert (``POST /v2/alerts/{id}/actions/remove_tags``)."""
    return (yield from _tags_action("remove_tags", alert_id, tags))


def set_alert_tags(lookups: Lookups, alert_id: str, tags: OneOrMany) -> Op[Alert]:
    """Make an alert's tags exactly these (``POST /v2/alerts/{id}/actions/set_tags``)."""
    return (yield from _tags_action("set_tags", alert_id, tags))


def list_alert_tags(
    lookups: Lookups, *, search: str | None = None, page_size: int | None = None, limit: int | None = None
) -> Op[ListSpec[AlertTag]]:
    """The tags in use on alerts (``GET /v2/alert_tags``), those containing ``search`` if given."""
    from incidentkit.api.alert_models import AlertTag

    params = [("search", search)] if search else []
    spec = list_spec("/v2/alert_tags", "alert_tags", AlertTag.model_validate, params, page_size, limit)
    return (yield from ready(spec))


# --- incident alerts ----------------------------------------------------------------------------


def list_incident_alerts(
    lookups: Lookups,
    incident: str | IncidentRef | None = None,
    *,
    alert_id: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[IncidentAlert]]:
    """The alerts attached to incidents (``GET /v2/incident_alerts``): one incident's, one alert's, or all."""
    params: list[tuple[str, str]] = []
    if incident is not None:
        params.append(("incident_id", (yield from resolve_incident_id(lookups, incident))))
    if alert_id is not None:
        params.append(("alert_id", alert_id))
    from incidentkit.api.alert_models import IncidentAlert

    parse = IncidentAlert.model_validate
    return list_spec("/v2/incident_alerts", "incident_alerts", parse, params, page_size, limit)


def attach_alert(
    lookups: Lookups, incident: str | IncidentRef, alert_id: str, *, re_relate: bool = False
) -> Op[IncidentAlert]:
    """Attach an alert to an incident (``POST /v2/incident_alerts``).

    ``re_relate`` attaches it again after someone marked it unrelated to that incident.
    """
    payload = {
        "incident_id": (yield from resolve_incident_id(lookups, incident)),
        "alert_id": alert_id,
        "re_relate": re_relate,
    }
    # Attaching the same alert twice leaves one link, so a retry is safe.
    body = yield APIRequest("POST", "/v2/incident_alerts", json=payload, retry_safe=True)
    from incidentkit.api.alert_models import IncidentAlert

    return IncidentAlert.model_validate(body["incident_alert"])


def transition_incident_alert(lookups: Lookups, incident_alert_id: str, state: str) -> Op[IncidentAlert]:
    """Mark an incident alert ``related`` or ``unrelated`` (``.../incident_alerts/{id}/actions/transition``).

    Raises:
        InvalidArgumentError: another state.
    """
    if state not in ("related", "unrelated"):
        raise InvalidArgumentError(f"an incident alert's state is related or unrelated, not {state!r}")
    body = yield APIRequest(
        "POST",
        f"/v2/incident_alerts/{path_id(incident_alert_id)}/actions/transition",
        json={"state": state},
        retry_safe=True,
    )
    from incidentkit.api.alert_models import IncidentAlert

    return IncidentAlert.model_validate(body["incident_alert"])


# --- HTTP alert events --------------------------------------------------------------------------


def send_alert_event(
    lookups: Lookups,
    source_config_id: str,
    token: str,
    *,
    title: str,
    status: str = "firing",
    deduplication_key: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    source_url: str | None = None,
) -> Op[AlertEventResult]:
    """Send an event to an HTTP alert source (``POST /v2/alert_events/http/{alert_source_config_id}``).

    ``token`` is the source's secret token (not an API key); it is sent in the ``Authorization``
    header. The same ``deduplication_key`` updates the same alert, and ``status="resolved"``
    resolves it. Without a key one is generated (the answer says which), and it is reused on every
    retry, so a retried event never raises a second alert.

    Raises:
        InvalidArgumentError: an empty title or token, or a status other than firing or resolved.
    """
    if status not in ALERT_STATUSES:
        raise InvalidArgumentError(f"an alert event's status is firing or resolved, not {status!r}")
    if not title.strip():
        raise InvalidArgumentError("an alert event needs a title")
    if not token:
        raise InvalidArgumentError("an alert event needs the alert source's token")
    payload: dict[str, Any] = {
        "title": title,
        "status": status,
        "deduplication_key": deduplication_key or new_idempotency_key(),
    }
    for key, value in (("description", description), ("source_url", source_url)):
        if value is not None:
            payload[key] = value
    if metadata is not None:
        payload["metadata"] = dict(metadata)
    body = yield APIRequest(
        "POST",
        f"/v2/alert_events/http/{path_id(source_config_id)}",
        json=payload,
        retry_safe=True,
        authorization=f"Bearer {token}",
    )
    from incidentkit.api.alert_models import AlertEventResult

    return AlertEventResult.model_validate(body)
