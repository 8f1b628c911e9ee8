"""Similar incidents: services shared through a catalog dependency, and the catalog the sync kept."""

from __future__ import annotations

import pytest

from incidentkit.investigation import (
    History,
    InvestigationConfig,
    KnownService,
    ServiceDirectory,
    SimilarityIndex,
    similar,
)
from incidentkit.investigation.config import InvestigationConfigError, investigation_config_from
from incidentkit.store import Store
from tests.investigation.conftest import incident

CATALOG = (
    KnownService("checkout-web", aliases=("checkout",), depends_on=("payments-api", "api-gateway")),
    KnownService("payments-api", aliases=("payments",), depends_on=("auth-service",)),
    KnownService("api-gateway", depends_on=("auth-service",)),
    KnownService("auth-service"),
    KnownService("search"),
)
PAST = [
    incident(1, "Card payments failing", services=("payments-api",)),
    incident(2, "Search results stale", services=("search",)),
    incident(3, "Checkout page blank", services=("checkout",)),  # an alias of checkout-web
    incident(4, "Logins failing", services=("auth-service",)),  # two hops from checkout-web
]
QUERY = incident(9, "Errors on the checkout page", services=("checkout-web",))


def by_reference(index: SimilarityIndex) -> dict[str, float]:
    return {m.incident.reference: m.parts["services"] for m in index.query(QUERY, k=10, threshold=0.0)}


def test_a_service_one_dependency_away_counts_for_less_than_a_shared_one() -> None:
    config = InvestigationConfig()
    parts = by_reference(SimilarityIndex.build(PAST, config, catalog=CATALOG))
    assert parts["INC-3"] == 1.0  # the alias names the same service
    assert parts["INC-1"] == pytest.approx(0.5 * 1 / 2)  # (0 + 0.5 * 1) / |{checkout-web, payments-api}|
    assert parts["INC-2"] == 0.0
    assert parts["INC-4"] == 0.0  # one hop only


def test_a_dependency_counts_in_either_direction_and_is_explained() -> None:
    query = incident(9, "Card payments failing", services=("payments-api",))
    index = SimilarityIndex.build(PAST, InvestigationConfig(), catalog=CATALOG)
    matches = {m.incident.reference: m for m in index.query(query, k=10, threshold=0.0)}
    for reference in ("INC-3", "INC-4"):  # checkout-web depends on it; it depends on auth-service
        assert matches[reference].parts["services"] == pytest.approx(0.25)
    assert matches["INC-3"].related_services == (("checkout", "checkout-web depends on payments-api"),)
    assert any("one dependency away: checkout" in reason for reason in matches["INC-3"].reasons)
    assert matches["INC-3"].to_dict()["related_services"] == [
        {"service": "checkout", "how": "checkout-web depends on payments-api"}
    ]
    assert matches["INC-2"].related_services == ()


def test_without_a_catalog_services_match_by_name_only() -> None:
    parts = by_reference(SimilarityIndex.build(PAST, InvestigationConfig()))
    assert parts == {"INC-1": 0.0, "INC-2": 0.0, "INC-3": 0.0, "INC-4": 0.0}


def test_the_dependency_share_is_configurable_from_nothing_to_a_full_share() -> None:
    none = InvestigationConfig(dependency_share=0.0)
    assert by_reference(SimilarityIndex.build(PAST, none, catalog=CATALOG))["INC-1"] == 0.0
    full = InvestigationConfig(dependency_share=1.0)
    assert by_reference(SimilarityIndex.build(PAST, full, catalog=CATALOG))["INC-1"] == pytest.approx(0.5)
    assert investigation_config_from({"dependency_share": 0.25}).dependency_share == 0.25
    with pytest.raises(InvestigationConfigError, match="dependency_share must be from 0 to 1"):
        investigation_config_from({"dependency_share": 1.5})
    with pytest.raises(InvestigationConfigError, match="dependency_share must be a number"):
        investigation_config_from({"dependency_share": "half"})


def test_similar_reads_the_catalog_kept_in_the_store_and_sees_it_change(store: Store) -> None:
    history = History(store)
    history.upsert(PAST)
    config = InvestigationConfig()

    def services_part() -> float:
        found = similar(QUERY, k=10, threshold=0.0, history=history, config=config)
        return next(m.parts["services"] for m in found if m.incident.reference == "INC-1")

    assert services_part() == 0.0  # no catalog yet
    ServiceDirectory(store).replace(CATALOG)
    assert services_part() == pytest.approx(0.25)  # the cached index was rebuilt
    ServiceDirectory(store).replace([KnownService("checkout-web"), KnownService("payments-api")])
    assert services_part() == 0.0
