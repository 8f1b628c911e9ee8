"""``incidentkit alerts``, ``alert-sources`` and ``alert-routes``: raise, follow and resolve alerts.

``alerts send`` is how a script, a cron job or a monitor with no incident.io integration raises
an alert: it posts an event to an HTTP alert source with the source's token (no API key needed);
the alert routes then decide whether it opens an incident.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import Column, column, emit_list, emit_object, output_options, time_column
from incidentkit.wire import secret_fingerprint

if TYPE_CHECKING:
    from incidentkit.api import Client

SOURCE_VARIABLE = "INCIDENT_IO_ALERT_SOURCE"
TOKEN_VARIABLE = "INCIDENT_IO_ALERT_TOKEN"

ALERT_COLUMNS = [
    column("ID", "id"),
    column("Status", "status", style=lambda a: "red" if a.get("status") == "firing" else "green"),
    column("Title", "title"),
    column("Dedup key", "deduplication_key"),
    Column("Tags", lambda a: ", ".join(t["name"] for t in a.get("tags", []))),
    time_column("Created", "created_at"),
    time_column("Resolved", "resolved_at"),
]

ALERT_FIELDS = [
    *ALERT_COLUMNS[:4],
    column("Source", "alert_source_id"),
    column("Description", "description"),
    column("Link", "source_url"),
    *ALERT_COLUMNS[4:],
    time_column("Updated", "updated_at"),
]

EVENT_FIELDS = [
    column("Status", "status"),
    column("Dedup key", "deduplication_key"),
    column("Message", "message"),
]

SOURCE_COLUMNS = [
    column("Config ID", "id"),
    column("Name", "name"),
    column("Type", "source_type"),
    column("Token", "secret_token"),
]

SOURCE_FIELDS = [*SOURCE_COLUMNS, column("Events URL", "alert_events_url")]

ROUTE_COLUMNS = [column("ID", "id"), column("Name", "name"), column("Enabled", "enabled")]

ROUTE_FIELDS = [
    *ROUTE_COLUMNS,
    column("Version", "version"),
    Column("Sources", lambda r: ", ".join(s["alert_source_id"] for s in r.get("alert_sources", []))),
    column("Creates incidents", "incident_config", "enabled"),
    column("Auto-decline", "incident_config", "auto_decline_enabled"),
    column("Grouping", "grouping_config", "default", "enabled"),
    column("Private", "is_private"),
]


def _metadata(pairs: tuple[str, ...]) -> dict[str, Any] | None:
    """``KEY=VALUE`` pairs as a dict; a key given twice collects its values in a list."""
    if not pairs:
        return None
    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--metadata")
        key = key.strip()
        if key in found:
            previous = found[key]
            found[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            found[key] = value
    return found


def _event_client(connection: Connection, token: str) -> Client:
    """The client to send an event with: the usual one, or, with no API key set up, one keyed by the token.

    An event authenticates with the source's token alone, so a monitor needs no API key.
    """
    from incidentkit.api import Client, ConfigurationError, InvalidBaseURLError
    from incidentkit.api.config import BASE_URL_VARIABLE, DEFAULT_BASE_URL, check_base_url

    try:
        return connection.client()
    except InvalidBaseURLError:
        raise
    except ConfigurationError:
        if connection.profile is not None:
            raise
    base_url = connection.base_url or os.environ.get(BASE_URL_VARIABLE, "").strip() or DEFAULT_BASE_URL
    where = "--base-url" if connection.base_url else BASE_URL_VARIABLE
    client = Client(token, base_url=check_base_url(base_url, where=where), read_only=connection.read_only)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(client.close)
    return client


@click.group()
def alerts() -> None:
    """Alerts: raise them from a script, list, show and resolve them."""


@alerts.command("send")
@click.option(
    "--source",
    "source",
    metavar="CONFIG_ID",
    envvar=SOURCE_VARIABLE,
    help=f"The HTTP alert source's config id (or set {SOURCE_VARIABLE}); `incidentkit alert-sources list` "
    "shows it.",
)
@click.option(
    "--token",
    metavar="TOKEN",
    envvar=TOKEN_VARIABLE,
    help=f"The alert source's secret token (prefer {TOKEN_VARIABLE}, which keeps it out of shell history).",
)
@click.option("--title", required=True, help="What is wrong, in a line.")
@click.option(
    "--status",
    type=click.Choice(["firing", "resolved"]),
    default="firing",
    show_default=True,
    help="firing raises (or updates) the alert; resolved resolves it.",
)
@click.option(
    "--dedup-key",
    "dedup_key",
    metavar="KEY",
    help="Names the alert: the same key updates or resolves the same alert (default: a new alert).",
)
@click.option("--description", help="More detail (markdown).")
@click.option("--source-url", metavar="URL", help="A link to the alert in the monitoring tool.")
@click.option(
    "--metadata",
    "metadata",
    multiple=True,
    metavar="KEY=VALUE",
    help="Metadata for the alert routes (repeatable), such as severity=Major or service=payments-api.",
)
@connection_options
@output_options
def alerts_send(
    source: str | None,
    token: str | None,
    title: str,
    status: str,
    dedup_key: str | None,
    description: str | None,
    source_url: str | None,
    metadata: tuple[str, ...],
    connection: Connection,
    output_format: str | None,
) -> None:
    """Send an alert event to an HTTP alert source, as a monitor would."""
    if connection.sandbox:
        from incidentkit.emulator.seed import MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN

        # The sandbox's seeded "Monitoring" source, unless another is named.
        source = source or MONITORING_SOURCE_ID
        token = token or (MONITORING_SOURCE_TOKEN if source == MONITORING_SOURCE_ID else None)
    if not source:
        raise click.UsageError(f"give the alert source's config id: --source CONFIG_ID or {SOURCE_VARIABLE}")
    if not token:
        raise click.UsageError(f"give the alert source's token: --token TOKEN or {TOKEN_VARIABLE}")
    fields = _metadata(metadata)
    client = connection.client() if connection.sandbox else _event_client(connection, token)
    result = client.alert_events.send(
        source,
        token,
        title=title,
        status=status,
        deduplication_key=dedup_key,
        description=description,
        metadata=fields,
        source_url=source_url,
    )
    verb = "Resolved" if status == "resolved" else "Raised"
    click.echo(f"{verb} alert {result.deduplication_key!r}: {result.message}", err=True)
    emit_object(result.to_json(), EVENT_FIELDS, output_format)


@alerts.command("list")
@click.option(
    "--status", type=click.Choice(["firing", "resolved"]), multiple=True, help="Only alerts with this status."
)
@click.option("--source", "sources", multiple=True, help="Only alerts from this source (name or config id).")
@click.option("--tag", "tags", multiple=True, help="Only alerts with any of these tags.")
@click.option(
    "--dedup-key", "dedup_keys", multiple=True, help="Only the alert(s) with this deduplication key."
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many alerts.")
@connection_options
@output_options
def alerts_list(
    status: tuple[str, ...],
    sources: tuple[str, ...],
    tags: tuple[str, ...],
    dedup_keys: tuple[str, ...],
    limit: int | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """List alerts, newest first."""
    found = connection.client().alerts.list(
        status=list(status) or None,
        alert_source=list(sources) or None,
        tags=list(tags) or None,
        deduplication_key=list(dedup_keys) or None,
        limit=limit,
    )
    emit_list(found.raw(), ALERT_COLUMNS, output_format)


@alerts.command("show")
@click.argument("alert_id")
@connection_options
@output_options
def alerts_show(alert_id: str, connection: Connection, output_format: str | None) -> None:
    """Show the alert ALERT_ID and the incidents it is attached to."""
    client = connection.client()
    alert = client.alerts.get(alert_id)
    links = list(client.incident_alerts.list(alert_id=alert.id))
    attached = ", ".join(f"{link.incident.reference} {link.incident.name}" for link in links) or "none"
    emit_object(alert.to_json(), [*ALERT_FIELDS, Column("Incidents", lambda _: attached)], output_format)


@alerts.command("resolve")
@click.argument("alert_id")
@connection_options
@output_options
def alerts_resolve(alert_id: str, connection: Connection, output_format: str | None) -> None:
    """Resolve the alert ALERT_ID."""
    alert = connection.client().alerts.resolve(alert_id)
    click.echo(f"Resolved alert {alert.id}", err=True)
    emit_object(alert.to_json(), ALERT_FIELDS, output_format)


@click.group("alert-sources")
def alert_sources() -> None:
    """Alert sources: where alerts come from, with the config id (and token) events are sent with."""


show_token_option = click.option(
    "--show-token",
    is_flag=True,
    help="Print HTTP sources' secret tokens; without it each shows as its fingerprint (sha256:...).",
)


def _source_json(source: Any, show_token: bool) -> dict[str, Any]:
    """An alert source as printed: its secret token only when asked for, else a fingerprint of it."""
    shown: dict[str, Any] = source.to_json()
    token = shown.get("secret_token")
    if token and not show_token:
        shown["secret_token"] = secret_fingerprint(token)
    return shown


@alert_sources.command("list")
@show_token_option
@connection_options
@output_options
def alert_sources_list(show_token: bool, connection: Connection, output_format: str | None) -> None:
    """List the alert sources, with each HTTP source's config id (and, with --show-token, its token)."""
    found = connection.client().alert_sources.list()
    emit_list((_source_json(s, show_token) for s in found), SOURCE_COLUMNS, output_format)


@alert_sources.command("show")
@click.argument("source")
@show_token_option
@connection_options
@output_options
def alert_sources_show(
    source: str, show_token: bool, connection: Connection, output_format: str | None
) -> None:
    """Show the alert source SOURCE (name or config id)."""
    shown = connection.client().alert_sources.get(source)
    emit_object(_source_json(shown, show_token), SOURCE_FIELDS, output_format)


@click.group("alert-routes")
def alert_routes() -> None:
    """Alert routes: which alerts open incidents, and how."""


@alert_routes.command("list")
@connection_options
@output_options
def alert_routes_list(connection: Connection, output_format: str | None) -> None:
    """List the alert routes."""
    found = connection.client().alert_routes.list()
    emit_list(found.raw(), ROUTE_COLUMNS, output_format)


@alert_routes.command("show")
@click.argument("route_id")
@connection_options
@output_options
def alert_routes_show(route_id: str, connection: Connection, output_format: str | None) -> None:
    """Show the alert route ROUTE_ID with its configuration."""
    shown = connection.client().alert_routes.get(route_id)
    emit_object(shown.to_json(), ROUTE_FIELDS, output_format)
