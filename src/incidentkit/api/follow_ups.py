"""Operations on one follow-up (``/v3/follow_ups/{id}``) and on follow-ups made from issue links.

Listing and creating are in :mod:`incidentkit.api.operations`. Like every operation, each takes
the client's :class:`~incidentkit.api.lookups.Lookups` first and yields requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.lookups import Lookups
from incidentkit.api.operations import resolve_incident_id
from incidentkit.api.params import path_id
from incidentkit.api.refs import IncidentRef

if TYPE_CHECKING:
    from incidentkit.api.models import FollowUp


def _follow_up_from(body: Any) -> FollowUp:
    from incidentkit.api.models import FollowUp

    return FollowUp.model_validate(body["follow_up"])


def get_follow_up(lookups: Lookups, follow_up_id: str) -> Op[FollowUp]:
    """A follow-up by id (``GET /v3/follow_ups/{id}``)."""
    return _follow_up_from((yield APIRequest("GET", f"/v3/follow_ups/{path_id(follow_up_id)}")))


def update_follow_up(
    lookups: Lookups,
    follow_up_id: str,
    *,
    title: str | None = None,
    status: str | None = None,
    description: str | None = None,
    assignee_id: str | None = None,
    assignee_team_id: str | None = None,
    labels: Sequence[str] | None = None,
    unassign_user: bool = False,
    unassign_team: bool = False,
) -> Op[FollowUp]:
    """Change a follow-up (``PUT /v3/follow_ups/{id}``); what is not given stays as it is.

    The API needs the title and status on every update, so the follow-up is read first when
    either is not given. ``status`` is outstanding, completed or not_doing (delete with
    :func:`delete_follow_up`). ``unassign_user`` / ``unassign_team`` clear the assignee or team.
    """
    if title is None or status is None:
        current = yield from get_follow_up(lookups, follow_up_id)
        title = current.title if title is None else title
        status = current.status if status is None else status
    payload: dict[str, Any] = {"title": title, "status": status}
    for key, value, clear in (
        ("assignee_id", assignee_id, unassign_user),
        ("assignee_team_id", assignee_team_id, unassign_team),
    ):
        if clear:
            payload[key] = None
        elif value is not None:
            payload[key] = value
    if description is not None:
        payload["description"] = description
    if labels is not None:
        payload["labels"] = list(labels)
    body = yield APIRequest("PUT", f"/v3/follow_ups/{path_id(follow_up_id)}", json=payload)
    return _follow_up_from(body)


def delete_follow_up(lookups: Lookups, follow_up_id: str) -> Op[None]:
    """Delete a follow-up (``DELETE /v3/follow_ups/{id}``): its status becomes ``deleted``."""
    yield APIRequest("DELETE", f"/v3/follow_ups/{path_id(follow_up_id)}")


def create_follow_up_from_link(lookups: Lookups, incident: str | IncidentRef, url: str) -> Op[FollowUp]:
    """A follow-up for an issue that already exists in an issue tracker, from its URL.

    ``POST /v3/follow_ups/actions/create_from_link``: the follow-up starts connected to the
    issue, so it is not exported to a second one. The endpoint takes no idempotency key, so a
    retried request may make a second follow-up: it is retried only when never sent.
    """
    payload = {"incident_id": (yield from resolve_incident_id(lookups, incident)), "url": url}
    body = yield APIRequest("POST", "/v3/follow_ups/actions/create_from_link", json=payload)
    return _follow_up_from(body)


def connect_external_issue(lookups: Lookups, follow_up_id: str, url: str, *, provider: str) -> Op[FollowUp]:
    """Connect a follow-up to an existing issue (``POST /v3/follow_ups/{id}/actions/connect_external_issue``).

    ``provider`` is the tracker (linear, jira, github, ...). A follow-up already connected is refused.
    """
    body = yield APIRequest(
        "POST",
        f"/v3/follow_ups/{path_id(follow_up_id)}/actions/connect_external_issue",
        json={"provider": provider, "url": url},
        retry_safe=True,  # connecting twice is refused, never duplicated
    )
    return _follow_up_from(body)
