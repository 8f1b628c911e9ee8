"""The services an investigation knows: the catalog's Service type, else the configured list.

:class:`ServiceCatalog` answers the questions the investigation asks about services: which known
service a name or alias means, which services a piece of text mentions, and what each one depends
on. It is loaded once per investigation (:meth:`ServiceCatalog.load`): from the catalog when the
organisation has a Service type, else from ``[investigation] services`` and
``[investigation.dependencies]``. Offline, :meth:`ServiceCatalog.stored` makes one of the services
the last ``incidentkit sync`` copied into the store. Configured dependencies are merged over the
catalog's, so a map kept by hand still counts where the catalog says less.

A mention is a name or alias found as a whole word (any case): ``checkout`` matches
"Checkout errors" but not "checkouts", and ``auth`` does not match "authentication".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.config import InvestigationConfig

if TYPE_CHECKING:
    from incidentkit.api import Client

__all__ = ["KnownService", "ServiceCatalog"]


@dataclass(frozen=True)
class KnownService:
    """A service the organisation has, with what the catalog says about it.

    Attributes:
        name: its name.
        aliases: other names it goes by.
        owner: the team that owns it, when known.
        tier: its tier, when known.
        depends_on: the services it depends on.
        dependents: the services that depend on it.
        catalog_entry_id: its catalog entry, when it comes from the catalog.
    """

    name: str
    aliases: tuple[str, ...] = ()
    owner: str | None = None
    tier: str | None = None
    depends_on: tuple[str, ...] = ()
    dependents: tuple[str, ...] = ()
    catalog_entry_id: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Its name and aliases."""
        return (self.name, *self.aliases)


def _word(term: str) -> re.Pattern[str]:
    """``term`` as a whole word: not inside a longer name (letters, digits, ``-``, ``_``, ``.``)."""
    return re.compile(rf"(?<![\w.-]){re.escape(term)}(?![\w-]|\.\w)", re.IGNORECASE)


@dataclass(frozen=True)
class ServiceCatalog:
    """The known services, and where they came from.

    Attributes:
        services: the services.
        source: ``catalog``, ``store`` (what the last sync copied), ``configuration`` or ``none``.
        note: why the catalog was not used, when it was not.
    """

    services: tuple[KnownService, ...] = ()
    source: str = "none"
    note: str | None = None
    _patterns: list[tuple[re.Pattern[str], KnownService]] = field(
        default_factory=list, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Longest terms first, so "checkout-web" wins over "checkout" where both would match.
        terms = sorted(
            ((term, service) for service in self.services for term in service.names if term.strip()),
            key=lambda pair: -len(pair[0]),
        )
        self._patterns.extend((_word(term), service) for term, service in terms)

    @classmethod
    def load(cls, client: Client | None, config: InvestigationConfig) -> ServiceCatalog:
        """The catalog's services (with the configured dependencies merged in), else the configured ones.

        A missing Service type, or a key that may not read the catalog, falls back to the
        configuration and says so in :attr:`note`; other API errors are raised.
        """
        from incidentkit.api.errors import NotFoundError, PermissionDeniedError, UnknownNameError

        note = None
        if client is not None:
            try:
                found = client.catalog.services()
            except UnknownNameError:
                note = "the catalog has no Service type"
            except (NotFoundError, PermissionDeniedError) as error:
                note = f"the catalog could not be read ({error.status})"
            else:
                services = tuple(
                    KnownService(
                        name=service.name,
                        aliases=service.aliases,
                        owner=service.owner,
                        tier=service.tier,
                        depends_on=service.depends_on,
                        dependents=service.dependents,
                        catalog_entry_id=service.id,
                    )
                    for service in found
                )
                return cls.stored(services, config, source="catalog")
        configured = _with_configured((), config)
        return cls(configured, "configuration" if configured else "none", note)

    @classmethod
    def stored(
        cls, services: Sequence[KnownService], config: InvestigationConfig, *, source: str = "store"
    ) -> ServiceCatalog:
        """These services (those a sync kept in the store, say) with the configured dependencies merged in.

        No services: the configured ones, as :meth:`load` without a catalog.
        """
        if not services:
            configured = _with_configured((), config)
            return cls(configured, "configuration" if configured else "none")
        merged = tuple(
            replace(
                service,
                depends_on=_merged(service.depends_on, _configured(config.dependencies, service.name)),
            )
            for service in services
        )
        return cls(_with_configured(merged, config), source)

    def find(self, name: str) -> KnownService | None:
        """The service called ``name`` (its name or an alias, any case), or None."""
        wanted = name.strip().lower()
        for service in self.services:
            if any(term.lower() == wanted for term in service.names):
                return service
        return None

    def canonical(self, name: str) -> str:
        """The known name for ``name`` (an alias becomes the service's name); unknown names unchanged."""
        found = self.find(name)
        return found.name if found is not None else name.strip()

    def mentions(self, text: str) -> list[tuple[KnownService, str]]:
        """The services ``text`` names (name or alias), first mentioned first, with the words matched."""
        if not text:
            return []
        hits: list[tuple[int, KnownService, str]] = []
        seen: set[str] = set()
        for pattern, service in self._patterns:
            if service.name in seen:
                continue
            match = pattern.search(text)
            if match is not None:
                seen.add(service.name)
                hits.append((match.start(), service, match.group(0)))
        return [(service, term) for _, service, term in sorted(hits, key=lambda hit: hit[0])]

    def dependencies(self) -> dict[str, tuple[str, ...]]:
        """Service → the services it depends on, for :func:`~incidentkit.investigation.changes_before`."""
        return {service.name: service.depends_on for service in self.services if service.depends_on}

    def aliases(self) -> dict[str, str]:
        """Every name and alias (lower case) → the service's name, to read changes reported by alias."""
        return {term.lower(): service.name for service in self.services for term in service.names}


def _configured(dependencies: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    wanted = name.lower()
    return tuple(dep for service, deps in dependencies.items() if service.lower() == wanted for dep in deps)


def _merged(*groups: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for group in groups:
        for name in group:
            seen.setdefault(name.lower(), name)
    return tuple(seen.values())


def _with_configured(
    services: tuple[KnownService, ...], config: InvestigationConfig
) -> tuple[KnownService, ...]:
    """``services`` plus the configured services and dependency keys the catalog does not have."""
    known = {term.lower() for service in services for term in service.names}
    extra: dict[str, Any] = {}
    for name in (*config.services, *config.dependencies):
        if name.strip() and name.lower() not in known and name.lower() not in extra:
            extra[name.lower()] = KnownService(
                name=name.strip(), depends_on=_configured(config.dependencies, name)
            )
    return (*services, *extra.values())
