"""``incidentkit context REF``: an incident with everything around it, readably or as JSON."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import choose_format, output_options
from incidentkit.cli.storage import open_store, store_option

if TYPE_CHECKING:
    from incidentkit.store import Store


@contextlib.contextmanager
def optional_store(url: str | None) -> Iterator[Store | None]:
    """The store given with ``--store``; without it the default store when one exists, else None.

    The investigation reads the store (history, change log, snapshots) when there is one, and
    works without it: a missing default store is not an error, a missing ``--store`` is.
    """
    import sqlalchemy

    from incidentkit.store import default_store_url

    if url is None:
        parsed = sqlalchemy.engine.make_url(default_store_url())
        if parsed.get_backend_name() == "sqlite" and not (
            parsed.database and Path(parsed.database).expanduser().is_file()
        ):
            yield None
            return
    store = open_store(url, filled_by="incidentkit sync")
    try:
        yield store
    finally:
        store.close()


def _line(label: str, value: Any) -> str:
    return f"{label + ':':<14}{value}" if value not in (None, "", []) else ""


def render_context(found: dict[str, Any]) -> str:
    """The context JSON as text for a person, section by section."""
    incident = found["incident"]
    lines = [
        f"{incident['reference']}  {incident['name']}",
        _line("Status", f"{incident['status']} ({incident['status_category']})"),
        _line(
            "Severity",
            f"{incident['severity']} ({incident['priority']})"
            if incident["priority"]
            else incident["severity"],
        ),
        _line("Mode", incident["mode"] if incident["mode"] != "standard" else None),
        _line("Started", incident["started_at"]),
        _line("Lead", (found["lead"] or {}).get("assignee")),
        _line("Link", incident["permalink"]),
        _line("Summary", incident["summary"]),
    ]
    sections: list[tuple[str, list[str]]] = [
        (
            "Affected services",
            [
                f"{s['name']} ({s['found_by']}: {s['where']}"
                + (f", owner {s['owner']}" if s.get("owner") else "")
                + (f", depends on {', '.join(s['depends_on'])}" if s.get("depends_on") else "")
                + ")"
                for s in found["services"]
            ],
        ),
        ("Roles", [f"{r['role']}: {r['assignee'] or '(unassigned)'}" for r in found["roles"]]),
        (
            "Custom fields",
            [f"{name}: {', '.join(values)}" for name, values in found["custom_fields"].items()],
        ),
        (
            "Severity and status",
            [f"{c['at']}  {c['field']} → {c['value']} ({c['source']})" for c in found["state_history"]],
        ),
        ("Updates", [f"{u['at']}  {u['status']}: {u['message'] or ''}".rstrip() for u in found["updates"]]),
        ("Timeline", [f"{t['at']}  {t['title']}" for t in found["timeline"]]),
        ("Alerts", [f"{a['created_at']}  {a['title']} ({a['status']})" for a in found["alerts"]]),
        ("Follow-ups", [f"{f['title']} [{f['status']}]" for f in found["follow_ups"]]),
        ("Notes", list(found["notes"])),
    ]
    text = [line for line in lines if line]
    for title, items in sections:
        if items:
            text += ["", title, *(f"  {item}" for item in items)]
    return "\n".join(text)


@click.command()
@click.argument("ref")
@store_option
@output_options
@connection_options
def context(ref: str, store_url: str | None, output_format: str | None, connection: Connection) -> None:
    """Show incident REF (ULID, INC-123, 123 or its dashboard URL) with everything around it.

    Its lead and roles, custom fields, affected services (from its catalog field, else the
    catalog's service names and aliases found in its title, summary and alerts) with their owners
    and dependencies, its severity and status history, updates, timeline, alerts and follow-ups.
    With a store (--store, or the default one when it exists), the store's snapshot of the
    incident adds to its history.
    """
    import json

    from incidentkit.investigation import History, load_investigation_config
    from incidentkit.investigation import context as incident_context

    config = load_investigation_config()
    client = connection.client()
    with optional_store(store_url) as store:
        found = incident_context(
            client, ref, config=config, history=History(store) if store is not None else None
        ).to_json()
    fmt = choose_format(output_format)
    if fmt in ("json", "jsonl"):
        click.echo(json.dumps(found, ensure_ascii=False, indent=2 if fmt == "json" else None))
    elif fmt == "csv":
        raise click.UsageError("context has no CSV form: use --json or --table")
    else:
        click.echo(render_context(found))
