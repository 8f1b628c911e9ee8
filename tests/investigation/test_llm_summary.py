"""The optional language-model summary, against a local server answering like /v1/chat/completions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.investigation import ChangeLog, InvestigationConfig, investigate
from incidentkit.investigation.config import InvestigationConfigError, LLMConfig, investigation_config_from
from incidentkit.investigation.llm_summary import chat_completions_url
from incidentkit.store import Store
from incidentkit.testing import LoopbackServer
from incidentkit.testing.loopback import Answer, Received

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY = "sk-test-not-a-real-key"
CONTEXT = "Payments owns checkout-web; page the payments on-call before anyone else."


def completion(text: str) -> Answer:
    return 200, {}, {"id": "chatcmpl-1", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    ]}  # fmt: skip


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Client, Store]]:
    emulator = Emulator(seed="demo", random_seed="llm")
    with (
        Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as client,
        Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store,
    ):
        incident = client.incidents.get("INC-47")
        ChangeLog(store).record(
            "checkout-web", version="v2.3.1", at=incident.created_at - timedelta(minutes=12), source="cli"
        )
        yield client, store


def test_the_model_words_the_findings_with_the_organisations_context(
    demo: tuple[Client, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, store = demo
    monkeypatch.setenv("INCIDENTKIT_LLM_API_KEY", KEY)
    answer = "The checkout-web deploy of v2.3.1 twelve minutes before impact is the likely cause."
    with LoopbackServer(lambda request: completion(answer)) as server:
        config = InvestigationConfig(
            llm=LLMConfig(base_url=server.url + "/v1", model="small"), ai_context=CONTEXT
        )
        found = investigate(client, "INC-47", store=store, config=config, now=lambda: NOW)
        [request] = server.received
    assert (found.summary, found.summary_source) == (answer, "llm")
    assert request.path == "/v1/chat/completions" and request.headers["authorization"] == f"Bearer {KEY}"
    body = request.json()
    assert body["model"] == "small"
    system, user = body["messages"]
    assert system["role"] == "system" and CONTEXT in system["content"]
    facts = json.loads(user["content"])
    assert facts["incident"]["reference"] == "INC-47"
    assert facts["findings"][0]["claim"] == "checkout-web deployed v2.3.1 twelve minutes before impact"
    assert found.root_cause is not None  # the rules still decide the root cause


def test_a_failing_model_leaves_the_rules_summary_and_says_why_without_the_key(
    demo: tuple[Client, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, store = demo
    monkeypatch.setenv("INCIDENTKIT_LLM_API_KEY", KEY)

    def refuse(request: Received) -> Answer:
        return 401, {}, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}

    with LoopbackServer(refuse) as server:
        config = InvestigationConfig(llm=LLMConfig(base_url=server.url, model="small"))
        found = investigate(client, "INC-47", store=store, config=config, now=lambda: NOW)
    assert found.summary_source == "rules"
    assert found.summary.startswith("checkout-web deployed v2.3.1")
    [note] = [n for n in found.notes if "language model" in n]
    assert "answered 401: Incorrect API key provided" in note and KEY not in note
    assert "/v1/chat/completions" in note  # a base URL without /v1 gets it


def test_an_endpoint_that_is_not_there_is_a_note_not_a_failure(demo: tuple[Client, Store]) -> None:
    client, store = demo
    with LoopbackServer(lambda request: completion("x")) as server:
        url = server.url
    config = InvestigationConfig(llm=LLMConfig(base_url=url + "/v1", model="small", timeout_seconds=2))
    found = investigate(client, "INC-47", store=store, config=config, now=lambda: NOW)
    assert found.summary_source == "rules" and any("could not be reached" in n for n in found.notes)


def test_the_configuration_table(tmp_path: Path) -> None:
    context_file = tmp_path / "ai-context.md"
    context_file.write_text(CONTEXT + "\n")
    config = investigation_config_from(
        {
            "llm": {"base_url": "http://127.0.0.1:9/v1/", "model": "m", "timeout_seconds": 5},
            "ai_context_file": str(context_file),
        }
    )
    assert config.llm == LLMConfig(base_url="http://127.0.0.1:9/v1", model="m", timeout_seconds=5.0)
    assert config.ai_context == CONTEXT
    for table, message in [
        ({"llm": {"model": "m"}}, "base_url must be an http(s) URL"),
        ({"llm": {"base_url": "http://x", "model": ""}}, "model must name a model"),
        ({"llm": {"base_url": "http://x", "model": "m", "key": "sk"}}, "has no key 'key'"),
        ({"ai_context": "a", "ai_context_file": "b"}, "both ai_context and ai_context_file"),
        ({"ai_context_file": str(tmp_path / "missing.md")}, "cannot be read"),
    ]:
        with pytest.raises(InvestigationConfigError, match=re.escape(message)):
            investigation_config_from(table)


def test_the_completions_url_from_a_base_url() -> None:
    assert chat_completions_url("https://api.openai.com/v1") == "https://api.openai.com/v1/chat/completions"
    assert chat_completions_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/v1/chat/completions"
    assert replace(LLMConfig("http://x", "m"), model="n").model == "n"
