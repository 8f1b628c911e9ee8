"""The on-call operations: schedules, who is on call when, and overrides, as sans-I/O generators.

Schedules may be named by id or by name (a name is looked up among the organisation's schedules),
users by id or email. Like every operation, each takes the client's
:class:`~incidentkit.api.lookups.Lookups` first and yields :class:`~incidentkit.api.core.APIRequest`
objects (see :mod:`incidentkit.api.operations`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import InvalidArgumentError, NotFoundError
from incidentkit.api.lookups import Lookups
from incidentkit.api.pagination import ListSpec
from incidentkit.api.params import date_value, list_spec, path_id, ready
from incidentkit.api.resolvers import one_named

if TYPE_CHECKING:
    from incidentkit.api.paging_models import OnCall, Schedule, ScheduleEntries, ScheduleOverride

# How many schedules a name look-up reads per page (next_shifts are left out above 25 anyway).
_LOOKUP_PAGE = 250


def _schedule_from(raw: Any) -> Schedule:
    from incidentkit.api.paging_models import Schedule

    return Schedule.model_validate(raw)


def _all_schedules(lookups: Lookups) -> Op[list[Schedule]]:
    found: list[Schedule] = []
    after: str | None = None
    while True:
        params = [("page_size", str(_LOOKUP_PAGE)), *([("after", after)] if after else [])]
        body = yield APIRequest("GET", "/v2/schedules", params=tuple(params))
        page = [_schedule_from(raw) for raw in body.get("schedules", [])]
        found += page
        after = (body.get("pagination_meta") or {}).get("after")
        if not after or len(page) < _LOOKUP_PAGE:
            return found


def resolve_schedule(lookups: Lookups, schedule: str) -> Op[Schedule]:
    """The schedule with id ``schedule``, or else with that name (case-insensitive).

    Raises:
        UnknownNameError: no schedule has that id or name; the message lists the names.
        InvalidArgumentError: several schedules have that name (give the id).
    """
    value = schedule.strip()
    try:
        body = yield APIRequest("GET", f"/v2/schedules/{path_id(value)}")
        return _schedule_from(body["schedule"])
    except NotFoundError:
        pass
    schedules = yield from _all_schedules(lookups)
    return one_named("schedule", schedule, schedules)


def resolve_user_id(lookups: Lookups, user: str) -> Op[str]:
    """The id of the user named by email (looked up) or by id (used as it is).

    Raises:
        InvalidArgumentError: no active user has that email.
    """
    value = user.strip()
    if "@" not in value:
        return value
    body = yield APIRequest("GET", "/v2/users", params=(("email", value),))
    users = body.get("users", [])
    if not users:
        raise InvalidArgumentError(f"no user of the organisation has the email {user!r}")
    return str(users[0]["id"])


def resolve_user_ids(lookups: Lookups, users: Sequence[str]) -> Op[list[str]]:
    """:func:`resolve_user_id` for each of ``users``."""
    ids = []
    for user in users:
        ids.append((yield from resolve_user_id(lookups, user)))
    return ids


# --- schedules -------------------------------------------------------------------------------


def list_schedules(
    lookups: Lookups, *, page_size: int | None = None, limit: int | None = None
) -> Op[ListSpec[Schedule]]:
    """List the organisation's schedules (``GET /v2/schedules``), every page.

    The API fills ``next_shifts`` only when a page holds 25 schedules or fewer.
    """
    return (
        yield from ready(list_spec("/v2/schedules", "schedules", _schedule_from, [], page_size or 25, limit))
    )


def get_schedule(lookups: Lookups, schedule: str) -> Op[Schedule]:
    """Get a schedule by id or name (``GET /v2/schedules/{id}``), with its current and next shifts."""
    return (yield from resolve_schedule(lookups, schedule))


def create_schedule(
    lookups: Lookups,
    *,
    name: str,
    timezone: str = "UTC",
    rotations: Sequence[Mapping[str, Any]] = (),
    team_ids: Sequence[str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Op[Schedule]:
    """Create a schedule (``POST /v2/schedules``).

    ``rotations`` are as the API spells them (``ScheduleRotationCreatePayloadV2``): a name, the
    users (``{"id": ...}`` or ``{"email": ...}``), ``handover_start_at``, ``handovers`` and
    optionally ``layers`` and ``working_intervals``.
    """
    schedule: dict[str, Any] = {"name": name, "timezone": timezone, "config": {"rotations": list(rotations)}}
    if team_ids is not None:
        schedule["team_ids"] = list(team_ids)
    if annotations is not None:
        schedule["annotations"] = dict(annotations)
    body = yield APIRequest("POST", "/v2/schedules", json={"schedule": schedule})
    return _schedule_from(body["schedule"])


def update_schedule(
    lookups: Lookups,
    schedule: str,
    *,
    name: str | None = None,
    timezone: str | None = None,
    rotations: Sequence[Mapping[str, Any]] | None = None,
    team_ids: Sequence[str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Op[Schedule]:
    """Change a schedule (``PUT /v2/schedules/{id}``), sending only what is given.

    Rotations given replace the schedule's; give existing rotation and layer ids to keep them.

    Raises:
        InvalidArgumentError: nothing to change was given (nothing is sent).
    """
    changes: dict[str, Any] = {}
    for key, value in (("name", name), ("timezone", timezone)):
        if value is not None:
            changes[key] = value
    if rotations is not None:
        changes["config"] = {"rotations": list(rotations)}
    if team_ids is not None:
        changes["team_ids"] = list(team_ids)
    if annotations is not None:
        changes["annotations"] = dict(annotations)
    if not changes:
        raise InvalidArgumentError(
            "nothing to update: give name, timezone, rotations, team_ids or annotations"
        )
    found = yield from resolve_schedule(lookups, schedule)
    body = yield APIRequest("PUT", f"/v2/schedules/{path_id(found.id)}", json={"schedule": changes})
    return _schedule_from(body["schedule"])


def delete_schedule(lookups: Lookups, schedule: str) -> Op[None]:
    """Delete a schedule by id or name (``DELETE /v2/schedules/{id}``)."""
    found = yield from resolve_schedule(lookups, schedule)
    yield APIRequest("DELETE", f"/v2/schedules/{path_id(found.id)}")


def schedule_entries(
    lookups: Lookups, schedule: str, *, start: datetime | None = None, end: datetime | None = None
) -> Op[ScheduleEntries]:
    """Who is on call for a schedule between ``start`` and ``end`` (``GET /v2/schedule_entries``).

    Every page is read (the API's cursor rides in ``entry_window_start``) and the three lists
    joined. Without a window the API picks one starting now.
    """
    from incidentkit.api.paging_models import ScheduleEntries

    found = yield from resolve_schedule(lookups, schedule)
    params: list[tuple[str, str]] = [("schedule_id", found.id)]
    if end is not None:
        params.append(("entry_window_end", date_value(end)))
    cursor = date_value(start) if start is not None else None
    joined: dict[str, list[Any]] = {"scheduled": [], "overrides": [], "final": []}
    while True:
        query = [*params, *([("entry_window_start", cursor)] if cursor else [])]
        body = yield APIRequest("GET", "/v2/schedule_entries", params=tuple(query))
        for key, entries in (body.get("schedule_entries") or {}).items():
            joined.setdefault(key, []).extend(entries)
        cursor = (body.get("pagination_meta") or {}).get("after")
        if not cursor:
            return ScheduleEntries.model_validate(joined)


def on_call_now(lookups: Lookups, schedule: str, *, at: datetime | None = None) -> Op[OnCall]:
    """Who is on call for a schedule (by id or name): now, by the API's clock, or at ``at``."""
    from incidentkit.api.paging_models import OnCall

    found = yield from resolve_schedule(lookups, schedule)
    if at is None:
        return OnCall(found, None, list(found.current_shifts))
    entries = yield from schedule_entries(lookups, found.id, start=at, end=at + timedelta(seconds=1))
    return OnCall(found, at, [entry for entry in entries.final if entry.covers(at)])


# --- overrides -------------------------------------------------------------------------------


def _override_from(raw: Any) -> ScheduleOverride:
    from incidentkit.api.paging_models import ScheduleOverride

    return ScheduleOverride.model_validate(raw)


def _rotation_and_layer(found: Schedule, rotation: str | None, layer: str | None) -> tuple[str, str]:
    """The rotation and layer ids an override goes on: the ones named (by id or name), or the only ones."""
    # Versions of one rotation share its id: count each rotation once, at its latest version.
    chosen = list({r.id: r for r in found.rotations}.values())
    if rotation is not None:
        chosen = [r for r in chosen if rotation in (r.id, r.name)]
        if not chosen:
            names = ", ".join(r.name for r in found.rotations) or "(none)"
            raise InvalidArgumentError(
                f"schedule {found.name!r} has no rotation {rotation!r}; rotations: {names}"
            )
    if len(chosen) != 1:
        names = ", ".join(r.name for r in chosen) or "(none)"
        raise InvalidArgumentError(f"schedule {found.name!r} has {len(chosen)} rotations ({names}): name one")
    layers = [lay for lay in chosen[0].layers if layer is None or layer in (lay.id, lay.name)]
    if len(layers) != 1:
        names = ", ".join(lay.name or lay.id for lay in chosen[0].layers) or "(none)"
        what = f"no layer {layer!r}" if layer is not None else f"{len(layers)} layers"
        raise InvalidArgumentError(f"rotation {chosen[0].name!r} has {what}; layers: {names}")
    return chosen[0].id, layers[0].id


def list_overrides(
    lookups: Lookups,
    schedule: str,
    *,
    rotation_id: str | None = None,
    layer_id: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[ScheduleOverride]]:
    """List a schedule's overrides (``GET /v2/schedule_overrides``), every page."""
    found = yield from resolve_schedule(lookups, schedule)
    params = [("schedule_id", found.id)]
    if rotation_id is not None:
        params.append(("rotation_id", rotation_id))
    if layer_id is not None:
        params.append(("layer_id", layer_id))
    return list_spec("/v2/schedule_overrides", "overrides", _override_from, params, page_size, limit)


def get_override(lookups: Lookups, override_id: str) -> Op[ScheduleOverride]:
    """Get an override (``GET /v2/schedule_overrides/{id}``)."""
    body = yield APIRequest("GET", f"/v2/schedule_overrides/{path_id(override_id)}")
    return _override_from(body["override"])


def _user_reference(lookups: Lookups, user: str) -> dict[str, str]:
    return {"email": user.strip()} if "@" in user else {"id": user.strip()}


def create_override(
    lookups: Lookups,
    schedule: str,
    *,
    user: str,
    start: datetime,
    end: datetime,
    rotation: str | None = None,
    layer: str | None = None,
) -> Op[ScheduleOverride]:
    """Put ``user`` (id or email) on call from ``start`` to ``end`` (``POST /v2/schedule_overrides``).

    ``rotation`` and ``layer`` (id or name) may be left out when the schedule has only one.
    The endpoint takes no idempotency key, so the client retries it only when it was never sent.

    Raises:
        InvalidArgumentError: ``end`` is not after ``start``, or the rotation or layer is ambiguous.
    """
    if end <= start:
        raise InvalidArgumentError(f"the override must end after it starts ({date_value(start)})")
    found = yield from resolve_schedule(lookups, schedule)
    rotation_id, layer_id = _rotation_and_layer(found, rotation, layer)
    payload = {
        "schedule_id": found.id,
        "rotation_id": rotation_id,
        "layer_id": layer_id,
        "start_at": date_value(start),
        "end_at": date_value(end),
        "user": _user_reference(lookups, user),
    }
    body = yield APIRequest("POST", "/v2/schedule_overrides", json=payload)
    return _override_from(body["override"])


def update_override(
    lookups: Lookups,
    override_id: str,
    *,
    user: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Op[ScheduleOverride]:
    """Change an override's user or times (``PUT /v2/schedule_overrides/{id}``); the rest stays."""
    current = yield from get_override(lookups, override_id)
    payload = {
        "rotation_id": current.rotation_id,
        "layer_id": current.layer_id,
        "start_at": date_value(start or current.start_at),
        "end_at": date_value(end or current.end_at),
        "user": _user_reference(lookups, user) if user else {"id": current.user.id if current.user else ""},
    }
    body = yield APIRequest("PUT", f"/v2/schedule_overrides/{path_id(override_id)}", json=payload)
    return _override_from(body["override"])


def delete_override(lookups: Lookups, override_id: str) -> Op[None]:
    """Delete an override (``DELETE /v2/schedule_overrides/{id}``)."""
    yield APIRequest("DELETE", f"/v2/schedule_overrides/{path_id(override_id)}")
