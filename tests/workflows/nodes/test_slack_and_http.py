"""``slack.post`` and ``http.request`` against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from incidentkit.credentials import Secret
from incidentkit.testing import SlackRecorder
from incidentkit.workflows.nodes import (
    NODE_TYPES,
    Completed,
    HttpSettings,
    NodeContext,
    SlackSettings,
    StepError,
)
from tests.workflows.nodes.conftest import NOW, LocalServer, Responder

BOT_TOKEN = "xoxb-test-token-never-logged"


def run(step_type: str, inputs: dict[str, Any], context: NodeContext) -> dict[str, Any]:
    node = NODE_TYPES[step_type]
    result = node.run(node.validate_inputs(inputs), context)
    assert isinstance(result, Completed)
    return result.output


@pytest.fixture
def slack() -> Iterator[SlackRecorder]:
    with SlackRecorder(token=BOT_TOKEN, channels=["#oncall", "#busy", "#flaky"]) as recorder:
        recorder.fail("#busy", "ratelimited", status=429, retry_after=30)
        recorder.fail("#flaky", "service_unavailable", status=503)
        yield recorder


def slack_context(server: SlackRecorder, token: str | None = BOT_TOKEN) -> NodeContext:
    settings = SlackSettings(token=Secret(token) if token else None, base_url=server.base_url)
    return NodeContext(slack=settings, clock=lambda: NOW, idempotency_key="run:slack")


def test_slack_post_sends_what_slack_expects_and_outputs_the_ts(slack: SlackRecorder) -> None:
    inputs = {"channel": "#oncall", "message": "🚨 SEV-1 Incident: {{ 7*7 }}", "thread": "1795000000.000001"}
    output = run("slack.post", inputs, slack_context(slack))
    (message,) = slack.messages
    assert output == {"ok": True, "channel": output["channel"], "ts": message.ts, "thread": inputs["thread"]}
    assert output["channel"].startswith("C")
    assert (message.channel, message.text, message.thread_ts) == (
        "#oncall",
        "🚨 SEV-1 Incident: {{ 7*7 }}",
        "1795000000.000001",
    )


def test_slack_post_sends_blocks(slack: SlackRecorder) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*SEV-1*"}}]
    run("slack.post", {"channel": "#oncall", "message": "SEV-1", "blocks": blocks}, slack_context(slack))
    assert slack.messages[0].blocks == blocks


def test_a_missing_channel_is_final_with_slacks_error(slack: SlackRecorder) -> None:
    with pytest.raises(StepError, match="channel_not_found") as raised:
        run("slack.post", {"channel": "#nowhere", "message": "hi"}, slack_context(slack))
    assert not raised.value.retryable


def test_ratelimited_is_retryable_honouring_retry_after(slack: SlackRecorder) -> None:
    with pytest.raises(StepError, match="ratelimited") as raised:
        run("slack.post", {"channel": "#busy", "message": "hi"}, slack_context(slack))
    assert raised.value.retryable and raised.value.retry_after == 30
    assert slack.requests == 1  # slack_sdk did not retry (and sleep) on its own


def test_slack_being_down_is_retryable(slack: SlackRecorder) -> None:
    with pytest.raises(StepError, match="service_unavailable") as raised:
        run("slack.post", {"channel": "#flaky", "message": "hi"}, slack_context(slack))
    assert raised.value.retryable


def test_without_a_token_nothing_is_sent(slack: SlackRecorder) -> None:
    with pytest.raises(StepError, match="no Slack bot token") as raised:
        run("slack.post", {"channel": "#oncall", "message": "hi"}, slack_context(slack, token=None))
    assert not raised.value.retryable and slack.requests == 0


def test_the_bot_token_never_reaches_logs_or_errors(
    slack: SlackRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run("slack.post", {"channel": "#oncall", "message": "hi"}, slack_context(slack))
    with pytest.raises(StepError) as raised:
        run("slack.post", {"channel": "#nowhere", "message": "hi"}, slack_context(slack))
    assert BOT_TOKEN not in caplog.text and BOT_TOKEN not in str(raised.value)
    assert BOT_TOKEN not in repr(slack_context(slack))


def test_an_unreachable_slack_is_retryable() -> None:
    context = NodeContext(slack=SlackSettings(token=Secret(BOT_TOKEN), base_url="http://127.0.0.1:9/api/"))
    with pytest.raises(StepError, match="could not reach Slack") as raised:
        run("slack.post", {"channel": "#oncall", "message": "hi"}, context)
    assert raised.value.retryable


def test_a_slack_dry_run_sends_nothing(slack: SlackRecorder) -> None:
    context = dataclasses.replace(slack_context(slack), dry_run=True)
    output = run("slack.post", {"channel": "#oncall", "message": "hi"}, context)
    assert output["would_send"] == {
        "url": slack.base_url + "chat.postMessage",
        "body": {"channel": "#oncall", "text": "hi"},
    }
    assert slack.requests == 0


# http.request


def echo(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
    """Answers with what it got; some paths answer otherwise."""
    if path.startswith("/status/"):
        status = int(path.split("/")[2])
        return status, {"Retry-After": "12"} if status == 429 else {}, {"error": f"status {status}"}
    if path == "/busy-until":
        # Retry-After as an HTTP date (RFC 9110 allows either form): 90 s after the steps' clock.
        return 503, {"Retry-After": "Tue, 24 Nov 2026 09:01:30 GMT"}, {"error": "busy"}
    if path == "/text":
        return 200, {"Content-Type": "text/plain"}, b"plain words"
    return (
        200,
        {"Set-Cookie": "session=abc"},
        {
            "method": method,
            "path": path,
            "authorization": headers.get("authorization"),
            "body": json.loads(body) if body else None,
        },
    )


def http_context(*hosts: str) -> NodeContext:
    return NodeContext(http=HttpSettings(allowed_hosts=frozenset(hosts)), clock=lambda: NOW)


def test_http_request_sends_json_and_reads_json(local_server: Callable[[Responder], LocalServer]) -> None:
    server = local_server(echo)
    inputs = {
        "method": "post",
        "url": server.url + "/hooks/linear",
        "headers": {"Authorization": "Bearer lin_api_secret"},
        "query": {"team": "eng"},
        "body": {"title": "{{ 7*7 }}", "priority": 1},
    }
    output = run("http.request", inputs, http_context("127.0.0.1"))
    assert output["status"] == 200
    assert output["body"] == {
        "method": "POST",
        "path": "/hooks/linear?team=eng",
        "authorization": "Bearer lin_api_secret",
        "body": {"title": "{{ 7*7 }}", "priority": 1},
    }
    assert output["headers"]["set-cookie"] == "********"
    assert (
        run("http.request", {"url": server.url + "/text"}, http_context("127.0.0.1"))["body"] == "plain words"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://evil-example.com/x",
        "https://example.com.evil.net/x",
        "https://sub.example.com/x",
        "https://example.com@evil.net/x",
        "ftp://example.com/x",
        "file:///etc/passwd",
    ],
)
def test_only_exactly_allow_listed_hosts_are_called(url: str) -> None:
    with pytest.raises(StepError) as raised:
        run("http.request", {"url": url}, http_context("example.com"))
    assert not raised.value.retryable


def test_allow_listed_hosts_match_exactly_ignoring_case_and_a_trailing_dot(
    local_server: Callable[[Responder], LocalServer],
) -> None:
    server = local_server(echo)
    assert (
        run("http.request", {"url": server.url + "/"}, http_context("127.0.0.1.", "EXAMPLE.com"))["status"]
        == 200
    )


def test_a_redirect_to_a_host_not_allowed_is_refused(
    local_server: Callable[[Responder], LocalServer],
) -> None:
    server = local_server(lambda m, p, h, b: (302, {"Location": "http://localhost:1/steal"}, {}))
    with pytest.raises(StepError, match="host 'localhost' is not allow-listed") as raised:
        run("http.request", {"url": server.url + "/go"}, http_context("127.0.0.1"))
    assert not raised.value.retryable and len(server.received) == 1


def test_an_allowed_redirect_is_followed_without_credentials_for_another_host(
    local_server: Callable[[Responder], LocalServer],
) -> None:
    target = local_server(echo)
    # The same server under another allowed name: "localhost" is another host than "127.0.0.1".
    moved = target.url.replace("127.0.0.1", "localhost") + "/landed"
    first = local_server(lambda m, p, h, b: (307, {"Location": moved}, {}))
    inputs = {
        "method": "POST",
        "url": first.url + "/go",
        "headers": {"Authorization": "Bearer s"},
        "body": {},
    }
    output = run("http.request", inputs, http_context("127.0.0.1", "localhost"))
    assert output["body"]["path"] == "/landed" and output["body"]["method"] == "POST"
    assert output["body"]["authorization"] is None


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (404, False), (409, True), (500, True)])
def test_http_errors_are_classified(
    local_server: Callable[[Responder], LocalServer], status: int, retryable: bool
) -> None:
    server = local_server(echo)
    with pytest.raises(StepError, match=f"answered {status}") as raised:
        run("http.request", {"url": f"{server.url}/status/{status}"}, http_context("127.0.0.1"))
    assert raised.value.retryable is retryable


def test_http_429_honours_retry_after(local_server: Callable[[Responder], LocalServer]) -> None:
    server = local_server(echo)
    with pytest.raises(StepError) as raised:
        run("http.request", {"url": f"{server.url}/status/429"}, http_context("127.0.0.1"))
    assert raised.value.retryable and raised.value.retry_after == 12


def test_http_retry_after_as_a_date_is_honoured(local_server: Callable[[Responder], LocalServer]) -> None:
    """The step reads Retry-After with the client's one parser, which knows both forms."""
    server = local_server(echo)
    with pytest.raises(StepError) as raised:
        run("http.request", {"url": f"{server.url}/busy-until"}, http_context("127.0.0.1"))
    assert raised.value.retryable and raised.value.retry_after == 90


def test_a_refused_connection_is_retryable() -> None:
    with pytest.raises(StepError, match="ConnectError") as raised:
        run("http.request", {"url": "http://127.0.0.1:9/"}, http_context("127.0.0.1"))
    assert raised.value.retryable


def test_header_secrets_never_reach_logs_errors_or_dry_runs(
    local_server: Callable[[Responder], LocalServer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = local_server(echo)
    inputs = {
        "url": f"{server.url}/status/400?token=query-secret",
        "headers": {"X-Api-Key": "header-secret", "Accept": "application/json"},
    }
    with pytest.raises(StepError) as raised:
        run("http.request", inputs, http_context("127.0.0.1"))
    dry = run("http.request", inputs, dataclasses.replace(http_context("127.0.0.1"), dry_run=True))
    assert dry["would_send"]["headers"] == {"X-Api-Key": "********", "Accept": "application/json"}
    for text in (caplog.text, str(raised.value), json.dumps(dry)):
        assert "header-secret" not in text
    assert "query-secret" not in caplog.text and "query-secret" not in str(raised.value)
    assert len(server.received) == 1  # the dry run sent nothing


def test_a_dry_run_still_refuses_a_host_not_allowed() -> None:
    context = dataclasses.replace(http_context("example.com"), dry_run=True)
    with pytest.raises(StepError, match="not allow-listed"):
        run("http.request", {"url": "https://evil-example.com/"}, context)


def test_bad_http_inputs_name_the_input() -> None:
    node = NODE_TYPES["http.request"]
    with pytest.raises(StepError, match=r"input 'method'.*input 'timeout'") as raised:
        node.validate_inputs({"method": "TRACE", "url": "https://example.com", "timeout": 0})
    assert not raised.value.retryable


def test_the_bad_token_is_refused_like_slack_does(slack: SlackRecorder) -> None:
    with pytest.raises(StepError, match="invalid_auth") as raised:
        run("slack.post", {"channel": "#oncall", "message": "hi"}, slack_context(slack, token="xoxb-wrong"))
    assert not raised.value.retryable and slack.messages == []


def test_the_recorder_takes_form_posts_and_fails_a_given_number_of_times() -> None:
    import httpx2

    with SlackRecorder() as slack:
        slack.fail("#ops", "ratelimited", status=429, retry_after=5, times=1)
        url = slack.base_url + "chat.postMessage"
        first = httpx2.post(url, data={"token": "t", "channel": "#ops", "text": "a", "blocks": "[]"})
        second = httpx2.post(url, data={"token": "t", "channel": "#ops", "text": "a", "blocks": "[]"})
        unknown = httpx2.post(slack.base_url + "chat.delete", data={"channel": "#ops"})
    assert (first.status_code, first.headers["retry-after"], first.json()["error"]) == (
        429,
        "5",
        "ratelimited",
    )
    assert second.json()["ok"] is True and slack.messages[0].blocks == []
    assert unknown.json() == {"ok": False, "error": "unknown_method"}
