"""``incidentkit incidents``: list, show, declare (or ``create``), edit, acknowledge, escalate and close."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from incidentkit.cli.completion import complete_severity, complete_status
from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.incident_extras_cmd import attachments, members, postmortems, related
from incidentkit.cli.incident_flags import (
    field_option,
    fields_from,
    lead_option,
    timestamp_option,
    timestamps_from,
)
from incidentkit.cli.output import (
    Column,
    category_style,
    choose_format,
    column,
    emit_list,
    emit_object,
    output_options,
    severity_style,
    time_column,
)
from incidentkit.cli.timeparse import WhenType
from incidentkit.wire import STATUS_CATEGORIES

if TYPE_CHECKING:
    from rich.console import Console

    from incidentkit.api import IncidentChange, Page, SyncPager

MODES = ("standard", "retrospective", "test", "tutorial")
DEFAULT_LIMIT = 25


def _lead(incident: dict[str, Any]) -> str:
    """The name (or email) of whoever holds the incident's lead role."""
    for assignment in incident.get("incident_role_assignments") or []:
        role = assignment.get("role") or {}
        assignee = assignment.get("assignee") or {}
        if role.get("role_type") == "lead" and assignee:
            return str(assignee.get("name") or assignee.get("email") or assignee.get("id") or "")
    return ""


def _custom_fields(incident: dict[str, Any]) -> str:
    """Every custom field that has a value, as ``Name: value, value``, one per line."""
    lines = []
    for entry in incident.get("custom_field_entries") or []:
        values = [_field_value(v) for v in entry.get("values") or []]
        values = [v for v in values if v]
        if values:
            lines.append(f"{(entry.get('custom_field') or {}).get('name', '?')}: {', '.join(values)}")
    return "\n".join(lines)


def _field_value(value: dict[str, Any]) -> str:
    """One custom field value, whichever of the schema's kinds it is."""
    if isinstance(value.get("value_option"), dict):
        return str(value["value_option"].get("value", ""))
    if isinstance(value.get("value_catalog_entry"), dict):
        return str(value["value_catalog_entry"].get("name", ""))
    for kind in ("value_text", "value_link", "value_numeric", "value_timestamp"):
        if value.get(kind) not in (None, ""):
            return str(value[kind])
    return ""


def _slack_channel(incident: dict[str, Any]) -> str:
    name = incident.get("slack_channel_name")
    return f"#{name}" if name else str(incident.get("slack_channel_id") or "")


SEVERITY_STYLE = severity_style("severity", "rank")
STATUS_STYLE = category_style("incident_status", "category")

INCIDENT_COLUMNS = [
    column("Ref", "reference"),
    column("Name", "name"),
    column("Severity", "severity", "name", style=SEVERITY_STYLE),
    column("Status", "incident_status", "name", style=STATUS_STYLE),
    column("Category", "incident_status", "category", style=STATUS_STYLE),
    time_column("Created", "created_at"),
]

# CSV is for spreadsheets and scripts: the id and the link make every row usable on its own.
INCIDENT_CSV_COLUMNS = [*INCIDENT_COLUMNS, column("ID", "id"), column("Link", "permalink")]

INCIDENT_FIELDS = [
    column("Reference", "reference"),
    column("Name", "name"),
    column("Status", "incident_status", "name", style=STATUS_STYLE),
    column("Category", "incident_status", "category", style=STATUS_STYLE),
    column("Severity", "severity", "name", style=SEVERITY_STYLE),
    column("Type", "incident_type", "name"),
    Column("Lead", _lead),
    column("Mode", "mode"),
    column("Visibility", "visibility"),
    column("Summary", "summary"),
    Column("Custom fields", _custom_fields),
    Column("Slack", _slack_channel),
    time_column("Created", "created_at"),
    time_column("Updated", "updated_at"),
    column("Link", "permalink"),
    column("ID", "id"),
]

UPDATE_COLUMNS = [
    time_column("When", "created_at"),
    column("Status", "new_incident_status", "name"),
    column("Severity", "new_severity", "name"),
    column("Message", "message"),
    Column("By", lambda u: _actor_name(u.get("updater"))),
]

TIMELINE_COLUMNS = [
    time_column("When", "timestamp"),
    column("Title", "title"),
    column("Description", "description"),
    column("ID", "id"),
]


def _actor_name(actor: Any) -> str:
    if not isinstance(actor, dict):
        return ""
    for kind in ("user", "api_key", "workflow", "alert"):
        if isinstance(actor.get(kind), dict):
            return str(actor[kind].get("name", ""))
    return ""


class AliasedGroup(click.Group):
    """A group whose commands may also be called by an older name, which help does not list."""

    aliases = {"create": "declare"}

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command is not None else name), command, rest


@click.group(cls=AliasedGroup)
def incidents() -> None:
    """List, show, declare and change incidents."""


@incidents.command("list")
@click.option("--live", is_flag=True, help="Only incidents whose status is in the live category.")
@click.option(
    "--status-category",
    multiple=True,
    type=click.Choice(STATUS_CATEGORIES, case_sensitive=False),
    help="Status category (repeatable).",
)
@click.option(
    "--status",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_status,
    help="Status name or id (repeatable).",
)
@click.option(
    "--severity",
    multiple=True,
    metavar="SEV",
    shell_complete=complete_severity,
    help="Severity name, id or SEV-n (repeatable).",
)
@click.option(
    "--severity-at-least", metavar="SEV", shell_complete=complete_severity, help="This severity or worse."
)
@click.option("--since", type=WhenType(), help="Created at or after: 4h, 7d, 2026-11-01 or a timestamp.")
@click.option("--until", type=WhenType(), help="Created at or before: 4h, 7d, 2026-11-01 or a timestamp.")
@click.option(
    "--type", "incident_type", multiple=True, metavar="TYPE", help="Incident type name or id (repeatable)."
)
@click.option(
    "--mode",
    multiple=True,
    type=click.Choice(MODES),
    help="Incident mode (repeatable; default standard and retrospective).",
)
@lead_option("Led by this user: email, id or Slack user id (repeatable: any of them).", multiple=True)
@field_option('Custom field value, by name: "Affected service=search" (repeatable; a field twice: either).')
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    metavar="N",
    help=f"Show at most N incidents (default {DEFAULT_LIMIT}).",
)
@click.option(
    "--all",
    "fetch_all",
    is_flag=True,
    help="Show every matching incident, fetching all pages (a progress bar on a terminal, never with JSON).",
)
@connection_options
@output_options
def incidents_list(
    live: bool,
    status_category: tuple[str, ...],
    status: tuple[str, ...],
    severity: tuple[str, ...],
    severity_at_least: str | None,
    since: datetime | None,
    until: datetime | None,
    incident_type: tuple[str, ...],
    mode: tuple[str, ...],
    lead: tuple[str, ...],
    field: tuple[str, ...],
    limit: int | None,
    fetch_all: bool,
    connection: Connection,
    output_format: str | None,
) -> None:
    """List incidents, newest first."""
    if fetch_all and limit is not None:
        raise click.UsageError("give either --limit or --all, not both")
    other = sorted({c.lower() for c in status_category} - {"live"})
    if live and other:
        raise click.UsageError(
            f"--live and --status-category {' '.join(other)} contradict each other: --live means "
            "--status-category live; give the categories you want with --status-category (repeatable)"
        )
    if since is not None and until is not None and since > until:
        raise click.UsageError(
            f"--since {since.isoformat()} is after --until {until.isoformat()}: nothing can match. "
            "Durations count back from now, so --since 7d --until 1d means from 7 days ago to 1 day ago"
        )
    categories = [*status_category, *(["live"] if live else [])]
    pager = connection.client().incidents.list(
        status_category=categories or None,
        status=list(status) or None,
        severity=list(severity) or None,
        severity_gte=severity_at_least,
        created_at_gte=since,
        created_at_lte=until,
        incident_type=list(incident_type) or None,
        mode=list(mode) or None,
        lead=list(lead) or None,
        custom_fields=fields_from(field),
        limit=None if fetch_all else (limit or DEFAULT_LIMIT),
    )
    # The API's JSON as it came: scripts get the API objects, and no models are built.
    raw = pager.raw()
    fmt = choose_format(output_format)
    show_bar = fetch_all and wants_progress(
        fmt, stdout_tty=sys.stdout.isatty(), stderr_tty=sys.stderr.isatty()
    )
    tally = Tally()
    pages = _with_progress(raw) if show_bar else raw.pages()
    emit_list(tally.count(pages), INCIDENT_CSV_COLUMNS if fmt == "csv" else INCIDENT_COLUMNS, fmt)
    if not fetch_all:
        note = tally.more_note(limit or DEFAULT_LIMIT)
        if note:
            click.echo(note, err=True)


@dataclass
class Tally:
    """How many incidents a listing showed, and how many the API said match."""

    shown: int = 0
    total: int | None = None

    def count(self, pages: Iterable[Page[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """The items of ``pages``, counted on the way."""
        for page in pages:
            if page.total is not None:
                self.total = page.total
            self.shown += len(page.items)
            yield from page.items

    def more_note(self, limit: int) -> str | None:
        """What to say on stderr when the listing stopped at its limit with more to show (as ``gh`` does)."""
        if self.total is not None:
            if self.total <= self.shown:
                return None
            return f"Showing {self.shown} of {self.total} incidents; use --all or --limit N for more."
        if self.shown >= limit:
            return f"Showing the first {self.shown} incidents; use --all or --limit N for more."
        return None


def wants_progress(fmt: str, *, stdout_tty: bool, stderr_tty: bool) -> bool:
    """Whether a long listing draws a progress bar (on stderr).

    Only for a person watching stderr, and never while JSON lines or CSV stream onto the same
    terminal, where the two would mix. A table and a JSON document are printed once every page
    is in, so the bar (which clears itself) never overlaps them; with ``--all > file`` the person
    at the terminal sees the progress and the file gets only the output.
    """
    if not stderr_tty:
        return False
    return fmt in ("table", "json") or not stdout_tty


def _with_progress(
    pager: SyncPager[dict[str, Any]], console: Console | None = None
) -> Iterator[Page[dict[str, Any]]]:
    """Every page of incidents, with a progress bar on ``console`` (by default stderr)."""
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=console or Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Fetching incidents", total=None)
        for page in pager.pages():
            if page.total is not None:
                progress.update(task, total=page.total)
            progress.advance(task, len(page.items))
            yield page


@incidents.command("show")
@click.argument("ref")
@click.option("--updates", is_flag=True, help="Also show the incident's updates.")
@click.option("--timeline", is_flag=True, help="Also show the incident's timeline items.")
@connection_options
@output_options
def incidents_show(
    ref: str, updates: bool, timeline: bool, connection: Connection, output_format: str | None
) -> None:
    """Show the incident REF (INC-123, 123, its id or its dashboard URL)."""
    client = connection.client()
    incident = client.incidents.get(ref)
    update_list = [u.to_json() for u in client.incident_updates.list(incident.id)] if updates else None
    timeline_list = (
        [t.to_json() for t in client.incident_timeline_items.list(incident.id)] if timeline else None
    )
    if output_format in ("json", "jsonl") or (output_format is None and not sys.stdout.isatty()):
        if update_list is None and timeline_list is None:
            emit_object(incident.to_json(), INCIDENT_FIELDS, output_format or "json")
            return
        combined: dict[str, Any] = {"incident": incident.to_json()}
        if update_list is not None:
            combined["incident_updates"] = update_list
        if timeline_list is not None:
            combined["incident_timeline_items"] = timeline_list
        emit_object(combined, [], output_format or "json")
        return
    emit_object(incident.to_json(), INCIDENT_FIELDS, output_format)
    if update_list is not None:
        click.echo("\nUpdates")
        emit_list(update_list, UPDATE_COLUMNS, output_format)
    if timeline_list is not None:
        click.echo("\nTimeline")
        emit_list(timeline_list, TIMELINE_COLUMNS, output_format)


@incidents.command("declare")
@click.option("--name", required=True, help="The incident's name.")
@click.option("--summary", help="What is happening, for responders.")
@click.option("--severity", shell_complete=complete_severity, help="Severity name, id or SEV-n.")
@click.option("--type", "incident_type", metavar="TYPE", help="Incident type name or id.")
@click.option(
    "--status", shell_complete=complete_status, help="Status name or id (default: the API's choice)."
)
@click.option("--private", is_flag=True, help="Declare a private incident (default public).")
@click.option("--mode", type=click.Choice(MODES[:3]), help="standard (default), retrospective or test.")
@lead_option("The incident lead: email, id or Slack user id.")
@field_option('Set a custom field by name: "Affected service=search" (repeatable).')
@timestamp_option
@click.option("--slack-channel-name", metavar="NAME", help="Name the incident's Slack channel.")
@click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Reuse this key to make retries safe: the same key returns the same incident (default: generated).",
)
@connection_options
@output_options
def incidents_declare(
    name: str,
    summary: str | None,
    severity: str | None,
    incident_type: str | None,
    status: str | None,
    private: bool,
    mode: str | None,
    lead: str | None,
    field: tuple[str, ...],
    timestamp: tuple[str, ...],
    slack_channel_name: str | None,
    idempotency_key: str | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Declare an incident (`incidents create` is the same command, under its former name)."""
    incident = connection.client().incidents.create(
        name=name,
        summary=summary,
        severity=severity,
        incident_type=incident_type,
        status=status,
        visibility="private" if private else "public",
        mode=mode,
        lead=lead,
        custom_fields=fields_from(field),
        timestamps=timestamps_from(timestamp),
        slack_channel_name=slack_channel_name,
        idempotency_key=idempotency_key,
    )
    click.echo(f"Declared {incident.reference}: {incident.name}", err=True)
    emit_object(incident.to_json(), INCIDENT_FIELDS, output_format)


@incidents.command("edit")
@click.argument("ref")
@click.option("--name", help="New name.")
@click.option("--summary", help="New summary.")
@click.option("--severity", shell_complete=complete_severity, help="New severity: name, id or SEV-n.")
@click.option("--status", shell_complete=complete_status, help="New status: name or id.")
@lead_option("New lead: email, id or Slack user id.")
@click.option("--no-lead", is_flag=True, help="Leave the incident without a lead.")
@field_option('Set a custom field by name: "Affected service=search" (repeatable).')
@timestamp_option
@click.option(
    "--clear-timestamp", multiple=True, metavar="NAME", help="Clear an incident timestamp (repeatable)."
)
@click.option("--slack-channel-name", metavar="NAME", help="Rename the incident's Slack channel.")
@click.option(
    "--notify/--no-notify", default=False, help="Tell the incident channel about the change (default: no)."
)
@connection_options
@output_options
def incidents_edit(
    ref: str,
    name: str | None,
    summary: str | None,
    severity: str | None,
    status: str | None,
    lead: str | None,
    no_lead: bool,
    field: tuple[str, ...],
    timestamp: tuple[str, ...],
    clear_timestamp: tuple[str, ...],
    slack_channel_name: str | None,
    notify: bool,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Change the incident REF; only the fields given are sent."""
    if lead is not None and no_lead:
        raise click.UsageError("give either --lead or --no-lead, not both")
    given = (name, summary, severity, status, lead, slack_channel_name)
    if all(v is None for v in given) and not (no_lead or field or timestamp or clear_timestamp):
        raise click.UsageError(
            "nothing to edit: give at least one of --name, --summary, --severity, --status, --lead, "
            "--no-lead, --field, --timestamp, --clear-timestamp, --slack-channel-name"
        )
    incident = connection.client().incidents.edit(
        ref,
        name=name,
        summary=summary,
        severity=severity,
        status=status,
        lead="" if no_lead else lead,
        custom_fields=fields_from(field),
        timestamps=timestamps_from(timestamp, clear_timestamp),
        slack_channel_name=slack_channel_name,
        notify_incident_channel=notify,
    )
    click.echo(f"Edited {incident.reference}", err=True)
    emit_object(incident.to_json(), INCIDENT_FIELDS, output_format)


def _report(change: IncidentChange, output_format: str | None) -> None:
    click.echo(change.description, err=True)
    emit_object(change.incident.to_json(), INCIDENT_FIELDS, output_format)


message_option = click.option("--message", "-m", help="Also post this as an incident update.")


@incidents.command("acknowledge")
@click.argument("ref")
@message_option
@connection_options
@output_options
def incidents_acknowledge(
    ref: str, message: str | None, connection: Connection, output_format: str | None
) -> None:
    """Move the triage incident REF to the first live status."""
    _report(connection.client().incidents.acknowledge(ref, message=message), output_format)


@incidents.command("escalate")
@click.argument("ref")
@click.option(
    "--to",
    "to",
    metavar="SEV",
    shell_complete=complete_severity,
    help="Escalate to this severity (default: one step up).",
)
@message_option
@connection_options
@output_options
def incidents_escalate(
    ref: str, to: str | None, message: str | None, connection: Connection, output_format: str | None
) -> None:
    """Raise the severity of the incident REF."""
    _report(connection.client().incidents.escalate(ref, to=to, message=message), output_format)


@incidents.command("close")
@click.argument("ref")
@message_option
@connection_options
@output_options
def incidents_close(ref: str, message: str | None, connection: Connection, output_format: str | None) -> None:
    """Close the incident REF (moves it to the first status of category closed)."""
    _report(connection.client().incidents.close(ref, message=message), output_format)


# What hangs off an incident, in its own module: attachments, members, post-mortems, related incidents.
for _command in (attachments, members, postmortems, related):
    incidents.add_command(_command)
