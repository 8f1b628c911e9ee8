"""``incidentkit changes``: record deploys, config changes and flags; list them; those before an incident."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import Column, column, emit_list, emit_object, output_options, time_column
from incidentkit.cli.storage import open_store, store_option
from incidentkit.cli.timeparse import WhenType

CHANGE_COLUMNS = [
    time_column("At", "at"),
    column("Service", "service"),
    column("Kind", "kind"),
    column("Version", "version"),
    column("Description", "description"),
    column("Author", "author"),
    column("Source", "source"),
]
CHANGE_FIELDS = [
    column("ID", "id"),
    *CHANGE_COLUMNS,
    column("Link", "link"),
    column("External ID", "external_id"),
]
MATCH_COLUMNS = [
    column("Before start", "before_start"),
    Column("Service", lambda match: match["change"]["service"]),
    Column("Kind", lambda match: match["change"]["kind"]),
    Column("Version", lambda match: match["change"]["version"]),
    Column("Description", lambda match: match["change"]["description"]),
    Column("Author", lambda match: match["change"]["author"]),
    column("Matched", "reason"),
]
# The fields of a change and the option that sets each, so an error names what to change.
FIELD_OPTIONS = {
    "service": "--service",
    "kind": "--kind",
    "version": "--version",
    "description": "--description",
    "author": "--author",
    "at": "--at",
    "link": "--link",
    "external_id": "--external-id",
}


class DurationType(click.ParamType[timedelta, Any]):
    """A duration people type: ``4h``, ``90m``, ``1h30m``, ``2d``."""

    name = "DURATION"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        from incidentkit.timeutil import parse_duration

        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


@click.group()
def changes() -> None:
    """The change log: deploys, configuration changes and feature flags.

    Changes come from `changes record`, from CI pipelines through POST /api/changes on
    `incidentkit serve` (with --changes-token) and from GitHub deployment webhooks at
    /github/webhooks (with --github-secret). `changes for REF` shows the ones made to an
    incident's services (and what they depend on) shortly before it started.
    """


@changes.command("record")
@click.option("--service", required=True, help="The service that changed.")
@click.option("--version", "version", help="The version deployed (a tag or a commit).")
@click.option(
    "--kind",
    type=click.Choice(["deploy", "config", "flag"]),
    default="deploy",
    show_default=True,
    help="What kind of change.",
)
@click.option("--description", help="What changed, in words (needed without --version).")
@click.option("--author", help="Who made the change.")
@click.option("--link", metavar="URL", help="Where to read more (the CI run, the pull request).")
@click.option("--at", type=WhenType(), help="When it happened (default: now): 10m, 2026-03-01T10:42:00Z...")
@click.option(
    "--external-id",
    metavar="ID",
    help="Your own id for the change (a CI run id): recording it again does nothing.",
)
@store_option
@output_options
def record(
    service: str,
    version: str | None,
    kind: str,
    description: str | None,
    author: str | None,
    link: str | None,
    at: datetime | None,
    external_id: str | None,
    store_url: str | None,
    output_format: str | None,
) -> None:
    """Record a change to SERVICE in the store's change log."""
    from incidentkit.investigation.change_log import ChangeInvalidError, ChangeLog

    with open_store(store_url, create=True) as store:
        try:
            recorded = ChangeLog(store).record(
                service,
                kind=kind,
                version=version,
                description=description,
                author=author,
                at=at,
                link=link,
                source="cli",
                external_id=external_id,
            )
        except ChangeInvalidError as error:
            raise click.BadParameter(error.reason, param_hint=FIELD_OPTIONS.get(error.field)) from None
    if not recorded.new:
        click.echo(f"Already recorded as {recorded.change.id} (same --external-id): nothing added.", err=True)
    emit_object(recorded.change.to_dict(), CHANGE_FIELDS, output_format)


@changes.command("list")
@click.option("--service", help="Only changes to this service (any case).")
@click.option("--since", type=WhenType(), help="Only changes since then (4h, 7d, 2026-03-01...).")
@click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="At most this many, newest first.",
)
@store_option
@output_options
def list_changes(
    service: str | None, since: datetime | None, limit: int, store_url: str | None, output_format: str | None
) -> None:
    """List recorded changes, newest first."""
    from incidentkit.investigation.change_log import ChangeLog

    with open_store(store_url, filled_by="incidentkit changes record") as store:
        found = ChangeLog(store).recent(since=since, service=service, limit=limit)
    emit_list([change.to_dict() for change in found], CHANGE_COLUMNS, output_format)


@changes.command("for")
@click.argument("ref")
@click.option(
    "--window",
    type=DurationType(),
    default="4h",
    show_default=True,
    help="How far before the incident's start to look.",
)
@store_option
@output_options
@connection_options
def changes_for(
    ref: str,
    window: timedelta,
    store_url: str | None,
    output_format: str | None,
    connection: Connection,
) -> None:
    """The changes made shortly before incident REF (INC-123, 123 or a ULID) started, closest first.

    Changes to the incident's affected services count, and changes to the services they depend
    on (the catalog's Service type, or without a key the catalog the last `incidentkit sync`
    copied, and [investigation.dependencies] in the configuration file), with the path. The incident
    comes from the synced history (`incidentkit sync`), else from incident.io with the key.
    """
    from incidentkit.api import ConfigurationError
    from incidentkit.investigation import History, load_investigation_config
    from incidentkit.investigation.change_log import ChangeLog
    from incidentkit.investigation.change_window import changes as changes_before

    config = load_investigation_config()
    with open_store(store_url, filled_by="incidentkit changes record") as store:
        history = History(store)
        incident = history.get(ref)
        client = None
        try:
            client = connection.client()  # with a key, the catalog's dependencies count too
        except ConfigurationError:
            if incident is None:
                raise click.UsageError(
                    f"incident {ref!r} is not in the synced history and no API key is configured: "
                    "run `incidentkit sync` first, or give --api-key / --profile"
                ) from None
        result = changes_before(
            incident or ref,
            change_log=ChangeLog(store),
            history=history,
            client=client,
            window=window,
            config=config,
        )
    fmt = output_format
    if fmt in (None, "table") and not result.services:
        click.echo(
            f"{result.reference} names no affected services: every change in the window is shown.", err=True
        )
    emit_list([match.to_dict() for match in result.matches], MATCH_COLUMNS, fmt)
