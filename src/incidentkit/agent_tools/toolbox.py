"""What every tool works with: the incident.io client, the store (history, changes, approvals), the
investigation settings and the clock."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from incidentkit.timeutil import utc_now

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.investigation import History, HistoryIncident, InvestigationConfig
    from incidentkit.store import Store


@dataclass
class Toolbox:
    """The tools' shared state; one per server.

    Args:
        client: the incident.io client (read-only when the server is).
        store_url: the store holding the incident history, the change log and the approvals;
            ``INCIDENTKIT_STORE`` or the data directory's SQLite file when None. Opened on first use,
            so the tools that only talk to incident.io work without one.
        config: the ``[investigation]`` settings; the configuration file's when None.
        clock: the current time, aware.
        agent: the name approval requests are recorded under.
    """

    client: Client
    store_url: str | None = None
    config: InvestigationConfig | None = None
    clock: Callable[[], datetime] = utc_now
    agent: str = "incidentkit mcp"
    _store: Store | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def settings(self) -> InvestigationConfig:
        """The investigation settings (read once)."""
        if self.config is None:
            from incidentkit.investigation import load_investigation_config

            self.config = load_investigation_config()
        return self.config

    def store(self) -> Store:
        """The store, opened (and created) on first use."""
        with self._lock:
            if self._store is None:
                from incidentkit.store import Store

                self._store = Store.open(self.store_url, clock=self.clock)
            return self._store

    def history(self) -> History:
        """The incident history synced into the store."""
        from incidentkit.investigation import History

        return History(self.store())

    def history_incident(self, ref: str) -> HistoryIncident:
        """An incident as plain data: from the synced history, else fetched from incident.io.

        Raises:
            NotFoundError: incident.io has no such incident.
        """
        from incidentkit.investigation import incident_from_api

        found = self.history().get(ref)
        if found is not None:
            return found
        config = self.settings()
        return incident_from_api(
            self.client.incidents.get(ref).to_json(),
            root_cause_fields=config.root_cause_fields,
            service_fields=config.service_fields,
        )

    def close(self) -> None:
        """Close the store and the client."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
        self.client.close()


def idempotency_key(*parts: object) -> str:
    """A key derived from what a write says, so that an agent retrying a call makes the write once.

    Agents retry a tool call whose answer they did not get; the API then sees the same key and
    returns what it made the first time instead of making it again.
    """
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f"incidentkit-mcp-{digest[:32]}"
