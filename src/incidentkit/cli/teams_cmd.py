"""``incidentkit teams``: the organisation's teams and their members."""

from __future__ import annotations

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import Column, column, emit_list, emit_object, output_options

TEAM_COLUMNS = [
    column("Name", "name"),
    Column("Members", lambda t: ", ".join(m.get("name", "") for m in t.get("members", []))),
    column("Catalog entry", "catalog_entry", "id"),
    column("ID", "id"),
]


@click.group()
def teams() -> None:
    """The organisation's teams and their members."""


@teams.command("list")
@connection_options
@output_options
def teams_list(connection: Connection, output_format: str | None) -> None:
    """List the teams."""
    found = connection.client().teams.list()
    emit_list((t.to_json() for t in found), TEAM_COLUMNS, output_format)


@teams.command("show")
@click.argument("team")
@connection_options
@output_options
def teams_show(team: str, connection: Connection, output_format: str | None) -> None:
    """Show the team TEAM (its name, id, or its catalog entry's id or external id)."""
    found = connection.client().teams.get(team)
    emit_object(found.to_json(), TEAM_COLUMNS, output_format)
