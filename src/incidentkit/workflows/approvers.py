"""Who may decide an approval: the decider is an incident.io user, checked against the step's approvers.

An approval step names its approvers as ``users:`` (emails or user ids) and ``roles:`` (incident
roles such as ``incident-lead``). A decision names the person deciding (``--by`` on the command
line, ``{"by": ...}`` over HTTP) as an incident.io email or user id. It is resolved through the
API (``GET /v2/users``) and accepted only when that user is named in ``users:`` or holds one of
the ``roles:`` on the run's incident right now (its role assignments, fetched afresh). The
approvals token and the store are service credentials: they say a decision may be recorded, not
who a person is, so with approvers named and no API client to identify the decider the decision
is refused, never accepted. With no approvers named, anyone who can reach the approvals (the token,
or the store) decides, and the name is recorded as given.

An agent may request an approval but never grant one: a decision in a configured agent's name is
refused whatever the approvers.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from incidentkit.workflows.errors import WorkflowError

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.api.models import EmbeddedRole, Incident, User
    from incidentkit.store.run_records import Approval
    from incidentkit.store.runs import RunStore


class DecisionRefusedError(WorkflowError, ValueError):
    """Raised when the decider may not decide an approval (HTTP 403); the message gives the reason."""


def decide_approval(
    runs: RunStore,
    client: Client | None,
    approval_id: str,
    decision: str,
    by: str,
    *,
    agents: Collection[str] = (),
) -> Approval:
    """Check that ``by`` may decide the approval, then record the decision (the first one wins).

    Args:
        runs: the run store holding the approval.
        client: an incident.io client to identify the decider with; None when none is configured.
        approval_id: the approval.
        decision: ``approved`` or ``rejected``.
        by: the decider, an incident.io email or user id (any name when no approvers are named).
        agents: names of the configured agents, which never decide.

    Returns:
        The approval as decided; ``decided_by`` is the user's email (or id) when it was resolved.

    Raises:
        DecisionRefusedError: the decider is an agent, is unknown to incident.io, holds none of the
            approvers' roles and is not one of its users, or cannot be identified at all.
        RunNotFoundError: no such approval.
        AlreadyDecidedError: it was decided (or expired) before.
        ValueError: the decision is neither approved nor rejected, or nobody is named.
    """
    name = by.strip()
    if not name:
        raise ValueError("say who decides (--by EMAIL)")
    if name in agents:
        raise DecisionRefusedError(
            f"{name!r} is an agent: an agent may request an approval but never grant one"
        )
    approval = runs.get_approval(approval_id)
    users, roles = _approvers(approval.approvers)
    if approval.decision is not None or not (users or roles):
        return runs.decide(approval_id, decision, name)
    if client is None:
        raise DecisionRefusedError(
            f"cannot tell whether {name!r} may decide approval {approval_id}: its approvers are "
            f"{_describe(users, roles)}, and no incident.io API key is configured to look the decider "
            "up; refusing (configure a key: `incidentkit setup`, INCIDENT_IO_API_KEY or --profile)"
        )
    user = _find_user(client, name)
    if user is None:
        raise DecisionRefusedError(
            f"{name!r} is not an incident.io user (give an email or a user id): "
            f"approval {approval_id} may be decided by {_describe(users, roles)}"
        )
    if _is_named(user, users):
        return runs.decide(approval_id, decision, _who(user))
    holds = ""
    if roles:
        incident = _incident_of(client, runs, approval.run_id)
        if incident is None:
            raise DecisionRefusedError(
                f"{_who(user)} may not decide approval {approval_id}: its approvers are "
                f"{_describe(users, roles)}, and its run is about no incident whose roles could be checked"
            )
        held = _held(incident, user)
        if any(_role_matches(wanted, role) for wanted in roles for role in held):
            return runs.decide(approval_id, decision, _who(user))
        holds = f"; on {incident.reference} they hold " + (", ".join(r.name for r in held) or "no role")
    raise DecisionRefusedError(
        f"{_who(user)} may not decide approval {approval_id}: its approvers are "
        f"{_describe(users, roles)}{holds}"
    )


def _approvers(named: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    named = named or {}
    return [str(u) for u in named.get("users") or []], [str(r) for r in named.get("roles") or []]


def _describe(users: list[str], roles: list[str]) -> str:
    parts = []
    if users:
        parts.append("users " + ", ".join(users))
    if roles:
        parts.append("holders of the incident role " + " or ".join(roles))
    return " and ".join(parts)


def _find_user(client: Client, name: str) -> User | None:
    """The incident.io user with this email or id, or None."""
    from incidentkit.api.errors import NotFoundError

    if "@" in name:
        found = client.users.list(email=name).to_list()
        return found[0] if found else None
    try:
        return client.users.get(name)
    except NotFoundError:
        return None


def _who(user: User) -> str:
    return user.email or user.id


def _is_named(user: User, users: list[str]) -> bool:
    mine = {user.id.casefold(), *([user.email.casefold()] if user.email else [])}
    return any(entry.strip().casefold() in mine for entry in users)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _role_matches(wanted: str, role: EmbeddedRole) -> bool:
    """``incident-lead`` names the role "Incident Lead" (by id, name, slug of the name or shortform)."""
    names = {role.id, role.name, role.shortform or ""}
    return wanted.strip().casefold() in {n.casefold() for n in names if n} or _slug(wanted) == _slug(
        role.name
    )


def _held(incident: Incident, user: User) -> list[EmbeddedRole]:
    """The roles the user holds on the incident."""
    return [
        assignment.role
        for assignment in incident.incident_role_assignments
        if assignment.assignee is not None and assignment.assignee.id == user.id
    ]


def _incident_of(client: Client, runs: RunStore, run_id: str) -> Incident | None:
    """The run's incident as it is now: from its trigger (an incident event, or a manual run's input)."""
    trigger = runs.get_run(run_id).trigger
    fields: Mapping[str, Any] = trigger.get("incident_io") or {}
    inputs: Mapping[str, Any] = trigger.get("inputs") or {}
    reference = fields.get("incident_id") or inputs.get("incident") or inputs.get("incident_id")
    if not reference:
        return None
    return client.incidents.get(str(reference))
