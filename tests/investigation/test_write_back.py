"""post_findings: timeline items, an update, Slack and the summary, idempotently, against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from slack_sdk import WebClient

from incidentkit.api import Client, ReadOnlyError
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.investigation import (
    ChangeLog,
    History,
    Investigation,
    InvestigationConfig,
    WriteBackError,
    investigate,
    post_findings,
)
from incidentkit.investigation.sync import sync_history
from incidentkit.investigation.write_back import COMPLETE, ROOT_CAUSE, STARTED, marker
from incidentkit.store import Store
from incidentkit.testing.slack import SlackRecorder

CONFIG = InvestigationConfig()
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "xoxb-investigation"


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(seed="demo", random_seed="write-back")


@pytest.fixture
def demo(emulator: Emulator) -> Iterator[Client]:
    with Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as client:
        yield client


@pytest.fixture
def store(demo: Client, tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        sync_history(demo, History(opened), CONFIG, full=True)
        yield opened


@pytest.fixture
def slack() -> Iterator[SlackRecorder]:
    with SlackRecorder(token=TOKEN) as recorder:
        yield recorder


def _web(recorder: SlackRecorder) -> WebClient:
    return WebClient(token=TOKEN, base_url=recorder.base_url, retry_handlers=[])


def _with_deploy(client: Client, store: Store) -> Investigation:
    incident = client.incidents.get("INC-47")
    ChangeLog(store).record(
        "checkout-web", version="v2.3.1", at=incident.created_at - timedelta(minutes=12), source="cli"
    )
    return investigate(client, "INC-47", store=store, config=CONFIG, now=lambda: NOW)


def _ours(client: Client, found: Investigation) -> tuple[list[str], list[str]]:
    mark = marker(found.key)
    items = [
        i.title
        for i in client.incident_timeline_items.list(found.context.id)
        if mark in (i.description or "")
    ]
    updates = [
        u.message or "" for u in client.incident_updates.list(found.context.id) if mark in (u.message or "")
    ]
    return items, updates


def test_everything_is_written_once_however_often_it_runs(
    demo: Client, store: Store, slack: SlackRecorder
) -> None:
    found = _with_deploy(demo, store)
    first = post_findings(demo, found, slack=_web(slack), now=lambda: NOW)
    assert first.created == (
        f"timeline:{STARTED}",
        f"timeline:{ROOT_CAUSE}",
        "update",
        "slack",
        f"timeline:{COMPLETE}",
    )
    assert first.errors == () and first.fallback is None and first.slack_ts
    items, updates = _ours(demo, found)
    assert sorted(items) == sorted([STARTED, ROOT_CAUSE, COMPLETE])
    [update] = updates
    assert "[high] checkout-web deployed v2.3.1 twelve minutes before impact" in update
    [message] = slack.messages
    assert message.channel == found.context.incident.slack_channel_id
    assert "checkout-web deployed v2.3.1" in (message.text or "") and "INC-47" in (message.text or "")

    again = post_findings(demo, found, slack=_web(slack), now=lambda: NOW + timedelta(minutes=5))
    assert again.created == () and set(again.existing) >= {
        f"timeline:{STARTED}",
        "update",
        f"timeline:{COMPLETE}",
    }
    assert _ours(demo, found) == (items, updates) and len(slack.messages) == 1


def test_no_root_cause_item_without_a_high_confidence_cause(demo: Client, store: Store) -> None:
    found = investigate(demo, "INC-47", store=store, config=CONFIG, now=lambda: NOW)
    assert found.root_cause is None
    written = post_findings(demo, found, now=lambda: NOW)
    assert f"timeline:{ROOT_CAUSE}" not in written.created
    assert sorted(_ours(demo, found)[0]) == [COMPLETE, STARTED]


def test_a_slack_that_is_busy_gets_the_message_on_the_next_run(
    demo: Client, store: Store, slack: SlackRecorder
) -> None:
    found = _with_deploy(demo, store)
    channel = found.context.incident.slack_channel_id
    assert channel
    slack.fail(channel, "ratelimited", status=429, retry_after=1, times=1)
    first = post_findings(demo, found, slack=_web(slack), now=lambda: NOW)
    assert "slack" not in first.created and first.errors == (
        f"Slack refused the message to {channel}: ratelimited",
    )
    assert f"timeline:{COMPLETE}" not in first.created  # not complete until Slack has it
    second = post_findings(demo, found, slack=_web(slack), now=lambda: NOW)
    assert second.created == ("slack", f"timeline:{COMPLETE}")
    assert len(slack.messages) == 1 and len(_ours(demo, found)[1]) == 1


def test_a_channel_slack_does_not_know_is_reported_and_the_rest_completes(
    demo: Client, store: Store, slack: SlackRecorder
) -> None:
    found = _with_deploy(demo, store)
    channel = found.context.incident.slack_channel_id
    assert channel
    slack.fail(channel, "channel_not_found")
    written = post_findings(demo, found, slack=_web(slack), now=lambda: NOW)
    assert written.errors == (f"Slack refused the message to {channel}: channel_not_found",)
    assert f"timeline:{COMPLETE}" in written.created


def test_refused_timeline_items_fall_back_to_the_summary(
    emulator: Emulator, demo: Client, store: Store
) -> None:
    found = _with_deploy(demo, store)
    before = demo.incidents.get("INC-47").summary or ""
    emulator.inject_fault(status=403, method="POST", path="/v2/incident_timeline_items", times=10)
    written = post_findings(demo, found, now=lambda: NOW)
    assert written.fallback and "403" in written.fallback and written.created == ("summary",)
    summary = demo.incidents.get("INC-47").summary or ""
    assert summary.startswith(before) and marker(found.key) in summary
    assert "checkout-web deployed v2.3.1" in summary
    assert post_findings(demo, found, now=lambda: NOW).existing == ("summary",)  # once, even as a fallback
    assert demo.incidents.get("INC-47").summary == summary


class Interfering(httpx2.BaseTransport):
    """The emulator's transport, with someone else editing the summary at one chosen request.

    ``at`` counts the GETs of the incident after our first write-back read (1 = the first of them).
    """

    def __init__(self, emulator: Emulator, text: str, at: int) -> None:
        self.inner = emulator.transport()
        self.other = Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None)
        self.text, self.at, self.gets = text, at, 0
        self.armed = False

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.armed and request.method == "GET" and request.url.path.startswith("/v2/incidents/"):
            self.gets += 1
            if self.gets == self.at:
                self.other.incidents.edit(request.url.path.rsplit("/", 1)[-1], summary=self.text)
        return self.inner.handle_request(request)


@pytest.mark.parametrize(
    ("at", "what"),
    [(2, "between our read and our write"), (3, "after our write, replacing it")],
)
def test_appending_keeps_what_someone_else_wrote_meanwhile(
    emulator: Emulator, demo: Client, store: Store, at: int, what: str
) -> None:
    found = _with_deploy(demo, store)
    theirs = "Customer impact confirmed by support (written by a person)."
    transport = Interfering(emulator, theirs, at)
    with Client(SANDBOX_API_KEY, transport=transport, rate_limit=None) as client:
        transport.armed = True
        written = post_findings(client, found, append_summary=True, now=lambda: NOW)
    assert "summary" in written.created, what
    assert transport.gets >= 5, "the interference made the write-back read again"
    summary = demo.incidents.get("INC-47").summary or ""
    assert summary.startswith(theirs), what
    assert summary.count(marker(found.key)) == 1


def test_a_summary_that_never_holds_still_is_an_error_not_a_loss(
    emulator: Emulator, demo: Client, store: Store
) -> None:
    found = _with_deploy(demo, store)

    class Busy(Interfering):
        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            if request.method == "GET" and request.url.path.startswith("/v2/incidents/"):
                self.gets += 1
                if self.gets % 2 == 0:  # someone rewrites it before each of our second reads
                    self.other.incidents.edit(
                        request.url.path.rsplit("/", 1)[-1], summary=f"edit {self.gets}"
                    )
            return self.inner.handle_request(request)

    busy = Client(SANDBOX_API_KEY, transport=Busy(emulator, "", 0), rate_limit=None)
    with busy, pytest.raises(WriteBackError, match="changed during each of 3 attempts"):
        post_findings(busy, found, append_summary=True, now=lambda: NOW)
    assert marker(found.key) not in (demo.incidents.get("INC-47").summary or "")


def test_a_read_only_key_writes_nothing(emulator: Emulator, demo: Client, store: Store) -> None:
    found = _with_deploy(demo, store)
    reader = Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None, read_only=True)
    with reader, pytest.raises(ReadOnlyError):
        post_findings(reader, found, now=lambda: NOW)
    assert _ours(demo, found) == ([], [])
