"""Teams (``/v3/teams``): each team is an entry of the organisation's team catalog type, with members.

A team keeps the id of its catalog entry; the entry's name and external id are read when the
team is shown, so renaming the entry in the catalog renames the team's ``catalog_entry`` too.
"""

from __future__ import annotations

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import not_found
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.state import OrgState, Record


def member(user: Record) -> Record:
    """A ``UserV3`` from a ``UserWithRolesV2``."""
    embedded = {"id": user["id"], "name": user["name"]}
    for optional in ("email", "slack_user_id"):
        if optional in user:
            embedded[optional] = user[optional]
    return embedded


def new_team(team_id: str, entry: Record, members: list[Record]) -> Record:
    """A ``TeamV3`` for a catalog entry of the team type; the caller stores it."""
    return {
        "id": team_id,
        "name": entry["name"],
        "catalog_entry": slim_entry(entry),
        "members": [member(user) for user in members],
    }


def slim_entry(entry: Record) -> Record:
    """A ``CatalogEntrySlimV3V3``."""
    slim = {"id": entry["id"], "name": entry["name"]}
    if "external_id" in entry:
        slim["external_id"] = entry["external_id"]
    return slim


def show_team(state: OrgState, team: Record) -> Record:
    entry = next((e for e in state.catalog_entries if e["id"] == team["catalog_entry"]["id"]), None)
    if entry is None:
        return team
    return {**team, "catalog_entry": slim_entry(entry)}


def team_by_id(state: OrgState, team_id: str) -> Record | None:
    return next((team for team in state.teams if team["id"] == team_id), None)


def list_teams(call: Call) -> tuple[int, Record]:
    ordered = sorted(call.state.teams, key=lambda t: (t["name"].lower(), t["id"]))
    teams, meta = paginate(call, ordered, lambda _: True, maximum=250)
    return 200, {"teams": [show_team(call.state, t) for t in teams], "pagination_meta": meta}


def show_team_handler(call: Call) -> tuple[int, Record]:
    team = team_by_id(call.state, call.path_params["id"])
    if team is None:
        raise not_found("team", call.path_params["id"])
    return 200, {"team": show_team(call.state, team)}


# (method, schema path, handler, scope) for the route table.
ROUTES = [
    ("GET", "/v3/teams", list_teams, "catalog_entries.view"),
    ("GET", "/v3/teams/{id}", show_team_handler, "catalog_entries.view"),
]
