"""``incidentkit runs`` and ``incidentkit approvals``: workflow runs and approval gates in the store."""

from __future__ import annotations

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.engine_setup import load_engine_config
from incidentkit.cli.output import Column, column, emit_list, emit_object, output_options
from incidentkit.cli.storage import open_store, store_option

RUN_STATUSES = ("pending", "running", "waiting", "succeeded", "failed", "cancelled", "dead")

RUN_COLUMNS = [
    column("Created", "created_at"),
    column("Workflow", "workflow"),
    Column("Status", lambda run: f"{run['status']} (dry run)" if run.get("dry_run") else run["status"]),
    column("Failed step", "failed_step"),
    column("Error", "error"),
    column("Run ID", "id"),
]

RUN_FIELDS = [
    column("Run ID", "id"),
    column("Workflow", "workflow"),
    column("Version", "version"),
    column("Status", "status"),
    column("Dry run", "dry_run"),
    column("Event", "event_key"),
    column("Created", "created_at"),
    column("Finished", "finished_at"),
    column("Next attempt", "next_attempt_at"),
    column("Failed step", "failed_step"),
    column("Error", "error"),
    column("Steps", "steps"),
]

APPROVAL_COLUMNS = [
    column("Created", "created_at"),
    column("Prompt", "prompt"),
    column("Expires", "expires_at"),
    column("Decision", "decision"),
    column("Run ID", "run_id"),
    column("Approval ID", "id"),
]


def _not_found(error: Exception) -> click.ClickException:
    return click.ClickException(str(error))


@click.group()
def runs() -> None:
    """Workflow runs: list, show, logs, retry and cancel."""


@runs.command("list")
@click.option(
    "--status",
    type=click.Choice(RUN_STATUSES),
    help="Only runs with this status; 'failed' includes 'dead': every run a person must look at.",
)
@click.option("--workflow", metavar="NAME", help="Only runs of this workflow.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many.")
@store_option
@output_options
def list_runs(
    status: str | None, workflow: str | None, limit: int, store_url: str | None, output_format: str | None
) -> None:
    """List workflow runs, newest first."""
    from incidentkit.store.runs import RunStore
    from incidentkit.store.states import NEEDS_ATTENTION

    with open_store(store_url) as store:
        wanted = NEEDS_ATTENTION if status == "failed" else status
        found = RunStore(store).list_runs(status=wanted, workflow=workflow, limit=limit)
    emit_list([run.to_dict() for run in found], RUN_COLUMNS, output_format)


@runs.command()
@click.argument("run_id")
@store_option
@output_options
def show(run_id: str, store_url: str | None, output_format: str | None) -> None:
    """Show a run: its state, the failing step and error, and every step's checkpoint."""
    from incidentkit.store.errors import RunNotFoundError
    from incidentkit.store.runs import RunStore

    with open_store(store_url) as store:
        runs_store = RunStore(store)
        try:
            run = runs_store.get_run(run_id)
        except RunNotFoundError as error:
            raise _not_found(error) from None
        view = run.to_dict(include_spec=output_format in ("json", "jsonl"))
        view["steps"] = [step.to_dict() for step in runs_store.steps(run_id)]
    if output_format in ("json", "jsonl"):
        emit_object(view, RUN_FIELDS, output_format)
        return
    view["steps"] = ", ".join(f"{s['step_key']}={s['status']}" for s in view["steps"]) or "none yet"
    emit_object(view, RUN_FIELDS, output_format)


@runs.command()
@click.argument("run_id")
@store_option
def logs(run_id: str, store_url: str | None) -> None:
    """Print a run's log, oldest line first."""
    from incidentkit.store.errors import RunNotFoundError
    from incidentkit.store.runs import RunStore

    with open_store(store_url) as store:
        runs_store = RunStore(store)
        try:
            runs_store.get_run(run_id)
        except RunNotFoundError as error:
            raise _not_found(error) from None
        lines = runs_store.logs(run_id)
    for line in lines:
        where = f" [{line.step_key}]" if line.step_key else ""
        click.echo(f"{line.at.isoformat()} {line.level.upper():7}{where} {line.message}")


@runs.command()
@click.argument("run_id")
@click.option("--from-step", metavar="STEP", help="Run this step and every later one again.")
@click.option(
    "--force", is_flag=True, help="Allow a succeeded run too (with --from-step): a re-run on purpose."
)
@store_option
def retry(run_id: str, from_step: str | None, force: bool, store_url: str | None) -> None:
    """Queue a failed, dead or cancelled run again; finished steps are kept and skipped.

    A succeeded run is re-run only on purpose: --from-step STEP --force. Steps run again send the
    same idempotency keys, so a create that succeeded before gives back what it made.
    """
    from incidentkit.store.errors import RunNotFoundError, RunStateError
    from incidentkit.store.runs import RunStore
    from incidentkit.workflows.run_retry import retry_run

    with open_store(store_url) as store:
        try:
            run = retry_run(RunStore(store), run_id, from_step=from_step, force=force)
        except (RunNotFoundError, RunStateError) as error:
            raise _not_found(error) from None
    click.echo(f"Run {run.id} ({run.workflow}) is pending again.")


@runs.command()
@click.argument("run_id")
@store_option
def cancel(run_id: str, store_url: str | None) -> None:
    """Cancel a pending, running or waiting run."""
    from incidentkit.store.errors import RunNotFoundError, RunStateError
    from incidentkit.store.runs import RunStore

    with open_store(store_url) as store:
        try:
            run = RunStore(store).cancel(run_id)
        except (RunNotFoundError, RunStateError) as error:
            raise _not_found(error) from None
    click.echo(f"Run {run.id} ({run.workflow}) is cancelled.")


@click.group()
def approvals() -> None:
    """Approval gates of workflow runs: list, approve and reject."""


@approvals.command("list")
@click.option("--all", "show_all", is_flag=True, help="Decided and expired approvals too.")
@store_option
@output_options
def list_approvals(show_all: bool, store_url: str | None, output_format: str | None) -> None:
    """List approvals waiting for a decision, newest first."""
    from incidentkit.store.runs import RunStore

    with open_store(store_url) as store:
        found = RunStore(store).list_approvals(pending_only=not show_all)
    emit_list([approval.to_dict() for approval in found], APPROVAL_COLUMNS, output_format)


def _decide(approval_id: str, decision: str, by: str, store_url: str | None, connection: Connection) -> None:
    from incidentkit.api import ConfigurationError
    from incidentkit.store.errors import AlreadyDecidedError, RunNotFoundError
    from incidentkit.store.runs import RunStore
    from incidentkit.workflows.approvers import decide_approval

    connection.read_only = True  # looking the decider up needs reads only
    try:
        client = connection.client()
    except ConfigurationError:
        client = None  # approvals naming their approvers are refused; see decide_approval
    agents = load_engine_config().agents.agents
    with open_store(store_url) as store:
        try:
            approval = decide_approval(RunStore(store), client, approval_id, decision, by, agents=agents)
        except (RunNotFoundError, AlreadyDecidedError, ValueError) as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"Approval {approval.id} {decision} by {approval.decided_by}; run {approval.run_id} continues."
    )


BY_HELP = (
    "Who decides: an incident.io email or user id. When the step names approvers, the user must be "
    "one of its users or hold one of its roles on the incident (looked up with the API key)."
)


@approvals.command()
@click.argument("approval_id")
@click.option("--by", required=True, metavar="EMAIL", help=BY_HELP)
@store_option
@connection_options
def approve(approval_id: str, by: str, store_url: str | None, connection: Connection) -> None:
    """Approve: the run goes on (the first decision wins)."""
    _decide(approval_id, "approved", by, store_url, connection)


@approvals.command()
@click.argument("approval_id")
@click.option("--by", required=True, metavar="EMAIL", help=BY_HELP)
@store_option
@connection_options
def reject(approval_id: str, by: str, store_url: str | None, connection: Connection) -> None:
    """Reject: the run goes on with the decision 'rejected' (the first decision wins)."""
    _decide(approval_id, "rejected", by, store_url, connection)
