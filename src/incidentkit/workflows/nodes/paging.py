"""Steps that page people and find who is on call, through :class:`incidentkit.api.Client`.

- ``incident_io.escalation.create`` pages an escalation path or users. It sends the engine's
  idempotency key (derived from the run and the step), so a retried step finds the page its
  first attempt made instead of paging again.
- ``incident_io.escalation.respond`` answers a page: ``ack`` stops the paging, ``snooze`` pauses it.
- ``incident_io.oncall.who`` outputs who a schedule has on call, so a later step can mention them.

Acknowledging a page and acknowledging an incident are different things in incident.io, and the
steps keep them apart. ``incident_io.escalation.respond`` with ``ack`` answers the page: the people
stop being notified and the path stops moving to further levels; the incident, if the page is
linked to one, is untouched. ``incident_io.incident.acknowledge`` moves an incident out of triage
into its first live status; it does not answer any page. A workflow that should do both (a
responder has taken the page and the incident is real) uses both steps, in either order.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from incidentkit.timeutil import parse_duration, parse_iso
from incidentkit.workflows.nodes.base import Completed, NodeContext, StepInputs
from incidentkit.workflows.nodes.registry import register

if TYPE_CHECKING:
    from incidentkit.api.models import User
    from incidentkit.api.paging_models import Escalation


def _person(user: User) -> dict[str, Any]:
    """A user as the steps output them; ``mention`` is the Slack mention when the user has a Slack id."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "slack_user_id": user.slack_user_id,
        "mention": f"<@{user.slack_user_id}>" if user.slack_user_id else user.name,
    }


def _escalation_output(escalation: Escalation) -> dict[str, Any]:
    paged = [_person(user) for user in escalation.paged_users]
    return {
        "escalation_id": escalation.id,
        "status": escalation.status,
        "title": escalation.title,
        "escalation_path_id": escalation.escalation_path_id,
        "paged_users": paged,
        "paged_names": ", ".join(person["name"] for person in paged),
        "incident_ids": [incident.id for incident in escalation.related_incidents],
        "escalation": escalation.to_json(),
    }


class CreateEscalationInputs(StepInputs):
    """Inputs of ``incident_io.escalation.create``: give ``escalationPath`` or ``users``, not both."""

    title: str = Field(min_length=1, description="what the page says; in every notification")
    escalation_path: str | None = Field(None, description="the escalation path to page, by name or id")
    users: list[str] | None = Field(None, description="or the users to page directly, by email or id")
    description: str | None = None
    incident_id: str | None = Field(None, description="an incident to link: ULID, INC-123, 123 or URL")

    @model_validator(mode="after")
    def _one_target(self) -> CreateEscalationInputs:
        if (self.escalation_path is None) == (not self.users):
            raise ValueError("give escalationPath or users (who to page), not both")
        return self


@register("incident_io.escalation.create", CreateEscalationInputs, writes=True)
def create_escalation(inputs: CreateEscalationInputs, context: NodeContext) -> Completed:
    """Page an escalation path or users, with the run's idempotency key: a retried step pages once."""
    escalation = context.api().escalations.create(
        title=inputs.title,
        path=inputs.escalation_path,
        users=inputs.users,
        description=inputs.description,
        incident=inputs.incident_id,
        idempotency_key=context.idempotency_key or None,
    )
    output = _escalation_output(escalation)
    context.log.info("paged %s (escalation %s)", output["paged_names"] or "nobody yet", escalation.id)
    return Completed(output)


class RespondInputs(StepInputs):
    """Inputs of ``incident_io.escalation.respond``."""

    escalation_id: str
    response: Literal["ack", "nack", "snooze"] = Field(
        "ack", description="ack stops the paging; snooze pauses it; nack is refused for API keys"
    )
    snooze_until: str | None = Field(
        None, description="for snooze: a timestamp, or a duration from now such as 30m"
    )

    @model_validator(mode="after")
    def _snooze_needs_an_end(self) -> RespondInputs:
        if (self.response == "snooze") != (self.snooze_until is not None):
            raise ValueError("snoozeUntil is needed with response snooze, and only with it")
        return self


def _snooze_end(value: str, context: NodeContext) -> datetime:
    try:
        return context.clock() + parse_duration(value)
    except ValueError:
        pass
    try:
        return parse_iso(value)
    except ValueError:
        raise ValueError(
            f"input 'snoozeUntil': {value!r} is neither a duration (30m) nor a timestamp"
        ) from None


@register("incident_io.escalation.respond", RespondInputs, writes=True)
def respond_escalation(inputs: RespondInputs, context: NodeContext) -> Completed:
    """Answer a page (acknowledge or snooze it). This is the page's acknowledgement, not the incident's.

    ``incident_io.incident.acknowledge`` moves an incident from triage to live and leaves pages
    alone; this step stops (or pauses) the paging and leaves the incident alone. Acknowledging an
    already acknowledged page changes nothing (``changed`` is False).
    """
    client = context.api()
    before = client.escalations.get(inputs.escalation_id)
    until = _snooze_end(inputs.snooze_until, context) if inputs.snooze_until is not None else None
    after = client.escalations.respond(inputs.escalation_id, inputs.response, snooze_until=until)
    output = _escalation_output(after)
    output["previous_status"] = before.status
    output["changed"] = before.status != after.status
    context.log.info("escalation %s: %s -> %s", after.id, before.status, after.status)
    return Completed(output)


class WhoInputs(StepInputs):
    """Inputs of ``incident_io.oncall.who``."""

    schedule: str = Field(min_length=1, description="the schedule, by name or id")
    at: datetime | None = Field(None, description="a moment other than now (a timestamp)")


@register("incident_io.oncall.who", WhoInputs, writes=False)
def who_is_on_call(inputs: WhoInputs, context: NodeContext) -> Completed:
    """Output who the schedule has on call (now, by the API's clock, or ``at``), to mention or page them.

    ``mentions`` joins the Slack mentions (``<@U123>``; the name when a user has no Slack id), ready
    for a ``slack.post`` message; ``user_ids`` feeds ``incident_io.escalation.create``'s ``users``.
    """
    on_call = context.api().oncall.now(inputs.schedule, at=inputs.at)
    people = [_person(user) for user in on_call.users]
    return Completed(
        {
            "schedule_id": on_call.schedule.id,
            "schedule_name": on_call.schedule.name,
            "users": people,
            "user_ids": [person["id"] for person in people],
            "emails": [person["email"] for person in people if person["email"]],
            "names": ", ".join(person["name"] for person in people),
            "mentions": " ".join(person["mention"] for person in people),
            "count": len(people),
            "shifts": [shift.to_json() for shift in on_call.shifts],
        }
    )
