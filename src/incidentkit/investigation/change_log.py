"""The change log: deploys, configuration changes and feature flags, kept in the store.

Every change says which service it touched, what kind it was (``deploy``, ``config``, ``flag``),
the version or a description, who made it, when, a link, and where it was reported from
(``cli``, ``api``, ``github``). A change reported twice from the same source with the same external
id (a GitHub deployment status delivered again, a CI step retried) is recorded once: the second
report returns the first record.

It is fed by ``incidentkit changes record``, ``POST /api/changes`` and GitHub ``deployment_status``
webhooks on the service, and read by :func:`incidentkit.investigation.change_window.changes` to
answer "what changed before this incident?".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from incidentkit.investigation.errors import InvestigationError
from incidentkit.store import Store
from incidentkit.store.db import insert_ignoring_duplicates, reading
from incidentkit.store.schema import changes as changes_table
from incidentkit.timeutil import iso

__all__ = ["KINDS", "SOURCES", "Change", "ChangeInvalidError", "ChangeLog", "Recorded"]

KINDS = ("deploy", "config", "flag")
"""What a change can be."""
SOURCES = ("cli", "api", "github")
"""Where a change can be reported from."""

# Longest accepted values: names and versions are short; a description is a sentence or two.
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_LINK = 2000


class ChangeInvalidError(InvestigationError, ValueError):
    """A change that cannot be recorded: ``field`` names the part that is wrong; the message says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


@dataclass(frozen=True)
class Change:
    """One recorded change.

    Attributes:
        id: the change's id in the log (``chg_...``).
        service: the service it touched, as reported.
        kind: ``deploy``, ``config`` or ``flag``.
        at: when it happened.
        source: where it was reported from: ``cli``, ``api`` or ``github``.
        recorded_at: when the log recorded it.
        version: the version deployed (a tag, a commit), when there is one.
        description: what changed, in words.
        author: who made it.
        link: where to read more (the CI run, the pull request, the flag).
        external_id: the reporter's own id for it, which makes a repeated report a duplicate.
    """

    id: str
    service: str
    kind: str
    at: datetime
    source: str
    recorded_at: datetime
    version: str | None = None
    description: str = ""
    author: str | None = None
    link: str | None = None
    external_id: str | None = None

    @property
    def what(self) -> str:
        """The version and description in one line (``v1.4.2: bump the pool size``)."""
        return ": ".join(part for part in (self.version, self.description) if part)

    def to_dict(self) -> dict[str, Any]:
        """The change as JSON (times in RFC 3339)."""
        return {
            "id": self.id,
            "service": self.service,
            "kind": self.kind,
            "version": self.version,
            "description": self.description,
            "author": self.author,
            "at": iso(self.at),
            "link": self.link,
            "source": self.source,
            "external_id": self.external_id,
            "recorded_at": iso(self.recorded_at),
        }


@dataclass(frozen=True)
class Recorded:
    """What :meth:`ChangeLog.record` did: the change in the log, and whether it is new."""

    change: Change
    new: bool


def _text(field: str, value: str | None, *, limit: int = MAX_NAME, required: bool = False) -> str | None:
    """``value`` stripped, None when empty; refused when required and empty, or longer than ``limit``."""
    if value is not None and not isinstance(value, str):
        raise ChangeInvalidError(field, f"must be text, not {type(value).__name__}")
    text = (value or "").strip()
    if not text:
        if required:
            raise ChangeInvalidError(field, "is required")
        return None
    if len(text) > limit:
        raise ChangeInvalidError(field, f"is {len(text)} characters long; at most {limit} are kept")
    return text


def _link(value: str | None) -> str | None:
    text = _text("link", value, limit=MAX_LINK)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChangeInvalidError("link", f"must be an http(s) URL, not {text!r}")
    return text


class ChangeLog:
    """The changes kept in a store.

    Args:
        store: an open store (migrated: the ``changes`` table exists); its clock stamps ``recorded_at``.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self,
        service: str,
        *,
        kind: str = "deploy",
        version: str | None = None,
        description: str | None = None,
        author: str | None = None,
        at: datetime | None = None,
        link: str | None = None,
        source: str = "cli",
        external_id: str | None = None,
    ) -> Recorded:
        """Record a change (``at`` defaults to now); a repeat of ``(source, external_id)`` is not added again.

        Raises:
            ChangeInvalidError: a field is missing, too long or of the wrong form (its ``field`` says which).
        """
        name = _text("service", service, required=True)
        assert name is not None
        if kind not in KINDS:
            raise ChangeInvalidError("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
        if source not in SOURCES:
            raise ChangeInvalidError("source", f"must be one of {', '.join(SOURCES)}, not {source!r}")
        version_text = _text("version", version)
        description_text = _text("description", description, limit=MAX_DESCRIPTION) or ""
        if version_text is None and not description_text:
            raise ChangeInvalidError("version", "give a version or a description of the change")
        if at is not None and (not isinstance(at, datetime) or at.tzinfo is None):
            raise ChangeInvalidError("at", "must be a timestamp with a time zone")
        now = self.store.clock()
        row = {
            "id": f"chg_{uuid.uuid4().hex}",
            "service": name,
            "kind": kind,
            "version": version_text,
            "description": description_text,
            "author": _text("author", author),
            "at": (at or now).astimezone(UTC),
            "link": _link(link),
            "source": source,
            "external_id": _text("external_id", external_id),
            "recorded_at": now.astimezone(UTC),
        }
        with self.store.engine.begin() as connection:
            # RETURNING says whether the row went in (rowcount cannot be trusted here with psycopg).
            statement = insert_ignoring_duplicates(connection, changes_table).returning(changes_table.c.id)
            if connection.execute(statement, row).first() is not None:
                return Recorded(_change(row), new=True)
            existing = connection.execute(
                sa.select(changes_table).where(
                    changes_table.c.source == source, changes_table.c.external_id == row["external_id"]
                )
            ).first()
        assert existing is not None, "a change was refused as a duplicate but none is recorded"
        return Recorded(_change(existing._mapping), new=False)

    def get(self, change_id: str) -> Change | None:
        """The change with this id, or None."""
        with reading(self.store.engine) as connection:
            row = connection.execute(sa.select(changes_table).where(changes_table.c.id == change_id)).first()
        return None if row is None else _change(row._mapping)

    def between(self, start: datetime, end: datetime, services: Iterable[str] | None = None) -> list[Change]:
        """The changes made from ``start`` to ``end`` (both included), oldest first.

        Args:
            start: the window's beginning.
            end: its end.
            services: only changes to these services (any case); every service when None.
        """
        query = sa.select(changes_table).where(changes_table.c.at >= start, changes_table.c.at <= end)
        if services is not None:
            wanted = sorted({service.strip().lower() for service in services if service.strip()})
            if not wanted:
                return []
            query = query.where(sa.func.lower(changes_table.c.service).in_(wanted))
        query = query.order_by(changes_table.c.at, changes_table.c.id)
        with reading(self.store.engine) as connection:
            return [_change(row._mapping) for row in connection.execute(query)]

    def recent(
        self, *, since: datetime | None = None, service: str | None = None, limit: int = 100
    ) -> list[Change]:
        """The newest changes first (at most ``limit``), made since ``since``, to ``service`` (any case)."""
        query = sa.select(changes_table)
        if since is not None:
            query = query.where(changes_table.c.at >= since)
        if service is not None and service.strip():
            query = query.where(sa.func.lower(changes_table.c.service) == service.strip().lower())
        query = query.order_by(changes_table.c.at.desc(), changes_table.c.id.desc()).limit(limit)
        with reading(self.store.engine) as connection:
            return [_change(row._mapping) for row in connection.execute(query)]


def _change(row: Any) -> Change:
    return Change(
        id=row["id"],
        service=row["service"],
        kind=row["kind"],
        at=row["at"],
        source=row["source"],
        recorded_at=row["recorded_at"],
        version=row["version"],
        description=row["description"],
        author=row["author"],
        link=row["link"],
        external_id=row["external_id"],
    )
