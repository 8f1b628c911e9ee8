"""Services as similar-incident search compares them: one name for a service's aliases, and its neighbours.

:class:`ServiceLinks` is built from the known services (the catalog the last sync copied): every
name and alias (any case) leads to the service's key, and each service to the services one
dependency away, in either direction, with how they are related. Without a catalog, every name is
its own service and has no neighbours, so comparing services is plain name matching.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from incidentkit.investigation.service_catalog import KnownService

__all__ = ["ServiceLinks"]


@dataclass(frozen=True)
class ServiceLinks:
    """Names, aliases and one-hop dependencies of the known services.

    Attributes:
        keys: every name and alias (lower case) → the service's key (its name, lower case).
        terms: service key → its name and aliases (lower case), as incidents may name it.
        names: service key → its name as the catalog spells it.
        neighbours: service key → the keys one dependency away → how (``a depends on b``).
    """

    keys: Mapping[str, str]
    terms: Mapping[str, frozenset[str]]
    names: Mapping[str, str]
    neighbours: Mapping[str, Mapping[str, str]]

    @classmethod
    def of(cls, services: Sequence[KnownService]) -> ServiceLinks:
        """The links among ``services`` (dependencies on services it does not know are left out)."""
        keys: dict[str, str] = {}
        terms: dict[str, frozenset[str]] = {}
        names: dict[str, str] = {}
        for service in services:
            key = service.name.strip().lower()
            if not key or key in names:
                continue
            names[key] = service.name.strip()
            terms[key] = frozenset(term.strip().lower() for term in service.names if term.strip())
            for term in terms[key]:
                keys.setdefault(term, key)
        neighbours: dict[str, dict[str, str]] = {}
        for service in services:
            found = keys.get(service.name.strip().lower())
            if found is None:
                continue
            key = found
            for dependency in service.depends_on:
                other = keys.get(dependency.strip().lower())
                if other is None or other == key:
                    continue
                how = f"{names[key]} depends on {names[other]}"
                neighbours.setdefault(key, {}).setdefault(other, how)
                neighbours.setdefault(other, {}).setdefault(key, how)
        return cls(keys, terms, names, neighbours)

    def key(self, name: str) -> str:
        """The key of the service ``name`` means (an alias leads to its service); unknown: ``name`` itself."""
        lowered = name.strip().lower()
        return self.keys.get(lowered, lowered)

    def around(self, services: Sequence[str]) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
        """The query's services and their neighbours.

        Returns:
            each of ``services`` (by key, once) → the names it goes by (lower case); and each
            service one dependency away from one of them, not one of them itself → how they are
            related (the first of ``services`` to reach it wins).
        """
        mine: dict[str, frozenset[str]] = {}
        for name in services:
            key = self.key(name)
            if key and key not in mine:
                mine[key] = self.terms.get(key, frozenset({key}))
        linked: dict[str, str] = {}
        for key in mine:
            for other, how in self.neighbours.get(key, {}).items():
                if other not in mine:
                    linked.setdefault(other, how)
        return mine, linked
