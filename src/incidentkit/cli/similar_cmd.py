"""``incidentkit similar REF``: the past incidents most like one, from the history in the store."""

from __future__ import annotations

from datetime import datetime

import click

from incidentkit.cli.output import Column, column, emit_list, output_options
from incidentkit.cli.storage import open_store, store_option
from incidentkit.cli.timeparse import WhenType

MATCH_COLUMNS = [
    column("Reference", "reference"),
    column("Score", "score"),
    column("Title", "title"),
    Column("Root cause", lambda match: ", ".join(match["resolution"]["root_causes"])),
    Column("Why", lambda match: "; ".join(match["reasons"])),
]


@click.command()
@click.argument("ref")
@click.option("--k", "k", default=5, show_default=True, type=click.IntRange(min=1), help="At most this many.")
@click.option("--since", type=WhenType(), help="Only past incidents declared since then (7d, 2026-01-01...).")
@click.option(
    "--threshold",
    type=click.FloatRange(min=0.0, max=1.0),
    help="The lowest score shown (default: [investigation] threshold in the configuration file).",
)
@store_option
@output_options
def similar(
    ref: str,
    k: int,
    since: datetime | None,
    threshold: float | None,
    store_url: str | None,
    output_format: str | None,
) -> None:
    """Find past incidents similar to REF (INC-123, 123 or a ULID) in the synced history.

    Each match has its score, the parts of the score (text, services, alert sources, time, root
    cause), the reasons and how that incident was resolved. Run `incidentkit sync` first.
    """
    from incidentkit.investigation import History
    from incidentkit.investigation import similar as find_similar

    with open_store(store_url, filled_by="incidentkit sync") as store:
        matches = find_similar(ref, k=k, since=since, threshold=threshold, history=History(store))
    emit_list([match.to_dict() for match in matches], MATCH_COLUMNS, output_format)
