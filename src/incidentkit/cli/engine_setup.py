"""What ``serve``, ``worker`` and ``workflows run`` share: the workflows option, configuration, client."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.cli.connection import Connection
    from incidentkit.workflows.config import EngineConfig
    from incidentkit.workflows.runtime import EngineRuntime

F = TypeVar("F", bound=Callable[..., Any])


def workflows_option(function: F) -> F:
    """Add ``--workflows DIR`` to a command, as its ``workflows_dir`` argument."""
    return click.option(
        "--workflows",
        "workflows_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Directory of workflow files (default: workflows = in the configuration file, else "
        "./workflows if present).",
    )(function)


def logging_options(function: F) -> F:
    """Add ``--log-format text|json`` and ``--log-level``; the process log is set up before the command."""
    import functools

    from incidentkit.logs import LOG_FORMATS, LOG_LEVELS

    @click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        default="text",
        show_default=True,
        help="Log lines on stderr as text, or one JSON object a line; each carries the time, and the "
        "run, workflow and step it is about.",
    )
    @click.option(
        "--log-level",
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
        default="info",
        show_default=True,
        help="The least severe log lines shown.",
    )
    @functools.wraps(function)
    def wrapper(*args: Any, log_format: str, log_level: str, **kwargs: Any) -> Any:
        from incidentkit.logs import configure_logging

        configure_logging(log_level, log_format)
        return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def load_engine_config() -> EngineConfig:
    """The configuration file, or a clear error naming what is wrong in it."""
    from incidentkit.workflows.config import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def engine_client_from_configuration(connection: Connection | None = None) -> Client:
    """A client with retries off from the flags, environment or saved profile."""
    from incidentkit.cli.connection import Connection
    from incidentkit.workflows.runtime import engine_client

    api_key, base_url = (connection or Connection()).resolve()
    return engine_client(api_key, base_url)


def describe_workflows(runtime: EngineRuntime) -> None:
    """Say which workflows run, and which files do not load."""
    if runtime.directory is None:
        click.echo("Workflows: none (no --workflows directory, no workflows = in the configuration)")
        return
    names = ", ".join(w.name for w in runtime.workflows()) or "none"
    click.echo(f"Workflows from {runtime.directory.path}: {names}")
    for problem in runtime.directory.problems:
        click.echo(f"Workflow problem: {problem}", err=True)
