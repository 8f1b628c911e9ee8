"""``workflows``: check workflow files, list the workflows of a directory, and run one by hand."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from incidentkit.cli.connection import connection_options
from incidentkit.cli.engine_setup import load_engine_config, workflows_option
from incidentkit.cli.errors import USAGE_ERROR
from incidentkit.cli.output import column, emit_list, output_options
from incidentkit.cli.storage import open_store, store_option

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.cli.connection import Connection


@click.group()
def workflows() -> None:
    """Workflow files: validate, list and run."""


@workflows.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def workflows_validate(files: tuple[Path, ...]) -> None:
    """Check workflow FILES; print every problem as file:line:column (exit 2 if any)."""
    from incidentkit.workflows.loader import check_files

    loaded, problems = check_files(files)
    for workflow in loaded:
        count = len(workflow.spec.steps)
        click.echo(f"ok: {workflow.file} ({workflow.name}, {count} step{'s' if count != 1 else ''})")
    # Files in the order they were given, each file's problems from top to bottom.
    given = {str(path): index for index, path in enumerate(files)}
    for problem in sorted(problems, key=lambda p: (given.get(p.file, len(given)), p.line, p.column)):
        click.echo(str(problem), err=True)
    if problems:
        files_with_problems = len({p.file for p in problems})
        click.secho(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files_with_problems} "
            f"file{'s' if files_with_problems != 1 else ''}",
            err=True,
            fg="red",
        )
        raise SystemExit(USAGE_ERROR)


@workflows.command("list")
@workflows_option
@output_options
def workflows_list(workflows_dir: Path | None, output_format: str | None) -> None:
    """List the workflows in a directory: name, trigger, steps and version.

    Files that do not load are reported with their problems (exit 2); the others are listed,
    as `incidentkit serve` would run them.
    """
    from incidentkit.workflows.directory import WorkflowDirectory

    path = workflows_dir or load_engine_config().workflows_dir or Path("workflows")
    if not path.is_dir():
        click.secho(
            f"Error: no workflow directory at {path}: give --workflows DIR, or set workflows = in the "
            "configuration file",
            err=True,
            fg="red",
        )
        raise SystemExit(USAGE_ERROR)
    directory = WorkflowDirectory(path)
    rows = [
        {
            "name": workflow.name,
            "trigger": workflow.spec.trigger.type,
            "steps": len(workflow.spec.steps),
            "version": workflow.version,
            "enabled": workflow.spec.enabled,
            "file": workflow.file,
        }
        for workflow in directory.workflows()
    ]
    emit_list(
        rows,
        [
            column("Name", "name"),
            column("Trigger", "trigger"),
            column("Steps", "steps"),
            column("Version", "version"),
            column("Enabled", "enabled"),
        ],
        output_format,
    )
    problems = directory.problems
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise SystemExit(USAGE_ERROR)


@workflows.command("run")
@click.argument("name")
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE", help="A manual input (repeatable).")
@click.option(
    "--incident",
    "incident_ref",
    metavar="REF",
    help="Run an incident-triggered workflow on this incident (INC-12, ULID or URL), with $trigger built "
    "as a webhook's would be.",
)
@click.option(
    "--event",
    type=click.Choice(["created", "updated", "resolved"]),
    help="With --incident: the lifecycle event (default: the workflow's trigger).",
)
@click.option(
    "--changed",
    multiple=True,
    metavar="FIELD=OLD",
    help="With --incident on an updated trigger: a field that changed and its value before (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Every write step prints what it would send and sends nothing.")
@workflows_option
@store_option
@connection_options
def workflows_run(
    name: str,
    inputs: tuple[str, ...],
    incident_ref: str | None,
    event: str | None,
    changed: tuple[str, ...],
    dry_run: bool,
    workflows_dir: Path | None,
    store_url: str | None,
    connection: Connection,
) -> None:
    """Start a run of the workflow NAME now, and drive it here until it finishes or waits.

    A manual workflow takes --input; an incident-triggered one takes --incident REF (and, for an
    updated trigger, --changed status=Investigating): the incident is fetched and $trigger is
    built exactly as for a webhook, and the workflow's filter applies. With --dry-run each step's
    request is printed and nothing is written (the run is kept, marked as a dry run).

    A run that waits (an approval, a wait step, a retry) is left to `incidentkit serve` or
    `incidentkit worker`; see it with `incidentkit runs show RUN`.
    """
    import json

    from incidentkit.store.run_records import Run
    from incidentkit.store.states import RunStatus
    from incidentkit.workflows.directory import WorkflowDirectory
    from incidentkit.workflows.dispatcher import IncidentTriggerError, UnknownWorkflowError
    from incidentkit.workflows.runtime import EngineRuntime
    from incidentkit.workflows.triggers import ManualInputError

    given = _pairs(inputs, "--input", "NAME=VALUE")
    changes = _pairs(changed, "--changed", "FIELD=OLD_VALUE")
    if incident_ref is None and (event or changes):
        raise click.UsageError("--event and --changed go with --incident REF")
    if incident_ref is not None and given:
        raise click.UsageError(
            "--input is for manual workflows; --incident builds the trigger of the incident"
        )
    config = load_engine_config()
    directory = workflows_dir or config.workflows_dir or Path("workflows")
    problems = WorkflowDirectory(directory).problems
    for problem in problems:
        click.echo(f"Workflow problem: {problem}", err=True)

    def show(run: Run, message: str) -> None:
        click.echo(f"  {message}")

    client = _run_client(connection)
    try:
        with open_store(store_url, create=True) as store:
            runtime = EngineRuntime(store, directory, client, config, on_event=show)
            try:
                if incident_ref is not None:
                    if client is None:
                        raise click.UsageError(
                            "--incident fetches the incident: configure a key (`incidentkit setup`, "
                            "INCIDENT_IO_API_KEY, --profile) or add --sandbox"
                        )
                    incident = client.request(
                        "GET", f"/v2/incidents/{client.incidents.resolve_id(incident_ref)}"
                    )["incident"]
                    run = runtime.dispatcher.start_for_incident(
                        name, incident, event=event, changed=changes, dry_run=dry_run
                    )
                else:
                    run = runtime.dispatcher.start_manual(name, given, dry_run=dry_run)
            except (UnknownWorkflowError, ManualInputError, IncidentTriggerError) as error:
                raise click.ClickException(str(error)) from None
            click.echo(f"Run {run.id} of {name}{' (dry run)' if dry_run else ''}:")
            engine = runtime.engines[0]
            while engine.run_once():
                pass
            finished = runtime.runs.get_run(run.id)
            if dry_run:
                for step in runtime.runs.steps(run.id):
                    output = step.output if isinstance(step.output, dict) else {}
                    if output.get("dry_run") and "would_send" in output:
                        sent = json.dumps(output["would_send"], ensure_ascii=False)
                        click.echo(f"  would send ({step.step_key}, {output.get('type')}): {sent}")
    finally:
        if client is not None:
            client.close()
    click.echo(f"Run {finished.id}: {finished.status}" + (f" ({finished.error})" if finished.error else ""))
    if finished.status in (RunStatus.FAILED, RunStatus.DEAD):
        raise SystemExit(1)


def _pairs(items: tuple[str, ...], option: str, shape: str) -> dict[str, str]:
    """``NAME=VALUE`` items as a dict, or a usage error naming the option and the item."""
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not {shape}", param_hint=option)
        pairs[key] = value
    return pairs


def _run_client(connection: Connection) -> Client | None:
    """The client for a manual run (retries off); None without a key (a dry run may not need one)."""
    from incidentkit.api import ConfigurationError, InvalidBaseURLError
    from incidentkit.cli.connection import sandbox_client
    from incidentkit.workflows.runtime import engine_client

    if connection.sandbox:
        return sandbox_client(read_only=connection.read_only)
    try:
        api_key, base_url = connection.resolve()
    except InvalidBaseURLError:
        raise  # a wrong base URL is the user's to fix, not "no key"
    except ConfigurationError:
        return None
    return engine_client(api_key, base_url)
