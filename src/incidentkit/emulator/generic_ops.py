"""What each operation of the schema is, for the generic mechanism: list, create, show, action...

Worked out once per operation from its path and method and the shape of its answer (see
:mod:`~incidentkit.emulator.generic` for what each kind does), and kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from incidentkit.emulator import generic_store as store
from incidentkit.emulator.schema_validation import query_parameters, resolve
from incidentkit.emulator.spec import operations, spec

JSONObject = dict[str, Any]
PARAM = re.compile(r"\{(\w+)\}")


def normal(template: str) -> str:
    """A template with its parameter names dropped, so ``{id}`` and ``{call_route_id}`` compare equal."""
    return PARAM.sub("{}", template)


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
    last = PARAM.fullmatch(parts[-1])
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
        owner = PARAM.fullmatch(base.rsplit("/", 1)[-1])
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
            readable = "GET" in _methods().get(normal(template), set())
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
    if "GET" in _methods().get(normal(template), set()):
        return made("update_document", template)
    return made("action", template)


@cache
def _methods() -> dict[str, set[str]]:
    """Normalised template -> the methods the schema has for it (non-deprecated operations)."""
    found: dict[str, set[str]] = {}
    for method, template, _ in operations():
        found.setdefault(normal(template), set()).add(method)
    return found


def _has_list_or_create(collection: str) -> bool:
    return bool(_methods().get(normal(collection), set()) & {"GET", "POST"}) or store.owned(collection)


def _creates_into(collection: str, response: JSONObject | None, wrapper: str) -> bool:
    """Whether a collection action answers with the collection's own resource (so it creates one)."""
    return response is not None and resource_ref(collection) == response["properties"][wrapper].get("$ref")


@cache
def resource_ref(collection: str) -> str | None:
    """The ``$ref`` of the collection's resource, from its show (or create) answer."""
    for suffix, method in (("/{}", "GET"), ("", "POST")):
        template = template_for(normal(collection) + suffix, method)
        if template is None:
            continue
        _, response, _ = _success(spec()["paths"][template][method.lower()])
        wrapper = _record_property(response, array=False)
        if response is not None and wrapper is not None:
            ref: str = response["properties"][wrapper]["$ref"]
            return ref
    return None


@cache
def template_for(normalised: str, method: str) -> str | None:
    """The schema's template for a normalised one (``/v2/things/{}``) that has ``method``."""
    for candidate, item in spec()["paths"].items():
        if normal(candidate) == normalised and method.lower() in item:
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
            found.add(normal(operation.collection))
    return frozenset(found)


def creatable(collection: str) -> bool:
    return normal(collection) in _creating() or store.owned(collection)


def list_item_ref(collection: str) -> str | None:
    template = template_for(normal(collection), "GET")
    if template is None:
        return None
    operation = compiled("GET", template)
    if operation.kind != "list" or operation.response is None or operation.wrapper is None:
        return None
    ref: str = operation.response["properties"][operation.wrapper]["items"]["$ref"]
    return ref


def serves(method: str, template: str) -> bool:
    """Whether the generic mechanism answers an operation: every non-deprecated one the schema has."""
    operation = spec()["paths"].get(template, {}).get(method.lower())
    return operation is not None and not operation.get("deprecated", False)
