"""``investigate``: the built-in investigation of an incident, and (``writeFindings``) its write-back.

The step runs :func:`incidentkit.investigation.investigate` for the incident, with the engine's
store (the synced history and the change log) and the ``[investigation]`` configuration, and
outputs the summary and the findings. With ``writeFindings: true`` it writes them back with
:func:`incidentkit.investigation.post_findings` (timeline items, an incident update, and a message
to the incident's Slack channel when ``slack.post`` has a bot token). The write-back finds its own
earlier items, so a retried step adds nothing twice.

It handles dry runs itself: the investigation (reads only) runs for real, and the first write the
write-back would make is reported as ``would_send`` without being sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from incidentkit.workflows.nodes.base import Completed, NodeContext, StepError, StepInputs
from incidentkit.workflows.nodes.registry import register

if TYPE_CHECKING:
    from incidentkit.investigation import Investigation


class InvestigateInputs(StepInputs):
    """Inputs of ``investigate``."""

    incident_id: str = Field(description="ULID, INC-123, 123 or dashboard URL")
    write_findings: bool = Field(False, description="write the findings back to the incident")
    append_summary: bool = Field(False, description="with writeFindings, also append them to the summary")


def _output(found: Investigation) -> dict[str, Any]:
    body = found.to_json()
    return {
        "incident_id": found.context.id,
        "reference": found.context.reference,
        "summary": found.summary,
        "root_cause": body["root_cause"],
        "findings": body["findings"],
        "services": [service.name for service in found.context.services],
        "similar": [match.incident.reference for match in found.similar],
        "changes": body["changes"]["matches"] if body["changes"] else [],
        "key": found.key,
        "notes": body["notes"],
    }


def _slack(context: NodeContext) -> Any:
    """A Slack client with the ``slack.post`` settings, when a bot token is configured."""
    if context.slack.token is None:
        return None
    import logging

    from slack_sdk import WebClient

    quiet = logging.getLogger("incidentkit.workflows.nodes.slack_sdk")
    base_url = (
        context.slack.base_url if context.slack.base_url.endswith("/") else context.slack.base_url + "/"
    )
    return WebClient(
        token=context.slack.token.reveal(),
        base_url=base_url,
        timeout=int(context.slack.timeout),
        logger=quiet,
        retry_handlers=[],  # the engine schedules retries; nothing may sleep in a worker
    )


@register("investigate", InvestigateInputs, writes=False)
def investigate(inputs: InvestigateInputs, context: NodeContext) -> Completed:
    """Investigate the incident; with ``writeFindings``, write the findings back (dry runs: report it)."""
    from incidentkit.api.errors import WriteHeldError
    from incidentkit.config_file import ConfigFileError
    from incidentkit.investigation import investigate as run_investigation
    from incidentkit.investigation import load_investigation_config, post_findings
    from incidentkit.investigation.errors import InvestigationError
    from incidentkit.investigation.write_back import WriteBackError

    client = context.api()
    try:
        config = load_investigation_config()
    except (ConfigFileError, InvestigationError) as error:
        raise StepError(f"investigate: the [investigation] configuration: {error}", retryable=False) from None
    found = run_investigation(
        client, inputs.incident_id, store=context.store, config=config, now=context.clock
    )
    output = _output(found)
    context.log.info("investigated %s: %s", found.context.reference, found.summary)
    if not inputs.write_findings:
        return Completed({**output, "written": None})
    if context.dry_run:
        would_send = None
        try:
            with client.hold_writes():
                post_findings(client, found, append_summary=inputs.append_summary, now=context.clock)
        except WriteHeldError as held:
            would_send = {"method": held.method, "path": held.path, "body": held.body}
        context.log.info("dry run: investigate would write its findings back, and nothing was sent")
        return Completed({**output, "written": None, "dry_run": True, "would_send": would_send})
    try:
        written = post_findings(
            client, found, slack=_slack(context), append_summary=inputs.append_summary, now=context.clock
        )
    except WriteBackError as error:
        raise StepError(f"investigate: {error}", retryable=True) from None
    for problem in written.errors:
        context.log.warning("investigate: %s", problem)
    return Completed({**output, "written": written.to_json()})
