"""The on-call schedule operations: schedules, their entries (who is on call when) and overrides.

Entries are computed at request time from the schedule's rotations and overrides, at the
emulator's clock (:mod:`~incidentkit.emulator.oncall`), so moving the clock moves the shifts.
A change to a schedule or its overrides sends ``schedule.created_v1`` / ``updated_v1`` /
``deleted_v1``, and ``schedule.shift_change_v1`` when it changes who is on call right now.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.oncall import Shift, entry_record, next_changeover, on_call_at, schedule_entries
from incidentkit.emulator.schedule_payloads import override_fields, schedule_fields
from incidentkit.emulator.state import OrgState, Record
from incidentkit.timeutil import parse_iso

DEFAULT_WINDOW = timedelta(days=7)
# The emulator's own bound, so one request cannot keep it computing shifts for centuries.
MAX_WINDOW = timedelta(days=366)
ENTRIES_PER_PAGE = 250
# The API leaves next_shifts empty on lists of more than 25 schedules (it is costly to compute).
NEXT_SHIFTS_PAGE_SIZE = 25
_CURSOR_PREFIX = "entries-after:"


def moment(call: Call) -> datetime:
    """The emulator's clock as an aware datetime."""
    return datetime.fromtimestamp(call.now, UTC)


def overrides_of(state: OrgState, schedule_id: str) -> list[Record]:
    return [o for o in state.schedule_overrides if o["schedule_id"] == schedule_id]


def on_call_now(state: OrgState, schedule: Record, when: datetime) -> list[Shift]:
    """Who is on call for ``schedule`` at ``when`` (one shift per rotation layer)."""
    return on_call_at(schedule, overrides_of(state, schedule["id"]), when)


def _schedule(call: Call, schedule_id: str) -> Record:
    found = call.state.find(call.state.schedules, schedule_id)
    if found is None:
        raise not_found("schedule", schedule_id)
    return found


def _shown(call: Call, schedule: Record, *, next_shifts: bool = True) -> Record:
    """A ``ScheduleV2`` as the API answers: the stored schedule with its current and next shifts."""
    now = moment(call)
    overrides = overrides_of(call.state, schedule["id"])
    shown = dict(schedule)
    shown["current_shifts"] = [entry_record(s) for s in on_call_at(schedule, overrides, now)]
    upcoming: list[Record] = []
    if next_shifts:
        change = next_changeover(schedule, overrides, now)
        if change is not None:
            upcoming = [entry_record(s) for s in on_call_at(schedule, overrides, change)]
    shown["next_shifts"] = upcoming
    return shown


def slim(schedule: Record) -> Record:
    """A ``ScheduleSlimV2``, what the schedule webhooks carry."""
    return {key: schedule[key] for key in ("id", "name", "timezone", "team_ids", "created_at", "updated_at")}


def _users_now(call: Call, schedule: Record) -> list[Record]:
    users: dict[str, Record] = {}
    for shift in on_call_now(call.state, schedule, moment(call)):
        if shift.user:
            users.setdefault(shift.user["id"], shift.user)
    return list(users.values())


def _announce_shift_change(call: Call, schedule: Record, before: list[Record]) -> None:
    after = _users_now(call, schedule)
    if {u["id"] for u in before} != {u["id"] for u in after}:
        call.emit(
            "schedule.shift_change_v1",
            {"schedule": slim(schedule), "previous_users": before, "current_users": after},
        )


# --- schedules -------------------------------------------------------------------------------


def list_schedules(call: Call) -> tuple[int, Record]:
    schedules, meta = paginate(call, call.state.schedules, lambda _: True, maximum=10000, with_total=True)
    with_next = meta["page_size"] <= NEXT_SHIFTS_PAGE_SIZE
    return 200, {
        "schedules": [_shown(call, s, next_shifts=with_next) for s in schedules],
        "pagination_meta": meta,
    }


def show_schedule(call: Call) -> tuple[int, Record]:
    return 200, {"schedule": _shown(call, _schedule(call, call.path_params["id"]))}


def create_schedule(call: Call) -> tuple[int, Record]:
    fields = schedule_fields(call, call.json_object(), None)
    schedule_id = new_ulid(call.now, call.rng)
    schedule: Record = {
        "id": schedule_id,
        "name": fields.pop("name"),
        "timezone": fields.pop("timezone"),
        "team_ids": fields.pop("team_ids", []),
        "annotations": fields.pop("annotations", {}),
        "permalink": f"https://app.incident.io/{call.state.organisation_slug}/on-call/schedules/{schedule_id}",
        "created_at": rfc3339(call.now),
        "updated_at": rfc3339(call.now),
        **fields,
    }
    call.state.schedules.append(schedule)
    call.changed = True
    call.emit("schedule.created_v1", slim(schedule))
    _announce_shift_change(call, schedule, [])
    return 201, {"schedule": _shown(call, schedule)}


def update_schedule(call: Call) -> tuple[int, Record]:
    schedule = _schedule(call, call.path_params["id"])
    fields = schedule_fields(call, call.json_object(), schedule)
    before = _users_now(call, schedule)
    schedule.update(fields)
    schedule["updated_at"] = rfc3339(call.now)
    # Overrides on rotations or layers the update removed no longer apply to anything.
    layers = {
        (rotation["id"], layer["id"])
        for rotation in schedule["config"]["rotations"]
        for layer in rotation["layers"]
    }
    call.state.schedule_overrides = [
        o
        for o in call.state.schedule_overrides
        if o["schedule_id"] != schedule["id"] or (o["rotation_id"], o["layer_id"]) in layers
    ]
    call.changed = True
    call.emit("schedule.updated_v1", slim(schedule))
    _announce_shift_change(call, schedule, before)
    return 200, {"schedule": _shown(call, schedule)}


def delete_schedule(call: Call) -> tuple[int, None]:
    schedule = _schedule(call, call.path_params["id"])
    call.state.schedules.remove(schedule)
    call.state.schedule_overrides = [
        o for o in call.state.schedule_overrides if o["schedule_id"] != schedule["id"]
    ]
    call.changed = True
    call.emit("schedule.deleted_v1", slim(schedule))
    return 202, None


# --- schedule entries ------------------------------------------------------------------------


def _cursor(after: datetime) -> str:
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + rfc3339(after.timestamp())).encode()).decode()


def _read_start(value: str) -> tuple[datetime, bool]:
    """``entry_window_start``: a timestamp, or a cursor from ``pagination_meta.after`` (then True)."""
    try:
        decoded = base64.urlsafe_b64decode(value.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded.startswith(_CURSOR_PREFIX):
        return parse_iso(decoded[len(_CURSOR_PREFIX) :]), True
    try:
        return parse_iso(value, assume_utc=True), False
    except ValueError:
        raise invalid(
            "entry_window_start",
            f"entry_window_start must be a timestamp or a pagination cursor, not {value!r}",
        ) from None


def _window(call: Call) -> tuple[datetime, datetime, bool]:
    raw_start, raw_end = call.param("entry_window_start"), call.param("entry_window_end")
    start, resumed = _read_start(raw_start) if raw_start else (moment(call), False)
    if raw_end:
        try:
            end = parse_iso(raw_end, assume_utc=True)
        except ValueError:
            raise invalid(
                "entry_window_end", f"entry_window_end must be a timestamp, not {raw_end!r}"
            ) from None
    else:
        end = start + DEFAULT_WINDOW
    if end <= start:
        raise invalid("entry_window_end", "entry_window_end must be after entry_window_start")
    if end - start > MAX_WINDOW:
        raise invalid("entry_window_end", f"the window may span at most {MAX_WINDOW.days} days")
    return start, end, resumed


def list_schedule_entries(call: Call) -> tuple[int, Record]:
    schedule_id = call.param("schedule_id")
    if not schedule_id:
        raise required("schedule_id")
    schedule = _schedule(call, schedule_id)
    start, end, resumed = _window(call)
    entries = schedule_entries(schedule, overrides_of(call.state, schedule_id), start, end)

    def on_page(shift: Shift) -> bool:
        # A later page holds only what starts at or after its cursor; the first, all that overlap.
        return not resumed or shift.start >= start

    final = [s for s in entries.final if on_page(s)]
    cut: datetime | None = None
    if len(final) > ENTRIES_PER_PAGE and final[ENTRIES_PER_PAGE].start > final[0].start:
        cut = final[ENTRIES_PER_PAGE].start

    def kept(shifts: list[Shift]) -> list[Record]:
        return [entry_record(s) for s in shifts if on_page(s) and (cut is None or s.start < cut)]

    body: Record = {
        "schedule_entries": {
            "scheduled": kept(entries.scheduled),
            "overrides": kept(entries.overrides),
            "final": kept(entries.final),
        }
    }
    if cut is not None:
        after = _cursor(cut)
        query = urlencode(
            {
                "schedule_id": schedule_id,
                "entry_window_start": after,
                "entry_window_end": rfc3339(end.timestamp()),
            }
        )
        body["pagination_meta"] = {"after": after, "after_url": f"/v2/schedule_entries?{query}"}
    return 200, body


# --- overrides -------------------------------------------------------------------------------


def _override(call: Call) -> Record:
    found = call.state.find(call.state.schedule_overrides, call.path_params["id"])
    if found is None:
        raise not_found("schedule override", call.path_params["id"])
    return found


def list_overrides(call: Call) -> tuple[int, Record]:
    schedule_id = call.param("schedule_id")
    if not schedule_id:
        raise required("schedule_id")
    _schedule(call, schedule_id)
    rotation_id, layer_id = call.param("rotation_id"), call.param("layer_id")

    def keep(override: Record) -> bool:
        return (
            override["schedule_id"] == schedule_id
            and (not rotation_id or override["rotation_id"] == rotation_id)
            and (not layer_id or override["layer_id"] == layer_id)
        )

    ordered = sorted(call.state.schedule_overrides, key=lambda o: (o["start_at"], o["id"]))
    overrides, meta = paginate(call, ordered, keep, maximum=250)
    return 200, {"overrides": overrides, "pagination_meta": meta}


def show_override(call: Call) -> tuple[int, Record]:
    return 200, {"override": _override(call)}


def _override_schedule(call: Call, schedule_id: str) -> Record:
    found = call.state.find(call.state.schedules, schedule_id)
    if found is None:
        raise invalid("schedule_id", f"No schedule exists with id {schedule_id!r}", code="not_found")
    return found


def create_override(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    schedule_id = body.get("schedule_id")
    if not isinstance(schedule_id, str) or not schedule_id:
        raise required("schedule_id")
    schedule = _override_schedule(call, schedule_id)
    fields = override_fields(call, body, schedule)
    before = _users_now(call, schedule)
    override: Record = {
        "id": new_ulid(call.now, call.rng),
        **fields,
        "created_at": rfc3339(call.now),
        "updated_at": rfc3339(call.now),
    }
    call.state.schedule_overrides.append(override)
    call.changed = True
    _announce_shift_change(call, schedule, before)
    return 201, {"override": override}


def update_override(call: Call) -> tuple[int, Record]:
    override = _override(call)
    schedule = _override_schedule(call, override["schedule_id"])
    fields = override_fields(call, call.json_object(), schedule)
    before = _users_now(call, schedule)
    override.update(fields)
    override["updated_at"] = rfc3339(call.now)
    call.changed = True
    _announce_shift_change(call, schedule, before)
    return 200, {"override": override}


def delete_override(call: Call) -> tuple[int, None]:
    override = _override(call)
    schedule = call.state.find(call.state.schedules, override["schedule_id"])
    before = _users_now(call, schedule) if schedule else []
    call.state.schedule_overrides.remove(override)
    call.changed = True
    if schedule is not None:
        _announce_shift_change(call, schedule, before)
    return 204, None


# (method, schema path, handler, the schema's x-rbac-scopes), for routes.ROUTES.
ROUTES = [
    ("GET", "/v2/schedules", list_schedules, "schedules.view"),
    ("POST", "/v2/schedules", create_schedule, "schedules.create"),
    ("GET", "/v2/schedules/{id}", show_schedule, "schedules.view"),
    ("PUT", "/v2/schedules/{id}", update_schedule, "schedules.update"),
    ("DELETE", "/v2/schedules/{id}", delete_schedule, "schedules.destroy"),
    ("GET", "/v2/schedule_entries", list_schedule_entries, "schedules.view"),
    ("GET", "/v2/schedule_overrides", list_overrides, "schedules.view"),
    ("POST", "/v2/schedule_overrides", create_override, "schedule_overrides.create"),
    ("GET", "/v2/schedule_overrides/{id}", show_override, "schedules.view"),
    ("PUT", "/v2/schedule_overrides/{id}", update_override, "schedule_overrides.update"),
    ("DELETE", "/v2/schedule_overrides/{id}", delete_override, "schedule_overrides.destroy"),
]
