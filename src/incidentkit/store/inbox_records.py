"""The inbox's records: a delivery as the store takes it and as it gives it back, and the headers it keeps."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from incidentkit.timeutil import iso as _iso

# A header whose lower-cased name contains one of these is never stored: it may carry a credential.
SECRET_HEADER_WORDS = ("authorization", "cookie", "secret", "token", "api-key", "apikey", "password", "auth")
# One search per header instead of one per word: this runs for every header of every delivery.
_SECRET_HEADER_PATTERN = re.compile("|".join(re.escape(word) for word in SECRET_HEADER_WORDS))


class EventStatus(StrEnum):
    """Where an inbox event is in its processing."""

    PENDING = "pending"
    """Stored, waiting for a processor (also after a failed attempt that will be retried)."""
    PROCESSING = "processing"
    """Claimed by a processor."""
    PROCESSED = "processed"
    """Handled; purged after the retention period."""
    DEAD = "dead"
    """Cannot be handled (the reason says why); kept and visible until replayed."""


@dataclass(frozen=True)
class NewEvent:
    """A delivery to store: what :meth:`Store.insert_events` takes."""

    webhook_id: str
    body: bytes
    headers: Mapping[str, str]
    event_type: str | None = None


@dataclass(frozen=True)
class InboxEvent:
    """One webhook delivery as stored."""

    webhook_id: str
    event_type: str | None
    body: bytes
    headers: dict[str, str]
    received_at: datetime
    status: EventStatus
    attempts: int
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    processed_at: datetime | None
    reason: str | None
    outcome: Any

    def body_json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def to_dict(self, *, include_body: bool = True) -> dict[str, Any]:
        """A JSON-ready view: timestamps in ISO 8601, the body as JSON when it parses, else as text."""
        view: dict[str, Any] = {
            "webhook_id": self.webhook_id,
            "event_type": self.event_type,
            "status": str(self.status),
            "received_at": _iso(self.received_at),
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "processed_at": _iso(self.processed_at),
            "reason": self.reason,
            "outcome": self.outcome,
        }
        if include_body:
            view["headers"] = self.headers
            parsed = self.body_json()
            view["body"] = parsed if parsed is not None else self.body.decode("utf-8", errors="replace")
        return view


def keep_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """The headers worth keeping with an event, names lower-cased, minus any that may carry a secret."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    kept: dict[str, str] = {}
    for name, value in items:
        lowered = name.lower()
        if _SECRET_HEADER_PATTERN.search(lowered) is None:
            kept[lowered] = value
    return kept
