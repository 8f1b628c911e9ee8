"""The processor under faults: short claim leases with owners, failed finishes, rate limits, the log."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from incidentkit.api import Client, RetryPolicy
from incidentkit.background import BackgroundLoop
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.store import EventStatus, Store
from incidentkit.store.errors import ClaimLostError
from incidentkit.webhooks.handling import IncidentEventHandler
from incidentkit.webhooks.processor import Processor
from tests.conftest import FakeClock

PRIVATE_CREATED = "private_incident.incident_created_v2"
DEADLINE_SECONDS = 30.0


def test_an_unrenewed_claim_comes_back_within_seconds(store: Store, clock: FakeClock) -> None:
    store.insert_event("msg_1", b"{}", {})
    assert [e.webhook_id for e in store.claim_pending(owner="dead")] == ["msg_1"]

    clock.advance(seconds=10)
    assert store.claim_pending(owner="other") == []
    clock.advance(seconds=6)
    [event] = store.claim_pending(owner="other")
    assert event.webhook_id == "msg_1" and event.attempts == 2


def test_a_processor_that_overran_its_lease_cannot_finish_an_event_another_reclaimed(
    store: Store, clock: FakeClock
) -> None:
    store.insert_event("msg_1", b"{}", {})
    second = Processor(store, lambda event: "second", owner="second")

    def slow(event: Any) -> str:
        clock.advance(seconds=20)  # the first processor stalls past its lease, unrenewed...
        assert second.process_pending() == 1  # ...and another claims and finishes the event
        return "first"

    first = Processor(store, slow, owner="first")
    assert first.process_pending() == 1

    event = store.get_event("msg_1")
    assert event.status is EventStatus.PROCESSED and event.outcome == "second"
    with pytest.raises(ClaimLostError):
        store.mark_dead("msg_1", "too late", owner="first")


def test_a_heartbeat_renews_the_claims_of_the_batch_in_hand(store: Store, clock: FakeClock) -> None:
    store.insert_event("msg_1", b"{}", {})
    renewed = threading.Event()

    def handler(event: Any) -> None:
        claimed_at = store.get_event("msg_1").claimed_at
        clock.advance(seconds=10)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while store.get_event("msg_1").claimed_at == claimed_at and time.monotonic() < deadline:
            time.sleep(0.01)
        renewed.set()
        clock.advance(seconds=10)  # 20 s after the claim, 10 s after the renewal: still held
        assert store.claim_pending(owner="other") == []

    processor = Processor(store, handler, owner="alive", heartbeat=0.01)
    try:
        processor.process_pending()
    finally:
        processor.stop()
    assert renewed.is_set()
    assert store.get_event("msg_1").status is EventStatus.PROCESSED


def failing_writes(store: Store, statement: str, times: int) -> list[int]:
    """Make the next ``times`` inbox updates setting ``statement`` fail as a full disk makes them fail."""
    left = [times]

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def fail(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.startswith("UPDATE inbox") and statement in sql and left[0] > 0:
            left[0] -= 1
            raise sqlite3.OperationalError("database or disk is full")

    return left


def test_a_finish_the_store_refused_is_tried_again_on_the_next_round(
    tmp_path: Path, clock: FakeClock
) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}", clock=clock) as store:
        store.insert_event("msg_1", b"{}", {})
        processor = Processor(store, lambda event: "done", owner="p")
        failing_writes(store, "processed_at=", 1)
        with pytest.raises(sa.exc.OperationalError):
            processor.run_round()
        assert store.get_event("msg_1").status is EventStatus.PROCESSING

        processor.run_round()

        event = store.get_event("msg_1")
        assert event.status is EventStatus.PROCESSED and event.outcome == "done" and event.attempts == 1


def test_a_rate_limited_fetch_waits_as_asked_without_using_an_attempt(store: Store, clock: FakeClock) -> None:
    emulator = Emulator(seed="demo", random_seed=5)
    with Client(
        SANDBOX_API_KEY,
        base_url="https://api.incident.io",
        transport=emulator.transport(),
        rate_limit=None,
        retry=RetryPolicy(max_retries=0),
    ) as client:
        incident_id = next(iter(emulator.state.incidents))
        emulator.inject_fault(status=429, path=f"/v2/incidents/{incident_id}", retry_after=7, times=20)
        body = json.dumps({"event_type": PRIVATE_CREATED, PRIVATE_CREATED: {"id": incident_id}}).encode()
        store.insert_event("msg_1", body, {}, event_type=PRIVATE_CREATED)
        processor = Processor(store, IncidentEventHandler(store, client), max_attempts=2)
        for _ in range(5):
            processor.process_pending()
            clock.advance(seconds=7)

    event = store.get_event("msg_1")
    assert event.status is EventStatus.PENDING and event.attempts == 0
    assert event.next_attempt_at == clock.now  # 7 s after the last try, as Retry-After said


def test_the_write_ahead_log_is_checkpointed_on_a_schedule(tmp_path: Path, clock: FakeClock) -> None:
    database = tmp_path / "store.db"
    with Store.open(f"sqlite:///{database}", clock=clock) as store:
        processor = Processor(store, lambda event: None, checkpoint_every=timedelta(minutes=1))
        assert processor.checkpoint_if_due() is not None
        store.insert_events([])
        for number in range(50):
            store.insert_event(f"msg_{number}", b"x" * 4000, {})
        assert Path(f"{database}-wal").stat().st_size > 100_000
        clock.advance(seconds=30)
        assert processor.checkpoint_if_due() is None
        clock.advance(seconds=31)
        assert processor.checkpoint_if_due() > 100_000  # type: ignore[operator]
        assert Path(f"{database}-wal").stat().st_size == 0


def test_a_full_disk_checkpoints_and_says_how_much_space_is_needed(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "store.db"
    with Store.open(f"sqlite:///{database}", clock=clock) as store:
        for number in range(20):
            store.insert_event(f"msg_{number}", b"x" * 4000, {})
        assert Path(f"{database}-wal").stat().st_size > 0
        connection = store.engine.raw_connection()
        try:
            pages = connection.cursor().execute("PRAGMA page_count").fetchone()[0]
        finally:
            connection.close()

        @sa.event.listens_for(store.engine, "connect")
        def small_disk(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        store.engine.dispose()
        with caplog.at_level(logging.WARNING), pytest.raises(sa.exc.OperationalError):
            store.insert_events([*(_event(n) for n in range(100, 110))])
    [line] = [r.getMessage() for r in caplog.records if "disk is full" in r.getMessage()]
    assert "storing 10 deliveries needs at least 142 KB free" in line and "checkpointed" in line
    wal = Path(f"{database}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def _event(number: int) -> Any:
    from incidentkit.store import NewEvent

    return NewEvent(f"msg_{number}", b"y" * 4000, {})


class StepClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_one_line_when_it_starts_and_one_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    outcomes: list[Exception | None] = [
        sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused\nmore detail")),
        sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused")),
        None,
    ]
    clock = StepClock()

    def round() -> None:
        clock.now += 5.05
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    loop = BackgroundLoop("worker", round, interval=1, logger=logging.getLogger("test.loop"), clock=clock)
    with caplog.at_level(logging.DEBUG, logger="test.loop"):
        loop.run_round()
        loop.run_round()
        loop.run_round()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "worker: store unavailable: OperationalError: (builtins.Exception) connection refused; retrying",
        "worker: store available again after 10.1 s",
    ]
    assert all(r.exc_info is None for r in warnings)
    assert sum(1 for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info) == 2


def test_a_stopping_processor_gives_back_the_events_it_claimed_but_did_not_handle(store: Store) -> None:
    for number in range(3):
        store.insert_event(f"msg_{number}", b"{}", {})
    handled: list[str] = []
    stopper: list[threading.Thread] = []

    def handler(event: Any) -> None:
        handled.append(event.webhook_id)
        stopping = threading.Thread(target=processor.stop)
        stopping.start()  # SIGTERM arrives while the first event is in hand
        stopper.append(stopping)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not processor.stopping and time.monotonic() < deadline:
            time.sleep(0.01)

    processor = Processor(store, handler, owner="p")
    processor.start(poll_interval=60)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not stopper and time.monotonic() < deadline:
        time.sleep(0.01)
    stopper[0].join(DEADLINE_SECONDS)

    assert handled == ["msg_0"]
    assert store.get_event("msg_0").status is EventStatus.PROCESSED
    for webhook_id in ("msg_1", "msg_2"):
        event = store.get_event(webhook_id)
        assert (event.status, event.attempts, event.next_attempt_at) == (EventStatus.PENDING, 0, None)
