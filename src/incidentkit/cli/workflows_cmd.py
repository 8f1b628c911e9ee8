"""``workflows``: check workflow files and list the workflows of a directory."""

from __future__ import annotations

from pathlib import Path

import click

from incidentkit.cli.errors import USAGE_ERROR
from incidentkit.cli.output import column, emit_list, output_options


@click.group()
def workflows() -> None:
    """Workflow files: validate and list."""


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
@click.option(
    "--workflows",
    "directory",
    default="workflows",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The directory holding the workflow files.",
)
@output_options
def workflows_list(directory: Path, output_format: str | None) -> None:
    """List the workflows in a directory: name, trigger, steps and version."""
    from incidentkit.workflows.loader import load_directory

    rows = [
        {
            "name": workflow.name,
            "trigger": workflow.spec.trigger.type,
            "steps": len(workflow.spec.steps),
            "version": workflow.version,
            "enabled": workflow.spec.enabled,
            "file": workflow.file,
        }
        for workflow in load_directory(directory)
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
