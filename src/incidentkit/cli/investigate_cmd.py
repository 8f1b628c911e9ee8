"""``incidentkit investigate REF``: what stands out about an incident, and (``--post``) write it back."""

from __future__ import annotations

from typing import Any

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.context_cmd import optional_store
from incidentkit.cli.output import choose_format, output_options
from incidentkit.cli.storage import store_option


def render_investigation(found: dict[str, Any], written: dict[str, Any] | None) -> str:
    """The investigation JSON as text for a person: the summary, the findings, then the parts."""
    incident = found["incident"]
    lines = [f"{incident['reference']}  {incident['name']}", "", found["summary"]]
    if found["findings"]:
        lines += ["", "Findings"]
        for finding in found["findings"]:
            lines.append(f"  [{finding['confidence']}] {finding['claim']}")
            lines += [f"      {line}" for line in finding["evidence"]]
    if found["similar"]:
        lines += ["", "Similar incidents"]
        lines += [f"  {m['reference']}  {m['score']:.2f}  {m['title']}" for m in found["similar"]]
    changes = found["changes"]
    if changes and changes["matches"]:
        lines += ["", "Changes before impact"]
        lines += [
            f"  {m['before_start']} before  {m['change']['service']} {m['change']['kind']} "
            f"{m['change']['version'] or m['change']['description']}  ({m['reason']})"
            for m in changes["matches"]
        ]
    if found["notes"]:
        lines += ["", "Notes", *(f"  {note}" for note in found["notes"])]
    if written is not None:
        lines += ["", "Written back"]
        lines += [f"  added: {', '.join(written['created']) or 'nothing'}"]
        if written["existing"]:
            lines += [f"  already there: {', '.join(written['existing'])}"]
        if written["fallback"]:
            lines += [f"  to the summary, because {written['fallback']}"]
        lines += [f"  {error}" for error in written["errors"]]
    return "\n".join(lines)


def slack_client() -> Any:
    """A Slack Web API client when a bot token is configured (as for the ``slack.post`` step), else None."""
    import logging

    from slack_sdk import WebClient

    from incidentkit.workflows.config import ConfigError, load_config

    try:
        settings = load_config().slack
    except ConfigError as error:
        raise click.UsageError(str(error)) from None
    if settings.token is None:
        return None
    quiet = logging.getLogger("incidentkit.investigation.slack_sdk")
    quiet.setLevel(logging.WARNING)  # slack_sdk logs requests at debug level
    base_url = settings.base_url if settings.base_url.endswith("/") else settings.base_url + "/"
    return WebClient(
        token=settings.token.reveal(), base_url=base_url, timeout=int(settings.timeout), logger=quiet
    )


@click.command()
@click.argument("ref")
@click.option(
    "--post",
    is_flag=True,
    help="Write the findings back: timeline items, an incident update and a Slack message "
    "(with a Slack bot token configured). Running it again adds nothing.",
)
@click.option(
    "--append-summary",
    is_flag=True,
    help="With --post, also append the findings to the incident's summary (what others wrote stays).",
)
@store_option
@output_options
@connection_options
def investigate(
    ref: str,
    post: bool,
    append_summary: bool,
    store_url: str | None,
    output_format: str | None,
    connection: Connection,
) -> None:
    """Investigate incident REF (ULID, INC-123, 123 or its dashboard URL): what stands out.

    Reads the incident's context, similar past incidents (the history `incidentkit sync` keeps in
    the store), the changes to its services and their dependencies in the four hours before
    impact (the store's change log) and Prometheus evidence when [investigation.prometheus] is
    configured, and states the findings, each with its evidence and a confidence.
    """
    import json

    from incidentkit.investigation import investigate as run_investigation
    from incidentkit.investigation import load_investigation_config, post_findings

    if append_summary and not post:
        raise click.UsageError("--append-summary writes the findings back: give --post with it")
    config = load_investigation_config()
    client = connection.client()
    with optional_store(store_url) as store:
        found = run_investigation(client, ref, store=store, config=config)
    written = None
    if post:
        written = post_findings(client, found, slack=slack_client(), append_summary=append_summary).to_json()
    body = found.to_json()
    fmt = choose_format(output_format)
    if fmt in ("json", "jsonl"):
        if written is not None:
            body["written"] = written
        click.echo(json.dumps(body, ensure_ascii=False, indent=2 if fmt == "json" else None))
    elif fmt == "csv":
        raise click.UsageError("investigate has no CSV form: use --json or --table")
    else:
        click.echo(render_investigation(body, written))
