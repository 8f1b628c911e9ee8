"""Turning what people type into what the API wants: incident references and custom field names.

An incident given as a dashboard URL is checked against the API key's own organisation before
anything acts on it, and custom fields named by name become the API's ``custom_field_entries``.
The names of severities, statuses and types are resolved by :mod:`incidentkit.api.lookups`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from incidentkit.api.core import Op
from incidentkit.api.errors import InvalidArgumentError, OrganisationMismatchError, UnknownNameError
from incidentkit.api.incident_inputs import option_ids
from incidentkit.api.lookups import Lookups
from incidentkit.api.organisation import get_identity, list_custom_fields
from incidentkit.api.params import CustomFieldValues, OneOrMany, many
from incidentkit.api.refs import IncidentRef, organisation_slug, parse_incident_ref


def key_organisation(lookups: Lookups) -> Op[str | None]:
    """The slug of the API key's organisation (from ``GET /v1/identity``), fetched once per client."""
    if lookups.organisation is None:
        identity = yield from get_identity(lookups)
        lookups.organisation = organisation_slug(identity.dashboard_url) or ""
    return lookups.organisation or None


def resolve_incident_ref(lookups: Lookups, incident: str | IncidentRef) -> Op[IncidentRef]:
    """Parse a reference, and refuse a dashboard URL of another organisation than the key's.

    Every operation that takes an incident reference comes through here, so no caller (the CLI,
    a workflow step, a script) can act on this organisation's INC-47 when given another
    organisation's ``https://app.incident.io/other-org/incidents/47``.

    Raises:
        InvalidReferenceError: the value is not a reference.
        OrganisationMismatchError: a dashboard URL names another organisation, or the API did not
            say which organisation the key belongs to (fails closed).
    """
    ref = incident if isinstance(incident, IncidentRef) else parse_incident_ref(incident)
    if ref.organisation is not None:
        mine = yield from key_organisation(lookups)
        if mine != ref.organisation:
            raise OrganisationMismatchError(str(incident), ref.organisation, mine)
    return ref


def custom_field_entries(
    lookups: Lookups, values: Mapping[str, CustomFieldValues]
) -> Op[list[dict[str, Any]]]:
    """Turn ``{field name or id: value(s)}`` into the API's ``custom_field_entries``.

    A field is named by id or by name in any case. Select fields take an option's value (any
    case) or its id, read from ``GET /v1/custom_field_options`` when the field does not list them;
    catalog fields an entry's name, alias, external id or id; numeric fields a number; link fields
    a URL; anything else text. An empty list clears the field. Reads the custom fields
    (``GET /v2/custom_fields``).

    Raises:
        InvalidArgumentError: a field, or an option of a select field, that does not exist; the
            message names it and lists the fields or the options.
    """
    fields = yield from list_custom_fields(lookups)
    entries = []
    for key, given in values.items():
        found = next((f for f in fields if f.id == key or f.name.lower() == key.strip().lower()), None)
        if found is None:
            names = ", ".join(f.name for f in fields) or "(none)"
            raise InvalidArgumentError(f"no custom field {key!r}; custom fields: {names}")
        items = [given] if isinstance(given, str | int | float) else list(given)
        entry_values: list[dict[str, Any]] = []
        catalog_type_id = (found.model_extra or {}).get("catalog_type_id")
        if catalog_type_id:
            for item in items:
                entry_id = yield from catalog_entry_id(lookups, catalog_type_id, str(item))
                entry_values.append({"value_catalog_entry_id": entry_id})
            entries.append({"custom_field_id": found.id, "values": entry_values})
            continue
        if found.field_type in ("single_select", "multi_select"):
            # The field's options are the v1 API's: GET /v2/custom_fields does not list them.
            texts = [str(item) for item in items]
            listed = {o.value: o.id for o in found.options}
            if any(text not in listed and text not in listed.values() for text in texts):
                ids = yield from option_ids(lookups, found.id, found.name, texts)
            else:
                ids = [listed.get(text, text) for text in texts]
            entries.append({"custom_field_id": found.id, "values": [{"value_option_id": i} for i in ids]})
            continue
        for item in items:
            text = str(item)
            if found.field_type == "numeric":
                entry_values.append({"value_numeric": text})
            elif found.field_type == "link":
                entry_values.append({"value_link": text})
            else:
                entry_values.append({"value_text": text})
        entries.append({"custom_field_id": found.id, "values": entry_values})
    return entries


def resolve_ids(
    resolve: Callable[[Lookups, str], Op[Any]], lookups: Lookups, values: OneOrMany | None
) -> Op[list[str]]:
    """The ids of the values ``resolve`` finds, one for each name or id given."""
    ids: list[str] = []
    for value in many(values):
        ids.append((yield from resolve(lookups, value)).id)
    return ids


def catalog_entry_id(lookups: Lookups, catalog_type_id: str, identifier: str) -> Op[str]:
    """The id of the catalog entry ``identifier`` names (the API's identifier filter, then names).

    Raises:
        InvalidArgumentError: no entry of the type is called that.
    """
    from incidentkit.api.catalog import find_catalog_entry

    found = yield from find_catalog_entry(lookups, catalog_type_id, identifier)
    if found is None:
        raise InvalidArgumentError(f"no catalog entry is called {identifier!r}")
    return found.id


class _Named(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


NamedT = TypeVar("NamedT", bound=_Named)


def one_named(kind: str, name: str, candidates: Sequence[NamedT]) -> NamedT:
    """The one of ``candidates`` called ``name`` (case-insensitive), for resolving a name people give.

    Raises:
        UnknownNameError: none is called that; the message lists the names.
        InvalidArgumentError: several are (the message lists their ids: give one).
    """
    named = [c for c in candidates if c.name.casefold() == name.strip().casefold()]
    if len(named) > 1:
        ids = ", ".join(c.id for c in named)
        raise InvalidArgumentError(f"{len(named)} {kind}s are named {name!r} ({ids}): give the id")
    if not named:
        raise UnknownNameError(kind, name, [c.name for c in candidates])
    return named[0]
