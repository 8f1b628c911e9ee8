"""Checking escalation path bodies (``EscalationsCreatePathPayloadV2``) and building ``EscalationPathV2``.

A path is a list of nodes: levels (users or schedules to page, with a time to acknowledge),
delays, channel notifications, repeats, branches and hand-offs to other paths. Every refusal is a
422 naming the field as the API does (``path[0].level.targets[1].id``).
"""

from __future__ import annotations

from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, required
from incidentkit.emulator.oncall import WEEKDAYS, parse_clock, zone
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import enum_field, string_field

NODE_TYPES = ("if_else", "repeat", "level", "notify_channel", "delay", "voicemail", "escalation_path")
TARGET_TYPES = ("schedule", "user", "slack_channel", "msteams_channel")
SCHEDULE_MODES = (
    "currently_on_call",
    "all_users_for_rota",
    "all_users",
    "currently_on_call_for_rota",
    "next_on_call_for_rota",
    "next_on_call",
    "",
)
ROTA_MODES = ("all_users_for_rota", "currently_on_call_for_rota", "next_on_call_for_rota")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(where, f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(where, f"{where} must be a list")
    return value


def _seconds(body: dict[str, Any], name: str, where: str, *, needed: bool = False) -> int | None:
    value = body.get(name)
    if value is None:
        if needed:
            raise required(f"{where}.{name}")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(f"{where}.{name}", f"{where}.{name} must be a whole number of seconds, 0 or more")
    return value


def _enum(body: dict[str, Any], name: str, allowed: tuple[str, ...], where: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if value not in allowed:
        shown = ", ".join(a for a in allowed if a)
        raise invalid(f"{where}.{name}", f"{where}.{name} must be one of {shown}, not {value!r}")
    return str(value)


def _target(call: Call, raw: Any, where: str, allowed: tuple[str, ...]) -> Record:
    target = _object(raw, where)
    kind = _enum(target, "type", allowed, where)
    if kind is None:
        raise required(f"{where}.type")
    target_id = string_field(target, "id", prefix=where + ".", needed=True)
    urgency = _enum(target, "urgency", ("high", "low"), where)
    if urgency is None:
        raise required(f"{where}.urgency")
    checked: Record = {"type": kind, "id": target_id, "urgency": urgency}
    if kind == "user" and call.state.find(call.state.users, target_id or "") is None:
        raise invalid(f"{where}.id", f"No user exists with id {target_id!r}", code="not_found")
    if kind == "schedule":
        schedule = call.state.find(call.state.schedules, target_id or "")
        if schedule is None:
            raise invalid(f"{where}.id", f"No schedule exists with id {target_id!r}", code="not_found")
        mode = _enum(target, "schedule_mode", SCHEDULE_MODES, where)
        if mode is not None:
            checked["schedule_mode"] = mode
        rota = string_field(target, "selected_rota_id", prefix=where + ".")
        if mode in ROTA_MODES and not rota:
            raise required(f"{where}.selected_rota_id")
        if rota is not None:
            rotations = {r["id"] for r in (schedule.get("config") or {}).get("rotations", [])}
            if rota not in rotations:
                raise invalid(
                    f"{where}.selected_rota_id",
                    f"Schedule {schedule['name']} has no rotation with id {rota!r}",
                    code="not_found",
                )
            checked["selected_rota_id"] = rota
    return checked


def _targets(call: Call, body: dict[str, Any], where: str, allowed: tuple[str, ...]) -> list[Record]:
    if "targets" not in body:
        raise required(f"{where}.targets")
    targets = _list(body["targets"], f"{where}.targets")
    if not targets:
        raise invalid(f"{where}.targets", f"{where}.targets needs at least one target")
    return [_target(call, t, f"{where}.targets[{i}]", allowed) for i, t in enumerate(targets)]


def _ack_timing(body: dict[str, Any], where: str, checked: Record) -> None:
    seconds = _seconds(body, "time_to_ack_seconds", where)
    if seconds is not None:
        checked["time_to_ack_seconds"] = seconds
    condition = _enum(body, "time_to_ack_interval_condition", ("active", "inactive"), where)
    if condition is not None:
        checked["time_to_ack_interval_condition"] = condition
    interval_id = string_field(body, "time_to_ack_weekday_interval_config_id", prefix=where + ".")
    if interval_id is not None:
        checked["time_to_ack_weekday_interval_config_id"] = interval_id


def _level(call: Call, raw: Any, where: str) -> Record:
    body = _object(raw, where)
    checked: Record = {"targets": _targets(call, body, where, TARGET_TYPES)}
    _ack_timing(body, where, checked)
    mode = _enum(body, "ack_mode", ("all", "first"), where)
    if mode is not None:
        checked["ack_mode"] = mode
    if body.get("round_robin_config") is not None:
        config = _object(body["round_robin_config"], f"{where}.round_robin_config")
        if not isinstance(config.get("enabled"), bool):
            raise required(f"{where}.round_robin_config.enabled")
        round_robin: Record = {"enabled": config["enabled"]}
        rotate = _seconds(config, "rotate_after_seconds", f"{where}.round_robin_config")
        if rotate is not None:
            round_robin["rotate_after_seconds"] = rotate
        checked["round_robin_config"] = round_robin
    if body.get("retry_config") is not None:
        at = f"{where}.retry_config"
        config = _object(body["retry_config"], at)
        attempts = config.get("attempts")
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 2 <= attempts <= 10:
            raise invalid(f"{at}.attempts", f"{at}.attempts must be between 2 and 10")
        interval = _seconds(config, "interval_seconds", at, needed=True)
        if interval is None or interval % 60:
            raise invalid(
                f"{at}.interval_seconds", f"{at}.interval_seconds must be a whole number of minutes"
            )
        checked["retry_config"] = {"attempts": attempts, "interval_seconds": interval}
    return checked


def _binding_value(raw: Any, where: str) -> Record:
    value = _object(raw, where)
    literal = string_field(value, "literal", prefix=where + ".")
    reference = string_field(value, "reference", prefix=where + ".")
    shown: Record = {"label": literal or reference or ""}
    if literal is not None:
        shown["literal"] = literal
    if reference is not None:
        shown["reference"] = reference
    return shown


def _binding(raw: Any, where: str) -> Record:
    """An ``EngineParamBindingV2`` from an ``EngineParamBindingPayloadV2``: values gain a label."""
    binding = _object(raw, where)
    shown: Record = {}
    if binding.get("value") is not None:
        shown["value"] = _binding_value(binding["value"], f"{where}.value")
    if binding.get("array_value") is not None:
        values = _list(binding["array_value"], f"{where}.array_value")
        shown["array_value"] = [_binding_value(v, f"{where}.array_value[{i}]") for i, v in enumerate(values)]
    return shown


def _condition(raw: Any, where: str) -> Record:
    condition = _object(raw, where)
    subject = string_field(condition, "subject", prefix=where + ".", needed=True)
    operation = string_field(condition, "operation", prefix=where + ".", needed=True)
    bindings = _list(condition.get("param_bindings", []), f"{where}.param_bindings")
    return {
        "subject": {"label": subject, "reference": subject},
        "operation": {"label": operation, "value": operation},
        "param_bindings": [_binding(b, f"{where}.param_bindings[{i}]") for i, b in enumerate(bindings)],
    }


def _node(call: Call, raw: Any, where: str, ids: list[str], path_id: str | None) -> Record:
    node = _object(raw, where)
    node_id = string_field(node, "id", prefix=where + ".", needed=True)
    assert node_id is not None
    if node_id in ids:
        raise invalid(f"{where}.id", f"{where}.id {node_id!r} is used by another node of this path")
    ids.append(node_id)
    kind = _enum(node, "type", NODE_TYPES, where)
    if kind is None:
        raise required(f"{where}.type")
    checked: Record = {"id": node_id, "type": kind}
    if kind == "voicemail":
        return checked
    if node.get(kind) is None:
        raise required(f"{where}.{kind}")
    at = f"{where}.{kind}"
    body = _object(node[kind], at)
    if kind == "level":
        checked["level"] = _level(call, body, at)
    elif kind == "notify_channel":
        notify: Record = {"targets": _targets(call, body, at, ("slack_channel", "msteams_channel"))}
        _ack_timing(body, at, notify)
        checked["notify_channel"] = notify
    elif kind == "delay":
        delay: Record = {}
        seconds = _seconds(body, "delay_seconds", at)
        if seconds is not None:
            delay["delay_seconds"] = seconds
        condition = _enum(body, "delay_interval_condition", ("active", "inactive"), at)
        if condition is not None:
            delay["delay_interval_condition"] = condition
        interval_id = string_field(body, "delay_weekday_interval_config_id", prefix=at + ".")
        if interval_id is not None:
            delay["delay_weekday_interval_config_id"] = interval_id
        checked["delay"] = delay
    elif kind == "repeat":
        to_node = string_field(body, "to_node", prefix=at + ".", needed=True)
        times = body.get("repeat_times")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise invalid(f"{at}.repeat_times", f"{at}.repeat_times must be a whole number, 1 or more")
        if to_node not in ids[:-1]:
            raise invalid(f"{at}.to_node", f"{at}.to_node must be the id of an earlier node, not {to_node!r}")
        checked["repeat"] = {"to_node": to_node, "repeat_times": times}
    elif kind == "escalation_path":
        other = string_field(body, "escalation_path_id", prefix=at + ".", needed=True)
        if other == path_id or call.state.find(call.state.escalation_paths, other or "") is None:
            raise invalid(
                f"{at}.escalation_path_id",
                f"No other escalation path exists with id {other!r}",
                code="not_found",
            )
        checked["escalation_path"] = {"escalation_path_id": other}
    else:  # if_else
        conditions = _list(body.get("conditions", []), f"{at}.conditions")
        branch: Record = {
            "conditions": [_condition(c, f"{at}.conditions[{i}]") for i, c in enumerate(conditions)]
        }
        for name in ("then_path", "else_path"):
            if name not in body:
                raise required(f"{at}.{name}")
            nodes = _list(body[name], f"{at}.{name}")
            branch[name] = [_node(call, n, f"{at}.{name}[{i}]", ids, path_id) for i, n in enumerate(nodes)]
        checked["if_else"] = branch
    return checked


def _working_hours(value: Any) -> list[Record]:
    checked = []
    for index, raw in enumerate(_list(value, "working_hours")):
        where = f"working_hours[{index}]"
        config = _object(raw, where)
        fields = {
            name: string_field(config, name, prefix=where + ".", needed=True)
            for name in ("id", "name", "timezone")
        }
        try:
            zone(fields["timezone"] or "")
        except ValueError as error:
            raise invalid(f"{where}.timezone", str(error)) from None
        intervals = []
        for position, interval in enumerate(
            _list(config.get("weekday_intervals", []), f"{where}.weekday_intervals")
        ):
            at = f"{where}.weekday_intervals[{position}]"
            interval = _object(interval, at)
            if interval.get("weekday") not in WEEKDAYS:
                raise invalid(f"{at}.weekday", f"{at}.weekday must be one of {', '.join(WEEKDAYS)}")
            for name in ("start_time", "end_time"):
                try:
                    parse_clock(string_field(interval, name, prefix=at + ".", needed=True) or "")
                except ValueError as error:
                    raise invalid(f"{at}.{name}", f"{at}.{name}: {error}") from None
            intervals.append({k: interval[k] for k in ("weekday", "start_time", "end_time")})
        checked.append({**fields, "weekday_intervals": intervals})
    return checked


def _team_ids(value: Any) -> list[str]:
    # Teams live in the catalog; the ids are kept as given, as the API syncs them to the catalog.
    ids = _list(value, "team_ids")
    for index, team_id in enumerate(ids):
        if not isinstance(team_id, str) or not team_id:
            raise invalid(f"team_ids[{index}]", f"team_ids[{index}] must be a team id")
    return ids


def path_fields(call: Call, body: dict[str, Any], path_id: str | None) -> Record:
    """The fields of an ``EscalationPathV2`` from a create or update body (both replace the whole path)."""
    name = string_field(body, "name", needed=True)
    kind = enum_field(body, "kind", ["standalone", "templated"], "standalone")
    if kind == "templated":
        template = string_field(body, "template_id", needed=True)
        # The emulated organisation has no escalation path templates, so every id names nothing.
        raise invalid(
            "template_id", f"No escalation path template exists with id {template!r}", code="not_found"
        )
    if "path" not in body:
        raise required("path")
    ids: list[str] = []
    nodes = [
        _node(call, raw, f"path[{i}]", ids, path_id) for i, raw in enumerate(_list(body["path"], "path"))
    ]
    if not nodes:
        raise invalid("path", "path needs at least one node")
    fields: Record = {
        "name": name,
        "kind": kind,
        "path": nodes,
        "team_ids": _team_ids(body.get("team_ids", [])),
    }
    if body.get("repeat_config") is not None:
        config = _object(body["repeat_config"], "repeat_config")
        after = config.get("repeat_after_seconds")
        if isinstance(after, bool) or not isinstance(after, int) or not 300 <= after <= 345600:
            raise invalid(
                "repeat_config.repeat_after_seconds",
                "repeat_config.repeat_after_seconds must be 300 to 345600",
            )
        delay = config.get("delay_repeat_on_activity", False)
        if not isinstance(delay, bool):
            raise invalid(
                "repeat_config.delay_repeat_on_activity",
                "repeat_config.delay_repeat_on_activity must be true or false",
            )
        fields["repeat_config"] = {"repeat_after_seconds": after, "delay_repeat_on_activity": delay}
    if body.get("working_hours") is not None:
        fields["working_hours"] = _working_hours(body["working_hours"])
    return fields
