"""On-call tools: who is on call now, and paging people (an escalation) through a path or directly."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from incidentkit.agent_tools.inputs import ToolInputError, optional_text, required_text
from incidentkit.agent_tools.toolbox import Toolbox, idempotency_key

MAX_USERS = 10


def _user(user: Any) -> dict[str, Any]:
    return {
        key: value for key, value in (("name", user.name), ("email", user.email), ("id", user.id)) if value
    }


def who_is_on_call(
    box: Toolbox,
    schedule: Annotated[
        str | None, Field(description="One schedule, by name or id; every schedule when omitted.")
    ] = None,
) -> dict[str, Any]:
    """Who is on call right now, per on-call schedule, with when their shift ends. Use it to know
    whom to page, or who holds the pager for a service's team."""
    names = [schedule.strip()] if schedule and schedule.strip() else None
    if names is None:
        names = [found.id for found in box.client.schedules.list()]
    answer = []
    for name in names:
        now = box.client.oncall.now(name)
        answer.append(
            {
                "schedule": now.schedule.name,
                "schedule_id": now.schedule.id,
                "on_call": [
                    {**_user(shift.user), "until": shift.end_at.isoformat()}
                    for shift in now.shifts
                    if shift.user is not None
                ],
                "permalink": now.schedule.permalink,
            }
        )
    return {"schedules": answer, "count": len(answer)}


def page(
    box: Toolbox,
    title: Annotated[str, Field(description="What the page says; people read it on their phone.")],
    escalation_path: Annotated[
        str | None,
        Field(description="Page through this escalation path, by name or id. Give this or users, not both."),
    ] = None,
    users: Annotated[
        list[str] | None,
        Field(
            description="Or page these people directly, by email or id (at most 10); or give escalation_path."
        ),
    ] = None,
    incident_id: Annotated[
        str | None, Field(description="The incident the page is about (INC-123, 123 or a ULID). Optional.")
    ] = None,
    description: Annotated[
        str | None, Field(description="More detail for the people paged. Optional.")
    ] = None,
) -> dict[str, Any]:
    """Page people now (an incident.io escalation): through an escalation path, which notifies its
    levels in turn until someone acknowledges, or straight to named users. Paging again with the same
    title, target and incident does not page twice."""
    heading = required_text("title", title, limit=500)
    path = optional_text("escalation_path", escalation_path, limit=200)
    people = [person.strip() for person in users or [] if person.strip()]
    if (path is None) == (not people):
        raise ToolInputError(
            "escalation_path",
            "give either escalation_path or users (a list of emails or ids), not both and not neither",
        )
    if len(people) > MAX_USERS:
        raise ToolInputError(
            "users", f"{len(people)} people given; page at most {MAX_USERS} directly, or use a path"
        )
    incident = optional_text("incident_id", incident_id, limit=500)
    escalation = box.client.escalations.create(
        title=heading,
        path=path,
        users=people or None,
        description=optional_text("description", description),
        incident=incident,
        idempotency_key=idempotency_key("page", heading, path, *sorted(people), incident),
    )
    return {
        "escalation": {
            "id": escalation.id,
            "title": escalation.title,
            "status": escalation.status,
            "escalation_path_id": escalation.escalation_path_id,
            "paged": [_user(user) for user in escalation.paged_users],
            "related_incidents": [related.to_json() for related in escalation.related_incidents],
            "created_at": escalation.created_at.isoformat(),
        }
    }
