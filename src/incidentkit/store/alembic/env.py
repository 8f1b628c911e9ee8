"""Alembic's environment for the store: it runs on the connection that ``migrations.migrate`` hands it.

There is no ``alembic.ini``: the store migrates itself when it opens, so users carry no tool or
configuration. Developers write a new revision in ``versions/`` by hand (``op.batch_alter_table``
for any change to an existing table, so that SQLite, which cannot alter columns in place, gets
the copy-and-move it needs).
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
# Batch mode: SQLite alters a table by copying it, which Alembic does inside batch_alter_table.
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
