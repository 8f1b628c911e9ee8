"""Operations on the v3 catalog (``/v3/catalog_types``, ``/v3/catalog_entries``, ``/v3/catalog_resources``).

Types may be named by id, name or ``type_name``; attributes by id or name. Attribute values are
given as people write them (``"payments-api"``, ``1``, ``True``, a list for an array attribute)
and sent as the literals the API reads. :func:`list_services` reads the Service type with each
service's owner, tier and dependencies resolved to names, for tools that reason about what an
incident touches. Like every operation, each takes the client's
:class:`~incidentkit.api.lookups.Lookups` first and yields requests (see
:mod:`incidentkit.api.operations`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import InvalidArgumentError, UnknownNameError
from incidentkit.api.lookups import Lookups
from incidentkit.api.pagination import ListSpec
from incidentkit.api.params import list_spec, path_id

if TYPE_CHECKING:
    from incidentkit.api.catalog_models import CatalogEntry, CatalogResource, CatalogType, Service

AttributeValue = str | int | float | bool | Sequence[str | int | float | bool] | None
"""An attribute's value as people give it; a sequence for an array attribute, ``None`` to clear it."""

MAX_BULK = 250


def _type_from(raw: Any) -> CatalogType:
    from incidentkit.api.catalog_models import CatalogType

    return CatalogType.model_validate(raw)


def _entry_from(raw: Any) -> CatalogEntry:
    from incidentkit.api.catalog_models import CatalogEntry

    return CatalogEntry.model_validate(raw)


# --- types ------------------------------------------------------------------------------------


def list_catalog_types(lookups: Lookups) -> Op[list[CatalogType]]:
    """List the catalog types (``GET /v3/catalog_types``)."""
    body = yield APIRequest("GET", "/v3/catalog_types")
    return [_type_from(raw) for raw in body["catalog_types"]]


def get_catalog_type(lookups: Lookups, catalog_type: str) -> Op[CatalogType]:
    """A catalog type by id, name (any case) or ``type_name`` (``Custom["Service"]``).

    Raises:
        UnknownNameError: no type is called that; the message lists the types there are.
    """
    types = yield from list_catalog_types(lookups)
    wanted = catalog_type.strip().lower()
    for found in types:
        if catalog_type in (found.id, found.type_name) or found.name.lower() == wanted:
            return found
    raise UnknownNameError("catalog type", catalog_type, [t.name for t in types])


def _type_settings(**settings: Any) -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in settings.items()
        if value is not None
    }


def create_catalog_type(
    lookups: Lookups,
    *,
    name: str,
    description: str = "",
    type_name: str | None = None,
    ranked: bool | None = None,
    use_name_as_identifier: bool | None = None,
    categories: Sequence[str] | None = None,
    icon: str | None = None,
    color: str | None = None,
    annotations: Mapping[str, str] | None = None,
    owning_team_ids: Sequence[str] | None = None,
    source_repo_url: str | None = None,
) -> Op[CatalogType]:
    """Create a catalog type (``POST /v3/catalog_types``); :func:`update_catalog_type_schema` adds attributes.

    ``type_name`` defaults to ``Custom["<Name>"]``, the name in PascalCase.
    """
    payload = _type_settings(
        name=name,
        description=description,
        type_name=type_name,
        ranked=ranked,
        use_name_as_identifier=use_name_as_identifier,
        categories=list(categories) if categories is not None else None,
        icon=icon,
        color=color,
        annotations=dict(annotations) if annotations is not None else None,
        owning_team_ids=list(owning_team_ids) if owning_team_ids is not None else None,
        source_repo_url=source_repo_url,
    )
    body = yield APIRequest("POST", "/v3/catalog_types", json=payload, retry_safe=False)
    return _type_from(body["catalog_type"])


def update_catalog_type(
    lookups: Lookups,
    catalog_type: str,
    *,
    name: str | None = None,
    description: str | None = None,
    ranked: bool | None = None,
    use_name_as_identifier: bool | None = None,
    categories: Sequence[str] | None = None,
    icon: str | None = None,
    color: str | None = None,
) -> Op[CatalogType]:
    """Change a catalog type's settings (``PUT /v3/catalog_types/{id}``); what is not given stays as it is."""
    current = yield from get_catalog_type(lookups, catalog_type)
    payload = _type_settings(
        name=name or current.name,
        description=current.description if description is None else description,
        ranked=ranked,
        use_name_as_identifier=use_name_as_identifier,
        categories=list(categories) if categories is not None else None,
        icon=icon,
        color=color,
    )
    body = yield APIRequest("PUT", f"/v3/catalog_types/{path_id(current.id)}", json=payload)
    return _type_from(body["catalog_type"])


def delete_catalog_type(lookups: Lookups, catalog_type: str) -> Op[None]:
    """Archive a catalog type and its entries (``DELETE /v3/catalog_types/{id}``)."""
    found = yield from get_catalog_type(lookups, catalog_type)
    yield APIRequest("DELETE", f"/v3/catalog_types/{path_id(found.id)}")


def update_catalog_type_schema(
    lookups: Lookups,
    catalog_type: str,
    attributes: Sequence[Mapping[str, Any]],
    *,
    version: int | None = None,
) -> Op[CatalogType]:
    """Replace a type's attributes (``POST /v3/catalog_types/{id}/actions/update_schema``).

    Each attribute is ``{"name", "type", "array"}`` plus its ``id`` to keep an existing one (and
    its values). ``version`` is the schema version being replaced; by default the current one,
    read first. A stale version is refused by the API (422), so a concurrent change is not lost.
    """
    current = yield from get_catalog_type(lookups, catalog_type)
    payload = {
        "attributes": [dict(attribute) for attribute in attributes],
        "version": current.type_schema.version if version is None else version,
    }
    body = yield APIRequest(
        "POST",
        f"/v3/catalog_types/{path_id(current.id)}/actions/update_schema",
        json=payload,
        retry_safe=False,
    )
    return _type_from(body["catalog_type"])


def list_catalog_resources(lookups: Lookups) -> Op[list[CatalogResource]]:
    """The types an attribute may have: primitives and catalog types (``GET /v3/catalog_resources``)."""
    body = yield APIRequest("GET", "/v3/catalog_resources")
    from incidentkit.api.catalog_models import CatalogResource

    return [CatalogResource.model_validate(raw) for raw in body["resources"]]


# --- entries ----------------------------------------------------------------------------------


def list_catalog_entries(
    lookups: Lookups,
    catalog_type: str,
    *,
    identifier: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[CatalogEntry]]:
    """List a type's entries (``GET /v3/catalog_entries``), every page.

    ``catalog_type`` is the type's id, name or ``type_name``. ``identifier`` keeps the entry with
    that id, external id or alias (or name, when the type uses names as identifiers).
    """
    found = yield from get_catalog_type(lookups, catalog_type)
    params = [("catalog_type_id", found.id)]
    if identifier is not None:
        params.append(("identifier", identifier))
    return list_spec("/v3/catalog_entries", "catalog_entries", _entry_from, params, page_size, limit)


def get_catalog_entry(lookups: Lookups, entry_id: str) -> Op[CatalogEntry]:
    """A catalog entry by id (``GET /v3/catalog_entries/{id}``)."""
    body = yield APIRequest("GET", f"/v3/catalog_entries/{path_id(entry_id)}")
    return _entry_from(body["catalog_entry"])


def _all_entries(type_id: str) -> Op[list[CatalogEntry]]:
    entries: list[CatalogEntry] = []
    after: str | None = None
    while True:
        params = [("catalog_type_id", type_id), ("page_size", "250")] + ([("after", after)] if after else [])
        body = yield APIRequest("GET", "/v3/catalog_entries", params=params)
        entries += [_entry_from(raw) for raw in body["catalog_entries"]]
        after = body.get("pagination_meta", {}).get("after")
        if not after or not body["catalog_entries"]:
            return entries


def find_catalog_entry(lookups: Lookups, catalog_type: str, identifier: str) -> Op[CatalogEntry | None]:
    """The entry of a type that ``identifier`` names (id, external id, alias or name, names in any case).

    The API's ``identifier`` filter is asked first; names are matched on the client when the type
    does not use names as identifiers. ``None`` when nothing matches.
    """
    found = yield from get_catalog_type(lookups, catalog_type)
    body = yield APIRequest(
        "GET",
        "/v3/catalog_entries",
        params=[("catalog_type_id", found.id), ("identifier", identifier), ("page_size", "1")],
    )
    if body["catalog_entries"]:
        return _entry_from(body["catalog_entries"][0])
    entries = yield from _all_entries(found.id)
    return next((entry for entry in entries if entry.matches(identifier)), None)


def _literal(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def attribute_values(catalog_type: CatalogType, values: Mapping[str, AttributeValue]) -> dict[str, Any]:
    """``attribute_values`` for a request, from values keyed by attribute name or id.

    Raises:
        InvalidArgumentError: an attribute the type does not have, or several values for a
            single-valued attribute.
    """
    bindings: dict[str, Any] = {}
    for key, value in values.items():
        attribute = catalog_type.attribute(key)
        if attribute is None:
            names = ", ".join(a.name for a in catalog_type.type_schema.attributes) or "none"
            raise InvalidArgumentError(f"{catalog_type.name} has no attribute {key!r}; it has {names}")
        if value is None:
            bindings[attribute.id] = {"array_value": []} if attribute.array else {}
        elif isinstance(value, (str, int, float, bool)):
            literal = {"literal": _literal(value)}
            bindings[attribute.id] = {"array_value": [literal]} if attribute.array else {"value": literal}
        elif attribute.array:
            bindings[attribute.id] = {"array_value": [{"literal": _literal(v)} for v in value]}
        elif len(value) == 1:
            bindings[attribute.id] = {"value": {"literal": _literal(value[0])}}
        else:
            raise InvalidArgumentError(f"{attribute.name} holds one value, not {len(value)}")
    return bindings


def create_catalog_entry(
    lookups: Lookups,
    catalog_type: str,
    *,
    name: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    aliases: Sequence[str] | None = None,
    external_id: str | None = None,
    rank: int | None = None,
) -> Op[CatalogEntry]:
    """Create an entry (``POST /v3/catalog_entries``); ``attributes`` are keyed by attribute name or id.

    With the ``external_id`` of an existing entry of the type, the API updates that entry instead,
    so a retried create never makes a second entry with an external id.
    """
    found = yield from get_catalog_type(lookups, catalog_type)
    payload: dict[str, Any] = {
        "catalog_type_id": found.id,
        "name": name,
        "attribute_values": attribute_values(found, attributes or {}),
    }
    if aliases is not None:
        payload["aliases"] = list(aliases)
    if external_id is not None:
        payload["external_id"] = external_id
    if rank is not None:
        payload["rank"] = rank
    body = yield APIRequest("POST", "/v3/catalog_entries", json=payload, retry_safe=external_id is not None)
    return _entry_from(body["catalog_entry"])


def update_catalog_entry(
    lookups: Lookups,
    entry_id: str,
    *,
    name: str | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
    aliases: Sequence[str] | None = None,
    external_id: str | None = None,
    rank: int | None = None,
) -> Op[CatalogEntry]:
    """Change an entry (``PUT /v3/catalog_entries/{id}``): only the attributes given change.

    The entry is read first for its type and name; the other attributes keep their values
    (the request names the attributes it changes in ``update_attributes``).
    """
    entry = yield from get_catalog_entry(lookups, entry_id)
    found = yield from get_catalog_type(lookups, entry.catalog_type_id)
    values = attribute_values(found, attributes or {})
    payload: dict[str, Any] = {
        "name": name or entry.name,
        "attribute_values": values,
        "update_attributes": list(values),
    }
    if aliases is not None:
        payload["aliases"] = list(aliases)
    if external_id is not None:
        payload["external_id"] = external_id
    if rank is not None:
        payload["rank"] = rank
    body = yield APIRequest("PUT", f"/v3/catalog_entries/{path_id(entry.id)}", json=payload)
    return _entry_from(body["catalog_entry"])


def delete_catalog_entry(lookups: Lookups, entry_id: str) -> Op[None]:
    """Archive an entry (``DELETE /v3/catalog_entries/{id}``)."""
    yield APIRequest("DELETE", f"/v3/catalog_entries/{path_id(entry_id)}")


def bulk_update_catalog_entries(
    lookups: Lookups,
    catalog_type: str,
    entries: Sequence[Mapping[str, Any]],
    *,
    update_attributes: Sequence[str] | None = None,
) -> Op[None]:
    """Update up to 250 entries at once, all or none (``POST /v3/catalog_entries/actions/bulk_update``).

    Each entry is ``{"entry_id", "attribute_values", ...}`` as the API spells it (see
    :func:`attribute_values`); ``update_attributes`` (attribute ids or names) limits the change to
    those attributes.

    Raises:
        InvalidArgumentError: no entries, or more than 250 (the API's limit; splitting would
            lose the all-or-none guarantee).
    """
    if not 1 <= len(entries) <= MAX_BULK:
        raise InvalidArgumentError(f"give between 1 and {MAX_BULK} entries, not {len(entries)}")
    found = yield from get_catalog_type(lookups, catalog_type)
    payload: dict[str, Any] = {"catalog_type_id": found.id, "entries": [dict(e) for e in entries]}
    if update_attributes is not None:
        ids = []
        for key in update_attributes:
            attribute = found.attribute(key)
            if attribute is None:
                raise InvalidArgumentError(f"{found.name} has no attribute {key!r}")
            ids.append(attribute.id)
        payload["update_attributes"] = ids
    yield APIRequest("POST", "/v3/catalog_entries/actions/bulk_update", json=payload, retry_safe=True)


# --- services ---------------------------------------------------------------------------------


def list_services(lookups: Lookups, *, catalog_type: str = "Service") -> Op[list[Service]]:
    """Every service of the catalog with its owner, tier and dependencies as names.

    Reads the type (by default "Service") and its entries. The owner is the attribute called
    Owner or Team, the tier the one called Tier, the dependencies the one called "Depends on"
    (or Dependencies); ``dependents`` is worked out from everyone's dependencies.
    """
    from incidentkit.api.catalog_models import Service

    found = yield from get_catalog_type(lookups, catalog_type)

    def attribute_id(*names: str) -> str | None:
        for name in names:
            attribute = found.attribute(name)
            if attribute is not None and attribute.mode != "backlink":
                return attribute.id
        return None

    owner, tier = attribute_id("Owner", "Team"), attribute_id("Tier")
    needs = attribute_id("Depends on", "Dependencies")
    entries = yield from _all_entries(found.id)
    depends = {e.id: tuple(e.labels(needs)) if needs else () for e in entries}
    return [
        Service(
            name=e.name,
            id=e.id,
            external_id=e.external_id,
            aliases=tuple(e.aliases),
            owner=next(iter(e.labels(owner)), None) if owner else None,
            tier=next(iter(e.labels(tier)), None) if tier else None,
            depends_on=depends[e.id],
            dependents=tuple(other.name for other in entries if e.name in depends[other.id]),
            entry=e,
        )
        for e in entries
    ]


def get_service(lookups: Lookups, service: str, *, catalog_type: str = "Service") -> Op[Service]:
    """One service by name, alias, external id or id, with its dependencies (see :func:`list_services`).

    Raises:
        UnknownNameError: no service is called that.
    """
    services = yield from list_services(lookups, catalog_type=catalog_type)
    found = next((s for s in services if s.matches(service)), None)
    if found is None:
        raise UnknownNameError("service", service, [s.name for s in services])
    return found
