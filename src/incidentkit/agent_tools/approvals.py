"""An agent asks a person for approval: ``request_approval`` and ``approval_status``.

The engine's approvals belong to workflow runs, and a person decides them with ``incidentkit
approvals approve|reject`` (or over the service's HTTP API), with the approvers checked through
incident.io. So an agent's request is a run of its own: a one-step workflow, ``agent-approval``,
whose only step is an ``approval`` with the agent's prompt. The tool stores the run and drives it at
once until it parks at that step, which opens the approval; ``approval_status`` reads the decision
and, once the approval is decided or expired, drives the run to its end (a worker of ``incidentkit
serve`` would do the same). The run, its log and the decision are in ``incidentkit runs`` like any
other.

No tool decides an approval: an agent may ask, never grant. The agent's own words reach the
approver as data (``$trigger.agent.prompt``), never as template text.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from incidentkit.agent_tools.inputs import ToolInputError, duration, optional_text, required_text
from incidentkit.agent_tools.toolbox import Toolbox, idempotency_key

if TYPE_CHECKING:
    from incidentkit.store.run_records import Approval
    from incidentkit.store.runs import RunStore

APPROVAL_WORKFLOW = "agent-approval"
"""The name of the runs that hold agents' approval requests."""
STEP = "approve"
MAX_TIMEOUT = timedelta(days=7)


def _spec(timeout: timedelta, approvers: list[str]) -> dict[str, Any]:
    return {
        "name": APPROVAL_WORKFLOW,
        "description": "An approval an agent asked for through incidentkit mcp.",
        "trigger": {"type": "manual"},
        "steps": [
            {
                "id": STEP,
                "type": "approval",
                "prompt": "{{ $trigger.agent.prompt }}",
                "approvers": {"users": approvers},
                "timeout": timeout.total_seconds(),
                "on_timeout": "reject",
            }
        ],
    }


def _advance(box: Toolbox, runs: RunStore, run_id: str) -> None:
    """Drive an approval run as far as it goes now: to its approval, or past it once decided."""
    from incidentkit.workflows.engine import Engine

    engine = Engine(runs, None, clock=box.clock, owner=f"mcp-{secrets.token_hex(4)}")
    try:
        run = runs.claim_run(run_id, engine.owner)
        if run is not None:
            engine.drive(run)
    finally:
        engine.close()


def _view(approval: Approval, runs: RunStore) -> dict[str, Any]:
    run = runs.get_run(approval.run_id)
    agent = run.trigger.get("agent") or {}
    status = approval.decision or "pending"
    view: dict[str, Any] = {
        "approval_id": approval.id,
        "status": status,
        "action": agent.get("action"),
        "incident": agent.get("incident"),
        "approvers": approval.approvers.get("users") or "anyone who may decide approvals",
        "requested_at": approval.created_at.isoformat(),
        "expires_at": approval.expires_at.isoformat() if approval.expires_at else None,
        "decided_by": approval.decided_by,
        "decided_at": approval.decided_at.isoformat() if approval.decided_at else None,
        "run_id": approval.run_id,
    }
    if status == "pending":
        view["next"] = (
            f"a person decides with `incidentkit approvals approve {approval.id} --by EMAIL` (or reject); "
            "check back with approval_status; do not act before it is approved"
        )
    elif status == "approved":
        view["next"] = "approved: you may go ahead with the action as described"
    else:
        view["next"] = f"{status}: do not go ahead with the action"
    return {key: value for key, value in view.items() if value is not None}


def request_approval(
    box: Toolbox,
    action: Annotated[
        str, Field(description="Exactly what you want to do, e.g. 'Roll back checkout-api to v2.3.0'.")
    ],
    reason: Annotated[str, Field(description="Why: the evidence that makes you think it is right.")],
    incident_id: Annotated[
        str | None, Field(description="The incident it is for (INC-123, 123 or a ULID). Optional.")
    ] = None,
    approvers: Annotated[
        list[str] | None,
        Field(
            description="Who may approve, by incident.io email or id; anyone allowed to decide when omitted."
        ),
    ] = None,
    timeout: Annotated[
        str,
        Field(
            description="How long the request stays open before it counts as rejected: 15m, 1h, 1d (max 7d)."
        ),
    ] = "1h",
) -> dict[str, Any]:
    """Ask a person to approve an action before you take it (a risky change, a rollback, paging many
    people). You cannot approve it yourself: a person decides. Returns the approval's id; call
    approval_status with it until the status is approved, rejected or expired. Asking again for the
    same pending action returns the same request."""
    what = required_text("action", action, limit=1_000)
    why = required_text("reason", reason, limit=4_000)
    length = duration("timeout", timeout, at_most=MAX_TIMEOUT)
    people = [person.strip() for person in approvers or [] if person.strip()]
    incident: dict[str, Any] | None = None
    ref = optional_text("incident_id", incident_id, limit=500)
    if ref is not None:
        found = box.client.incidents.get(ref)
        incident = {"reference": found.reference, "id": found.id, "permalink": found.permalink}
    lines = [f"{box.agent} asks to: {what}", f"Why: {why}"]
    if incident is not None:
        lines.append(
            f"Incident: {incident['reference']}"
            + (f" ({incident['permalink']})" if incident["permalink"] else "")
        )
    from incidentkit.store.run_records import NewRun
    from incidentkit.store.runs import RunStore
    from incidentkit.workflows.loader import Workflow, workflow_version
    from incidentkit.workflows.run_state import spec_snapshot
    from incidentkit.workflows.schema import WorkflowSpec

    spec = WorkflowSpec.model_validate(_spec(length, people))
    workflow = Workflow(APPROVAL_WORKFLOW, spec, workflow_version(spec), "<incidentkit mcp>")
    runs = RunStore(box.store())
    key = idempotency_key("approval", what, why, ref, *people, int(length.total_seconds()))
    trigger = {
        "agent": {
            "name": box.agent,
            "action": what,
            "reason": why,
            "incident": incident,
            "prompt": "\n".join(lines),
        }
    }
    run, _ = runs.create_run(
        NewRun(APPROVAL_WORKFLOW, key, workflow.version, spec_snapshot(workflow), trigger)
    )
    existing = runs.approval_for_step(run.id, STEP)
    if existing is not None and existing.decision is not None:
        # The same request was decided before; this one is asked again, afresh.
        run, _ = runs.create_run(
            NewRun(
                APPROVAL_WORKFLOW,
                f"{key}:{secrets.token_hex(4)}",
                workflow.version,
                spec_snapshot(workflow),
                trigger,
            )
        )
    _advance(box, runs, run.id)
    approval = runs.approval_for_step(run.id, STEP)
    if approval is None:
        raise RuntimeError(f"the approval run {run.id} did not open its approval")
    return _view(approval, runs)


def approval_status(
    box: Toolbox,
    approval_id: Annotated[
        str, Field(description="The approval_id that request_approval returned (apr_...).")
    ],
) -> dict[str, Any]:
    """Whether a person approved, rejected or let expire an approval you requested with
    request_approval. Only act once the status is approved."""
    from incidentkit.store.errors import RunNotFoundError
    from incidentkit.store.runs import RunStore

    wanted = required_text("approval_id", approval_id, limit=100)
    runs = RunStore(box.store())
    try:
        approval = runs.get_approval(wanted)
    except RunNotFoundError:
        raise ToolInputError(
            "approval_id", f"no approval {wanted!r}; use the approval_id request_approval returned"
        ) from None
    run = runs.get_run(approval.run_id)
    if run.workflow != APPROVAL_WORKFLOW:
        raise ToolInputError(
            "approval_id", f"{wanted!r} belongs to a workflow run, not to an agent's request"
        )
    # Apply a decision or an expiry now, as a worker would: the run ends and the approval says so.
    _advance(box, runs, run.id)
    return _view(runs.get_approval(wanted), runs)
