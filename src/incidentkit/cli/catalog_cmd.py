"""``incidentkit catalog``: the v3 catalog's types, their entries, and the services with their dependencies.

Types are named by name (any case), id or ``Custom["Name"]``; entries by id, external id, alias
or name. ``--attribute NAME=VALUE`` sets an attribute by its name; repeat it for each value of
an array attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import Column, choose_format, column, emit_list, emit_object, output_options

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.api.catalog_models import CatalogEntry, CatalogType

TYPE_COLUMNS = [
    column("Name", "name"),
    column("Type name", "type_name"),
    column("Entries", "estimated_count"),
    Column(
        "Attributes",
        lambda t: ", ".join(a.get("name", "") for a in t.get("schema", {}).get("attributes", [])),
    ),
    column("ID", "id"),
]

SERVICE_COLUMNS = [
    column("Service", "name"),
    column("Owner", "owner"),
    column("Tier", "tier"),
    Column("Depends on", lambda s: ", ".join(s.get("depends_on", []))),
    Column("Depended on by", lambda s: ", ".join(s.get("dependents", []))),
    Column("Aliases", lambda s: ", ".join(s.get("aliases", []))),
]


def _labels(attribute_id: str) -> Callable[[dict[str, Any]], str]:
    """How to read one attribute's labels (comma-separated) from an entry's JSON."""

    def get(entry: dict[str, Any]) -> str:
        binding = entry.get("attribute_values", {}).get(attribute_id, {})
        values = binding.get("array_value") or ([binding["value"]] if "value" in binding else [])
        return ", ".join(str(v.get("label", "")) for v in values)

    return get


def entry_columns(catalog_type: CatalogType) -> list[Column]:
    """The name, one column per attribute (its labels), the aliases and the id."""
    columns = [column("Name", "name")]
    for attribute in catalog_type.type_schema.attributes:
        columns.append(Column(attribute.name, _labels(attribute.id)))
    return [*columns, Column("Aliases", lambda e: ", ".join(e.get("aliases", []))), column("ID", "id")]


def parse_attributes(pairs: Sequence[str], catalog_type: CatalogType) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as attribute values: repeated names of an array attribute make a list.

    Raises:
        click.BadParameter: a pair without ``=``, an unknown attribute, or two values for one
            that holds one.
    """
    values: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--attribute")
        attribute = catalog_type.attribute(name.strip())
        if attribute is None:
            names = ", ".join(a.name for a in catalog_type.type_schema.attributes) or "none"
            raise click.BadParameter(
                f"{catalog_type.name} has no attribute {name.strip()!r}; it has {names}",
                param_hint="--attribute",
            )
        values.setdefault(attribute.name, []).append(value)
    result: dict[str, Any] = {}
    for name, given in values.items():
        attribute = catalog_type.attribute(name)
        assert attribute is not None
        if not attribute.array and len(given) > 1:
            raise click.BadParameter(f"{name} holds one value, not {len(given)}", param_hint="--attribute")
        result[name] = given if attribute.array else given[0]
    return result


def _entry(client: Client, type_ref: str, ref: str) -> CatalogEntry:
    found = client.catalog.entries.find(type_ref, ref)
    if found is None:
        raise click.BadParameter(
            f"no {type_ref} entry has the id, external id, alias or name {ref!r}", param_hint="ENTRY"
        )
    return found


@click.group()
def catalog() -> None:
    """The catalog: its types, their entries, and the services with their owners and dependencies."""


@catalog.group("types")
def catalog_types() -> None:
    """Catalog types and their attributes."""


@catalog_types.command("list")
@connection_options
@output_options
def types_list(connection: Connection, output_format: str | None) -> None:
    """List the catalog types."""
    found = connection.client().catalog.types.list()
    emit_list((t.to_json() for t in found), TYPE_COLUMNS, output_format)


@catalog_types.command("show")
@click.argument("catalog_type", metavar="TYPE")
@connection_options
@output_options
def types_show(catalog_type: str, connection: Connection, output_format: str | None) -> None:
    """Show the catalog type TYPE (its name, id or Custom["Name"]) and its attributes."""
    found = connection.client().catalog.types.get(catalog_type)
    if choose_format(output_format) == "table":
        emit_object(
            found.to_json(),
            [*TYPE_COLUMNS[:-1], column("Description", "description"), column("ID", "id")],
            "table",
        )
        emit_list(
            (a.to_json() for a in found.type_schema.attributes),
            [
                column("Attribute", "name"),
                column("Type", "type"),
                column("Array", "array"),
                column("Mode", "mode"),
                column("ID", "id"),
            ],
            "table",
        )
        return
    emit_object(found.to_json(), [], output_format)


@catalog.group("entries")
def catalog_entries() -> None:
    """The entries of a catalog type."""


@catalog_entries.command("list")
@click.argument("catalog_type", metavar="TYPE")
@click.option("--identifier", help="Only the entry with this id, external id or alias.")
@connection_options
@output_options
def entries_list(
    catalog_type: str, identifier: str | None, connection: Connection, output_format: str | None
) -> None:
    """List the entries of the catalog type TYPE."""
    client = connection.client()
    found_type = client.catalog.types.get(catalog_type)
    found = client.catalog.entries.list(found_type.id, identifier=identifier)
    emit_list((e.to_json() for e in found), entry_columns(found_type), output_format)


@catalog_entries.command("show")
@click.argument("catalog_type", metavar="TYPE")
@click.argument("entry", metavar="ENTRY")
@connection_options
@output_options
def entries_show(catalog_type: str, entry: str, connection: Connection, output_format: str | None) -> None:
    """Show the entry ENTRY (id, external id, alias or name) of the catalog type TYPE."""
    client = connection.client()
    found_type = client.catalog.types.get(catalog_type)
    emit_object(_entry(client, found_type.id, entry).to_json(), entry_columns(found_type), output_format)


_ATTRIBUTE = click.option(
    "--attribute",
    "attributes",
    multiple=True,
    metavar="NAME=VALUE",
    help="An attribute's value (a referenced entry by name, alias or id); repeat for array attributes.",
)


@catalog_entries.command("create")
@click.argument("catalog_type", metavar="TYPE")
@click.option("--name", required=True, help="The entry's name.")
@_ATTRIBUTE
@click.option("--alias", "aliases", multiple=True, help="Another name the entry answers to; repeatable.")
@click.option("--external-id", help="An id of the entry elsewhere, unique in the type.")
@click.option("--rank", type=int, help="The entry's rank, for ranked types.")
@connection_options
@output_options
def entries_create(
    catalog_type: str,
    name: str,
    attributes: tuple[str, ...],
    aliases: tuple[str, ...],
    external_id: str | None,
    rank: int | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Create an entry of the catalog type TYPE."""
    client = connection.client()
    found_type = client.catalog.types.get(catalog_type)
    created = client.catalog.entries.create(
        found_type.id,
        name=name,
        attributes=parse_attributes(attributes, found_type),
        aliases=list(aliases) or None,
        external_id=external_id,
        rank=rank,
    )
    click.echo(f"Created {found_type.name} {created.name}", err=True)
    emit_object(created.to_json(), entry_columns(found_type), output_format)


@catalog_entries.command("update")
@click.argument("catalog_type", metavar="TYPE")
@click.argument("entry", metavar="ENTRY")
@click.option("--name", help="A new name.")
@_ATTRIBUTE
@click.option("--clear", "cleared", multiple=True, metavar="NAME", help="Clear this attribute; repeatable.")
@click.option("--alias", "aliases", multiple=True, help="Replace the aliases with these; repeatable.")
@click.option("--external-id", help="A new external id.")
@click.option("--rank", type=int, help="A new rank.")
@connection_options
@output_options
def entries_update(
    catalog_type: str,
    entry: str,
    name: str | None,
    attributes: tuple[str, ...],
    cleared: tuple[str, ...],
    aliases: tuple[str, ...],
    external_id: str | None,
    rank: int | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Change the entry ENTRY of the catalog type TYPE; attributes not named keep their values."""
    client = connection.client()
    found_type = client.catalog.types.get(catalog_type)
    values: dict[str, Any] = parse_attributes(attributes, found_type)
    for attribute_name in cleared:
        if found_type.attribute(attribute_name) is None:
            raise click.BadParameter(
                f"{found_type.name} has no attribute {attribute_name!r}", param_hint="--clear"
            )
        values[attribute_name] = None
    if not (values or name or aliases or external_id or rank is not None):
        raise click.UsageError(
            "nothing to change: give --name, --attribute, --clear, --alias, --external-id or --rank"
        )
    found = _entry(client, found_type.id, entry)
    updated = client.catalog.entries.update(
        found.id,
        name=name,
        attributes=values,
        aliases=list(aliases) or None,
        external_id=external_id,
        rank=rank,
    )
    click.echo(f"Updated {found_type.name} {updated.name}", err=True)
    emit_object(updated.to_json(), entry_columns(found_type), output_format)


@catalog_entries.command("delete")
@click.argument("catalog_type", metavar="TYPE")
@click.argument("entry", metavar="ENTRY")
@connection_options
def entries_delete(catalog_type: str, entry: str, connection: Connection) -> None:
    """Archive the entry ENTRY of the catalog type TYPE."""
    client = connection.client()
    found = _entry(client, catalog_type, entry)
    client.catalog.entries.delete(found.id)
    click.echo(f"Archived {found.name}", err=True)


@catalog.command("services")
@click.option(
    "--type", "catalog_type", default="Service", show_default=True, help="The catalog type of services."
)
@connection_options
@output_options
def services(catalog_type: str, connection: Connection, output_format: str | None) -> None:
    """List the services with their owners, tiers and dependencies."""
    found = connection.client().catalog.services(catalog_type=catalog_type)
    rows = [
        {
            "name": s.name,
            "id": s.id,
            "external_id": s.external_id,
            "aliases": list(s.aliases),
            "owner": s.owner,
            "tier": s.tier,
            "depends_on": list(s.depends_on),
            "dependents": list(s.dependents),
        }
        for s in found
    ]
    emit_list(rows, SERVICE_COLUMNS, output_format)
