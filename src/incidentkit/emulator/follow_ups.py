"""Follow-ups (``/v3/follow_ups``): the work to do after an incident, its lifecycle and its webhooks.

Creating one touches the incident (its ``updated_at``) and sends
``public_incident.follow_up_created_v2``; every change sends ``follow_up_updated_v2``. For a
private incident the webhooks carry only the follow-up's id, as the API's do. Deleting sets the
status to ``deleted`` (the status the API reserves for it), so the follow-up can still be read.

The emulated organisation has no issue tracker connected: a follow-up created from an issue's
URL, or connected to one, records the provider, the issue's key read from the URL and the URL
itself, and takes the key as its title, since there is no tracker to read the issue's title from.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.filters import follow_up_filter, paginate
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.records import embedded_user, key_actor
from incidentkit.emulator.state import Record
from incidentkit.emulator.teams import team_by_id
from incidentkit.emulator.validators import enum_field, incident_for_payload, lookup, string_field

STATUSES = ["outstanding", "completed", "deleted", "not_doing"]
PROVIDERS = [
    "asana", "azure_devops", "click_up", "freshservice", "linear", "jira", "salesforce", "jira_server",
    "github", "gitlab", "service_now", "shortcut", "notion",
]  # fmt: skip
# Which provider an issue URL's host belongs to, for the hosted trackers.
_HOSTS = [
    (re.compile(r"(^|\.)linear\.app$"), "linear"),
    (re.compile(r"(^|\.)github\.com$"), "github"),
    (re.compile(r"(^|\.)gitlab\.com$"), "gitlab"),
    (re.compile(r"\.atlassian\.net$"), "jira"),
    (re.compile(r"(^|\.)app\.asana\.com$"), "asana"),
    (re.compile(r"(^|\.)dev\.azure\.com$|\.visualstudio\.com$"), "azure_devops"),
    (re.compile(r"(^|\.)app\.clickup\.com$"), "click_up"),
    (re.compile(r"(^|\.)app\.shortcut\.com$"), "shortcut"),
    (re.compile(r"(^|\.)notion\.so$"), "notion"),
    (re.compile(r"\.service-now\.com$"), "service_now"),
    (re.compile(r"\.freshservice\.com$"), "freshservice"),
    (re.compile(r"\.lightning\.force\.com$|\.salesforce\.com$"), "salesforce"),
]
# Fields of FollowUpV3 that the webhooks' FollowUpV2 does not have.
_NOT_IN_WEBHOOKS = ("description", "category")


def _announce(call: Call, follow_up: Record, event: str) -> None:
    incident = call.state.incidents.get(follow_up["incident_id"])
    if incident is not None and incident.get("visibility") == "private":
        call.emit(f"private_incident.{event}", {"id": follow_up["id"]})
    else:
        call.emit(
            f"public_incident.{event}", {k: v for k, v in follow_up.items() if k not in _NOT_IN_WEBHOOKS}
        )


def _touch_incident(call: Call, incident_id: str) -> None:
    incident = call.state.incidents.get(incident_id)
    if incident is not None:
        incident["updated_at"] = incident["last_activity_at"] = rfc3339(call.now)


def _follow_up(call: Call) -> Record:
    found = call.state.find(call.state.follow_ups, call.path_params["id"])
    if found is None:
        raise not_found("follow-up", call.path_params["id"])
    return found


def _labels(body: dict[str, Any]) -> list[str] | None:
    labels = body.get("labels")
    if labels is None:
        return None
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise invalid("labels", "labels must be a list of strings")
    return labels


def _assign(call: Call, follow_up: Record, body: dict[str, Any]) -> None:
    """Set (or, given null, clear) the assignee and the team; fields left out are kept."""
    if "assignee_id" in body:
        user = lookup(call.state.users, string_field(body, "assignee_id"), "assignee_id", "user")
        if user is None:
            follow_up.pop("assignee", None)
        else:
            follow_up["assignee"] = embedded_user(user)
    if "assignee_team_id" in body:
        team_id = string_field(body, "assignee_team_id")
        if team_id is None:
            follow_up.pop("assignee_team", None)
        else:
            team = team_by_id(call.state, team_id)
            if team is None:
                raise invalid("assignee_team_id", f"No team exists with id {team_id!r}", code="not_found")
            follow_up["assignee_team"] = {"id": team["id"], "name": team["name"]}
    # The emulated organisation has no follow-up categories or priorities, so an id of one refers
    # to nothing, as it would in such an organisation.
    for name, what in (
        ("follow_up_category_id", "follow-up category"),
        ("follow_up_priority_option_id", "follow-up priority"),
    ):
        lookup([], string_field(body, name), name, what)


def _issue_reference(url: str, provider: str | None) -> Record:
    """An ``ExternalIssueReferenceV2`` for an issue URL, its provider from the host when not given."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid("url", f"url must be the http(s) URL of an issue, not {url!r}")
    host = parsed.hostname or ""
    from_host = next((name for pattern, name in _HOSTS if pattern.search(host)), None)
    # A Jira Server may be reached on an Atlassian host too.
    if (
        provider not in (None, from_host)
        and from_host is not None
        and (provider, from_host) != ("jira_server", "jira")
    ):
        raise invalid("url", f"{url} is a {from_host} URL, not a {provider} one")
    chosen = provider or from_host
    if chosen is None:
        raise invalid("url", f"No issue tracker the organisation could connect serves {host}")
    segments = [s for s in parsed.path.split("/") if s]
    if not segments:
        raise invalid("url", f"{url} does not point at an issue")
    name = segments[-1]
    if chosen == "linear" and "issue" in segments:
        name = segments[segments.index("issue") + 1] if segments.index("issue") + 1 < len(segments) else name
    elif chosen in ("github", "gitlab") and "issues" in segments:
        index = segments.index("issues")
        owner_repo = "/".join(s for s in segments[:index] if s != "-")
        name = f"{owner_repo}#{segments[index + 1]}" if index + 1 < len(segments) else name
    elif chosen == "jira" and "browse" in segments:
        name = (
            segments[segments.index("browse") + 1] if segments.index("browse") + 1 < len(segments) else name
        )
    return {"provider": chosen, "issue_name": name, "issue_permalink": url}


def list_follow_ups(call: Call) -> tuple[int, Record]:
    follow_ups, meta = paginate(call, call.state.follow_ups, follow_up_filter(call), maximum=250)
    return 200, {"follow_ups": follow_ups, "pagination_meta": meta}


def _new_follow_up(call: Call, incident: Record, title: str) -> Record:
    return {
        "id": new_ulid(call.now, call.rng),
        "incident_id": incident["id"],
        "creator": key_actor(call.key),
        "title": title,
        "status": "outstanding",
        "labels": [],
        "created_at": rfc3339(call.now),
        "updated_at": rfc3339(call.now),
    }


def _store_new(call: Call, follow_up: Record) -> tuple[int, Record]:
    call.state.follow_ups.append(follow_up)
    _touch_incident(call, follow_up["incident_id"])
    call.changed = True
    _announce(call, follow_up, "follow_up_created_v2")
    return 201, {"follow_up": follow_up}


def create_follow_up(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    incident = incident_for_payload(call, body)
    title = string_field(body, "title", needed=True)
    assert title is not None
    # No issue tracker is connected, so no external issue reference exists to point at.
    lookup(
        [], string_field(body, "external_issue_reference_id"), "external_issue_reference_id", "external issue"
    )
    follow_up = _new_follow_up(call, incident, title)
    _assign(call, follow_up, body)
    follow_up["labels"] = _labels(body) or []
    description = string_field(body, "description")
    if description is not None:
        follow_up["description"] = description
    return _store_new(call, follow_up)


def create_follow_up_from_link(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    incident = incident_for_payload(call, body)
    url = string_field(body, "url", needed=True)
    assert url is not None
    reference = _issue_reference(url, None)
    follow_up = _new_follow_up(call, incident, reference["issue_name"])
    follow_up["external_issue_reference"] = reference
    return _store_new(call, follow_up)


def show_follow_up(call: Call) -> tuple[int, Record]:
    return 200, {"follow_up": _follow_up(call)}


def _changed(call: Call, follow_up: Record) -> tuple[int, Record]:
    follow_up["updated_at"] = rfc3339(call.now)
    call.changed = True
    _announce(call, follow_up, "follow_up_updated_v2")
    return 200, {"follow_up": follow_up}


def update_follow_up(call: Call) -> tuple[int, Record]:
    """``PUT``: title and status are required; the optional fields left out keep their values."""
    follow_up = _follow_up(call)
    body = call.json_object()
    title = string_field(body, "title", needed=True)
    status = enum_field(body, "status", STATUSES)
    if status is None:
        raise required("status")
    if status == "deleted":
        raise invalid("status", "A follow-up cannot be set to deleted: delete it instead")
    if follow_up["status"] == "deleted":
        raise invalid("status", "The follow-up was deleted and cannot change")
    # Change a copy, so that a refused field leaves the follow-up as it was.
    updated = dict(follow_up)
    _assign(call, updated, body)
    labels = _labels(body)
    if labels is not None:
        updated["labels"] = labels
    if "description" in body:
        description = string_field(body, "description")
        if description is None:
            updated.pop("description", None)
        else:
            updated["description"] = description
    if status == "completed" and follow_up["status"] != "completed":
        updated["completed_at"] = rfc3339(call.now)
    elif status != "completed":
        updated.pop("completed_at", None)
    updated["title"] = title
    updated["status"] = status
    follow_up.clear()
    follow_up.update(updated)
    return _changed(call, follow_up)


def delete_follow_up(call: Call) -> tuple[int, None]:
    follow_up = _follow_up(call)
    if follow_up["status"] != "deleted":
        follow_up["status"] = "deleted"
        _changed(call, follow_up)
    return 204, None


def connect_external_issue(call: Call) -> tuple[int, Record]:
    follow_up = _follow_up(call)
    body = call.json_object()
    provider = enum_field(body, "provider", PROVIDERS)
    if provider is None:
        raise required("provider")
    url = string_field(body, "url", needed=True)
    assert url is not None
    if "external_issue_reference" in follow_up:
        existing = follow_up["external_issue_reference"]["issue_permalink"]
        raise invalid("url", f"The follow-up is already connected to {existing}", code="already_connected")
    follow_up["external_issue_reference"] = _issue_reference(url, provider)
    return _changed(call, follow_up)


# (method, schema path, handler, scope) for the route table.
ROUTES = [
    ("GET", "/v3/follow_ups", list_follow_ups, "actions.view"),
    ("POST", "/v3/follow_ups", create_follow_up, "follow_ups.create"),
    (
        "POST",
        "/v3/follow_ups/actions/create_from_link",
        create_follow_up_from_link,
        "follow_ups.create_from_link",
    ),
    ("GET", "/v3/follow_ups/{id}", show_follow_up, "actions.view"),
    ("PUT", "/v3/follow_ups/{id}", update_follow_up, "follow_ups.update"),
    ("DELETE", "/v3/follow_ups/{id}", delete_follow_up, "follow_ups.destroy"),
    (
        "POST",
        "/v3/follow_ups/{id}/actions/connect_external_issue",
        connect_external_issue,
        "follow_ups.connect_external_issue",
    ),
]
