"""The tools on incidents: OpenSRE's ``incident_io_incidents`` and IncidentFox's readers, updates,
timeline items and follow-ups.

Each tool is a plain function taking the :class:`~incidentkit.agent_tools.toolbox.Toolbox` first and
the agent's arguments after it, annotated so that the MCP server publishes their JSON Schema; each
returns compact JSON (:mod:`incidentkit.agent_tools.views`). Lists are one page at a time: the
answer's ``next_after`` is the ``after`` of the next call.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from incidentkit.agent_tools import views
from incidentkit.agent_tools.inputs import (
    ToolInputError,
    duration,
    optional_text,
    required_text,
    timestamp,
)
from incidentkit.agent_tools.summary import append_finding
from incidentkit.agent_tools.toolbox import Toolbox, idempotency_key

IncidentId = Annotated[
    str,
    Field(
        description="The incident: its reference (INC-123), its number (123), its ULID or its dashboard URL."
    ),
]
PageSize = Annotated[int, Field(ge=1, le=100, description="How many items at most in this answer (1-100).")]
After = Annotated[
    str | None,
    Field(
        description="The next page's cursor: the next_after of the previous answer. Omit for the first page."
    ),
]
STATUS_CATEGORIES = ("triage", "declined", "merged", "canceled", "live", "learning", "closed", "paused")
RECENT_STATUSES = {
    "active": ["triage", "live", "paused"],
    "resolved": ["learning", "closed"],
    "all": [],
}
TIMELINE_LIMIT = 50
"""get_incident_details returns at most this many timeline items (and says when there are more)."""
SERVICE_SCAN_PAGES = 10
"""list_recent_incidents with a service reads at most this many pages of incidents per call."""


def _ref_of(incident_id: str) -> str:
    return required_text("incident_id", incident_id, limit=500)


# --- incident_io_incidents (OpenSRE's contract) ----------------------------------------------


def incident_io_incidents(
    box: Toolbox,
    action: Annotated[
        Literal["list", "get", "updates", "context", "append_summary"],
        Field(
            description=(
                "list: incidents in a status category; get: one incident; updates: its incident updates; "
                "context: everything about one incident in one call (updates, timeline, roles, custom "
                "fields, alerts, follow-ups, affected services, priority); append_summary: add your "
                "finding (title and body) at the end of its summary."
            )
        ),
    ] = "context",
    incident_id: Annotated[
        str | None, Field(description="For get, updates, context and append_summary: INC-123, 123 or a ULID.")
    ] = None,
    status_category: Annotated[
        str,
        Field(
            description=(
                "For list: triage, live, learning, closed, paused, declined, merged or canceled; "
                "empty for every category."
            )
        ),
    ] = "live",
    page_size: PageSize = 20,
    after: After = None,
    title: Annotated[
        str | None, Field(description="For append_summary: a short title of the finding.")
    ] = None,
    body: Annotated[
        str | None, Field(description="For append_summary: the finding itself, the evidence and next steps.")
    ] = None,
    notify_incident_channel: Annotated[
        bool,
        Field(description="For append_summary: whether incident.io announces the change in the channel."),
    ] = False,
) -> dict[str, Any]:
    """Read incident.io incidents for root-cause analysis, or append a finding to one's summary.

    Start with action=context for an incident you are investigating; use list to find the live
    incidents. append_summary changes the incident (never removes what others wrote).
    """
    if action == "list":
        category = (status_category or "").strip().lower()
        if category and category not in STATUS_CATEGORIES:
            raise ToolInputError(
                "status_category",
                f"{status_category!r} is not a status category; use one of "
                f"{', '.join(STATUS_CATEGORIES)}, or empty for all",
            )
        pager = box.client.incidents.list(status_category=category or None, page_size=page_size).raw()
        found = pager.page(after)
        incidents = [views.incident(item, full_summary=False) for item in found.items]
        return {"action": "list", **views.page(incidents, found.after, "incidents")}
    if incident_id is None or not incident_id.strip():
        raise ToolInputError("incident_id", f"is required for action={action} (INC-123, 123 or a ULID)")
    if action == "get":
        return {"action": "get", "incident": _incident_details(box, incident_id)}
    if action == "updates":
        return {"action": "updates", **_updates_page(box, incident_id, page_size, after)}
    if action == "context":
        return {"action": "context", **incident_context(box, incident_id)}
    heading = required_text("title", title, limit=200)
    appended = append_finding(
        box.client,
        incident_id,
        title=heading,
        body=optional_text("body", body),
        notify=notify_incident_channel,
    )
    return {
        "action": "append_summary",
        "appended": appended.added,
        "note": None if appended.added else "this finding was already in the summary; nothing was changed",
        "incident": views.incident(appended.incident),
    }


def incident_context(box: Toolbox, incident_id: str) -> dict[str, Any]:
    """Everything about one incident, from :func:`incidentkit.investigation.context`."""
    from incidentkit.investigation import context

    found = context(box.client, incident_id, config=box.settings(), history=box.history())
    answer: dict[str, Any] = found.to_json()
    return answer


def _incident_details(box: Toolbox, incident_id: str) -> dict[str, Any]:
    data = box.client.incidents.get(_ref_of(incident_id)).to_json()
    detail = views.incident(data)
    detail["custom_fields"] = views.custom_fields(data)
    detail["roles"] = views.roles(data)
    return views.compact(detail)


def _updates_page(box: Toolbox, incident_id: str, page_size: int, after: str | None) -> dict[str, Any]:
    pager = box.client.incident_updates.list(_ref_of(incident_id), page_size=page_size).raw()
    found = pager.page(after)
    return views.page([views.update(item) for item in found.items], found.after, "incident_updates")


# --- IncidentFox's readers -----------------------------------------------------------------------


def get_incident_details(
    box: Toolbox,
    incident_id: IncidentId,
    include_timeline: Annotated[
        bool, Field(description="Also return the incident's updates and timeline items, oldest first.")
    ] = True,
) -> dict[str, Any]:
    """One incident in detail: status, severity and priority, lead and roles, custom fields, affected
    services, summary and permalink; with include_timeline, its updates and timeline items too."""
    detail = _incident_details(box, incident_id)
    if include_timeline:
        ref = detail.get("id") or incident_id
        updates = box.client.incident_updates.list(ref, limit=TIMELINE_LIMIT).raw().to_list()
        items = box.client.incident_timeline_items.list(ref, limit=TIMELINE_LIMIT + 1).raw().to_list()
        detail["updates"] = sorted((views.update(u) for u in updates), key=lambda u: str(u.get("created_at")))
        detail["timeline"] = sorted(
            (views.timeline_item(i) for i in items[:TIMELINE_LIMIT]), key=lambda i: str(i.get("timestamp"))
        )
        if len(items) > TIMELINE_LIMIT:
            detail["timeline_truncated"] = f"only the first {TIMELINE_LIMIT} timeline items are shown"
    return detail


def list_recent_incidents(
    box: Toolbox,
    service: Annotated[
        str | None, Field(description="Only incidents affecting this service (its name, any case).")
    ] = None,
    severity: Annotated[
        str | None,
        Field(description="Only this severity, by name as the organisation spells it (e.g. Critical)."),
    ] = None,
    status: Annotated[
        Literal["active", "resolved", "all"],
        Field(description="active: triage, live or paused; resolved: learning or closed; all: any status."),
    ] = "active",
    time_range: Annotated[
        str,
        Field(description="How far back to look, by declaration time: 30m, 4h, 24h, 7d, 4w (at most 365d)."),
    ] = "7d",
    page_size: PageSize = 20,
    after: After = None,
) -> dict[str, Any]:
    """Recent incidents, newest first, filtered by service, severity, status and how far back."""
    since = box.clock() - duration("time_range", time_range, at_most=timedelta(days=365))
    categories = RECENT_STATUSES[status]
    wanted = (service or "").strip().lower()
    pager = box.client.incidents.list(
        status_category=categories or None,
        severity=(severity or "").strip() or None,
        created_at_gte=since,
        sort_by="created_at_newest_first",
        page_size=page_size,
    ).raw()
    kept: list[dict[str, Any]] = []
    cursor = after
    for _ in range(SERVICE_SCAN_PAGES if wanted else 1):
        found = pager.page(cursor)
        cursor = found.after
        for item in found.items:
            view = views.incident(item, full_summary=False)
            if not wanted or wanted in (name.lower() for name in view.get("services", [])):
                kept.append(view)
        if cursor is None or len(kept) >= page_size:
            break
    answer = {"since": since.isoformat(), **views.page(kept, cursor, "incidents")}
    return answer


# --- writes ---------------------------------------------------------------------------------------


def post_update(
    box: Toolbox,
    incident_id: IncidentId,
    message: Annotated[str, Field(description="The update, as responders will read it in the channel.")],
    status: Annotated[
        str | None,
        Field(description="Move the incident to this status, by name (e.g. Monitoring). Optional."),
    ] = None,
    severity: Annotated[
        str | None, Field(description="Change the severity, by name (e.g. Major). Optional.")
    ] = None,
) -> dict[str, Any]:
    """Post an incident update (what responders and stakeholders read), optionally changing the
    status or severity. Posting the same update again does not post it twice."""
    text = required_text("message", message)
    status_name = optional_text("status", status, limit=200)
    severity_name = optional_text("severity", severity, limit=200)
    incident = box.client.incidents.get(_ref_of(incident_id))
    created = box.client.incident_updates.create(
        incident.id,
        message=text,
        status=status_name,
        severity=severity_name,
        idempotency_key=idempotency_key("update", incident.id, text, status_name, severity_name),
    )
    return {
        "incident": incident.reference,
        "permalink": incident.permalink,
        "update": views.update(created.to_json()),
    }


def add_timeline_item(
    box: Toolbox,
    incident_id: IncidentId,
    title: Annotated[
        str, Field(description="What happened, in a few words (e.g. 'Rolled back checkout-api').")
    ],
    description: Annotated[str | None, Field(description="More detail. Optional.")] = None,
    at: Annotated[
        str | None,
        Field(description="When it happened, RFC 3339 with a zone (2026-03-01T12:00:00Z); now when omitted."),
    ] = None,
) -> dict[str, Any]:
    """Add an item to an incident's timeline: an action taken or an observation, at a moment.
    Adding the same item (same title, description and time) again adds it once."""
    heading = required_text("title", title, limit=200)
    detail = optional_text("description", description)
    when = timestamp("at", at)
    incident = box.client.incidents.get(_ref_of(incident_id))
    key_time = when.isoformat() if when is not None else ""
    item = box.client.incident_timeline_items.create(
        incident.id,
        title=heading,
        description=detail,
        timestamp=when or box.clock(),
        idempotency_key=idempotency_key("timeline", incident.id, heading, detail, key_time),
    )
    return {
        "incident": incident.reference,
        "permalink": incident.permalink,
        "timeline_item": views.timeline_item(item.to_json()),
    }


def list_follow_ups(
    box: Toolbox,
    incident_id: Annotated[
        str | None,
        Field(description="Only this incident's follow-ups (INC-123, 123 or a ULID); all when omitted."),
    ] = None,
    page_size: PageSize = 20,
    after: After = None,
) -> dict[str, Any]:
    """Follow-ups: the work agreed after incidents, with status and assignee."""
    ref = incident_id.strip() if incident_id and incident_id.strip() else None
    pager = box.client.follow_ups.list(ref, page_size=page_size).raw()
    found = pager.page(after)
    return views.page([views.follow_up(item) for item in found.items], found.after, "follow_ups")


def create_follow_up(
    box: Toolbox,
    incident_id: IncidentId,
    title: Annotated[str, Field(description="The work to do, as a task title.")],
    description: Annotated[str | None, Field(description="Why and how. Optional.")] = None,
    assignee: Annotated[
        str | None, Field(description="Who should do it: an incident.io user's email or id. Optional.")
    ] = None,
) -> dict[str, Any]:
    """Create a follow-up on an incident. A follow-up with the same title on the same incident is
    returned instead of creating a second one."""
    heading = required_text("title", title, limit=500)
    detail = optional_text("description", description)
    incident = box.client.incidents.get(_ref_of(incident_id))
    for existing in box.client.follow_ups.list(incident.id).raw():
        if str(existing.get("title", "")).strip().lower() == heading.lower():
            return {
                "incident": incident.reference,
                "created": False,
                "note": "a follow-up with this title already exists; it was not created again",
                "follow_up": views.follow_up(existing),
            }
    assignee_id = _user_id(box, assignee) if assignee and assignee.strip() else None
    created = box.client.follow_ups.create(
        incident.id, title=heading, description=detail, assignee_id=assignee_id
    )
    return {
        "incident": incident.reference,
        "permalink": incident.permalink,
        "created": True,
        "follow_up": views.follow_up(created.to_json()),
    }


def _user_id(box: Toolbox, who: str) -> str:
    text = who.strip()
    if "@" not in text:
        return text
    found = box.client.users.list(email=text, limit=1).to_list()
    if not found:
        raise ToolInputError(
            "assignee", f"no incident.io user has the email {text!r}; give a user's email or id"
        )
    return found[0].id
