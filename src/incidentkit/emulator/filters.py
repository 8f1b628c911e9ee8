"""The list-filter language: which records a list returns, and which page of them.

``GET /v2/incidents`` takes ``name[operator]=value`` filters (``severity[gte]``,
``created_at[date_range]``, ``custom_field[id][one_of]``...) combined by ``filter_mode``; the
other lists take plain parameters. Every paginated list pages with ``page_size`` and the
``after`` cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import APIError, invalid, required
from incidentkit.emulator.state import OrgState, Record
from incidentkit.emulator.validators import enum_field
from incidentkit.timeutil import parse_iso
from incidentkit.wire import STATUS_CATEGORIES

Predicate = Callable[[Record], bool]
"""Whether a list keeps a record."""

# Pagination, shared by every paginated list.


def _page_size(call: Call, maximum: int) -> int:
    raw = call.param("page_size")
    if raw is None or raw == "":
        return 25
    try:
        size = int(raw)
    except ValueError:
        raise invalid("page_size", f"page_size must be an integer, not {raw!r}") from None
    if not 1 <= size <= maximum:
        raise invalid("page_size", f"page_size must be between 1 and {maximum}, not {size}")
    return size


def paginate(
    call: Call,
    ordered: list[Record],
    keep: Callable[[Record], bool],
    *,
    maximum: int,
    with_total: bool = False,
) -> tuple[list[Record], Record]:
    """The page after the ``after`` cursor (the id of the last record of the previous page).

    The cursor is found in the full ordering, so it stays valid even when its record no
    longer matches the filters. A page that is exactly full carries ``after`` even when nothing
    follows, as the real API's does (the next page is then empty), unless the emulator was asked
    otherwise (``Call.cursor_on_full_page``); a short last page carries none.
    """
    size = _page_size(call, maximum)
    start = 0
    after = call.param("after")
    if after:
        index = next((i for i, record in enumerate(ordered) if record["id"] == after), None)
        if index is None:
            raise invalid("after", f"after must be the id of a record from a previous page, not {after!r}")
        start = index + 1
    matching = [record for record in ordered[start:] if keep(record)]
    page = matching[:size]
    meta: Record = {"page_size": size}
    if len(matching) > size or (call.cursor_on_full_page and page and len(page) == size):
        meta["after"] = page[-1]["id"]
    if with_total:
        before = sum(1 for record in ordered[:start] if keep(record))
        meta["total_record_count"] = before + len(matching)
    return page, meta


# GET /v2/incidents.

DEFAULT_MODES = ["standard", "retrospective"]


def _filters(call: Call) -> dict[str, dict[str, list[str]]]:
    """``severity[gte]=X`` -> ``{"severity": {"gte": ["X"]}}``; nested keys keep their id."""
    found: dict[str, dict[str, list[str]]] = {}
    for key, value in call.query:
        if not key.endswith("]") or "[" not in key:
            continue
        name, _, operator = key[:-1].rpartition("[")
        found.setdefault(name, {}).setdefault(operator, []).append(value)
    return found


def _operator_error(name: str, operator: str, allowed: list[str]) -> APIError:
    return invalid(
        f"{name}[{operator}]", f"{name} does not accept the operator {operator!r}; use {', '.join(allowed)}"
    )


def _one_of(value_of: Callable[[Record], Any], wanted: set[str]) -> Predicate:
    return lambda incident: value_of(incident) in wanted


def _not_in(value_of: Callable[[Record], Any], wanted: set[str]) -> Predicate:
    return lambda incident: value_of(incident) not in wanted


def _membership(
    name: str, operators: dict[str, list[str]], value_of: Callable[[Record], Any]
) -> list[Predicate]:
    predicates: list[Predicate] = []
    for operator, values in operators.items():
        if operator == "one_of":
            predicates.append(_one_of(value_of, set(values)))
        elif operator == "not_in":
            predicates.append(_not_in(value_of, set(values)))
        else:
            raise _operator_error(name, operator, ["one_of", "not_in"])
    return predicates


def _parse_bound(name: str, operator: str, value: str) -> datetime:
    try:
        parsed = parse_iso(value)
        parsed.astimezone(UTC)  # an offset can carry it out of the years 1 to 9999
        return parsed
    except (ValueError, OverflowError):
        raise invalid(
            f"{name}[{operator}]", f"{name}[{operator}] must be a date or timestamp, not {value!r}"
        ) from None


def _end_of(name: str, operator: str, value: str, start: datetime) -> datetime:
    """The first instant after ``value``: the next midnight for a bare date, else the instant itself."""
    try:
        return start + (timedelta(days=1) if len(value.strip()) == 10 else timedelta(microseconds=1))
    except OverflowError:
        raise invalid(
            f"{name}[{operator}]", f"{name}[{operator}] must be before the year 9999 ends, not {value!r}"
        ) from None


def _between(name: str, start: datetime | None, end: datetime | None) -> Predicate:
    """``start <= incident[name] < end``; either bound may be open."""

    def keep(incident: Record) -> bool:
        when = parse_iso(incident[name])
        return (start is None or when >= start) and (end is None or when < end)

    return keep


def _time_filter(name: str, operators: dict[str, list[str]]) -> list[Predicate]:
    predicates: list[Predicate] = []
    for operator, values in operators.items():
        value = values[-1]
        if operator == "gte":
            predicates.append(_between(name, _parse_bound(name, operator, value), None))
        elif operator == "lte":
            end = _end_of(name, operator, value, _parse_bound(name, operator, value))
            predicates.append(_between(name, None, end))
        elif operator == "date_range":
            first, _, last = value.partition("~")
            if not last:
                raise invalid(
                    f"{name}[date_range]", f"{name}[date_range] must look like 2024-12-02~2024-12-08"
                )
            start = _parse_bound(name, operator, first)
            end = _end_of(name, operator, last, _parse_bound(name, operator, last))
            predicates.append(_between(name, start, end))
        else:
            raise _operator_error(name, operator, ["gte", "lte", "date_range"])
    return predicates


def _rank_at_least(rank: int) -> Predicate:
    return lambda incident: "severity" in incident and incident["severity"]["rank"] >= rank


def _rank_at_most(rank: int) -> Predicate:
    return lambda incident: "severity" in incident and incident["severity"]["rank"] <= rank


def _severity_filter(state: OrgState, operators: dict[str, list[str]]) -> list[Predicate]:
    sets = {key: values for key, values in operators.items() if key not in ("gte", "lte")}
    predicates = _membership("severity", sets, lambda i: i.get("severity", {}).get("id"))
    for operator in ("gte", "lte"):
        if operator not in operators:
            continue
        severity = state.severity(operators[operator][-1])
        if severity is None:
            raise invalid(
                f"severity[{operator}]",
                f"No severity exists with id {operators[operator][-1]!r}",
                code="not_found",
            )
        predicates.append((_rank_at_least if operator == "gte" else _rank_at_most)(severity["rank"]))
    return predicates


def _overlaps(values_of: Callable[[Record], set[str]], wanted: set[str], expected: bool) -> Predicate:
    return lambda incident: bool(values_of(incident) & wanted) == expected


def _blank(values_of: Callable[[Record], set[str]], expected: bool) -> Predicate:
    return lambda incident: (not values_of(incident)) == expected


def _nested_filter(
    name: str, field_id: str, operators: dict[str, list[str]], values_of: Callable[[Record], set[str]]
) -> list[Predicate]:
    predicates: list[Predicate] = []
    for operator, values in operators.items():
        if operator in ("one_of", "not_in"):
            predicates.append(_overlaps(values_of, set(values), operator == "one_of"))
        elif operator in ("is_blank", "is_set"):
            # The schema's text says is_blank, its examples is_set: accept both.
            predicates.append(_blank(values_of, (values[-1].lower() == "true") == (operator == "is_blank")))
        else:
            raise _operator_error(f"{name}[{field_id}]", operator, ["one_of", "not_in", "is_blank"])
    return predicates


def _role_users(role_id: str) -> Callable[[Record], set[str]]:
    def users(incident: Record) -> set[str]:
        return {
            entry["assignee"]["id"]
            for entry in incident["incident_role_assignments"]
            if entry["role"]["id"] == role_id and "assignee" in entry
        }

    return users


def _value_key(value: Record) -> str:
    """What a custom field filter compares a value with: an option's or catalog entry's id, else the value."""
    for nested in ("value_option", "value_catalog_entry"):
        if nested in value:
            return str(value[nested]["id"])
    return str(next(iter(value.values())))


def _field_options(field_id: str) -> Callable[[Record], set[str]]:
    def options(incident: Record) -> set[str]:
        for entry in incident["custom_field_entries"]:
            if entry["custom_field"]["id"] == field_id:
                return {_value_key(value) for value in entry["values"]}
        return set()

    return options


def incident_filter(call: Call) -> Predicate:
    """Combine every filter of ``GET /v2/incidents``; ``mode`` always applies, the rest by ``filter_mode``."""
    filters = _filters(call)
    modes = filters.pop("mode", {"one_of": DEFAULT_MODES})
    mode_predicates = _membership("mode", modes, lambda i: i["mode"])
    predicates: list[Predicate] = []
    for name, operators in filters.items():
        if name == "status_category":
            for operator, values in operators.items():
                for value in values:
                    if value not in STATUS_CATEGORIES:
                        raise invalid(
                            f"status_category[{operator}]",
                            f"status_category must be one of {', '.join(STATUS_CATEGORIES)}, not {value!r}",
                        )
            predicates += _membership(name, operators, lambda i: i["incident_status"]["category"])
        elif name == "status":
            predicates += _membership(name, operators, lambda i: i["incident_status"]["id"])
        elif name == "incident_type":
            predicates += _membership(name, operators, lambda i: i.get("incident_type", {}).get("id"))
        elif name == "severity":
            predicates += _severity_filter(call.state, operators)
        elif name in ("created_at", "updated_at"):
            predicates += _time_filter(name, operators)
        elif name.startswith("incident_role[") and name.endswith("]"):
            role_id = name[len("incident_role[") : -1]
            predicates += _nested_filter("incident_role", role_id, operators, _role_users(role_id))
        elif name.startswith("custom_field[") and name.endswith("]"):
            field_id = name[len("custom_field[") : -1]
            predicates += _nested_filter("custom_field", field_id, operators, _field_options(field_id))
        else:
            raise invalid(name, f"{name} is not a filter of this endpoint")
    combine = (
        any
        if enum_field({"filter_mode": call.param("filter_mode")}, "filter_mode", ["all", "any"], "all")
        == "any"
        else all
    )

    def keep(incident: Record) -> bool:
        if not all(predicate(incident) for predicate in mode_predicates):
            return False
        return not predicates or combine(predicate(incident) for predicate in predicates)

    return keep


# The other lists.


def user_filter(call: Call) -> Predicate:
    """``GET /v2/users``: active users (all with ``include_inactive``), by email or Slack user id."""
    email = call.param("email")
    slack_user_id = call.param("slack_user_id")
    include_inactive = call.param("include_inactive") == "true"

    def keep(user: Record) -> bool:
        return (
            (include_inactive or user["is_active"])
            and (email is None or user.get("email", "").lower() == email.lower())
            and (slack_user_id is None or user.get("slack_user_id") == slack_user_id)
        )

    return keep


def incident_update_filter(call: Call) -> Predicate:
    """``GET /v2/incident_updates``: every update, or one incident's."""
    incident_id = call.param("incident_id")
    return lambda u: incident_id is None or u["incident_id"] == incident_id


def timeline_item_filter(call: Call) -> Predicate:
    """``GET /v2/incident_timeline_items``: one incident's items (``incident_id`` is required)."""
    incident_id = call.param("incident_id")
    if not incident_id:
        raise required("incident_id")
    return lambda t: t["incident_id"] == incident_id


FOLLOW_UP_MODES = ("standard", "retrospective", "test", "tutorial", "stream")


def follow_up_filter(call: Call) -> Predicate:
    """``GET /v3/follow_ups``: by incident, the incident's mode, the team, created_at and updated_at."""
    incident_id = call.param("incident_id")
    mode = call.param("incident_mode")
    team_id = call.param("assignee_team_id")
    if mode and mode not in FOLLOW_UP_MODES:
        raise invalid(
            "incident_mode", f"incident_mode must be one of {', '.join(FOLLOW_UP_MODES)}, not {mode!r}"
        )
    # Without incident_mode, only follow-ups of standard and retrospective incidents are listed.
    modes = {mode} if mode else {"standard", "retrospective"}
    ranges: list[Predicate] = []
    for name, operators in _filters(call).items():
        if name not in ("created_at", "updated_at"):
            raise invalid(name, f"{name} is not a filter of this endpoint; use created_at or updated_at")
        ranges += _time_filter(name, operators)

    def keep(follow_up: Record) -> bool:
        incident = call.state.incidents.get(follow_up["incident_id"])
        in_mode = incident is not None and incident.get("mode", "standard") in modes
        return (
            in_mode
            and (incident_id is None or follow_up["incident_id"] == incident_id)
            and (not team_id or follow_up.get("assignee_team", {}).get("id") == team_id)
            and all(predicate(follow_up) for predicate in ranges)
        )

    return keep
