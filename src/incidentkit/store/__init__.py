"""Durable state behind one interface: SQLite (embedded default, WAL) or PostgreSQL.

>>> store = Store.open("sqlite:///events.db")        # doctest: +SKIP
>>> store.insert_event("msg_1", body, headers)       # doctest: +SKIP
True

See :mod:`incidentkit.store.store` for the inbox, :mod:`incidentkit.store.snapshots` and
:mod:`incidentkit.store.maintenance` for snapshots and retention, :mod:`incidentkit.store.runs` for
workflow runs, and :mod:`incidentkit.store.migrations` for how the schema evolves.
"""

from incidentkit.store.db import STORE_ENV, default_store_url
from incidentkit.store.errors import EventNotFoundError, StoreError, StoreURLError
from incidentkit.store.inbox_records import EventStatus, InboxEvent, NewEvent, keep_headers
from incidentkit.store.maintenance import PurgeResult, RetentionPolicy
from incidentkit.store.snapshots import Snapshot
from incidentkit.store.store import Store

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
