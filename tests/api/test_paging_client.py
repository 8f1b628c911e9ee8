"""The client's on-call resources against the emulator: escalations, paths, schedules, overrides, oncall."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from incidentkit.api import (
    AsyncClient,
    Client,
    InvalidArgumentError,
    UnknownNameError,
    UnprocessableEntityError,
)
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from tests.conftest import FakeClock

START = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # Mei Lin has the seeded on-call week


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    return Emulator(seed="default", clock=clock, random_seed=9)


@pytest.fixture
def sent(emulator: Emulator) -> list[httpx2.Request]:
    return []


@pytest.fixture
def client(emulator: Emulator, sent: list[httpx2.Request]) -> Iterator[Client]:
    inner = emulator.transport()

    def handle(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return inner.handle_request(request)

    with Client(
        SANDBOX_API_KEY, transport=httpx2.MockTransport(handle), rate_limit=None, sleep=lambda _: None
    ) as made:
        yield made


def test_oncall_now_by_schedule_name_follows_the_emulator_clock(client: Client, clock: FakeClock) -> None:
    assert [u.name for u in client.oncall.now("Primary on-call").users] == ["Mei Lin"]
    clock.advance(days=5)  # Monday 9 March, 12:00: Rob's week
    assert [u.name for u in client.oncall.now("primary ON-CALL").users] == ["Rob"]
    later = client.oncall.now("Primary on-call", at=datetime(2026, 3, 18, tzinfo=UTC))
    assert [u.name for u in later.users] == ["Priya Shah"] and later.shifts[0].covers(later.at)  # type: ignore[arg-type]


def test_an_unknown_schedule_name_lists_the_names(client: Client) -> None:
    with pytest.raises(UnknownNameError, match="Primary on-call"):
        client.oncall.now("Secondary")


def test_page_a_path_by_name_linked_to_an_incident_then_acknowledge(
    client: Client, emulator: Emulator
) -> None:
    escalation = client.escalations.create(title="Checkout down", path="platform", incident="INC-1")
    assert escalation.status == "triggered"
    assert [u.name for u in escalation.paged_users] == ["Mei Lin"]
    assert escalation.related_incidents[0].reference == "INC-1"
    acked = client.escalations.acknowledge(escalation.id)
    assert acked.status == "acked" and acked.events[-1].event == "acked"
    assert emulator.state.escalations[0]["status"] == "acked"


def test_page_users_by_email(client: Client) -> None:
    escalation = client.escalations.create(title="Need a DBA", users=["tomas@example.com", "mei@example.com"])
    assert [u.name for u in escalation.paged_users] == ["Tomás García", "Mei Lin"]
    with pytest.raises(InvalidArgumentError, match=r"nobody@example\.com"):
        client.escalations.create(title="x", users="nobody@example.com")


def test_a_page_needs_a_path_or_users_and_nothing_is_sent_otherwise(
    client: Client, sent: list[httpx2.Request]
) -> None:
    for options in ({}, {"path": "Platform", "users": ["mei@example.com"]}):
        with pytest.raises(InvalidArgumentError, match="not both"):
            client.escalations.create(title="x", **options)  # type: ignore[arg-type]
    assert sent == []


def test_a_create_retried_after_a_lost_answer_pages_once(
    client: Client, emulator: Emulator, sent: list[httpx2.Request]
) -> None:
    emulator.inject_fault(status=502, path="/v2/escalations", method="POST", processed=True)
    escalation = client.escalations.create(title="Lost answer", users="sam@example.com")
    posts = [r for r in sent if r.method == "POST" and r.url.path == "/v2/escalations"]
    assert len(posts) == 2 and posts[0].content == posts[1].content  # the same idempotency key
    assert [e["id"] for e in emulator.state.escalations] == [escalation.id]


def test_list_filters_by_status_and_path_name_and_pages(client: Client, clock: FakeClock) -> None:
    made = []
    for index in range(4):
        clock.advance(seconds=1)
        made.append(client.escalations.create(title=f"Page {index}", path="Platform"))
    client.escalations.cancel(made[0].id)
    triggered = list(client.escalations.list(status="triggered", path="Platform", page_size=1))
    assert [e.id for e in triggered] == [e.id for e in reversed(made[1:])]
    assert [e.id for e in client.escalations.list(status_not_in="triggered")] == [made[0].id]
    assert len(list(client.escalations.list(limit=2))) == 2
    with pytest.raises(InvalidArgumentError, match="page_size"):
        list(client.escalations.list(page_size=51))  # checked when the listing starts


def test_the_api_refuses_a_decline_from_an_api_key(client: Client) -> None:
    escalation = client.escalations.create(title="x", users="sam@example.com")
    with pytest.raises(UnprocessableEntityError) as refused:
        client.escalations.respond(escalation.id, "nack")
    assert refused.value.errors[0].field == "response"
    with pytest.raises(InvalidArgumentError, match="snooze_until"):
        client.escalations.respond(escalation.id, "snooze")
    snoozed = client.escalations.respond(escalation.id, "snooze", snooze_until=START + timedelta(hours=1))
    assert snoozed.status == "snoozed"


def test_override_on_the_only_rotation_and_layer_and_entries(client: Client) -> None:
    override = client.schedule_overrides.create(
        "Primary on-call", user="sam@example.com", start=START, end=START + timedelta(hours=3)
    )
    assert [u.name for u in client.oncall.now("Primary on-call").users] == ["Sam Okafor"]
    entries = client.schedules.entries(
        "Primary on-call", start=START - timedelta(hours=1), end=START + timedelta(hours=4)
    )
    assert [e.user.name for e in entries.final if e.user] == ["Mei Lin", "Sam Okafor", "Mei Lin"]
    assert [o.id for o in client.schedule_overrides.list("Primary on-call")] == [override.id]
    moved = client.schedule_overrides.update(override.id, end=START + timedelta(hours=1))
    assert moved.end_at == START + timedelta(hours=1)
    client.schedule_overrides.delete(override.id)
    assert [u.name for u in client.oncall.now("Primary on-call").users] == ["Mei Lin"]


def test_an_override_on_a_schedule_of_two_rotations_must_name_one(client: Client) -> None:
    rotations = [
        {"name": name, "users": [{"email": "mei@example.com"}], "handover_start_at": "2026-01-01T00:00:00Z"}
        for name in ("Day", "Night")
    ]
    schedule = client.schedules.create(name="Two", rotations=rotations)
    with pytest.raises(InvalidArgumentError, match="Day, Night"):
        client.schedule_overrides.create(
            schedule.id, user="sam@example.com", start=START, end=START + timedelta(hours=1)
        )
    made = client.schedule_overrides.create(
        "Two", user="sam@example.com", start=START, end=START + timedelta(hours=1), rotation="Night"
    )
    assert made.rotation_id == schedule.rotations[1].id


def test_schedule_and_path_crud(client: Client) -> None:
    schedule = client.schedules.create(
        name="Payments",
        timezone="Europe/Paris",
        rotations=[{"name": "Weekly", "users": [{"email": "priya@example.com"}]}],
    )
    assert schedule.rotations[0].users[0].name == "Priya Shah"
    assert client.schedules.update("Payments", name="Payments on-call").name == "Payments on-call"
    with pytest.raises(InvalidArgumentError, match="nothing to update"):
        client.schedules.update("Payments on-call")
    path = client.escalation_paths.create(
        name="Payments",
        path=[
            {
                "id": "a",
                "type": "level",
                "level": {"targets": [{"type": "schedule", "id": schedule.id, "urgency": "high"}]},
            }
        ],
    )
    assert [u.name for u in path.current_responders] == ["Priya Shah"]
    assert path.levels[0].targets[0].id == schedule.id
    assert client.escalation_paths.update("Payments", name="Payments path").name == "Payments path"
    assert {p.name for p in client.escalation_paths.list()} == {"Platform", "Payments path"}
    client.escalation_paths.delete("Payments path")
    client.schedules.delete("Payments on-call")
    assert [s.name for s in client.schedules.list()] == ["Primary on-call"]


@pytest.mark.anyio
async def test_the_async_client_pages_and_reads_on_call(emulator: Emulator) -> None:
    async with AsyncClient(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as client:
        on_call = await client.oncall.now("Primary on-call")
        assert [u.name for u in on_call.users] == ["Mei Lin"]
        escalation = await client.escalations.create(
            title="Async page", path="Platform", idempotency_key="a-1"
        )
        again = await client.escalations.create(title="Async page", path="Platform", idempotency_key="a-1")
        assert again.id == escalation.id
        assert [e.id async for e in client.escalations.list()] == [escalation.id]
        assert (await client.escalations.cancel(escalation.id)).status == "cancelled"
        assert [s.name async for s in client.schedules.list()] == ["Primary on-call"]
        entries = await client.schedules.entries("Primary on-call")
        assert entries.final[0].user is not None
