"""Iterating list results fetches further pages, and knows when to stop."""

from __future__ import annotations

import pytest

from incidentkit.api import AsyncClient, Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from tests.api.fakes import FakeClock, ScriptedAPI, error_body, json_response
from tests.api.payloads import incidents_page


def client_for(api: ScriptedAPI, clock: FakeClock | None = None) -> Client:
    clock = clock or FakeClock()
    return Client(
        "k", base_url="https://x.test", transport=api.transport(), sleep=clock.sleep, rate_limit=None
    )


def test_iterating_follows_after_until_it_is_absent() -> None:
    api = ScriptedAPI(
        [
            json_response(200, incidents_page(range(1, 3), after="c1")),
            json_response(200, incidents_page(range(3, 5), after="c2")),
            json_response(200, incidents_page(range(5, 6), after=None)),
        ]
    )
    refs = [i.reference for i in client_for(api).incidents.list(page_size=2)]
    assert refs == ["INC-1", "INC-2", "INC-3", "INC-4", "INC-5"]
    afters = [r.url.params.get("after") for r in api.requests]
    assert afters == [None, "c1", "c2"]


def test_a_short_page_ends_the_listing_even_with_a_cursor() -> None:
    api = ScriptedAPI([json_response(200, incidents_page(range(1, 2), after="c1"))])
    assert len(client_for(api).incidents.list(page_size=2).to_list()) == 1
    assert len(api.requests) == 1


def test_an_empty_page_ends_the_listing() -> None:
    api = ScriptedAPI(
        [json_response(200, {"incidents": [], "pagination_meta": {"after": "x", "page_size": 5}})]
    )
    assert client_for(api).incidents.list().to_list() == []


def test_page_size_defaults_to_the_endpoint_maximum() -> None:
    api = ScriptedAPI([json_response(200, incidents_page(range(1, 2), after=None))])
    client_for(api).incidents.list().to_list()
    assert api.requests[0].url.params["page_size"] == "500"


def test_a_page_size_over_the_maximum_is_refused_before_sending() -> None:
    api = ScriptedAPI([])
    with pytest.raises(ValueError, match="between 1 and 500"):
        client_for(api).incidents.list(page_size=501).to_list()
    assert api.requests == []


def test_limit_shrinks_the_pages_and_stops_early() -> None:
    api = ScriptedAPI(
        [
            json_response(200, incidents_page(range(1, 4), after="c1")),
            json_response(200, incidents_page(range(4, 5), after="c2")),
        ]
    )
    found = client_for(api).incidents.list(page_size=3, limit=4).to_list()
    assert [i.reference for i in found] == ["INC-1", "INC-2", "INC-3", "INC-4"]
    assert [r.url.params["page_size"] for r in api.requests] == ["3", "1"]


def test_first_page_and_pages() -> None:
    api = ScriptedAPI(
        [
            json_response(200, incidents_page(range(1, 3), after="c1")),
            json_response(200, incidents_page(range(1, 3), after="c1")),
            json_response(200, incidents_page(range(3, 4), after=None)),
        ]
    )
    client = client_for(api)
    first = client.incidents.list(page_size=2).first_page()
    assert first.has_more and len(first.items) == 2
    pages = list(client.incidents.list(page_size=2).pages())
    assert [len(p.items) for p in pages] == [2, 1]
    assert not pages[-1].has_more


def test_a_500_in_the_middle_of_a_listing_is_retried_and_the_listing_completes() -> None:
    clock = FakeClock()
    api = ScriptedAPI(
        [
            json_response(200, incidents_page(range(1, 3), after="c1")),
            json_response(500, error_body(500, "api_error", "boom")),
            json_response(200, incidents_page(range(3, 4), after=None)),
        ]
    )
    found = client_for(api, clock).incidents.list(page_size=2).to_list()
    assert len(found) == 3
    assert api.requests[1].url.params["after"] == api.requests[2].url.params["after"] == "c1"
    assert len(clock.sleeps) == 1


def test_filters_use_bracket_syntax_with_repeated_keys() -> None:
    api = ScriptedAPI([json_response(200, incidents_page(range(1, 2), after=None))])
    client_for(api).incidents.list(
        status_category=["live", "triage"],
        mode=["standard", "test"],
        custom_field={"CF1": {"one_of": ["OPT1", "OPT2"]}},
        created_at_date_range=("2026-11-01", "2026-11-08"),
        sort_by="created_at_oldest_first",
    ).to_list()
    params = api.requests[0].url.params
    assert params.get_list("status_category[one_of]") == ["live", "triage"]
    assert params.get_list("mode[one_of]") == ["standard", "test"]
    assert params.get_list("custom_field[CF1][one_of]") == ["OPT1", "OPT2"]
    assert params["created_at[date_range]"] == "2026-11-01~2026-11-08"
    assert params["sort_by"] == "created_at_oldest_first"


@pytest.mark.anyio
async def test_async_for_fetches_every_page() -> None:
    clock = FakeClock()
    api = ScriptedAPI(
        [
            json_response(200, incidents_page(range(1, 3), after="c1")),
            json_response(429, error_body(429, "rate_limit_reached", "slow"), {"Retry-After": "2"}),
            json_response(200, incidents_page(range(3, 4), after=None)),
        ]
    )
    async with AsyncClient(
        "k", base_url="https://x.test", transport=api.transport(), sleep=clock.asleep, rate_limit=None
    ) as client:
        refs = [i.reference async for i in client.incidents.list(page_size=2)]
    assert refs == ["INC-1", "INC-2", "INC-3"]
    assert clock.sleeps == [2.0]


def test_raw_listing_gives_the_apis_json_across_pages() -> None:
    emulator = Emulator(seed="demo", random_seed=1)
    with Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as client:
        models = client.incidents.list(status_category="live", page_size=2, limit=None).to_list()
        raw = list(client.incidents.list(status_category="live", page_size=2, limit=None).raw())
        pager = client.incidents.list(severity="Minor", page_size=3, limit=4)
        first = pager.raw().first_page()
    assert len(models) > 2  # more than one page
    assert [r["id"] for r in raw] == [m.id for m in models]
    assert all(isinstance(r, dict) and r["incident_status"]["category"] == "live" for r in raw)
    assert (
        raw[0]["created_at"]
        == next(i for i in emulator.state.incidents.values() if i["id"] == raw[0]["id"])["created_at"]
    )  # exactly as the API sent it
    assert len(first.items) == 3 and first.has_more
    assert {i["severity"]["name"] for i in first.items} == {"Minor"}
