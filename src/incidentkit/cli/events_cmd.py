"""``incidentkit events``: the webhook events in the store: list, show and replay."""

from __future__ import annotations

import click

from incidentkit.cli.output import column, emit_list, emit_object, output_options, time_column
from incidentkit.cli.storage import open_store, store_option

STATUSES = ("pending", "processing", "processed", "dead")

EVENT_COLUMNS = [
    time_column("Received", "received_at"),
    column("Type", "event_type"),
    column("Status", "status"),
    column("Attempts", "attempts"),
    column("Reason", "reason"),
    column("Webhook ID", "webhook_id"),
]

EVENT_FIELDS = [
    column("Webhook ID", "webhook_id"),
    column("Type", "event_type"),
    column("Status", "status"),
    column("Reason", "reason"),
    time_column("Received", "received_at"),
    time_column("Processed", "processed_at"),
    column("Attempts", "attempts"),
    time_column("Next attempt", "next_attempt_at"),
    column("Outcome", "outcome"),
    column("Headers", "headers"),
    column("Body", "body"),
]


@click.group()
def events() -> None:
    """Webhook events received: list, show and replay."""


def event_types_named(name: str) -> list[str]:
    """The incident.io event types ``name`` stands for: itself, or every type it is the suffix of.

    ``incident_created_v2`` stands for ``public_incident.incident_created_v2`` and
    ``private_incident.incident_created_v2``, so people need not know the prefixes.

    Raises:
        click.BadParameter: no event type is or ends with ``name``; the message lists them.
    """
    from incidentkit.webhooks.events import event_types

    known = sorted(event_types())
    wanted = name.strip()
    if wanted in known:
        return [wanted]
    matching = [t for t in known if t.split(".", 1)[-1] == wanted or t.endswith("." + wanted)]
    if matching:
        return matching
    short = sorted({t.split(".", 1)[-1] for t in known})
    raise click.BadParameter(
        f"{name!r} is not an incident.io event type. Known types (with or without their prefix, such as "
        f"public_incident.): {', '.join(short)}",
        param_hint="--type",
    )


@events.command("list")
@click.option(
    "--type",
    "event_type",
    metavar="EVENT_TYPE",
    help="Only events of this type: its full name or its end (incident_created_v2 matches the public "
    "and private ones).",
)
@click.option("--status", type=click.Choice(STATUSES), help="Only events with this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many.")
@store_option
@output_options
def list_events(
    event_type: str | None, status: str | None, limit: int, store_url: str | None, output_format: str | None
) -> None:
    """List stored webhook events, newest first."""
    types: list[str | None] = list(event_types_named(event_type)) if event_type else [None]
    with open_store(store_url) as store:
        found = [e for t in types for e in store.list_events(event_type=t, status=status, limit=limit)]
    found = sorted(found, key=lambda e: (e.received_at, e.webhook_id), reverse=True)[:limit]
    emit_list([event.to_dict(include_body=False) for event in found], EVENT_COLUMNS, output_format)


@events.command()
@click.argument("webhook_id")
@store_option
@output_options
def show(webhook_id: str, store_url: str | None, output_format: str | None) -> None:
    """Show one event: headers (no secrets are stored), body and processing outcome."""
    from incidentkit.store import EventNotFoundError

    with open_store(store_url) as store:
        try:
            event = store.get_event(webhook_id)
        except EventNotFoundError as error:
            raise click.ClickException(str(error)) from None
    emit_object(event.to_dict(), EVENT_FIELDS, output_format)


@events.command()
@click.argument("webhook_id")
@store_option
def replay(webhook_id: str, store_url: str | None) -> None:
    """Mark an event pending, so the running receiver processes it again.

    Workflows that already have a run for this event keep it (one run per workflow and event);
    the others may start one (see the README on replays). To run a run again, use
    `incidentkit runs retry RUN`.
    """
    from incidentkit.store import EventNotFoundError

    with open_store(store_url) as store:
        try:
            event = store.replay(webhook_id)
        except EventNotFoundError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Event {event.webhook_id} ({event.event_type or 'unknown type'}) is pending again.")
