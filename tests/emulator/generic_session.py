"""A session that calls every operation the generic (schema-driven) mechanism answers, with valid requests.

Creates run first, parents before children, so shows, updates, actions and deletes can name
records that exist; each path parameter is the id of a record of the collection it names
(from a create, or from listing that collection). Deletes run last.
"""

from __future__ import annotations

import random
import re
from typing import Any

from incidentkit.api import APIResponseError, Client, IncidentIOError
from incidentkit.emulator import generic
from incidentkit.emulator.dispatch import find_route
from incidentkit.emulator.routes import ROUTES
from incidentkit.emulator.schema_validation import resolve
from incidentkit.emulator.shapes import Fill, shape
from incidentkit.emulator.spec import operations

_PARAM = re.compile(r"\{(\w+)\}")
_ORDER = {"create": 0, "list": 1, "document": 2, "show": 2, "file": 2, "schema": 2, "update": 3,
          "update_document": 3, "action": 4, "delete": 5}  # fmt: skip


def generic_operations() -> list[generic.Operation]:
    """Every non-deprecated schema operation no hand-written route answers, in the order to call them."""
    hand_written = {(route.method, route.template) for route in ROUTES}
    found = [
        generic.compiled(method, template)
        for method, template, _ in operations()
        if (method, template) not in hand_written
    ]

    def order(op: generic.Operation) -> tuple[int, int, str, str]:
        depth = op.template.count("/")
        return (_ORDER[op.kind], -depth if op.kind == "delete" else depth, op.template, op.method)

    return sorted(found, key=order)


def request_body(method: str, template: str, rng: random.Random) -> dict[str, Any] | None:
    """A body with every required field, built from the request schema (examples, first enum values)."""
    from incidentkit.emulator.spec import spec

    operation = spec()["paths"][template][method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    body: dict[str, Any] = shape(resolve(content["schema"]), {}, Fill(1.7e9, rng))
    return body


def required_query(operation: generic.Operation) -> list[tuple[str, str]]:
    """The operation's required query parameters, set to the schema's examples."""
    found = []
    for parameter in operation.parameters:
        if parameter.get("required"):
            schema = resolve(parameter.get("schema", {}))
            example = parameter.get("example", schema.get("example", schema.get("default", "")))
            found.append(
                (parameter["name"], str(example).lower() if isinstance(example, bool) else str(example))
            )
    return found


class GenericSession:
    """Calls generic operations through a client, remembering the ids of what it created."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.rng = random.Random(5)
        self.ids: dict[str, str] = {}  # normalised collection template -> an id in it
        self.called: list[tuple[str, str, Any]] = []

    def _id_for(self, collection: str, params: dict[str, str]) -> str:
        normal = _PARAM.sub("{}", collection)
        if normal not in self.ids:
            # A collection this session did not create in: list it (a hand-written or generic list).
            listed: Any = {}
            lister = next((op for op in generic_operations() if op.kind == "list" and
                           _PARAM.sub("{}", op.template) == normal), None)  # fmt: skip
            path = _PARAM.sub(lambda m: params[m.group(1)], collection)
            hand_written = any(r.method == "GET" and r.pattern.match(path) for r in ROUTES)
            if lister is not None or hand_written:
                query = required_query(lister) if lister is not None else []
                try:
                    listed = self.client.request("GET", path, params=query)
                except IncidentIOError:
                    listed = {}
            for value in listed.values() if isinstance(listed, dict) else []:
                if isinstance(value, list) and value and isinstance(value[0], dict) and "id" in value[0]:
                    self.ids[normal] = value[0]["id"]
                    break
        return self.ids.get(normal, "01HZZZZZZZZZZZZZZZZZZZZZZZ")

    def path(self, template: str) -> str:
        """The template with each parameter the id of a record of the collection before it."""
        parts = template.split("/")
        concrete = list(parts)
        params: dict[str, str] = {}
        for index, part in enumerate(parts):
            match = _PARAM.fullmatch(part)
            if match is None:
                continue
            name = match.group(1)
            collection = "/".join(parts[:index])
            if name.endswith("_id") and name != "id" and not collection.endswith(name[:-3] + "s"):
                referenced = next(
                    (f"/{v}/{name[:-3]}s" for v in ("v2", "v1", "v3") if f"/{v}/{name[:-3]}s/{{}}" in
                     {_PARAM.sub("{}", t) for _, t, _ in operations()}),
                    None,
                )  # fmt: skip
                collection = referenced or collection
            params[name] = self._id_for(collection, params)
            concrete[index] = params[name]
        return "/".join(concrete)

    def call(self, operation: generic.Operation) -> Any:
        """Call one operation with a valid request; returns the JSON answer (None for an empty one)."""
        path = self.path(operation.template)
        route, _ = find_route(operation.method, path)
        assert route.template == operation.template, f"{path} reached {route.template}"
        body = request_body(operation.method, operation.template, self.rng)
        params = required_query(operation)
        try:
            answer = self.client.request(operation.method, path, json=body, params=params)
        except APIResponseError:
            if operation.kind != "file":
                raise
            answer = None  # a download (CSV): the client reads only JSON; the exchange is checked raw
        self.called.append((operation.method, operation.template, answer))
        if operation.kind == "create" and isinstance(answer, dict) and operation.wrapper in answer:
            created = answer[operation.wrapper]
            if isinstance(created, dict) and "id" in created:
                self.ids[_PARAM.sub("{}", operation.collection)] = created["id"]
        return answer

    def run(self) -> None:
        """Call every generic operation once."""
        for operation in generic_operations():
            self.call(operation)
