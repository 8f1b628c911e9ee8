"""A stand-in for Slack's Web API on 127.0.0.1 that records what Slack would have received.

Point ``slack.post`` (or any ``slack_sdk.WebClient``) at :attr:`SlackRecorder.base_url` to test
a workflow without Slack. It answers ``chat.postMessage`` the way Slack does: ``{"ok": true,
"channel": ..., "ts": ...}``, or ``{"ok": false, "error": ...}`` for a bad token or a channel it
was told does not exist, and HTTP 429 ``ratelimited`` with ``Retry-After`` when told to.

Example:
    >>> from slack_sdk import WebClient
    >>> with SlackRecorder(token="xoxb-test") as slack:
    ...     client = WebClient(token="xoxb-test", base_url=slack.base_url)
    ...     answer = client.chat_postMessage(channel="#ops", text="hi")
    ...     print(answer["ok"], [m.text for m in slack.messages])
    True ['hi']
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from incidentkit.testing.loopback import Answer, LoopbackServer, Received

__all__ = ["SlackMessage", "SlackRecorder"]


@dataclass(frozen=True)
class SlackMessage:
    """One message Slack accepted."""

    channel: str
    text: str | None
    ts: str
    blocks: list[Any] | None = None
    thread_ts: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int | None
    times: int | None


class SlackRecorder:
    """A loopback server that answers like Slack's ``chat.postMessage`` and records the messages.

    Args:
        token: the bot token to accept; any other answers ``invalid_auth``. ``None`` accepts any.
        channels: the channels that exist; others answer ``channel_not_found``. ``None``: all exist.
        host: where to listen (loopback by default).
        port: the port; 0 lets the system choose.
        on_message: called with each message accepted (``serve --sandbox`` logs them).
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        channels: list[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        on_message: Callable[[SlackMessage], None] | None = None,
    ) -> None:
        self._token = token
        self._on_message = on_message
        self._channels = set(channels) if channels is not None else None
        self._failures: dict[str, _Failure] = {}
        self._lock = threading.Lock()
        self.messages: list[SlackMessage] = []
        self.requests = 0
        self._host, self._port = host, port
        self._server: LoopbackServer | None = None

    def __repr__(self) -> str:
        where = self._server.url if self._server is not None else "not started"
        return f"SlackRecorder({where}, messages={len(self.messages)})"

    @property
    def base_url(self) -> str:
        """The Web API base URL to give the client (ends with ``/api/``); known once started."""
        if self._server is None:
            raise RuntimeError("the Slack recorder is not started: use it in a with block or call start()")
        return f"{self._server.url}/api/"

    def fail(
        self,
        channel: str,
        error: str,
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int | None = None,
    ) -> None:
        """Answer posts to ``channel`` with ``{"ok": false, "error": error}``.

        Args:
            channel: the channel as the client names it.
            error: Slack's error code, such as ``channel_not_found`` or ``ratelimited``.
            status: the HTTP status (Slack uses 429 for ``ratelimited``, 200 for most others).
            retry_after: seconds for a ``Retry-After`` header.
            times: how many posts fail; ``None`` for all.
        """
        with self._lock:
            self._failures[channel] = _Failure(error, status, retry_after, times)

    def start(self) -> SlackRecorder:
        """Serve in a background thread."""
        if self._server is None:
            self._server = LoopbackServer(self._respond, host=self._host, port=self._port)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SlackRecorder:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _respond(self, request: Received) -> Answer:
        """Read one HTTP request as a Web API call (JSON or form-encoded) and answer it."""
        params: dict[str, Any]
        try:
            if "json" in request.headers.get("content-type", ""):
                params = json.loads(request.body or b"{}")
            else:
                params = dict(parse_qsl(request.body.decode()))
        except (ValueError, UnicodeDecodeError):
            params = {}
        if not request.path.startswith("/api/"):
            return 404, {}, {"ok": False, "error": "unknown_method"}
        method = request.path[len("/api/") :].split("?")[0]
        authorization = request.headers.get("authorization")
        if authorization is None and params.get("token"):  # form posts may carry the token
            authorization = f"Bearer {params['token']}"
        return self.answer(method, authorization, params)

    def answer(
        self, method: str, authorization: str | None, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """What Slack answers to one Web API call: (status, headers, body)."""
        with self._lock:
            self.requests += 1
            if method != "chat.postMessage":
                return 200, {}, {"ok": False, "error": "unknown_method"}
            if self._token is not None and authorization != f"Bearer {self._token}":
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            channel = params.get("channel")
            if not channel:
                return 200, {}, {"ok": False, "error": "channel_not_found"}
            failure = self._failures.get(channel)
            if failure is not None and (failure.times is None or failure.times > 0):
                if failure.times is not None:
                    failure.times -= 1
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return failure.status, headers, {"ok": False, "error": failure.error}
            if self._channels is not None and channel not in self._channels:
                return 200, {}, {"ok": False, "error": "channel_not_found"}
            if not params.get("text") and not params.get("blocks"):
                return 200, {}, {"ok": False, "error": "no_text"}
            ts = f"{1_700_000_000 + len(self.messages)}.{len(self.messages) + 1:06d}"
            blocks = params.get("blocks")
            if isinstance(blocks, str):  # form-encoded posts send blocks as a JSON string
                blocks = json.loads(blocks)
            message = SlackMessage(
                channel=channel,
                text=params.get("text"),
                ts=ts,
                blocks=blocks,
                thread_ts=params.get("thread_ts"),
                raw=dict(params),
            )
            self.messages.append(message)
            if self._on_message is not None:
                self._on_message(message)
            channel_id = "C" + hashlib.sha256(channel.encode()).hexdigest()[:10].upper()
            return (
                200,
                {},
                {
                    "ok": True,
                    "channel": channel_id,
                    "ts": ts,
                    "message": {"type": "message", "text": message.text, "ts": ts},
                },
            )
