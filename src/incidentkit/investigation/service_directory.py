"""The catalog's services kept in the store, so the investigation can read them offline.

``incidentkit sync`` copies the catalog's Service entries (name, aliases, owner, tier and what each
depends on) into the store's ``history_services`` table, replacing what the previous sync copied
when it differs: the catalog is small, and a service removed from it should not linger (an
unchanged catalog is not written again, so the similarity index built over it stays valid).
:class:`ServiceDirectory` reads them back as
:class:`~incidentkit.investigation.service_catalog.KnownService`, with who depends on each worked
out from everyone's ``depends_on`` (as the client does).

Similar-incident search reads it to count services shared through a dependency, and
:func:`~incidentkit.investigation.changes` reads it for the dependency map when it has no client.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from incidentkit.investigation.history import _aware
from incidentkit.investigation.service_catalog import KnownService
from incidentkit.store import Store
from incidentkit.store.db import reading
from incidentkit.store.schema import history_services

__all__ = ["ServiceDirectory"]


class ServiceDirectory:
    """The services the last sync found in the catalog.

    Args:
        store: an open store (migrated: the ``history_services`` table exists).
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def replace(self, services: Iterable[KnownService]) -> int:
        """Make ``services`` the whole directory (in one transaction); returns how many it holds.

        A name given twice (any case) keeps the first. Nothing is written when the directory
        already holds exactly these services. Every replacement is stamped later than the one
        before (even with a clock that stands still), which is what :meth:`fingerprint` reads.
        """
        rows: dict[str, dict[str, object]] = {}
        for service in services:
            name = service.name.strip()
            if name and name.lower() not in rows:
                rows[name.lower()] = {
                    "name": name,
                    "aliases": list(service.aliases),
                    "owner": service.owner,
                    "tier": service.tier,
                    "depends_on": list(service.depends_on),
                    "catalog_entry_id": service.catalog_entry_id,
                }
        wanted = sorted(rows.values(), key=lambda row: str(row["name"])) or [_EMPTY_MARK]
        with self.store.engine.begin() as connection:
            kept = sorted(
                (
                    {name: row._mapping[name] for name in _EMPTY_MARK}
                    for row in connection.execute(sa.select(history_services))
                ),
                key=lambda row: str(row["name"]),
            )
            if kept == wanted:
                return len(rows)
            newest = _aware(connection.execute(sa.select(sa.func.max(history_services.c.synced_at))).scalar())
            now = self.store.clock()
            if newest is not None and now <= newest:
                now = newest + timedelta(microseconds=1)
            connection.execute(history_services.delete())
            # An empty catalog leaves a mark, so that caches see the change (and the next sync, that
            # nothing changed).
            connection.execute(history_services.insert(), [row | {"synced_at": now} for row in wanted])
        return len(rows)

    def all(self) -> tuple[KnownService, ...]:
        """Every service, by name, with its dependents worked out; empty before the first sync."""
        query = sa.select(history_services).order_by(history_services.c.name)
        with reading(self.store.engine) as connection:
            rows = [row._mapping for row in connection.execute(query) if row.name != _EMPTY_MARK["name"]]
        dependents: dict[str, list[str]] = {}
        for row in rows:
            for dependency in row["depends_on"]:
                dependents.setdefault(str(dependency).lower(), []).append(row["name"])
        return tuple(
            KnownService(
                name=row["name"],
                aliases=tuple(row["aliases"]),
                owner=row["owner"],
                tier=row["tier"],
                depends_on=tuple(row["depends_on"]),
                dependents=tuple(dependents.get(row["name"].lower(), ())),
                catalog_entry_id=row["catalog_entry_id"],
            )
            for row in rows
        )

    def fingerprint(self) -> datetime | None:
        """When the directory was last replaced (None before the first sync), to invalidate caches."""
        with reading(self.store.engine) as connection:
            return _aware(connection.execute(sa.select(sa.func.max(history_services.c.synced_at))).scalar())


# The row an empty replacement leaves: a name no catalog entry can have (names are not blank).
_EMPTY_MARK: dict[str, object] = {
    "name": "",
    "aliases": [],
    "owner": None,
    "tier": None,
    "depends_on": [],
    "catalog_entry_id": None,
}
