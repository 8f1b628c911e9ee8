"""Typed models of the v3 catalog and of teams: types, attributes, entries, resources, teams.

Tolerant like :mod:`incidentkit.api.models`: unknown fields are kept, enum-like fields are plain
strings. :class:`Service` is not an API object: it is a Service catalog entry read with its
owner, tier and dependencies resolved to names (see ``client.catalog.services()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import AwareDatetime, ConfigDict, Field

from incidentkit.api.models import APIModel, User


class CatalogAttribute(APIModel):
    """One attribute of a catalog type's schema (``CatalogTypeAttributeV3``).

    ``type`` is ``String``, ``Text``, ``Number``, ``Bool`` or another type's ``type_name``
    (``Custom["Team"]``), which makes the values references to that type's entries.
    """

    id: str
    name: str
    type: str
    array: bool = False
    mode: str = ""
    backlink_attribute: str | None = None


class CatalogSchema(APIModel):
    """A catalog type's attributes and the version ``update_schema`` must name."""

    attributes: list[CatalogAttribute] = []
    version: int = 0


class CatalogType(APIModel):
    """A catalog type (``CatalogTypeV3``), such as Service or Team."""

    # "schema" would shadow a pydantic method, so the field has another name and the API's as alias.
    model_config = ConfigDict(extra="allow", defer_build=True, populate_by_name=True)

    id: str
    name: str
    description: str = ""
    type_name: str
    ranked: bool = False
    use_name_as_identifier: bool = False
    is_team_type: bool = False
    type_schema: CatalogSchema = Field(default_factory=CatalogSchema, alias="schema")
    categories: list[str] = []
    estimated_count: int | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The type as the API sends it (``schema`` spelled as the API spells it)."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)

    def attribute(self, name_or_id: str) -> CatalogAttribute | None:
        """The attribute with this id, or this name in any case."""
        wanted = name_or_id.strip().lower()
        for attribute in self.type_schema.attributes:
            if attribute.id == name_or_id or attribute.name.lower() == wanted:
                return attribute
        return None


class CatalogValue(APIModel):
    """One attribute value: the literal as stored and a label (a referenced entry's name)."""

    literal: str | None = None
    label: str = ""


class CatalogBinding(APIModel):
    """An entry's value of one attribute: ``value``, or ``array_value`` for an array attribute."""

    value: CatalogValue | None = None
    array_value: list[CatalogValue] | None = None

    @property
    def values(self) -> list[CatalogValue]:
        """The values as a list, whether the attribute is an array or not."""
        if self.array_value is not None:
            return list(self.array_value)
        return [self.value] if self.value is not None else []

    @property
    def literals(self) -> list[str]:
        """The literals (for references: the id, external id or alias that was set)."""
        return [v.literal for v in self.values if v.literal is not None]

    @property
    def labels(self) -> list[str]:
        """The labels (for references: the referenced entries' names)."""
        return [v.label for v in self.values]


class CatalogEntry(APIModel):
    """A catalog entry (``CatalogEntryV3``); ``attribute_values`` are keyed by attribute id."""

    id: str
    catalog_type_id: str
    name: str
    aliases: list[str] = []
    external_id: str | None = None
    rank: int = 0
    attribute_values: dict[str, CatalogBinding] = {}
    archived_at: AwareDatetime | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    def matches(self, identifier: str) -> bool:
        """Whether ``identifier`` is this entry's id, external id, name or an alias (names in any case)."""
        folded = identifier.strip().lower()
        return (
            identifier in (self.id, self.external_id)
            or self.name.lower() == folded
            or any(alias.lower() == folded for alias in self.aliases)
        )

    def labels(self, attribute: CatalogAttribute | str) -> list[str]:
        """The labels of one attribute (by model or id); empty when the entry has no value for it."""
        attribute_id = attribute if isinstance(attribute, str) else attribute.id
        binding = self.attribute_values.get(attribute_id)
        return binding.labels if binding is not None else []


class CatalogResource(APIModel):
    """A type an attribute may have (``CatalogResourceV3``): a primitive or a catalog type."""

    type: str
    label: str
    category: str
    engine_resource_type: str | None = None
    description: str = ""
    value_docstring: str = ""


class TeamCatalogEntry(APIModel):
    """The catalog entry that stands for a team."""

    id: str
    name: str
    external_id: str | None = None


class Team(APIModel):
    """A team (``TeamV3``) and its members."""

    id: str
    name: str
    catalog_entry: TeamCatalogEntry | None = None
    members: list[User] = []


@dataclass(frozen=True)
class Service:
    """A Service catalog entry with its owner, tier and dependencies read as names.

    Attributes:
        name: the entry's name.
        id: the entry's id.
        external_id: its external id, if any.
        aliases: its aliases.
        owner: the name of the team that owns it, if set.
        tier: its tier, if set (as the catalog holds it: ``"1"``).
        depends_on: the names of the services it depends on.
        dependents: the names of the services that depend on it.
        entry: the entry itself.
    """

    name: str
    id: str
    external_id: str | None
    aliases: tuple[str, ...]
    owner: str | None
    tier: str | None
    depends_on: tuple[str, ...]
    dependents: tuple[str, ...]
    entry: CatalogEntry

    def matches(self, identifier: str) -> bool:
        """Whether ``identifier`` names this service (id, external id, name or alias)."""
        return self.entry.matches(identifier)
