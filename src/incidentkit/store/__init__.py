"""Durable state behind one interface: SQLite (embedded default, WAL) or PostgreSQL.

>>> store = Store.open("sqlite:///events.db")        # doctest: +SKIP
>>> store.insert_event("msg_1", body, headers)       # doctest: +SKIP
True

See :mod:`incidentkit.store.store` for the inbox, snapshots and retention, and
:mod:`incidentkit.store.migrations` for how the schema evolves.
"""

from incidentkit.store.db import STORE_ENV, default_store_url
from incidentkit.store.errors import EventNotFoundError, StoreError, StoreURLError
from incidentkit.store.store import (
    EventStatus,
    InboxEvent,
    NewEvent,
    PurgeResult,
    RetentionPolicy,
    Snapshot,
    Store,
    keep_headers,
)

__all__ = [
    "STORE_ENV",
    "EventNotFoundError",
    "EventStatus",
    "InboxEvent",
    "NewEvent",
    "PurgeResult",
    "RetentionPolicy",
    "Snapshot",
    "Store",
    "StoreError",
    "StoreURLError",
    "default_store_url",
    "keep_headers",
]
