"""Schema migrations: Alembic revisions shipped in the package, applied when the store opens.

The revision scripts live in ``store/alembic/versions`` (package data, numbered ``0001``, ``0002``...).
:func:`migrate` runs them programmatically on one connection, inside one transaction that also takes
a lock (an advisory lock on PostgreSQL; SQLite's single writer), so two processes starting at once
cannot both apply the same step; users never run a migration tool. Alembic's batch mode gives SQLite
the copy-and-move it needs to alter a table.

Each revision describes its tables as they were *at that revision*, never by importing the current
tables of :mod:`incidentkit.store.schema`, so that later changes do not rewrite history. To change the
schema, add a revision and update ``schema.py`` to match (and :data:`HEAD`); tests check that a
migrated database matches ``schema.py`` and that :data:`HEAD` is the scripts' head.

Databases made before Alembic was adopted carry a ``schema_version`` table of the same numbers; the
first migration stamps their number as the Alembic revision and goes on from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision; checked against the scripts by a test, so that opening an up-to-date store
# reads one row and never imports Alembic.
HEAD = "0006"
SCRIPT_LOCATION = "incidentkit.store:alembic"

# An arbitrary constant naming the migration lock among PostgreSQL advisory locks.
_MIGRATION_LOCK_ID = 0x1C1DE7C17

_ALEMBIC_VERSION = sa.table("alembic_version", sa.column("version_num", sa.String))
# Where the numbered migrations before Alembic recorded the schema's version.
_LEGACY_VERSION = sa.table("schema_version", sa.column("version", sa.Integer))


def current_revision(connection: sa.Connection) -> str | None:
    """The Alembic revision of the schema behind ``connection``; None for an empty database."""
    inspector = sa.inspect(connection)
    if inspector.has_table("alembic_version"):
        found = connection.execute(sa.select(_ALEMBIC_VERSION.c.version_num)).scalar()
        if found is not None:
            return str(found)
    if inspector.has_table("schema_version"):
        legacy = connection.execute(sa.select(sa.func.max(_LEGACY_VERSION.c.version))).scalar()
        if legacy:
            return f"{int(legacy):04d}"
    return None


def migrate(engine: sa.Engine) -> list[str]:
    """Bring the database up to :data:`HEAD`; returns the revisions applied, oldest first (often none).

    Raises:
        RuntimeError: the database is at a revision this code does not know (a later release
            migrated it).
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_ID})
        revision = current_revision(connection)
        if revision == HEAD:
            return []
        return _upgrade(connection, revision)


def _config(connection: sa.Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def script_head() -> str:
    """The head revision of the shipped scripts (what :data:`HEAD` must say)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "the store's migration scripts have no head"
    return head


def _upgrade(connection: sa.Connection, revision: str | None) -> list[str]:
    from alembic import command
    from alembic.script import ScriptDirectory

    config = _config(connection)
    scripts = ScriptDirectory.from_config(config)
    if revision is not None and revision not in {script.revision for script in scripts.walk_revisions()}:
        raise RuntimeError(
            f"the store's schema is at revision {revision} but this incidentkit knows only up to {HEAD}: "
            "upgrade incidentkit"
        )
    if revision is not None and not sa.inspect(connection).has_table("alembic_version"):
        command.stamp(config, revision)  # a database from before Alembic: adopt its number
    pending = [script.revision for script in scripts.iterate_revisions(HEAD, revision or "base")]
    command.upgrade(config, HEAD)
    return list(reversed(pending))
