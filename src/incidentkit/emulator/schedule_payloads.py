"""Checking schedule and override request bodies, and turning them into the records the API shows.

``SchedulesCreatePayloadV2`` / ``SchedulesUpdatePayloadV2`` carry a ``schedule`` whose rotations
name their users by reference (id, email or Slack id); the stored ``ScheduleV2`` embeds the users.
Every refusal is a 422 naming the field as the API does (``schedule.config.rotations[0].users[1]``).
"""

from __future__ import annotations

from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, required
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.oncall import INTERVAL_TYPES, WEEKDAYS, parse_clock, zone
from incidentkit.emulator.records import embedded_user
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import enum_field, string_field, timestamp_field

MAX_INTERVAL = 1000  # a rotation handing over less often than every thousand weeks is a typo


def user_reference(call: Call, value: Any, where: str) -> Record:
    """The user a ``UserReferencePayloadV2`` names (by id, email or Slack id), as a ``UserV2``."""
    if not isinstance(value, dict) or not any(value.get(k) for k in ("id", "email", "slack_user_id")):
        raise invalid(where, f"{where} must name a user by id, email or slack_user_id")
    for key in ("id", "email", "slack_user_id"):
        wanted = value.get(key)
        if not wanted:
            continue
        if not isinstance(wanted, str):
            raise invalid(f"{where}.{key}", f"{where}.{key} must be a string")
        found = next(
            (u for u in call.state.users if str(u.get(key, "")).lower() == wanted.lower()),
            None,
        )
        if found is None:
            raise invalid(f"{where}.{key}", f"No user exists with {key} {wanted!r}", code="not_found")
        return embedded_user(found)
    raise AssertionError("unreachable: a key was checked above")


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(where, f"{where} must be a list")
    return value


def _strings(value: Any, where: str) -> list[str]:
    items = _list(value, where)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise invalid(f"{where}[{index}]", f"{where}[{index}] must be a string")
    return items


def _annotations(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid(where, f"{where} must be an object of strings")
    return dict(value)


def _handovers(value: Any, where: str) -> list[Record]:
    handovers = _list(value, where)
    if not handovers:
        raise invalid(where, f"{where} needs at least one handover interval")
    checked = []
    for index, handover in enumerate(handovers):
        at = f"{where}[{index}]"
        if not isinstance(handover, dict):
            raise invalid(at, f"{at} must be an object")
        kind = handover.get("interval_type")
        if kind is None:
            raise required(f"{at}.interval_type")
        if kind not in INTERVAL_TYPES:
            raise invalid(
                f"{at}.interval_type",
                f"{at}.interval_type must be one of {', '.join(INTERVAL_TYPES)}, not {kind!r}",
            )
        interval = handover.get("interval", 1)
        if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= MAX_INTERVAL:
            raise invalid(f"{at}.interval", f"{at}.interval must be a whole number from 1 to {MAX_INTERVAL}")
        checked.append({"interval_type": kind, "interval": interval})
    return checked


def _working_intervals(value: Any, where: str) -> list[Record]:
    checked = []
    for index, interval in enumerate(_list(value, where)):
        at = f"{where}[{index}]"
        if not isinstance(interval, dict):
            raise invalid(at, f"{at} must be an object")
        weekday = interval.get("weekday")
        if weekday not in WEEKDAYS:
            raise invalid(
                f"{at}.weekday", f"{at}.weekday must be one of {', '.join(WEEKDAYS)}, not {weekday!r}"
            )
        times = {}
        for name in ("start_time", "end_time"):
            text = string_field(interval, name, prefix=at + ".", needed=True)
            assert text is not None
            try:
                times[name] = parse_clock(text)
            except ValueError as error:
                raise invalid(f"{at}.{name}", f"{at}.{name}: {error}") from None
        start, end = times["start_time"], times["end_time"]
        if start is None or (end is not None and end <= start):
            raise invalid(f"{at}.end_time", f"{at}.end_time must be after {at}.start_time")
        checked.append(
            {"weekday": weekday, "start_time": interval["start_time"], "end_time": interval["end_time"]}
        )
    return checked


def _layers(call: Call, value: Any, where: str, known: list[Record]) -> list[Record]:
    layers = _list(value, where)
    if not layers:
        raise invalid(where, f"{where} needs at least one layer")
    checked = []
    for index, layer in enumerate(layers):
        at = f"{where}[{index}]"
        if not isinstance(layer, dict):
            raise invalid(at, f"{at} must be an object")
        layer_id = string_field(layer, "id", prefix=at + ".")
        previous = next((item for item in known if item["id"] == layer_id), None) if layer_id else None
        name = string_field(layer, "name", prefix=at + ".") or (previous or {}).get("name")
        if not name:
            raise required(f"{at}.name")
        checked.append({"id": layer_id or new_ulid(call.now, call.rng), "name": name})
    return checked


def _rotation(call: Call, raw: Any, where: str, known: dict[str, Record]) -> Record:
    if not isinstance(raw, dict):
        raise invalid(where, f"{where} must be an object")
    rotation_id = string_field(raw, "id", prefix=where + ".")
    previous = known.get(rotation_id or "", {})
    name = string_field(raw, "name", prefix=where + ".") or previous.get("name")
    if not name:
        raise required(f"{where}.name")
    users = [
        user_reference(call, user, f"{where}.users[{index}]")
        for index, user in enumerate(_list(raw.get("users", []), f"{where}.users"))
    ]
    starts = raw.get("handover_start_at", previous.get("handover_start_at") or rfc3339(call.now))
    rotation: Record = {
        "id": rotation_id or new_ulid(call.now, call.rng),
        "name": name,
        "users": users,
        "layers": _layers(
            call,
            raw.get("layers", previous.get("layers") or [{"name": "Layer 1"}]),
            f"{where}.layers",
            previous.get("layers", []),
        ),
        "handover_start_at": timestamp_field(starts, f"{where}.handover_start_at"),
        "handovers": _handovers(
            raw.get("handovers", previous.get("handovers") or [{"interval_type": "weekly", "interval": 1}]),
            f"{where}.handovers",
        ),
        # working_interval is the deprecated spelling; the response carries both.
        "working_intervals": _working_intervals(
            raw.get("working_intervals", raw.get("working_interval", [])), f"{where}.working_intervals"
        ),
    }
    rotation["working_interval"] = list(rotation["working_intervals"])
    if raw.get("effective_from") is not None:
        rotation["effective_from"] = timestamp_field(raw["effective_from"], f"{where}.effective_from")
    mode = enum_field(raw, "scheduling_mode", ["fair", "sequential"])
    if mode is not None:
        rotation["scheduling_mode"] = mode
    return rotation


def _rotations(call: Call, value: Any, where: str, existing: list[Record]) -> list[Record]:
    known = {rotation["id"]: rotation for rotation in existing}
    rotations = [
        _rotation(call, raw, f"{where}[{index}]", known) for index, raw in enumerate(_list(value, where))
    ]
    seen: dict[str, int] = {}
    for index, rotation in enumerate(rotations):
        # Versions of one rotation share its id; all but the first say when they take effect.
        if rotation["id"] in seen and "effective_from" not in rotation:
            raise required(f"{where}[{index}].effective_from")
        seen.setdefault(rotation["id"], index)
    return rotations


def schedule_fields(call: Call, body: dict[str, Any], existing: Record | None) -> Record:
    """The fields of a ``ScheduleV2`` from a create (``existing`` None) or update payload.

    An update changes only what it gives; a create needs a name. Rotations given in an update
    replace the schedule's rotations; ids of existing rotations and layers keep them.
    """
    raw = body.get("schedule")
    if not isinstance(raw, dict):
        raise required("schedule")
    fields: Record = {}
    name = string_field(raw, "name", prefix="schedule.")
    if name is not None and not name.strip():
        raise required("schedule.name")
    if name is not None:
        fields["name"] = name
    elif existing is None:
        raise required("schedule.name")
    timezone = string_field(raw, "timezone", prefix="schedule.")
    if timezone is not None:
        try:
            zone(timezone)
        except ValueError as error:
            raise invalid("schedule.timezone", str(error)) from None
        fields["timezone"] = timezone
    elif existing is None:
        fields["timezone"] = "UTC"
    if "team_ids" in raw:
        fields["team_ids"] = _strings(raw["team_ids"], "schedule.team_ids")
    if "annotations" in raw:
        fields["annotations"] = _annotations(raw["annotations"], "schedule.annotations")
    if "holidays_public_config" in raw:
        holidays = raw["holidays_public_config"]
        if not isinstance(holidays, dict) or "country_codes" not in holidays:
            raise required("schedule.holidays_public_config.country_codes")
        codes = _strings(holidays["country_codes"], "schedule.holidays_public_config.country_codes")
        fields["holidays_public_config"] = {"country_codes": codes}
    config = raw.get("config")
    if config is not None:
        if not isinstance(config, dict):
            raise invalid("schedule.config", "schedule.config must be an object")
        current = ((existing or {}).get("config") or {}).get("rotations", [])
        rotations = _rotations(call, config.get("rotations", []), "schedule.config.rotations", current)
        fields["config"] = {"rotations": rotations}
    elif existing is None:
        fields["config"] = {"rotations": []}
    return fields


def override_fields(call: Call, body: dict[str, Any], schedule: Record) -> Record:
    """The fields of a ``ScheduleOverrideV2`` from a create or update body, checked against ``schedule``."""
    rotation_id = string_field(body, "rotation_id", needed=True)
    layer_id = string_field(body, "layer_id", needed=True)
    rotations = [r for r in (schedule.get("config") or {}).get("rotations", []) if r["id"] == rotation_id]
    if not rotations:
        raise invalid(
            "rotation_id",
            f"Schedule {schedule['name']} has no rotation with id {rotation_id!r}",
            code="not_found",
        )
    if not any(layer["id"] == layer_id for rotation in rotations for layer in rotation["layers"]):
        raise invalid(
            "layer_id", f"Rotation {rotations[0]['name']} has no layer with id {layer_id!r}", code="not_found"
        )
    for name in ("start_at", "end_at"):
        if body.get(name) is None:
            raise required(name)
    start_at = timestamp_field(body["start_at"], "start_at")
    end_at = timestamp_field(body["end_at"], "end_at")
    if end_at <= start_at:
        raise invalid("end_at", f"end_at ({end_at}) must be after start_at ({start_at})")
    if body.get("user") is None:
        raise required("user")
    return {
        "schedule_id": schedule["id"],
        "rotation_id": rotation_id,
        "layer_id": layer_id,
        "start_at": start_at,
        "end_at": end_at,
        "user": user_reference(call, body["user"], "user"),
    }
