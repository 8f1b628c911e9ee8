"""``incidentkit oncall``, ``schedules`` and ``overrides``: who is on call, the schedules, and cover."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import (
    Column,
    choose_format,
    column,
    emit_list,
    emit_object,
    output_options,
    time_column,
)
from incidentkit.cli.timeparse import WhenType
from incidentkit.timeutil import parse_duration, utc_now

if TYPE_CHECKING:
    from incidentkit.api.paging_models import OnCall


def _user_name(row: dict[str, Any]) -> str:
    user = row.get("user") or {}
    return str(user.get("name") or user.get("email") or user.get("id") or "(nobody)")


ON_CALL_COLUMNS = [
    column("Schedule", "schedule"),
    Column("On call", _user_name),
    column("Email", "user", "email"),
    time_column("Since", "start_at"),
    time_column("Until", "end_at"),
]

SHIFT_COLUMNS = [
    Column("User", _user_name),
    time_column("From", "start_at"),
    time_column("Until", "end_at"),
    column("Rotation", "rotation_id"),
]


def _on_call_names(schedule: dict[str, Any]) -> str:
    return ", ".join(_user_name(shift) for shift in schedule.get("current_shifts") or [])


SCHEDULE_COLUMNS = [
    column("Name", "name"),
    Column("On call now", _on_call_names),
    column("Time zone", "timezone"),
    column("ID", "id"),
]

SCHEDULE_FIELDS = [
    column("Name", "name"),
    Column("On call now", _on_call_names),
    Column(
        "Rotations",
        lambda s: ", ".join(r.get("name", "") for r in (s.get("config") or {}).get("rotations", [])),
    ),
    column("Time zone", "timezone"),
    column("Link", "permalink"),
    column("ID", "id"),
]

OVERRIDE_FIELDS = [
    Column("User", _user_name),
    time_column("From", "start_at"),
    time_column("Until", "end_at"),
    column("Schedule", "schedule_id"),
    column("Rotation", "rotation_id"),
    column("Layer", "layer_id"),
    column("ID", "id"),
]


def _rows(on_call: OnCall) -> list[dict[str, Any]]:
    """One row per shift on now, or one saying nobody is on call."""
    rows = [
        {"schedule": on_call.schedule.name, "schedule_id": on_call.schedule.id, **shift.to_json()}
        for shift in on_call.shifts
    ]
    return rows or [{"schedule": on_call.schedule.name, "schedule_id": on_call.schedule.id}]


@click.group()
def oncall() -> None:
    """Who is on call."""


@oncall.command("now")
@click.option("--schedule", metavar="NAME_OR_ID", help="Only this schedule (default: every schedule).")
@click.option(
    "--at", "at", type=WhenType(), help="At this time instead of now: 2026-11-01T09:30:00Z, 4h (ago)..."
)
@connection_options
@output_options
def oncall_now(
    schedule: str | None, at: datetime | None, connection: Connection, output_format: str | None
) -> None:
    """Who is on call now (or --at a time), for one schedule or for each."""
    client = connection.client()
    names = [schedule] if schedule else [s.id for s in client.schedules.list()]
    rows = [row for name in names for row in _rows(client.oncall.now(name, at=at))]
    emit_list(rows, ON_CALL_COLUMNS, output_format)


@click.group()
def schedules() -> None:
    """On-call schedules: list and show them."""


@schedules.command("list")
@connection_options
@output_options
def schedules_list(connection: Connection, output_format: str | None) -> None:
    """List the schedules and who is on call for each now."""
    emit_list((s.to_json() for s in connection.client().schedules.list()), SCHEDULE_COLUMNS, output_format)


@schedules.command("show")
@click.argument("schedule")
@click.option(
    "--days", type=click.IntRange(1, 366), default=7, show_default=True, help="Show the shifts of N days."
)
@connection_options
@output_options
def schedules_show(schedule: str, days: int, connection: Connection, output_format: str | None) -> None:
    """Show the schedule SCHEDULE (its name or id) and its shifts from now on."""
    client = connection.client()
    found = client.schedules.get(schedule).to_json()
    emit_object(found, SCHEDULE_FIELDS, output_format)
    if choose_format(output_format) != "table":
        return  # JSON and CSV carry the schedule's current and next shifts already
    start = utc_now()
    entries = client.schedules.entries(found["id"], start=start, end=start + timedelta(days=days))
    click.echo("\nShifts")
    emit_list([e.to_json() for e in entries.final], SHIFT_COLUMNS, output_format)


@click.group()
def overrides() -> None:
    """Schedule overrides: someone else on call for a while."""


def _duration(value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--for") from None


@overrides.command("create")
@click.option("--schedule", required=True, metavar="NAME_OR_ID", help="The schedule.")
@click.option("--user", required=True, metavar="EMAIL_OR_ID", help="Who goes on call.")
@click.option("--start", type=WhenType(), help="From when (default now): a timestamp, or an age such as 1h.")
@click.option("--end", type=WhenType(), help="Until when: a timestamp.")
@click.option("--for", "length", metavar="DURATION", help="Or for how long from --start: 2h, 1d, ...")
@click.option("--rotation", metavar="NAME_OR_ID", help="The rotation (needed when the schedule has several).")
@click.option("--layer", metavar="NAME_OR_ID", help="The layer (needed when the rotation has several).")
@connection_options
@output_options
def overrides_create(
    schedule: str,
    user: str,
    start: datetime | None,
    end: datetime | None,
    length: str | None,
    rotation: str | None,
    layer: str | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Put a user on call for a schedule, from --start until --end (or --for a duration)."""
    duration = _duration(length)
    if (end is None) == (duration is None):
        raise click.UsageError("give either --end WHEN or --for DURATION, not both")
    begins = start or utc_now()
    ends = end if end is not None else begins + (duration or timedelta())
    if ends <= begins:
        raise click.BadParameter(
            f"{ends.isoformat()} is not after the start {begins.isoformat()}", param_hint="--end/--for"
        )
    created = connection.client().schedule_overrides.create(
        schedule, user=user, start=begins, end=ends, rotation=rotation, layer=layer
    )
    click.echo(f"Override {created.id} created", err=True)
    emit_object(created.to_json(), OVERRIDE_FIELDS, output_format)


@overrides.command("list")
@click.option("--schedule", required=True, metavar="NAME_OR_ID", help="The schedule.")
@connection_options
@output_options
def overrides_list(schedule: str, connection: Connection, output_format: str | None) -> None:
    """List a schedule's overrides."""
    found = connection.client().schedule_overrides.list(schedule)
    emit_list((o.to_json() for o in found), OVERRIDE_FIELDS, output_format)


@overrides.command("delete")
@click.argument("override_id")
@connection_options
def overrides_delete(override_id: str, connection: Connection) -> None:
    """Delete the override OVERRIDE_ID: the schedule's rotation applies again."""
    connection.client().schedule_overrides.delete(override_id)
    click.echo(f"Override {override_id} deleted", err=True)
