"""The v3 catalog's entries: ``/v3/catalog_entries`` and ``actions/bulk_update``.

Every write checks the entry against its type's schema (see
:mod:`~incidentkit.emulator.catalog_values`). ``external_id`` is unique within a type, and
creating an entry with the external id of an existing one updates that entry, as the API
documents. Deleting archives: the entry leaves lists and look-ups, but references to it keep
its name.
"""

from __future__ import annotations

from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.catalog_values import (
    find_entry,
    live_entries,
    live_type,
    parse_attribute_values,
    show_entry,
    show_type,
)
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.state import OrgState, Record
from incidentkit.emulator.validators import string_field

MAX_BULK = 250
INT32 = 2**31


def new_entry(
    state: OrgState,
    catalog_type: Record,
    *,
    entry_id: str,
    name: str,
    now: float,
    attribute_values: Any = None,
    aliases: list[str] | None = None,
    external_id: str | None = None,
    rank: int = 0,
) -> Record:
    """A ``CatalogEntryV3`` of ``catalog_type``, its values checked; the caller stores it."""
    stamp = rfc3339(now)
    entry: Record = {
        "id": entry_id,
        "catalog_type_id": catalog_type["id"],
        "name": name,
        "aliases": list(aliases or []),
        "rank": rank,
        "attribute_values": parse_attribute_values(
            state, catalog_type, attribute_values or {}, "attribute_values"
        ),
        "created_at": stamp,
        "updated_at": stamp,
    }
    if external_id is not None:
        entry["external_id"] = external_id
    return entry


def _type_for(call: Call, type_id: str | None, field: str) -> Record:
    if type_id is None:
        raise required(field)
    found = live_type(call.state, type_id)
    if found is None:
        raise invalid(field, f"No catalog type exists with id {type_id!r}", code="not_found")
    return found


def _entry(call: Call) -> tuple[Record, Record]:
    entry_id = call.path_params["id"]
    entry = next(
        (e for e in call.state.catalog_entries if e["id"] == entry_id and "archived_at" not in e), None
    )
    if entry is None:
        raise not_found("catalog entry", entry_id)
    catalog_type = live_type(call.state, entry["catalog_type_id"])
    assert catalog_type is not None  # archiving a type archives its entries
    return entry, catalog_type


def _core_fields(body: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The optional aliases, external_id and rank of a payload, checked; only those present."""
    fields: dict[str, Any] = {}
    aliases = body.get("aliases")
    if aliases is not None:
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise invalid(prefix + "aliases", "aliases must be a list of non-empty strings")
        fields["aliases"] = list(dict.fromkeys(aliases))
    external_id = string_field(body, "external_id", prefix=prefix)
    if external_id is not None:
        fields["external_id"] = external_id
    rank = body.get("rank")
    if rank is not None:
        if not isinstance(rank, int) or isinstance(rank, bool) or not -INT32 <= rank < INT32:
            raise invalid(prefix + "rank", "rank must be a 32-bit integer")
        fields["rank"] = rank
    return fields


def _check_external_id(
    state: OrgState, catalog_type: Record, entry_id: str | None, external_id: Any, field: str
) -> None:
    if external_id is None:
        return
    clash = next(
        (
            e
            for e in live_entries(state, catalog_type["id"])
            if e.get("external_id") == external_id and e["id"] != entry_id
        ),
        None,
    )
    if clash is not None:
        raise invalid(field, f"{clash['name']} already has the external id {external_id!r}", code="conflict")


def _update_attributes(body: dict[str, Any], field: str, catalog_type: Record) -> list[str] | None:
    value = body.get("update_attributes")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(field, f"{field} must be a list of attribute ids")
    known = {a["id"] for a in catalog_type["schema"]["attributes"]}
    for index, attribute_id in enumerate(value):
        if attribute_id not in known:
            raise invalid(f"{field}[{index}]", f"{catalog_type['name']} has no attribute {attribute_id!r}")
    return value


def _merged(
    current: dict[str, Record], given: dict[str, Record], only: list[str] | None
) -> dict[str, Record]:
    """The values after an update: all of ``given``, or only the ``only`` keys (cleared if not given)."""
    if only is None:
        return given
    merged = {key: value for key, value in current.items() if key not in only}
    merged.update({key: value for key, value in given.items() if key in only})
    return merged


def list_catalog_entries(call: Call) -> tuple[int, Record]:
    catalog_type = _type_for(call, call.param("catalog_type_id") or None, "catalog_type_id")
    if not call.param("page_size"):
        raise required("page_size")
    identifier = call.param("identifier")
    entries = live_entries(call.state, catalog_type["id"])
    if catalog_type["ranked"]:
        entries.sort(key=lambda e: (e["rank"], e["name"].lower(), e["id"]))
    else:
        entries.sort(key=lambda e: (e["name"].lower(), e["id"]))
    match = find_entry(call.state, catalog_type, identifier) if identifier else None

    def keep(entry: Record) -> bool:
        return not identifier or (match is not None and entry["id"] == match["id"])

    page, meta = paginate(call, entries, keep, maximum=250, with_total=True)
    return 200, {
        "catalog_entries": [show_entry(call.state, e) for e in page],
        "catalog_type": show_type(call.state, catalog_type),
        "pagination_meta": meta,
    }


def show_catalog_entry(call: Call) -> tuple[int, Record]:
    expand = call.param("expand")
    if expand not in (None, "", "true", "false"):
        raise invalid("expand", f"expand must be true or false, not {expand!r}")
    entry, catalog_type = _entry(call)
    return 200, {
        "catalog_entry": show_entry(call.state, entry),
        "catalog_type": show_type(call.state, catalog_type),
    }


def create_catalog_entry(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    catalog_type = _type_for(call, string_field(body, "catalog_type_id"), "catalog_type_id")
    name = string_field(body, "name", needed=True)
    if "attribute_values" not in body:
        raise required("attribute_values")
    fields = _core_fields(body, "")
    assert name is not None
    existing = (
        next(
            (
                e
                for e in live_entries(call.state, catalog_type["id"])
                if e.get("external_id") == fields["external_id"]
            ),
            None,
        )
        if "external_id" in fields
        else None
    )
    if existing is not None:
        # The API's upsert: the same external id in the same type updates that entry.
        existing["attribute_values"] = parse_attribute_values(
            call.state, catalog_type, body["attribute_values"], "attribute_values"
        )
        existing.update(fields, name=name, updated_at=rfc3339(call.now))
        call.changed = True
        return 201, {"catalog_entry": show_entry(call.state, existing)}
    entry = new_entry(
        call.state,
        catalog_type,
        entry_id=new_ulid(call.now, call.rng),
        name=name,
        now=call.now,
        attribute_values=body["attribute_values"],
        aliases=fields.get("aliases"),
        external_id=fields.get("external_id"),
        rank=fields.get("rank", 0),
    )
    call.state.catalog_entries.append(entry)
    call.changed = True
    return 201, {"catalog_entry": show_entry(call.state, entry)}


def update_catalog_entry(call: Call) -> tuple[int, Record]:
    entry, catalog_type = _entry(call)
    body = call.json_object()
    name = string_field(body, "name", needed=True)
    if "attribute_values" not in body:
        raise required("attribute_values")
    given = parse_attribute_values(call.state, catalog_type, body["attribute_values"], "attribute_values")
    only = _update_attributes(body, "update_attributes", catalog_type)
    fields = _core_fields(body, "")
    _check_external_id(call.state, catalog_type, entry["id"], fields.get("external_id"), "external_id")
    entry["attribute_values"] = _merged(entry["attribute_values"], given, only)
    entry.update(fields, name=name, updated_at=rfc3339(call.now))
    call.changed = True
    return 200, {
        "catalog_entry": show_entry(call.state, entry),
        "catalog_type": show_type(call.state, catalog_type),
    }


def destroy_catalog_entry(call: Call) -> tuple[int, None]:
    entry, _ = _entry(call)
    entry["archived_at"] = rfc3339(call.now)
    call.changed = True
    return 204, None


def bulk_update_catalog_entries(call: Call) -> tuple[int, None]:
    """Update up to 250 entries of one type; all of them, or (on any error) none."""
    body = call.json_object()
    catalog_type = _type_for(call, string_field(body, "catalog_type_id"), "catalog_type_id")
    raw_entries = body.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise required("entries")
    if len(raw_entries) > MAX_BULK:
        raise invalid("entries", f"entries may hold at most {MAX_BULK} entries, not {len(raw_entries)}")
    only = _update_attributes(body, "update_attributes", catalog_type)
    by_id = {e["id"]: e for e in live_entries(call.state, catalog_type["id"])}
    planned: list[tuple[Record, dict[str, Any]]] = []
    for index, raw in enumerate(raw_entries):
        where = f"entries[{index}]"
        if not isinstance(raw, dict):
            raise invalid(where, f"{where} must be an object")
        entry_id = string_field(raw, "entry_id", prefix=where + ".", needed=True)
        entry = by_id.get(entry_id or "")
        if entry is None:
            raise invalid(
                f"{where}.entry_id",
                f"{catalog_type['name']} has no entry with id {entry_id!r}",
                code="not_found",
            )
        if "attribute_values" not in raw:
            raise required(f"{where}.attribute_values")
        given = parse_attribute_values(
            call.state, catalog_type, raw["attribute_values"], f"{where}.attribute_values"
        )
        changes = _core_fields(raw, where + ".")
        name = string_field(raw, "name", prefix=where + ".")
        if name is not None:
            if not name.strip():
                raise required(f"{where}.name")
            changes["name"] = name
        _check_external_id(
            call.state, catalog_type, entry["id"], changes.get("external_id"), f"{where}.external_id"
        )
        changes["attribute_values"] = _merged(entry["attribute_values"], given, only)
        planned.append((entry, changes))
    for entry, changes in planned:
        entry.update(changes, updated_at=rfc3339(call.now))
    call.changed = True
    return 204, None


# (method, schema path, handler, scope) for the route table.
ROUTES = [
    ("GET", "/v3/catalog_entries", list_catalog_entries, "catalog_entries.view"),
    ("POST", "/v3/catalog_entries", create_catalog_entry, "catalog_entries.create"),
    (
        "POST",
        "/v3/catalog_entries/actions/bulk_update",
        bulk_update_catalog_entries,
        "catalog_entries.edit",
    ),
    ("GET", "/v3/catalog_entries/{id}", show_catalog_entry, "catalog_entries.view"),
    ("PUT", "/v3/catalog_entries/{id}", update_catalog_entry, "catalog_entries.edit"),
    ("DELETE", "/v3/catalog_entries/{id}", destroy_catalog_entry, "catalog_entries.destroy"),
]
