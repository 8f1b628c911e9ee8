"""The v3 catalog's types: ``/v3/catalog_types`` (and ``actions/update_schema``), ``/v3/catalog_resources``.

A type is created without attributes; its schema is set separately with ``update_schema``, which
names the version it changes (so two writers cannot overwrite each other) and bumps it. An
attribute's type is a primitive (String, Text, Number, Bool) or another catalog type's
``type_name`` (``Custom["Team"]``), which makes its values references to that type's entries.
"""

from __future__ import annotations

import re
from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.catalog_values import PRIMITIVES, live_entries, live_type, live_types, show_type
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import string_field

# The schema's enums for CatalogTypeV3.
CATEGORIES = ["customer", "issue-tracker", "product-feature", "service", "on-call", "team", "user"]
COLORS = ["yellow", "green", "blue", "violet", "pink", "cyan", "orange"]
ICONS = [
    "alert", "bolt", "box", "briefcase", "browser", "bulb", "calendar", "clock", "cog", "components",
    "database", "doc", "email", "escalation-path", "files", "flag", "folder", "globe",
    "incident-template", "money", "server", "severity", "status-page", "store", "star", "tag", "user",
    "users",
]  # fmt: skip
# Attribute modes a request may set; the others (external, internal, dynamic, path) belong to
# synced and derived attributes the emulator does not model.
SETTABLE_MODES = ["", "api", "dashboard", "backlink"]
TYPE_NAME = re.compile(r'^Custom\["[A-Za-z][A-Za-z0-9_]*"\]$')


def new_type(
    *,
    type_id: str,
    name: str,
    description: str,
    type_name: str,
    now: float,
    icon: str = "box",
    color: str = "blue",
    categories: list[str] | None = None,
    ranked: bool = False,
    use_name_as_identifier: bool = False,
    is_team_type: bool = False,
) -> Record:
    """A ``CatalogTypeV3`` with an empty schema (version 0); the caller stores it."""
    stamp = rfc3339(now)
    return {
        "id": type_id,
        "name": name,
        "description": description,
        "type_name": type_name,
        "engine_resource_type": f'CatalogEntry["{type_id}"]',
        "ranked": ranked,
        "schema": {"attributes": [], "version": 0},
        "icon": icon,
        "color": color,
        "categories": list(categories or []),
        "is_editable": True,
        "is_team_type": is_team_type,
        "annotations": {},
        "owning_team_ids": [],
        "use_name_as_identifier": use_name_as_identifier,
        "created_at": stamp,
        "updated_at": stamp,
    }


def default_type_name(name: str) -> str:
    """``Custom["PaymentProvider"]`` for "Payment provider": the name in PascalCase."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    pascal = "".join(word[:1].upper() + word[1:] for word in words) or "Type"
    return f'Custom["{pascal if pascal[0].isalpha() else "T" + pascal}"]'


def _catalog_type(call: Call) -> Record:
    found = live_type(call.state, call.path_params["id"])
    if found is None:
        raise not_found("catalog type", call.path_params["id"])
    return found


def _bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid(name, f"{name} must be true or false")
    return value


def _strings(body: dict[str, Any], name: str, allowed: list[str] | None = None) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(name, f"{name} must be a list of strings")
    for index, item in enumerate(value):
        if allowed is not None and item not in allowed:
            raise invalid(f"{name}[{index}]", f"{name} must be among {', '.join(allowed)}, not {item!r}")
    return value


def _apply_settings(call: Call, catalog_type: Record, body: dict[str, Any]) -> None:
    """The fields create and update share (CatalogCreateTypePayloadV3 / CatalogUpdateTypePayloadV3)."""
    name = string_field(body, "name", needed=True)
    description = string_field(body, "description")
    if description is None:
        raise required("description")
    catalog_type["name"] = name
    catalog_type["description"] = description
    for key, options in (("icon", ICONS), ("color", COLORS)):
        value = string_field(body, key)
        if value is not None:
            if value not in options:
                raise invalid(key, f"{key} must be one of {', '.join(options)}, not {value!r}")
            catalog_type[key] = value
    for key in ("ranked", "use_name_as_identifier"):
        flag = _bool(body, key)
        if flag is not None:
            catalog_type[key] = flag
    categories = _strings(body, "categories", CATEGORIES)
    if categories is not None:
        catalog_type["categories"] = categories
    teams = _strings(body, "owning_team_ids")
    if teams is not None:
        known = {team["id"] for team in call.state.teams}
        for index, team_id in enumerate(teams):
            if team_id not in known:
                raise invalid(
                    f"owning_team_ids[{index}]", f"No team exists with id {team_id!r}", code="not_found"
                )
        catalog_type["owning_team_ids"] = teams
    annotations = body.get("annotations")
    if annotations is not None:
        if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
            raise invalid("annotations", "annotations must be an object of strings")
        catalog_type["annotations"] = dict(annotations)
    source = string_field(body, "source_repo_url")
    if source is not None:
        catalog_type["source_repo_url"] = source


def list_catalog_types(call: Call) -> tuple[int, Record]:
    return 200, {"catalog_types": [show_type(call.state, t) for t in live_types(call.state)]}


def show_catalog_type(call: Call) -> tuple[int, Record]:
    return 200, {"catalog_type": show_type(call.state, _catalog_type(call))}


def create_catalog_type(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    name = string_field(body, "name", needed=True)
    assert name is not None
    type_name = string_field(body, "type_name") or default_type_name(name)
    if not TYPE_NAME.match(type_name):
        raise invalid("type_name", f'type_name must look like Custom["SomeName"], not {type_name!r}')
    if any(t["type_name"] == type_name for t in call.state.catalog_types):
        raise invalid(
            "type_name", f"A catalog type with type_name {type_name} already exists", code="conflict"
        )
    catalog_type = new_type(
        type_id=new_ulid(call.now, call.rng), name=name, description="", type_name=type_name, now=call.now
    )
    _apply_settings(call, catalog_type, body)
    call.state.catalog_types.append(catalog_type)
    call.changed = True
    return 201, {"catalog_type": show_type(call.state, catalog_type)}


def update_catalog_type(call: Call) -> tuple[int, Record]:
    catalog_type = _catalog_type(call)
    body = call.json_object()
    if "type_name" in body and body["type_name"] != catalog_type["type_name"]:
        raise invalid("type_name", "type_name cannot change once the type exists")
    _apply_settings(call, catalog_type, body)
    catalog_type["updated_at"] = rfc3339(call.now)
    call.changed = True
    return 200, {"catalog_type": show_type(call.state, catalog_type)}


def destroy_catalog_type(call: Call) -> tuple[int, None]:
    """Archive the type and its entries (they stay in the state, so old references keep their names)."""
    catalog_type = _catalog_type(call)
    stamp = rfc3339(call.now)
    catalog_type["archived_at"] = stamp
    for entry in live_entries(call.state, catalog_type["id"]):
        entry["archived_at"] = stamp
    call.changed = True
    return 204, None


def _attribute(call: Call, catalog_type: Record, raw: Any, index: int, current: dict[str, Record]) -> Record:
    where = f"attributes[{index}]"
    if not isinstance(raw, dict):
        raise invalid(where, f"{where} must be an object")
    attribute_id = string_field(raw, "id", prefix=where + ".")
    if attribute_id is not None and attribute_id not in current:
        raise invalid(f"{where}.id", f"{catalog_type['name']} has no attribute {attribute_id!r} to keep")
    name = string_field(raw, "name", prefix=where + ".", needed=True)
    kind = string_field(raw, "type", prefix=where + ".", needed=True)
    if not isinstance(raw.get("array"), bool):
        raise required(f"{where}.array")
    mode = string_field(raw, "mode", prefix=where + ".") or ""
    if mode not in SETTABLE_MODES:
        raise invalid(
            f"{where}.mode", f"mode must be one of api, dashboard, backlink (or empty), not {mode!r}"
        )
    known_types = {t["type_name"]: t for t in live_types(call.state)}
    if kind not in PRIMITIVES and kind not in known_types:
        choices = ", ".join([*PRIMITIVES, *known_types])
        raise invalid(f"{where}.type", f"{kind!r} is not a catalog resource type; use one of {choices}")
    attribute: Record = {
        "id": attribute_id or new_ulid(call.now, call.rng),
        "name": name,
        "type": kind,
        "array": raw["array"],
        "mode": mode,
    }
    backlink = string_field(raw, "backlink_attribute", prefix=where + ".")
    if mode == "backlink" or backlink:
        if not backlink:
            raise required(f"{where}.backlink_attribute")
        source = known_types.get(kind)
        pointing = [
            a for a in (source or {}).get("schema", {}).get("attributes", [])
            if a["id"] == backlink and a["type"] == catalog_type["type_name"]
        ]  # fmt: skip
        if source is None or not pointing:
            raise invalid(
                f"{where}.backlink_attribute",
                f"A backlink must name an attribute of {kind} that refers to {catalog_type['type_name']}",
            )
        attribute["mode"] = "backlink"
        attribute["backlink_attribute"] = backlink
    return attribute


def update_catalog_type_schema(call: Call) -> tuple[int, Record]:
    """Replace the attributes; attributes kept by id keep their values unless their type changes."""
    catalog_type = _catalog_type(call)
    body = call.json_object()
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise required("version")
    current_version = catalog_type["schema"]["version"]
    if version != current_version:
        raise invalid(
            "version",
            f"The schema is at version {current_version}, not {version}: read the type again and retry",
            code="version_mismatch",
        )
    raw_attributes = body.get("attributes")
    if not isinstance(raw_attributes, list):
        raise required("attributes")
    current = {a["id"]: a for a in catalog_type["schema"]["attributes"]}
    attributes = [_attribute(call, catalog_type, raw, i, current) for i, raw in enumerate(raw_attributes)]
    seen: set[str] = set()
    for index, attribute in enumerate(attributes):
        if attribute["name"].lower() in seen:
            raise invalid(f"attributes[{index}].name", f"Two attributes are called {attribute['name']!r}")
        seen.add(attribute["name"].lower())

    # Values of removed attributes, or of attributes whose type changed, no longer mean anything.
    def same_kind(attribute: Record) -> bool:
        before = current.get(attribute["id"])
        return before is not None and (before["type"], before["array"]) == (
            attribute["type"],
            attribute["array"],
        )

    kept = {a["id"] for a in attributes if same_kind(a)}
    for entry in call.state.catalog_entries:
        if entry["catalog_type_id"] == catalog_type["id"]:
            entry["attribute_values"] = {k: v for k, v in entry["attribute_values"].items() if k in kept}
    catalog_type["schema"] = {"attributes": attributes, "version": current_version + 1}
    catalog_type["updated_at"] = rfc3339(call.now)
    call.changed = True
    return 200, {"catalog_type": show_type(call.state, catalog_type)}


def list_catalog_resources(call: Call) -> tuple[int, Record]:
    """The types an attribute may have: the primitives, then every catalog type."""
    resources: list[Record] = [
        {
            "type": name,
            "engine_resource_type": name,
            "label": name,
            "description": description,
            "value_docstring": docstring,
            "category": "primitive",
        }
        for name, (description, docstring) in PRIMITIVES.items()
    ]
    for catalog_type in live_types(call.state):
        resources.append(
            {
                "type": catalog_type["type_name"],
                "engine_resource_type": catalog_type["engine_resource_type"],
                "label": catalog_type["name"],
                "description": catalog_type["description"],
                "value_docstring": f"The id, external id or an alias of a {catalog_type['name']} entry",
                "category": "custom",
            }
        )
    return 200, {"resources": resources}


# (method, schema path, handler, scope) for the route table.
ROUTES = [
    ("GET", "/v3/catalog_types", list_catalog_types, "catalog_types.view"),
    ("POST", "/v3/catalog_types", create_catalog_type, "catalog_types.create"),
    ("GET", "/v3/catalog_types/{id}", show_catalog_type, "catalog_types.view"),
    ("PUT", "/v3/catalog_types/{id}", update_catalog_type, "catalog_types.edit"),
    ("DELETE", "/v3/catalog_types/{id}", destroy_catalog_type, "catalog_types.destroy"),
    (
        "POST",
        "/v3/catalog_types/{id}/actions/update_schema",
        update_catalog_type_schema,
        "catalog_types.edit",
    ),
    ("GET", "/v3/catalog_resources", list_catalog_resources, "catalog_types.view"),
]
