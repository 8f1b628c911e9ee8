"""Request bodies checked, and records shaped, by the official schema's own definitions.

The alerting configuration (alert sources and alert routes) has large, deeply nested payloads.
Rather than hand-write a check per field, :func:`check_body` walks the payload's schema and
refuses what the API refuses (a missing required field, a wrong type, a value outside an enum)
with a 422 naming the field the way the API does (``incident_config.template.name``,
``alert_sources[0].alert_source_id``). :func:`shape` turns an accepted payload into the
response's shape: it keeps only the properties the response declares and fills the ones the
response requires but the payload may leave out (a binding's ``label``, an expression's
``returns``), so what the emulator answers is always a valid response.
"""

from __future__ import annotations

from typing import Any

from incidentkit.emulator.errors import APIError, invalid, required
from incidentkit.emulator.spec import spec

JSONObject = dict[str, Any]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


def _schema(node: JSONObject) -> JSONObject:
    """``node`` with a ``$ref`` followed."""
    while "$ref" in node:
        node = spec()["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def schema_named(name: str) -> JSONObject:
    """A component schema of the official document by name (``AlertRouteV3``)."""
    return _schema({"$ref": f"#/components/schemas/{name}"})


def _type_ok(value: Any, wanted: str) -> bool:
    if wanted in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(wanted, (object,)))


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def check_body(body: Any, schema_name: str) -> JSONObject:
    """Refuse ``body`` unless it is what the schema ``schema_name`` accepts; return it as an object.

    Raises:
        APIError: 422 naming the first field at fault; 400 for a body that is no JSON object.
    """
    if not isinstance(body, dict):
        # As every other operation answers a body that is no object (Call.json_object).
        raise APIError(400, "The request body must be a JSON object", code="invalid_body")
    _check(body, schema_named(schema_name), "")
    return body


def _check(value: Any, node: JSONObject, where: str) -> None:
    node = _schema(node)
    wanted = node.get("type")
    if wanted is not None and not _type_ok(value, wanted):
        article = "an" if wanted[0] in "aeiou" else "a"
        raise invalid(where or "body", f"{where or 'The body'} must be {article} {wanted}")
    if "enum" in node and value not in node["enum"]:
        options = ", ".join(str(option) for option in node["enum"])
        raise invalid(where, f"{where} must be one of {options}, not {value!r}")
    if isinstance(value, dict):
        properties = node.get("properties", {})
        for name in node.get("required", []):
            if value.get(name) is None:
                raise required(_join(where, name))
        for name, item in value.items():
            if name in properties and item is not None:
                _check(item, properties[name], _join(where, name))
            elif isinstance(node.get("additionalProperties"), dict) and item is not None:
                _check(item, node["additionalProperties"], _join(where, name))
    elif isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            _check(item, node["items"], f"{where}[{index}]")


def shape(value: Any, schema_name: str) -> Any:
    """``value`` reshaped to the schema ``schema_name``: undeclared properties dropped, required filled."""
    return _shape(value, schema_named(schema_name))


def _shape(value: Any, node: JSONObject) -> Any:
    node = _schema(node)
    if isinstance(value, str) and node.get("type") == "object":
        # A payload names a condition's operation and subject by a string; the response gives
        # them as options ({"label", "value"} and {"label", "reference"}).
        key = "reference" if "reference" in node.get("properties", {}) else "value"
        return {"label": value, key: value}
    if isinstance(value, list):
        items = node.get("items")
        return [_shape(item, items) for item in value] if items else list(value)
    if not isinstance(value, dict) or "properties" not in node:
        return value
    properties = node["properties"]
    shaped = {
        name: _shape(item, properties[name])
        for name, item in value.items()
        if name in properties and item is not None
    }
    for name in node.get("required", []):
        if name not in shaped:
            shaped[name] = _filler(name, value, properties[name])
    return shaped


def _filler(name: str, value: JSONObject, node: JSONObject) -> Any:
    """A value for a required property a payload left out."""
    node = _schema(node)
    if name == "label":
        # A binding's label is the literal or reference it stands for.
        return str(value.get("literal") or value.get("reference") or "")
    kind = node.get("type")
    if kind == "object":
        return _shape({}, node)
    return {"array": [], "boolean": False, "integer": 0, "number": 0}.get(kind or "", "")
