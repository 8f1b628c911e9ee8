"""Test helpers: a fake clock and a scripted HTTP server built on httpx2.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2


@dataclass
class FakeClock:
    """Monotonic seconds and wall time that only move when something sleeps."""

    monotonic: float = 1000.0
    start: datetime = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.monotonic

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.monotonic - 1000.0)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.monotonic += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


Reply = httpx2.Response | Exception


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(status, content=json.dumps(body).encode(), headers=headers or {})


def error_body(status: int, type_: str, message: str, field_name: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": "some_code", "message": message}
    if field_name:
        error["source"] = {"field": field_name}
    return {"type": type_, "status": status, "request_id": "req-123", "errors": [error]}


@dataclass
class ScriptedAPI:
    """Answers requests from a list of replies in order, recording every request it saw."""

    replies: list[Reply | Callable[[httpx2.Request], Reply]]
    requests: list[httpx2.Request] = field(default_factory=list)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self.replies.pop(0)
        if callable(reply) and not isinstance(reply, httpx2.Response):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]
