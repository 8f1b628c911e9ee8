"""Checking requests against the official schema: its OpenAPI 3.0 schemas as JSON Schema, and 422s.

The schema's request bodies and query parameters are OpenAPI 3.0 schemas: ``$ref`` into
``components``, ``nullable`` instead of a ``null`` type, and keywords (``example``,
``x-...``) JSON Schema does not know. :func:`json_schema` converts one; the converted
components are built once, on first use, and each operation's validator is compiled once and
cached, so checking a request costs one validation. A failed check is the API's 422, naming the
field the way the API does (``incident.custom_field_entries[0].values[1]``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from incidentkit.emulator.errors import APIError, invalid, required
from incidentkit.emulator.spec import spec

JSONObject = dict[str, Any]

# Keywords that describe a schema for people or for other tools, not for validation.
_DROPPED = {"example", "examples", "description", "nullable", "readOnly", "writeOnly", "externalDocs"}
_SET_TO_NULL = re.compile(r"\bset (it )?to null\b", re.IGNORECASE)
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema (or part of one) as JSON Schema (draft 7).

    ``nullable: true`` (or a description saying "set to null") becomes a ``null`` alternative of
    the type (and of the enum); ``$ref``
    stays a reference, resolved against ``components`` at the root of the validated document.
    """
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: value if key in ("enum", "required", "default") else json_schema(value)
        for key, value in node.items()
        if key not in _DROPPED and not key.startswith("x-")
    }
    # The schema declares no type nullable, but some fields say in words that null unsets them
    # ("Set to null to unassign."): the schema's text is the schema too, so they take a null.
    said_nullable = isinstance(node.get("description"), str) and bool(
        _SET_TO_NULL.search(node["description"])
    )
    if node.get("nullable") is True or said_nullable:
        if "$ref" in converted:
            return {"anyOf": [{"$ref": converted["$ref"]}, {"type": "null"}]}
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
    return converted


@cache
def components() -> JSONObject:
    """The schema's ``components`` (only its schemas are needed) as JSON Schema, built once."""
    return {"schemas": json_schema(spec()["components"]["schemas"])}


def resolve(node: JSONObject) -> JSONObject:
    """The schema a ``$ref`` points at (itself when it is none), in the schema's own OpenAPI form."""
    while "$ref" in node:
        node = spec()["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def is_timestamp(value: str) -> bool:
    """Whether a date-time string is RFC 3339 and its instant is within years 1 to 9999 in UTC."""
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        return False
    return True


@cache
def _format_checker() -> Any:
    import jsonschema  # type: ignore[import-untyped]  # imported on first use: it is slow to import

    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(lambda value: not isinstance(value, str) or is_timestamp(value))
    return checker


@cache
def validator(method: str, template: str) -> Any:
    """The compiled (``jsonschema`` Draft 7) validator of an operation's JSON body; ``None`` for none."""
    import jsonschema

    operation = spec()["paths"][template][method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    root = {**json_schema(content["schema"]), "components": components()}
    return jsonschema.Draft7Validator(root, format_checker=_format_checker())


def field_name(path: list[str | int]) -> str:
    """``["incident", "custom_field_entries", 0, "values"]`` -> ``incident.custom_field_entries[0].values``.

    The API names fields this way in ``errors[].source.field``.
    """
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _api_error(error: Any) -> APIError:
    """The 422 for one validation failure, naming the field and saying what it must be."""
    path = list(error.absolute_path)
    where = field_name(path)
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        return required(field_name([*path, missing]))
    if not where:
        return APIError(400, "The request body must be a JSON object", code="invalid_body")
    value = error.instance
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        names = " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in wanted)
        return invalid(where, f"{where} must be {names}, not {_json_type(value)}")
    if error.validator == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        return invalid(where, f"{where} must be one of {options}, not {value!r}")
    if error.validator == "format":
        return invalid(
            where, f"{where} must be an RFC 3339 timestamp between years 1 and 9999, not {value!r}"
        )
    if error.validator in ("minimum", "maximum"):
        bound = "at least" if error.validator == "minimum" else "at most"
        return invalid(where, f"{where} must be {bound} {error.validator_value}, not {value!r}")
    return invalid(where, f"{where} is not valid: {error.message}")


def check_body(method: str, template: str, body: Any) -> None:
    """Refuse a request body the schema does not allow: 400 if it is no object, else a 422 naming the field.

    An operation with a request body needs one; an operation without one ignores what is sent,
    as the API does.
    """
    operation = spec()["paths"].get(template, {}).get(method.lower())
    checker = validator(method, template) if operation is not None else None
    if checker is None:
        return
    if not isinstance(body, dict):
        raise APIError(400, "The request body must be a JSON object", code="invalid_body")
    # The first error in document order, so the same body always names the same field.
    errors = sorted(checker.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise _api_error(errors[0])


# Query parameters (the generic operations; hand-written ones parse their own).


def _query_value(name: str, raw: str, schema: JSONObject) -> Any:
    kind = schema.get("type")
    if kind == "array":
        return _query_value(name, raw, resolve(schema.get("items", {})))
    if kind == "integer":
        try:
            value: Any = int(raw)
        except ValueError:
            raise invalid(name, f"{name} must be an integer, not {raw!r}") from None
        if "minimum" in schema and value < schema["minimum"]:
            raise invalid(name, f"{name} must be at least {schema['minimum']}, not {value}")
        if "maximum" in schema and value > schema["maximum"]:
            raise invalid(name, f"{name} must be at most {schema['maximum']}, not {value}")
        return value
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise invalid(name, f"{name} must be true or false, not {raw!r}")
        return raw == "true"
    if "enum" in schema and raw not in schema["enum"]:
        raise invalid(name, f"{name} must be one of {', '.join(map(str, schema['enum']))}, not {raw!r}")
    if schema.get("format") == "date-time" and not is_timestamp(raw):
        raise invalid(name, f"{name} must be an RFC 3339 timestamp, not {raw!r}")
    return raw


def query_parameters(operation: JSONObject) -> list[JSONObject]:
    """The operation's query parameters, as the schema declares them."""
    return [p for p in operation.get("parameters", []) if p.get("in") == "query"]


def check_query(operation: JSONObject, query: list[tuple[str, str]]) -> None:
    """Refuse a missing required query parameter or a value of the wrong type: a 422 naming it."""
    given: dict[str, list[str]] = {}
    for name, value in query:
        given.setdefault(name, []).append(value)
    for parameter in query_parameters(operation):
        name = parameter["name"]
        values = [
            value for value in given.get(name, []) if value != "" or not parameter.get("allowEmptyValue")
        ]
        if not values:
            if parameter.get("required"):
                raise required(name)
            continue
        for raw in values:
            _query_value(name, raw, resolve(parameter.get("schema", {})))
