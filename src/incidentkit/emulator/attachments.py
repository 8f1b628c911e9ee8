"""Incident attachments (the v1 API): external resources linked to incidents, listed, attached, removed.

A resource is attached by its ``external_id`` or by its ``url``, never both. The emulated
organisation has every integration installed: an id becomes the provider's link where the id alone
makes one (PagerDuty, Opsgenie, Datadog, Sentry), and a link is read back into the resource's id
(the last part of its path). ``arbitrary_url`` links anything, with an optional title.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, not_found
from incidentkit.emulator.ids import new_ulid
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import enum_field, incident_for_payload, string_field

RESOURCE_TYPES = [
    "pager_duty_incident",
    "opsgenie_alert",
    "datadog_monitor_alert",
    "github_pull_request",
    "gitlab_merge_request",
    "sentry_issue",
    "jira_issue",
    "jsm_alert",
    "atlassian_statuspage_incident",
    "zendesk_ticket",
    "google_calendar_event",
    "outlook_calendar_event",
    "slack_file",
    "salesforce_case",
    "pylon_issue",
    "arbitrary_url",
    "scrubbed",
    "statuspage_incident",
]

# Providers whose link the resource's id alone makes; the others are attached by their URL.
_LINKS = {
    "pager_duty_incident": ("PagerDuty incident", "https://app.pagerduty.com/incidents/{id}"),
    "opsgenie_alert": ("Opsgenie alert", "https://app.opsgenie.com/alert/detail/{id}"),
    "datadog_monitor_alert": ("Datadog monitor", "https://app.datadoghq.com/monitors/{id}"),
    "sentry_issue": ("Sentry issue", "https://sentry.io/issues/{id}/"),
}


def _resource(body: dict[str, Any]) -> Record:
    """The ``ExternalResourceV1`` a create payload's ``resource`` describes."""
    raw = body.get("resource")
    if not isinstance(raw, dict):
        raise invalid("resource", "resource is required: an object with resource_type and external_id or url")
    kind = enum_field(
        {"resource.resource_type": raw.get("resource_type")}, "resource.resource_type", RESOURCE_TYPES
    )
    if kind is None:
        raise invalid("resource.resource_type", "resource.resource_type is required", code="is_required")
    if kind == "scrubbed":
        raise invalid("resource.resource_type", "A scrubbed resource cannot be attached")
    external_id = string_field(raw, "external_id", prefix="resource.")
    url = string_field(raw, "url", prefix="resource.")
    if (external_id is None) == (url is None):
        raise invalid("resource", "resource needs either external_id or url, not both and not neither")
    for extra in ("title", "emoji"):
        if raw.get(extra) is not None and kind != "arbitrary_url":
            raise invalid(
                f"resource.{extra}", f"resource.{extra} is only supported for arbitrary_url resources"
            )
    label, template = _LINKS.get(kind, (kind.replace("_", " ").capitalize(), None))
    if url is None:
        assert external_id is not None
        if template is None:
            raise invalid("resource.url", f"A {kind} resource is attached by its url")
        return {
            "resource_type": kind,
            "external_id": external_id,
            "permalink": template.format(id=external_id),
            "title": f"{label} {external_id}",
        }
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("resource.url", f"resource.url must be an http:// or https:// URL, not {url!r}")
    if kind == "arbitrary_url":
        title = string_field(raw, "title", prefix="resource.") or url
        return {"resource_type": kind, "external_id": url, "permalink": url, "title": title}
    segments = [segment for segment in parts.path.split("/") if segment]
    derived = segments[-1] if segments else parts.hostname
    return {"resource_type": kind, "external_id": derived, "permalink": url, "title": f"{label} {derived}"}


def list_attachments(call: Call) -> tuple[int, Record]:
    incident_id = call.param("incident_id")
    external_id = call.param("external_id")
    kind = enum_field({"resource_type": call.param("resource_type")}, "resource_type", RESOURCE_TYPES)
    if incident_id is None and (external_id is None or kind is None):
        raise invalid(
            "incident_id", "Give incident_id, or both resource_type and external_id", code="is_required"
        )
    incident = call.state.incident_by_reference(incident_id) if incident_id else None
    if incident_id and incident is None:
        raise invalid("incident_id", f"No incident exists with id {incident_id!r}", code="not_found")

    def keep(attachment: Record) -> bool:
        resource = attachment["resource"]
        return (
            (incident is None or attachment["incident_id"] == incident["id"])
            and (external_id is None or resource["external_id"] == external_id)
            and (kind is None or resource["resource_type"] == kind)
        )

    return 200, {"incident_attachments": [a for a in call.state.incident_attachments if keep(a)]}


def create_attachment(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    incident = incident_for_payload(call, body)
    resource = _resource(body)
    key = (incident["id"], resource["resource_type"], resource["external_id"])
    for existing in call.state.incident_attachments:
        kept = existing["resource"]
        if (existing["incident_id"], kept["resource_type"], kept["external_id"]) == key:
            raise invalid(
                "resource",
                f"{resource['title']} is already attached to {incident['reference']}",
                code="conflict",
            )
    attachment: Record = {
        "id": new_ulid(call.now, call.rng),
        "incident_id": incident["id"],
        "resource": resource,
    }
    call.state.incident_attachments.append(attachment)
    call.changed = True
    return 201, {"incident_attachment": attachment}


def delete_attachment(call: Call) -> tuple[int, None]:
    attachment = call.state.find(call.state.incident_attachments, call.path_params["id"])
    if attachment is None:
        raise not_found("incident attachment", call.path_params["id"])
    call.state.incident_attachments.remove(attachment)
    call.changed = True
    return 204, None


ROUTES = [
    ("GET", "/v1/incident_attachments", list_attachments, "attachments.view"),
    ("POST", "/v1/incident_attachments", create_attachment, "attachments.create"),
    ("DELETE", "/v1/incident_attachments/{id}", delete_attachment, "attachments.destroy"),
]
"""This module's operations: (method, schema path, handler, scope), for :mod:`.routes`."""
