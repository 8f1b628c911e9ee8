"""Operations on teams (``/v3/teams``): each team stands for an entry of the team catalog type.

Like every operation, each takes the client's :class:`~incidentkit.api.lookups.Lookups` first
and yields requests (see :mod:`incidentkit.api.operations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import NotFoundError, UnknownNameError
from incidentkit.api.lookups import Lookups
from incidentkit.api.pagination import ListSpec
from incidentkit.api.params import list_spec, path_id

if TYPE_CHECKING:
    from incidentkit.api.catalog_models import Team


def _team_from(raw: Any) -> Team:
    from incidentkit.api.catalog_models import Team

    return Team.model_validate(raw)


def list_teams(
    lookups: Lookups, *, page_size: int | None = None, limit: int | None = None
) -> Op[ListSpec[Team]]:
    """List the organisation's teams (``GET /v3/teams``), every page."""
    return list_spec("/v3/teams", "teams", _team_from, (), page_size, limit)
    yield  # unreachable, but makes this function a generator


def get_team(lookups: Lookups, team: str) -> Op[Team]:
    """A team by id (``GET /v3/teams/{id}``), or by name in any case, or its catalog entry's external id.

    Raises:
        UnknownNameError: no team has that id or name; the message lists the teams there are.
    """
    try:
        body = yield APIRequest("GET", f"/v3/teams/{path_id(team)}")
        return _team_from(body["team"])
    except NotFoundError:
        pass
    teams: list[Team] = []
    after: str | None = None
    while True:
        params = [("page_size", "250")] + ([("after", after)] if after else [])
        body = yield APIRequest("GET", "/v3/teams", params=params)
        teams += [_team_from(raw) for raw in body["teams"]]
        after = body.get("pagination_meta", {}).get("after")
        if not after or not body["teams"]:
            break
    wanted = team.strip().lower()
    for found in teams:
        entry = found.catalog_entry
        if found.name.lower() == wanted or (entry is not None and team in (entry.id, entry.external_id)):
            return found
    raise UnknownNameError("team", team, [t.name for t in teams])
