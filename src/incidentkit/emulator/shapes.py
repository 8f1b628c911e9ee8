"""Building answers to the schema's response schemas: what was given where it fits, the rest generated.

The generic operations (:mod:`~incidentkit.emulator.generic`) answer with records built here:
a property the request (or the stored record) set is kept when it fits the property's schema,
a required property nobody set is generated, and anything the schema does not declare is left
out, so every answer is schema-valid. Generated values are plain: ids are ULIDs, timestamps
the emulator clock's, enums their first value, other values the schema's own example when it
fits and an empty value of the type otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.schema_validation import is_timestamp, resolve
from incidentkit.emulator.state import Record

JSONObject = dict[str, Any]


@dataclass
class Fill:
    """Where generated values come from: the request's time and the emulator's random stream."""

    now: float
    rng: random.Random

    def ulid(self) -> str:
        return new_ulid(self.now, self.rng)


def _kind(schema: JSONObject) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):  # a converted nullable type: the first is the real one
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        return "object"
    return kind if isinstance(kind, str) else None


def fits(schema: JSONObject, value: Any) -> bool:
    """Whether ``value`` may stand for ``schema`` (objects and lists are fitted further by :func:`shape`)."""
    schema = resolve(schema)
    if value is None:
        return bool(schema.get("nullable"))
    kind = _kind(schema)
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list) and schema.get("minItems", 0) <= len(value) <= schema.get(
            "maxItems", len(value)
        )
    if kind == "string":
        if not isinstance(value, str):
            return False
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            return False
        if schema.get("format") == "date-time":
            return is_timestamp(value)
        return True
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if kind == "integer" and not isinstance(value, int):
            return False
        return bool(schema.get("minimum", value) <= value <= schema.get("maximum", value))
    return True


def generate(schema: JSONObject, fill: Fill, name: str = "") -> Any:
    """A schema-valid value for a required property nobody set; ``name`` is the property's name."""
    schema = resolve(schema)
    kind = _kind(schema)
    if kind == "object":
        return shape(schema, None, fill)
    if kind == "array":
        return [generate(schema.get("items", {}), fill, name) for _ in range(schema.get("minItems", 0))]
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "string":
        if schema.get("format") == "date-time":
            return rfc3339(fill.now)
        if name == "id" or name.endswith("_id"):
            return fill.ulid()
        example = schema.get("example")
        text = example if isinstance(example, str) else ""
        text = text[: schema.get("maxLength", len(text))]
        return text.ljust(schema.get("minLength", 0), "x")
    example = schema.get("example")
    if fits(schema, example):
        return example
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    return example if example is not None else ""


def shape(schema: JSONObject, given: Any, fill: Fill, name: str = "") -> Any:
    """``given`` fitted to ``schema``: kept where it fits, generated where the schema needs a value."""
    schema = resolve(schema)
    kind = _kind(schema)
    if kind == "object":
        return _shape_object(schema, given if isinstance(given, dict) else {}, fill)
    if kind == "array":
        items = schema.get("items", {})
        if not isinstance(given, list) or not fits(schema, given):
            return generate(schema, fill, name)
        return [shape(items, item, fill, name) for item in given if fits(items, item)]
    return given if fits(schema, given) else generate(schema, fill, name)


def _shape_object(schema: JSONObject, given: Record, fill: Fill) -> Record:
    properties: JSONObject | None = schema.get("properties")
    if properties is None:
        # A map (additionalProperties): keep the entries whose values fit.
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return {key: shape(extra, value, fill, key) for key, value in given.items() if fits(extra, value)}
        return dict(given) if extra is not False else {}
    needed = set(schema.get("required", []))
    shaped: Record = {}
    for prop, prop_schema in properties.items():
        value = given.get(prop)
        if prop in given and fits(prop_schema, value):
            shaped[prop] = shape(prop_schema, value, fill, prop)
        elif prop in needed:
            shaped[prop] = generate(prop_schema, fill, prop)
    return shaped


def copied(schema: JSONObject, body: Record, fill: Fill) -> Record:
    """The properties of a resource ``schema`` a request ``body`` sets, fitted to the resource.

    A body's ``<name>_id`` sets the resource's ``<name>`` object by its id (``assignee_id`` ->
    ``assignee``), the way the API's payloads refer to other records.
    """
    properties: JSONObject = resolve(schema).get("properties", {})
    found: Record = {}
    for prop, prop_schema in properties.items():
        if prop in body and fits(prop_schema, body[prop]):
            found[prop] = shape(prop_schema, body[prop], fill, prop)
            continue
        reference = body.get(f"{prop}_id")
        target = resolve(prop_schema)
        if isinstance(reference, str) and _kind(target) == "object" and "id" in target.get("properties", {}):
            found[prop] = shape(target, {"id": reference}, fill, prop)
    return found
