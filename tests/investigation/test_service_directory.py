"""The catalog's services kept in the store: replaced whole, read back with their dependents."""

from __future__ import annotations

from incidentkit.investigation import KnownService, ServiceCatalog, ServiceDirectory
from incidentkit.investigation.config import InvestigationConfig
from incidentkit.store import Store
from tests.conftest import FakeClock

SERVICES = [
    KnownService(
        "checkout-web",
        aliases=("checkout",),
        owner="Payments",
        tier="1",
        depends_on=("payments-api",),
        catalog_entry_id="01HCHECKOUT",
    ),
    KnownService("payments-api", aliases=("payments", "pay-api"), owner="Payments", tier="1"),
]


def test_services_read_back_as_written_with_dependents_worked_out(store: Store) -> None:
    directory = ServiceDirectory(store)
    assert directory.all() == () and directory.fingerprint() is None
    assert directory.replace(SERVICES) == 2
    checkout, payments = directory.all()
    assert checkout == SERVICES[0]
    assert payments.aliases == ("payments", "pay-api")
    assert payments.dependents == ("checkout-web",) and payments.depends_on == ()


def test_a_replacement_drops_what_the_catalog_no_longer_has(store: Store) -> None:
    directory = ServiceDirectory(store)
    directory.replace(SERVICES)
    directory.replace([SERVICES[1], KnownService("search")])
    assert [service.name for service in directory.all()] == ["payments-api", "search"]
    assert directory.replace([]) == 0
    assert directory.all() == ()


def test_the_fingerprint_moves_only_when_the_services_change(store: Store, clock: FakeClock) -> None:
    directory = ServiceDirectory(store)
    directory.replace(SERVICES)
    first = directory.fingerprint()
    directory.replace(list(reversed(SERVICES)))  # the same services
    assert directory.fingerprint() == first
    directory.replace(SERVICES[:1])  # with a clock that stands still
    second = directory.fingerprint()
    assert second is not None and first is not None and second > first
    directory.replace([])
    assert directory.fingerprint() not in (None, second)  # an emptied catalog is a change too
    assert directory.replace([]) == 0 and directory.all() == ()


def test_a_catalog_of_stored_services_merges_the_configured_dependencies(store: Store) -> None:
    ServiceDirectory(store).replace(SERVICES)
    config = InvestigationConfig(dependencies={"payments-api": ("postgres",)})
    catalog = ServiceCatalog.stored(ServiceDirectory(store).all(), config)
    assert catalog.source == "store"
    assert catalog.dependencies() == {"checkout-web": ("payments-api",), "payments-api": ("postgres",)}
    assert catalog.canonical("pay-api") == "payments-api"
    empty = ServiceCatalog.stored((), config)
    assert empty.source == "configuration"
