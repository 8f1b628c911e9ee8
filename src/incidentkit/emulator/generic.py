"""The schema-driven operations: every operation of the schema no hand-written route answers.

Like stripe-mock for Stripe, the emulator reads incident.io's schema and serves what it
describes. The kind of operation follows from its path and method:

* ``GET /v2/things`` lists (filtered by query parameters that name a property, cursor-paged
  where the answer has ``pagination_meta``); ``POST /v2/things`` creates;
* ``GET``, ``PUT``/``PATCH`` and ``DELETE /v2/things/{id}`` show, update and delete; a nested
  path (``/v2/call_routes/{call_route_id}/options``) is a collection of its parent, which must
  exist;
* ``.../actions/<verb>`` answers from the stored record (404 when there is none), moving its
  ``status`` to the verb's past tense where the schema has that status (``resolve`` ->
  ``resolved``); a collection action answering with the collection's resource creates one;
* any other ``GET`` answering an object is a document of that path (``/v1/ip_allowlists``),
  changed by the same path's ``PUT``/``POST``.

Request bodies and query parameters are checked against the schema (422 naming the field),
answers are built to the response schema from what was stored (:mod:`~incidentkit.emulator.shapes`)
and records are kept by collection (:mod:`~incidentkit.emulator.generic_store`). A collection
nobody can create through the API (``GET /v2/alerts`` has no ``POST``) starts with one
generated record, so its show and actions can be tried. The hand-written routes always win:
this is only where none matches.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from incidentkit.emulator import generic_store as store
from incidentkit.emulator.call import Call, Raw
from incidentkit.emulator.errors import not_found
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.generic_ops import (
    PARAM,
    Operation,
    compiled,
    creatable,
    list_item_ref,
    normal,
    resource_ref,
    serves,
    template_for,
)
from incidentkit.emulator.ids import rfc3339
from incidentkit.emulator.schema_validation import check_query, resolve
from incidentkit.emulator.shapes import Fill, copied, shape
from incidentkit.emulator.spec import spec
from incidentkit.emulator.state import Record

__all__ = ["Operation", "compiled", "handle", "serves"]

JSONObject = dict[str, Any]
# Serving.


def _concrete(template: str, params: dict[str, str]) -> str:
    return PARAM.sub(lambda m: params[m.group(1)], template)


def _check_parents(call: Call, template: str, own: str | None) -> None:
    """404 unless every record the path goes through exists (``/v2/call_routes/{call_route_id}/...``)."""
    parts = template.split("/")
    for index, part in enumerate(parts):
        param = PARAM.fullmatch(part)
        if param is None or param.group(1) == own:
            continue
        parent = "/".join(parts[: index + 1])
        if template_for(normal(parent), "GET") is None and not store.owned("/".join(parts[:index])):
            continue  # the path names no record the API can show, so there is nothing to look up
        collection = _concrete("/".join(parts[:index]), call.path_params)
        record_id = call.path_params[param.group(1)]
        _find(call, collection, "/".join(parts[:index]))
        if store.get(call.state, collection, record_id) is None:
            raise not_found(_singular(collection), record_id)


def _singular(collection: str) -> str:
    name = collection.rstrip("/").rsplit("/", 1)[-1].replace("_", " ").replace("-", " ")
    return name[:-3] + "y" if name.endswith("ies") else name.removesuffix("s")


def _find(call: Call, collection: str, template: str) -> None:
    """Make sure a collection is there; one the API cannot add to starts with one generated record."""
    if store.exists(call.state, collection):
        return
    call.state.generic[collection] = {}
    if not creatable(template):
        ref = resource_ref(template) or list_item_ref(template)
        if ref is not None:
            record = _new_record(call, {"$ref": ref}, {})
            store.add(call.state, collection, record)
    call.changed = True


def _new_record(call: Call, schema: JSONObject, body: Record) -> Record:
    fill = Fill(call.now, call.rng)
    given = {**copied(schema, body, fill), **_path_values(call, schema)}
    given["id"] = fill.ulid()
    for stamp in ("created_at", "updated_at"):
        given.setdefault(stamp, rfc3339(call.now))
    record: Record = shape(schema, given, fill)
    # Every record is kept by an id, even of a resource whose schema shows none (answers leave it out).
    record.setdefault("id", given["id"])
    return record


def _path_values(call: Call, schema: JSONObject) -> Record:
    """The path's parameters a resource has as properties (``call_route_id`` of a call route's option)."""
    properties = resolve(schema).get("properties", {})
    return {name: value for name, value in call.path_params.items() if name in properties and name != "id"}


def _answer(call: Call, operation: Operation, record: Record | None) -> tuple[int, Record]:
    """The response body: the record under its wrapper, the rest of the schema's required answer generated."""
    if operation.response is None:
        return operation.status, None  # type: ignore[return-value]
    given: Record = {}
    if operation.wrapper is not None and record is not None:
        given[operation.wrapper] = record
    body: Record = shape(operation.response, given, Fill(call.now, call.rng))
    return operation.status, body


def _record(call: Call, operation: Operation) -> tuple[str, Record]:
    collection = _concrete(operation.collection, call.path_params)
    _find(call, collection, operation.collection)
    assert operation.id_param is not None
    record_id = call.path_params[operation.id_param]
    found = store.get(call.state, collection, record_id)
    if found is None:
        raise not_found(_singular(operation.collection), record_id)
    return collection, found


def _list(call: Call, operation: Operation) -> tuple[int, Record]:
    collection = _concrete(operation.collection, call.path_params)
    _find(call, collection, operation.collection)
    assert operation.response is not None and operation.wrapper is not None
    items = operation.response["properties"][operation.wrapper]["items"]
    keep = _list_filter(call, operation, resolve(items))
    records = store.records(call.state, collection)
    fill = Fill(call.now, call.rng)
    body: Record = {}
    meta_schema = operation.response["properties"].get("pagination_meta")
    if meta_schema is not None:
        size = next((p for p in operation.parameters if p["name"] == "page_size"), None)
        maximum = resolve(size.get("schema", {})).get("maximum", 250) if size else 250
        with_total = "total_record_count" in resolve(meta_schema).get("properties", {})
        page, meta = paginate(call, records, keep, maximum=maximum, with_total=with_total)
        body["pagination_meta"] = meta
    else:
        page = [record for record in records if keep(record)]
    # Records kept by the generic mechanism were built to this very schema: only other shapes
    # (a slim list item, a hand-written record) need fitting, which is most of a list's cost.
    built_here = not store.owned(operation.collection) and items.get("$ref") == resource_ref(
        operation.collection
    )
    if built_here and "id" in resolve(items).get("properties", {}):
        rest: Record = shape(operation.response, {**body, operation.wrapper: []}, fill)
        return operation.status, {**rest, operation.wrapper: page}
    body[operation.wrapper] = page
    shaped: Record = shape(operation.response, body, fill)
    return operation.status, shaped


_PAGING = {"page_size", "after"}


def _list_filter(call: Call, operation: Operation, item: JSONObject) -> Any:
    """Query parameters that name a property of the listed records filter them (``?alert_id=...``)."""
    properties = item.get("properties", {})
    wanted: dict[str, set[str]] = {}
    for name, value in call.query:
        bare = name.removesuffix("[]")
        if bare in _PAGING or value == "":
            continue
        if bare in properties or (bare.endswith("_id") and bare[:-3] in properties):
            wanted.setdefault(bare, set()).add(value)

    def value_of(record: Record, name: str) -> str | None:
        value = record.get(name)
        if value is None and name.endswith("_id") and isinstance(record.get(name[:-3]), dict):
            value = record[name[:-3]].get("id")
        if isinstance(value, bool):
            return str(value).lower()
        return None if value is None or isinstance(value, dict | list) else str(value)

    return lambda record: all(value_of(record, name) in values for name, values in wanted.items())


def _past_tense(verb: str) -> list[str]:
    return [verb + "d", verb + "ed", verb + "led", verb[:-1] + "ied"]


def _apply_action(record: Record, operation: Operation, body: Any, call: Call) -> None:
    """Move ``status`` (or ``state``) to the verb's past tense where the schema has it; copy the body in.

    ``resolve`` -> ``resolved``, ``dismiss`` -> ``dismissed``; an undoing verb (``unpublish``,
    ``restore``) goes back to the first value the schema lists.
    """
    ref = resource_ref(operation.collection)
    schema = resolve({"$ref": ref}) if ref else {}
    verb = operation.verb or ""
    for name in ("status", "state"):
        options = resolve(schema.get("properties", {}).get(name, {})).get("enum", [])
        moved = next((value for value in _past_tense(verb) if value in options), None)
        if options and (verb.startswith("un") or verb == "restore"):
            moved = options[0]
        if moved is not None:
            record[name] = moved
            break
    if isinstance(body, dict) and schema:
        record.update(copied(schema, body, Fill(call.now, call.rng)))
    if "updated_at" in schema.get("properties", {}):
        record["updated_at"] = rfc3339(call.now)


def handle(call: Call, operation: Operation) -> tuple[int, Any]:
    """Answer one generic operation: the status and a JSON body (``None`` for none, or a ``Raw`` download)."""
    kind = operation.kind
    check_query({"parameters": operation.parameters}, call.query)
    if kind == "schema":
        return 200, _schema_document()
    if kind in ("document", "update_document", "file"):
        return _document(call, operation)
    _check_parents(call, operation.template, operation.id_param)
    if kind == "list":
        return _list(call, operation)
    if kind == "create":
        return _create(call, operation)
    if operation.id_param is None:
        return _collection_action(call, operation)
    collection, record = _record(call, operation)
    if kind == "show":
        return _answer(call, operation, record)
    call.changed = True
    if kind == "delete":
        store.remove(call.state, collection, record["id"])
        return _answer(call, operation, None)
    ref = resource_ref(operation.collection)
    if kind == "update":
        if isinstance(call.body, dict) and ref is not None:
            record.update(copied({"$ref": ref}, call.body, Fill(call.now, call.rng)))
        if "updated_at" in record:
            record["updated_at"] = rfc3339(call.now)
        return _answer(call, operation, record)
    _apply_action(record, operation, call.body, call)
    answer = _wrapped_ref(operation)
    return _answer(call, operation, record if answer is not None and answer == ref else None)


@cache
def _schema_document() -> Raw:
    """``GET /v1/openapiV3.json``: the schema itself, serialised once (it is megabytes)."""
    return Raw(json.dumps(spec(), separators=(",", ":")).encode(), "application/json")


def _wrapped_ref(operation: Operation) -> str | None:
    if operation.response is None or operation.wrapper is None:
        return None
    ref: str | None = operation.response["properties"][operation.wrapper].get("$ref")
    return ref


def _collection_action(call: Call, operation: Operation) -> tuple[int, Any]:
    """An action on no one record: answered from the request and, for a list answer, the collection."""
    if operation.response is None:
        return operation.status, None
    fill = Fill(call.now, call.rng)
    body = call.body if isinstance(call.body, dict) else {}
    given: Record = dict(body)
    if operation.wrapper is not None:
        wrapped = operation.response["properties"][operation.wrapper]
        given[operation.wrapper] = copied(wrapped, body, fill)
    ref = resource_ref(operation.collection)
    for name, prop in operation.response.get("properties", {}).items():
        if ref is not None and prop.get("type") == "array" and prop.get("items", {}).get("$ref") == ref:
            collection = _concrete(operation.collection, call.path_params)
            given[name] = store.records(call.state, collection)
    answer: Record = shape(operation.response, given, fill)
    return operation.status, answer


def _create(call: Call, operation: Operation) -> tuple[int, Record]:
    body = call.body if isinstance(call.body, dict) else {}
    collection = _concrete(operation.collection, call.path_params)
    key = body.get("idempotency_key")
    if isinstance(key, str) and key:
        replay = call.state.idempotency.get(f"{collection}:{key}")
        found = store.get(call.state, collection, replay) if replay else None
        if found is not None:
            return _answer(call, operation, found)
    assert operation.response is not None and operation.wrapper is not None
    record = _new_record(call, operation.response["properties"][operation.wrapper], body)
    _find(call, collection, operation.collection)
    store.add(call.state, collection, record)
    if isinstance(key, str) and key:
        call.state.idempotency[f"{collection}:{key}"] = record["id"]
    call.changed = True
    return _answer(call, operation, record)


def _document(call: Call, operation: Operation) -> tuple[int, Any]:
    """A singleton of its path: built on first read, changed by a write."""
    own = PARAM.fullmatch(operation.template.rsplit("/", 1)[-1])
    _check_parents(call, operation.template, own.group(1) if own else None)
    if own is not None:
        _check_referenced(call, own.group(1))
    if operation.kind == "file":
        return operation.status, _file(call, operation)
    path = _concrete(operation.collection, call.path_params)
    reader = template_for(normal(operation.template), "GET")
    schema = compiled("GET", reader).response if reader else operation.response
    fill = Fill(call.now, call.rng)
    document = call.state.documents.get(path)
    if document is None and schema is not None:
        document = call.state.documents[path] = shape(schema, {}, fill)
        call.changed = True
    if operation.kind == "update_document" and isinstance(call.body, dict) and schema and document:
        document.update(copied(schema, call.body, fill))
        for name, prop in schema.get("properties", {}).items():
            if isinstance(document.get(name), dict):
                document[name].update(copied(prop, call.body, fill))
        call.changed = True
    if operation.response is None:
        return operation.status, None
    answer: Record = shape(operation.response, document or {}, fill)
    return operation.status, answer


def _check_referenced(call: Call, param: str) -> None:
    """A path keyed by another record (``/v2/status_page_structures/{status_page_id}``) needs that record."""
    if not param.endswith("_id"):
        return
    stem = param[:-3]
    for candidate in (f"/{version}/{stem}s/{{}}" for version in ("v1", "v2", "v3")):
        template = template_for(candidate, "GET")
        if template is not None:
            collection = template.rsplit("/", 1)[0]
            _find(call, collection, collection)
            if store.get(call.state, collection, call.path_params[param]) is None:
                raise not_found(_singular(collection), call.path_params[param])
            return


def _file(call: Call, operation: Operation) -> Raw:
    """A download (a pay report's CSV): the record the path names, one column a property."""
    content_type = next(iter(spec()["paths"][operation.template][operation.method.lower()]["responses"][
        str(operation.status)]["content"]))  # fmt: skip
    parts = operation.template.split("/")
    owner = next((i for i in range(len(parts) - 1, -1, -1) if PARAM.fullmatch(parts[i])), None)
    record: Record = {}
    if owner is not None:
        collection = _concrete("/".join(parts[:owner]), call.path_params)
        record = store.get(call.state, collection, call.path_params[parts[owner][1:-1]]) or {}
    columns = [name for name, value in record.items() if isinstance(value, str | int | float)]
    lines = [",".join(columns), ",".join(_csv_cell(record[name]) for name in columns)]
    name = record.get("id", "download")
    return Raw(
        ("\r\n".join(lines) + "\r\n").encode(),
        content_type,
        {"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _csv_cell(value: Any) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text
