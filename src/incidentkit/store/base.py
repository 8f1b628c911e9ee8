"""What every part of the store builds on: its engine and clock, read-only connections, and inserts
that skip duplicates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from incidentkit.store.db import insert_ignoring_duplicates, reading
from incidentkit.timeutil import utc_now

Clock = Callable[[], datetime]


class StoreBase:
    """The engine and clock that the store's parts (the inbox, snapshots, maintenance) share."""

    def __init__(self, engine: sa.Engine, *, clock: Clock = utc_now) -> None:
        """Wrap an engine made by :func:`incidentkit.store.db.create_engine` (already migrated)."""
        self.engine = engine
        self.clock = clock

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def _reading(self) -> sa.Connection:
        """A connection for reads only: on SQLite its transaction does not take the write lock."""
        return reading(self.engine)

    def _insert_ignoring_duplicates(self, table: sa.Table) -> Any:
        return insert_ignoring_duplicates(self.engine, table)
