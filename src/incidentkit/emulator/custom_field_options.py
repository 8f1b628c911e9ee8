"""Custom field options (the v1 API): list one field's options, show, create, update and delete one.

Options belong to select fields and are kept in ``sort_key`` order. Incidents embed a field's
options and the options they chose, so every change is copied into them: a renamed option shows
its new value on every incident, and a deleted one leaves the incidents that had chosen it.
"""

from __future__ import annotations

import re
from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.ids import new_ulid
from incidentkit.emulator.state import OrgState, Record
from incidentkit.emulator.validators import lookup, string_field

DEFAULT_SORT_KEY = 1000
SELECT_TYPES = ("single_select", "multi_select")
_BAD_VALUE = re.compile(r"^\s|\s$|[\t\n\r]")


def _find(state: OrgState, option_id: str) -> Record | None:
    for options in state.custom_field_options.values():
        for option in options:
            if option["id"] == option_id:
                return option
    return None


def _option(call: Call) -> Record:
    found = _find(call.state, call.path_params["id"])
    if found is None:
        raise not_found("custom field option", call.path_params["id"])
    return found


def _value(body: dict[str, Any], siblings: list[Record], current: Record | None) -> str:
    """The option's value: not blank, no surrounding whitespace, tabs or newlines, unique in its field."""
    value = string_field(body, "value")
    if value is None or not value.strip():
        raise required("value")
    if _BAD_VALUE.search(value):
        raise invalid(
            "value", f"value must not start or end with whitespace, or hold tabs or newlines: {value!r}"
        )
    clash = next((o for o in siblings if o is not current and o["value"].lower() == value.lower()), None)
    if clash is not None:
        raise invalid("value", f"The field already has an option {clash['value']!r}", code="conflict")
    return value


def _sort_key(body: dict[str, Any], needed: bool) -> int:
    value = body.get("sort_key")
    if value is None:
        if needed:
            raise required("sort_key")
        return DEFAULT_SORT_KEY
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid("sort_key", f"sort_key must be an integer, not {value!r}")
    return value


def _reorder(state: OrgState, field_id: str) -> None:
    """Keep the field's options in sort order and copy them into every incident that embeds them."""
    options = state.custom_field_options.get(field_id, [])
    options.sort(key=lambda o: (o["sort_key"], o["id"]))
    by_id = {option["id"]: option for option in options}
    for incident in state.incidents.values():
        for entry in incident["custom_field_entries"]:
            if entry["custom_field"]["id"] != field_id:
                continue
            entry["custom_field"]["options"] = [dict(option) for option in options]
            entry["values"] = [
                {"value_option": dict(by_id[value["value_option"]["id"]])}
                if "value_option" in value
                else value
                for value in entry["values"]
                if "value_option" not in value or value["value_option"]["id"] in by_id
            ]


def list_options(call: Call) -> tuple[int, Record]:
    field_id = call.param("custom_field_id")
    if not field_id:
        raise required("custom_field_id")
    lookup(call.state.custom_fields, field_id, "custom_field_id", "custom field")
    ordered = call.state.custom_field_options.get(field_id, [])
    options, meta = paginate(call, ordered, lambda option: True, maximum=250)
    return 200, {"custom_field_options": options, "pagination_meta": meta}


def show_option(call: Call) -> tuple[int, Record]:
    return 200, {"custom_field_option": _option(call)}


def create_option(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    field_id = string_field(body, "custom_field_id", needed=True)
    custom_field = lookup(call.state.custom_fields, field_id, "custom_field_id", "custom field")
    assert custom_field is not None and field_id is not None
    if custom_field["field_type"] not in SELECT_TYPES:
        raise invalid(
            "custom_field_id",
            f"{custom_field['name']} is a {custom_field['field_type']} field, which has no options",
        )
    siblings = call.state.custom_field_options.setdefault(field_id, [])
    option: Record = {
        "id": new_ulid(call.now, call.rng),
        "custom_field_id": field_id,
        "value": _value(body, siblings, None),
        "sort_key": _sort_key(body, needed=False),
    }
    siblings.append(option)
    _reorder(call.state, field_id)
    call.changed = True
    return 201, {"custom_field_option": option}


def update_option(call: Call) -> tuple[int, Record]:
    option = _option(call)
    body = call.json_object()
    siblings = call.state.custom_field_options[option["custom_field_id"]]
    value = _value(body, siblings, option)
    option["sort_key"] = _sort_key(body, needed=True)
    option["value"] = value
    _reorder(call.state, option["custom_field_id"])
    call.changed = True
    return 200, {"custom_field_option": option}


def delete_option(call: Call) -> tuple[int, None]:
    option = _option(call)
    call.state.custom_field_options[option["custom_field_id"]].remove(option)
    _reorder(call.state, option["custom_field_id"])
    call.changed = True
    return 204, None


ROUTES = [
    ("GET", "/v1/custom_field_options", list_options, "custom_fields.view"),
    ("POST", "/v1/custom_field_options", create_option, "organisation_settings.update"),
    ("GET", "/v1/custom_field_options/{id}", show_option, "custom_fields.view"),
    ("PUT", "/v1/custom_field_options/{id}", update_option, "organisation_settings.update"),
    ("DELETE", "/v1/custom_field_options/{id}", delete_option, "organisation_settings.update"),
]
"""This module's operations: (method, schema path, handler, scope), for :mod:`.routes`."""
