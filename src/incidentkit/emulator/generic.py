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

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from incidentkit.emulator import generic_store as store
from incidentkit.emulator.call import Call, Raw
from incidentkit.emulator.errors import not_found
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.ids import rfc3339
from incidentkit.emulator.schema_validation import check_query, query_parameters, resolve
from incidentkit.emulator.shapes import Fill, copied, fits, shape
from incidentkit.emulator.spec import operations, spec
from incidentkit.emulator.state import Record

JSONObject = dict[str, Any]
_PARAM = re.compile(r"\{(\w+)\}")


def _normal(template: str) -> str:
    """A template with its parameter names dropped, so ``{id}`` and ``{call_route_id}`` compare equal."""
    return _PARAM.sub("{}", template)


@dataclass(frozen=True)
class Operation:
    """What a generic operation does, worked out once from the schema."""

    method: str
    template: str
    kind: str  # list, create, show, update, delete, action, document, update_document, schema, file
    collection: str  # the collection's template (the path itself for lists, creates and documents)
    id_param: str | None  # the parameter naming the record, for the record's own operations
    status: int
    response: JSONObject | None  # the resolved response schema; None for an empty answer
    wrapper: str | None  # the response property that holds the record (or the list of them)
    verb: str | None = None  # of an action
    parameters: list[JSONObject] = field(default_factory=list)


def _success(operation: JSONObject) -> tuple[int, JSONObject | None, str | None]:
    status = next(int(code) for code in operation["responses"] if code.startswith("2"))
    content = operation["responses"][str(status)].get("content", {})
    if "application/json" not in content:
        return status, None, next(iter(content), None)
    return status, resolve(content["application/json"]["schema"]), "application/json"


def _record_property(response: JSONObject | None, *, array: bool) -> str | None:
    """The response property that holds a record (``array``: a list of records)."""
    if response is None:
        return None
    for name in [*response.get("required", []), *response.get("properties", {})]:
        schema = response.get("properties", {}).get(name, {})
        if array and schema.get("type") == "array" and "$ref" in schema.get("items", {}):
            return str(name)
        if not array and "$ref" in schema and "properties" in resolve(schema) and name != "pagination_meta":
            return str(name)
    return None


def _classify(method: str, template: str, operation: JSONObject) -> Operation:
    status, response, content_type = _success(operation)
    parts = template.split("/")
    last = _PARAM.fullmatch(parts[-1])
    record = _record_property(response, array=False)

    def made(kind: str, collection: str, id_param: str | None = None, verb: str | None = None) -> Operation:
        return Operation(
            method=method,
            template=template,
            kind=kind,
            collection=collection,
            id_param=id_param,
            status=status,
            response=response,
            wrapper=_record_property(response, array=True) if kind == "list" else record,
            verb=verb,
            parameters=query_parameters(operation),
        )

    if content_type not in (None, "application/json"):
        return made("file", template)
    if template == "/v1/openapiV3.json":
        return made("schema", template)
    if len(parts) > 2 and parts[-2] == "actions":
        base = "/".join(parts[:-2])
        owner = _PARAM.fullmatch(base.rsplit("/", 1)[-1])
        if owner is not None:
            return made("action", base.rsplit("/", 1)[0], owner.group(1), parts[-1])
        creates = method == "POST" and record is not None and _creates_into(base, response, record)
        return made("create" if creates else "action", base, None, parts[-1])
    if last is not None:
        collection = "/".join(parts[:-1])
        if method == "DELETE":
            return made("delete", collection, last.group(1))
        if not _has_list_or_create(collection):
            # Nothing lists or creates these: the path itself names the thing (a status page's structure).
            if method == "GET":
                return made("document", template)
            readable = "GET" in _methods().get(_normal(template), set())
            return made("update_document" if readable else "action", template)
        if method == "GET":
            return made("show", collection, last.group(1))
        if method in ("PUT", "PATCH"):
            return made("update", collection, last.group(1))
        return made("action", collection, last.group(1))
    if method == "GET":
        return made("list" if _record_property(response, array=True) else "document", template)
    if method == "POST" and record is not None:
        return made("create", template)
    if "GET" in _methods().get(_normal(template), set()):
        return made("update_document", template)
    return made("action", template)


@cache
def _methods() -> dict[str, set[str]]:
    """Normalised template -> the methods the schema has for it (non-deprecated operations)."""
    found: dict[str, set[str]] = {}
    for method, template, _ in operations():
        found.setdefault(_normal(template), set()).add(method)
    return found


def _has_list_or_create(collection: str) -> bool:
    return bool(_methods().get(_normal(collection), set()) & {"GET", "POST"}) or store.owned(collection)


def _creates_into(collection: str, response: JSONObject | None, wrapper: str) -> bool:
    """Whether a collection action answers with the collection's own resource (so it creates one)."""
    return response is not None and _resource_ref(collection) == response["properties"][wrapper].get("$ref")


@cache
def _resource_ref(collection: str) -> str | None:
    """The ``$ref`` of the collection's resource, from its show (or create) answer."""
    for suffix, method in (("/{}", "GET"), ("", "POST")):
        template = _template_for(_normal(collection) + suffix, method)
        if template is None:
            continue
        _, response, _ = _success(spec()["paths"][template][method.lower()])
        wrapper = _record_property(response, array=False)
        if response is not None and wrapper is not None:
            ref: str = response["properties"][wrapper]["$ref"]
            return ref
    return None


@cache
def _template_for(normal: str, method: str) -> str | None:
    for candidate, item in spec()["paths"].items():
        if _normal(candidate) == normal and method.lower() in item:
            return str(candidate)
    return None


@cache
def compiled(method: str, template: str) -> Operation:
    """The generic operation for a schema operation, worked out on first use and kept."""
    return _classify(method, template, spec()["paths"][template][method.lower()])


@cache
def _creating() -> frozenset[str]:
    """The (normalised) collections the API can add to: by a create, or a collection action that creates."""
    found = set()
    for method, template, _ in operations():
        operation = compiled(method, template) if method == "POST" else None
        if operation is not None and operation.kind == "create":
            found.add(_normal(operation.collection))
    return frozenset(found)


def _creatable(collection: str) -> bool:
    return _normal(collection) in _creating() or store.owned(collection)


# Serving.


def _concrete(template: str, params: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: params[m.group(1)], template)


def _check_parents(call: Call, template: str, own: str | None) -> None:
    """404 unless every record the path goes through exists (``/v2/call_routes/{call_route_id}/...``)."""
    parts = template.split("/")
    for index, part in enumerate(parts):
        param = _PARAM.fullmatch(part)
        if param is None or param.group(1) == own:
            continue
        parent = "/".join(parts[: index + 1])
        if _template_for(_normal(parent), "GET") is None and not store.owned("/".join(parts[:index])):
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
    if not _creatable(template):
        ref = _resource_ref(template) or _list_item_ref(template)
        if ref is not None:
            record = _new_record(call, {"$ref": ref}, {})
            store.add(call.state, collection, record)
    call.changed = True


def _list_item_ref(collection: str) -> str | None:
    template = _template_for(_normal(collection), "GET")
    if template is None:
        return None
    operation = compiled("GET", template)
    if operation.kind != "list" or operation.response is None or operation.wrapper is None:
        return None
    ref: str = operation.response["properties"][operation.wrapper]["items"]["$ref"]
    return ref


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
    """Move ``status`` to the verb's past tense (where the schema has it) and set what the body gives."""
    ref = _resource_ref(operation.collection)
    schema = resolve({"$ref": ref}) if ref else {}
    status = schema.get("properties", {}).get("status", {})
    verb = operation.verb or ""
    options = resolve(status).get("enum", []) if status else []
    moved = next((value for value in _past_tense(verb) if value in options), None)
    if verb.startswith("un") or verb == "restore":
        moved = options[0] if options else None
    if moved is not None:
        record["status"] = moved
    if isinstance(body, dict) and schema:
        record.update(copied(schema, body, Fill(call.now, call.rng)))
    if "updated_at" in schema.get("properties", {}):
        record["updated_at"] = rfc3339(call.now)


def handle(call: Call, operation: Operation) -> tuple[int, Any]:
    """Answer one generic operation: the status and a JSON body (``None`` for none, or a ``Raw`` download)."""
    kind = operation.kind
    check_query({"parameters": operation.parameters}, call.query)
    if kind == "schema":
        return 200, spec()
    if kind == "list":
        return _list(call, operation)
    if kind in ("document", "update_document", "file"):
        return _document(call, operation)
    if kind == "create":
        return _create(call, operation)
    _check_parents(call, operation.template, operation.id_param)
    if operation.id_param is None:
        return _collection_action(call, operation)
    collection, record = _record(call, operation)
    if kind == "show":
        return _answer(call, operation, record)
    call.changed = True
    if kind == "delete":
        store.remove(call.state, collection, record["id"])
        return _answer(call, operation, None)
    ref = _resource_ref(operation.collection)
    if kind == "update":
        if isinstance(call.body, dict) and ref is not None:
            record.update(copied({"$ref": ref}, call.body, Fill(call.now, call.rng)))
        if "updated_at" in record:
            record["updated_at"] = rfc3339(call.now)
        return _answer(call, operation, record)
    _apply_action(record, operation, call.body, call)
    answer = _wrapped_ref(operation)
    return _answer(call, operation, record if answer is not None and answer == ref else None)


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
    ref = _resource_ref(operation.collection)
    for name, prop in operation.response.get("properties", {}).items():
        if ref is not None and prop.get("type") == "array" and prop.get("items", {}).get("$ref") == ref:
            collection = _concrete(operation.collection, call.path_params)
            given[name] = store.records(call.state, collection)
    answer: Record = shape(operation.response, given, fill)
    return operation.status, answer


def _create(call: Call, operation: Operation) -> tuple[int, Record]:
    _check_parents(call, operation.collection, None)
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
    own = _PARAM.fullmatch(operation.template.rsplit("/", 1)[-1])
    _check_parents(call, operation.template, own.group(1) if own else None)
    if own is not None:
        _check_referenced(call, own.group(1))
    if operation.kind == "file":
        return operation.status, _file(call, operation)
    path = _concrete(operation.collection, call.path_params)
    reader = _template_for(_normal(operation.template), "GET")
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
    for normal in (f"/{version}/{stem}s/{{}}" for version in ("v1", "v2", "v3")):
        template = _template_for(normal, "GET")
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
    owner = next((i for i in range(len(parts) - 1, -1, -1) if _PARAM.fullmatch(parts[i])), None)
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


def serves(method: str, template: str) -> bool:
    """Whether the generic mechanism answers an operation: every non-deprecated one the schema has."""
    operation = spec()["paths"].get(template, {}).get(method.lower())
    return operation is not None and not operation.get("deprecated", False)


def fits_resource(collection: str, record: Record) -> bool:
    """Whether a record fits a collection's resource schema (for records added from outside)."""
    ref = _resource_ref(collection)
    return ref is None or fits({"$ref": ref}, record)
