"""Catalog attribute values: checking what a request sets against the type's schema, and showing them.

An entry's ``attribute_values`` map attribute ids to a binding: ``{"value": {...}}`` for a single
value, ``{"array_value": [...]}`` for an array attribute. A request sends each value as a
``literal`` string; the API answers with the literal and a ``label`` (the literal itself for
String, Text, Number and Bool attributes, the referenced entry's name for a reference to another
catalog type). A reference's literal may be the entry's id, external id or an alias (or its name,
when the type uses names as identifiers); the literal is kept as sent and the label is looked up
whenever the entry is shown, so renaming the referenced entry renames the label too.

Backlink attributes are not set: they list the entries of another type whose attribute points
at this entry.
"""

from __future__ import annotations

from typing import Any

from incidentkit.emulator.errors import invalid
from incidentkit.emulator.state import OrgState, Record

# The primitive attribute types, with how the API documents their literal (CatalogResourceV3).
PRIMITIVES: dict[str, tuple[str, str]] = {
    "String": ("A single line of text", "A plain string, such as payments-api"),
    "Text": ("Multi-line text", "Free text, which may span several lines"),
    "Number": ("A number", "A decimal number written as a string, such as 3 or 99.9"),
    "Bool": ("Boolean true or false value", "Either true or false"),
}


def live_types(state: OrgState) -> list[Record]:
    """The catalog types that are not archived, in creation order."""
    return [t for t in state.catalog_types if "archived_at" not in t]


def live_type(state: OrgState, type_id: str) -> Record | None:
    """A catalog type that is not archived, by id."""
    return next((t for t in live_types(state) if t["id"] == type_id), None)


def type_by_name(state: OrgState, type_name: str) -> Record | None:
    """The live catalog type an attribute type such as ``Custom["Service"]`` refers to."""
    return next((t for t in live_types(state) if t["type_name"] == type_name), None)


def live_entries(state: OrgState, type_id: str) -> list[Record]:
    """The entries of a type that are not archived, in creation order."""
    return [e for e in state.catalog_entries if e["catalog_type_id"] == type_id and "archived_at" not in e]


def entry_matches(catalog_type: Record, entry: Record, identifier: str) -> bool:
    """Whether ``identifier`` is the entry's id, external id, an alias, or (if the type allows) its name."""
    return (
        identifier == entry["id"]
        or identifier == entry.get("external_id")
        or identifier in entry["aliases"]
        or (bool(catalog_type.get("use_name_as_identifier")) and identifier == entry["name"])
    )


def find_entry(state: OrgState, catalog_type: Record, identifier: str) -> Record | None:
    """The live entry of ``catalog_type`` that ``identifier`` names, if any."""
    return next(
        (e for e in live_entries(state, catalog_type["id"]) if entry_matches(catalog_type, e, identifier)),
        None,
    )


def _literal(state: OrgState, attribute: Record, raw: Any, where: str) -> Record:
    """One value as stored and shown (``{"literal": ..., "label": ...}``), checked against its type."""
    if not isinstance(raw, dict):
        raise invalid(where, f"{where} must be an object with a literal")
    literal = raw.get("literal")
    if not isinstance(literal, str):
        raise invalid(f"{where}.literal", f"{where}.literal must be a string")
    kind = attribute["type"]
    if kind == "Number":
        try:
            float(literal)
        except ValueError:
            raise invalid(
                f"{where}.literal",
                f"{attribute['name']} is a Number attribute, and {literal!r} is not a number",
            ) from None
    elif kind == "Bool":
        if literal not in ("true", "false"):
            raise invalid(
                f"{where}.literal",
                f"{attribute['name']} is a Bool attribute: use true or false, not {literal!r}",
            )
    elif kind not in PRIMITIVES:
        target = type_by_name(state, kind)
        if target is None:
            raise invalid(
                where, f"{attribute['name']} refers to {kind}, which is not a catalog type any more"
            )
        entry = find_entry(state, target, literal)
        if entry is None:
            raise invalid(
                f"{where}.literal",
                f"No {target['name']} entry has the id, external id or alias {literal!r}",
                code="not_found",
            )
        return {"literal": literal, "label": entry["name"]}
    return {"literal": literal, "label": literal}


def parse_attribute_values(state: OrgState, catalog_type: Record, raw: Any, field: str) -> dict[str, Record]:
    """The ``attribute_values`` of a request, checked against the type's schema, as they are stored.

    Keys are attribute ids. A binding with neither ``value`` nor ``array_value`` (or an empty
    array) leaves the attribute unset.

    Raises:
        APIError: a 422 naming the attribute (``attribute_values.<id>.value.literal``).
    """
    if not isinstance(raw, dict):
        raise invalid(field, f"{field} must be an object keyed by attribute id")
    attributes = {a["id"]: a for a in catalog_type["schema"]["attributes"]}
    parsed: dict[str, Record] = {}
    for attribute_id, binding in raw.items():
        where = f"{field}.{attribute_id}"
        attribute = attributes.get(attribute_id)
        if attribute is None:
            names = ", ".join(f"{a['name']} ({a['id']})" for a in attributes.values()) or "none"
            raise invalid(where, f"{catalog_type['name']} has no attribute {attribute_id!r}; it has {names}")
        if attribute["mode"] == "backlink":
            raise invalid(where, f"{attribute['name']} is a backlink: it is worked out, not set")
        if binding is None:
            continue
        if not isinstance(binding, dict):
            raise invalid(where, f"{where} must be an object with value or array_value")
        if attribute["array"]:
            if binding.get("value") is not None:
                raise invalid(f"{where}.value", f"{attribute['name']} is an array attribute: use array_value")
            values = binding.get("array_value") or []
            if not isinstance(values, list):
                raise invalid(f"{where}.array_value", f"{where}.array_value must be a list")
            if values:
                parsed[attribute_id] = {
                    "array_value": [
                        _literal(state, attribute, value, f"{where}.array_value[{index}]")
                        for index, value in enumerate(values)
                    ]
                }
        else:
            if binding.get("array_value") is not None:
                raise invalid(
                    f"{where}.array_value", f"{attribute['name']} holds one value: use value, not array_value"
                )
            if binding.get("value") is not None:
                parsed[attribute_id] = {
                    "value": _literal(state, attribute, binding["value"], f"{where}.value")
                }
    return parsed


def _label(state: OrgState, attribute: Record, value: Record) -> Record:
    target = None if attribute["type"] in PRIMITIVES else type_by_name(state, attribute["type"])
    if target is None:
        return dict(value)
    entry = find_entry(state, target, value["literal"])
    return {"literal": value["literal"], "label": entry["name"] if entry else value["label"]}


def _backlinks(state: OrgState, catalog_type: Record, attribute: Record, entry: Record) -> list[Record]:
    """The entries of the attribute's type whose ``backlink_attribute`` refers to ``entry``."""
    source = type_by_name(state, attribute["type"])
    if source is None:
        return []
    found = []
    for other in live_entries(state, source["id"]):
        binding = other["attribute_values"].get(attribute.get("backlink_attribute", ""), {})
        values = binding.get("array_value") or ([binding["value"]] if "value" in binding else [])
        if any(entry_matches(catalog_type, entry, value["literal"]) for value in values):
            found.append({"literal": other["id"], "label": other["name"]})
    return found


def show_entry(state: OrgState, entry: Record) -> Record:
    """The entry as the API shows it: values of the current schema only, labels and backlinks up to date."""
    catalog_type = next(t for t in state.catalog_types if t["id"] == entry["catalog_type_id"])
    values: dict[str, Record] = {}
    for attribute in catalog_type["schema"]["attributes"]:
        if attribute["mode"] == "backlink":
            linked = _backlinks(state, catalog_type, attribute, entry)
            if linked:
                values[attribute["id"]] = (
                    {"array_value": linked} if attribute["array"] else {"value": linked[0]}
                )
            continue
        binding = entry["attribute_values"].get(attribute["id"])
        if binding is None:
            continue
        if "array_value" in binding:
            values[attribute["id"]] = {
                "array_value": [_label(state, attribute, v) for v in binding["array_value"]]
            }
        else:
            values[attribute["id"]] = {"value": _label(state, attribute, binding["value"])}
    return {**entry, "attribute_values": values}


def show_type(state: OrgState, catalog_type: Record) -> Record:
    """The type as the API shows it, with the count of its entries."""
    return {**catalog_type, "estimated_count": len(live_entries(state, catalog_type["id"]))}


def embedded_entry(entry: Record) -> Record:
    """An ``EmbeddedCatalogEntryV2``, as a catalog custom field value holds it."""
    embedded: Record = {"id": entry["id"], "name": entry["name"], "aliases": list(entry["aliases"])}
    if "external_id" in entry:
        embedded["external_id"] = entry["external_id"]
    return embedded


def catalog_value(state: OrgState, custom_field: Record, identifier: Any, where: str) -> Record:
    """A catalog custom field's value (``{"value_catalog_entry": ...}``) from ``value_catalog_entry_id``.

    The id may also be the entry's external id or an alias, as catalog references may.
    """
    field = f"{where}.value_catalog_entry_id"
    catalog_type = live_type(state, custom_field.get("catalog_type_id", ""))
    if catalog_type is None:
        raise invalid(field, f"{custom_field['name']} is not a catalog field")
    if not isinstance(identifier, str):
        raise invalid(field, f"{field} must be a string")
    entry = find_entry(state, catalog_type, identifier)
    if entry is None:
        raise invalid(field, f"No {catalog_type['name']} entry has the id {identifier!r}", code="not_found")
    return {"value_catalog_entry": embedded_entry(entry)}
