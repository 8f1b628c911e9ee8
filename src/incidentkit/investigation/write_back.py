"""Writing an investigation back to its incident, natively and idempotently.

:func:`post_findings` writes, in this order:

1. a timeline item "Investigation started" (at the investigation's time);
2. a timeline item "Root cause identified", only when a finding that names a cause is high-confidence;
3. an incident update with the findings;
4. a message to the incident's Slack channel (``slack_channel_id``), when a Slack client is given;
5. a timeline item "Investigation complete" with the summary.

Everything written carries a marker with the investigation's key (``[incidentkit investigation
3f2a9c1b7d04]``): before writing, the incident's timeline and updates are read, and what already
carries the marker is not written again, so running it twice adds nothing. The key depends on the
findings only, so an investigation that finds something new writes again. The Slack message is
sent only while "Investigation complete" is not there yet: that item is written after Slack took the
message (or refused it for good), so a message Slack failed to take for a while is sent by the next run.

Appending the findings to the incident's summary is an option (``append_summary``), and the
fallback when the API refuses the native objects (a 403, 404 or 422 on the first timeline item).
The append (:func:`incidentkit.investigation.summary_append.append_to_summary`) reads, re-reads,
writes and verifies, since the API has no conditional write: text someone else wrote stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.errors import InvestigationError
from incidentkit.investigation.summary_append import ATTEMPTS, SummaryConflictError, append_to_summary

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.investigation.findings import Investigation

__all__ = ["COMPLETE", "ROOT_CAUSE", "STARTED", "WriteBack", "WriteBackError", "marker", "post_findings"]

STARTED = "Investigation started"
ROOT_CAUSE = "Root cause identified"
COMPLETE = "Investigation complete"
# A refusal of the native objects (not allowed, not there, not accepted): fall back to the summary.
_REFUSED = (403, 404, 405, 422)
_SLACK_RETRYABLE = {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable"}


class WriteBackError(InvestigationError):
    """The findings could not be written back (the message says which part and why)."""


def marker(key: str) -> str:
    """The text that marks what an investigation with this key wrote."""
    return f"[incidentkit investigation {key}]"


@dataclass(frozen=True)
class WriteBack:
    """What :func:`post_findings` wrote, and what it found already written.

    Attributes:
        incident_id: the incident.
        key: the investigation's key (in the marker).
        created: what was written now: ``timeline:<title>``, ``update``, ``slack``, ``summary``.
        existing: what an earlier run had written already (the same names).
        timeline_item_ids: the ids of the timeline items written now.
        update_id: the incident update written now, if one was.
        slack_ts: the Slack message's ``ts``, if one was sent now.
        fallback: why the findings went to the summary instead of the native objects, if they did.
        errors: what failed without stopping the rest (Slack, mostly).
    """

    incident_id: str
    key: str
    created: tuple[str, ...]
    existing: tuple[str, ...]
    timeline_item_ids: tuple[str, ...] = ()
    update_id: str | None = None
    slack_ts: str | None = None
    fallback: str | None = None
    errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The result as JSON."""
        return {
            "incident_id": self.incident_id,
            "key": self.key,
            "created": list(self.created),
            "existing": list(self.existing),
            "timeline_item_ids": list(self.timeline_item_ids),
            "update_id": self.update_id,
            "slack_ts": self.slack_ts,
            "fallback": self.fallback,
            "errors": list(self.errors),
        }


def findings_text(investigation: Investigation, *, with_evidence: bool = True) -> str:
    """The findings as plain text: the summary, then each finding with its confidence and evidence."""
    lines = [f"Investigation: {investigation.summary}"]
    for finding in investigation.findings:
        lines.append(f"- [{finding.confidence}] {finding.claim}")
        if with_evidence:
            lines += [f"    {line}" for line in finding.evidence]
    return "\n".join(lines)


class _Writer:
    """One write-back: what exists, what to write, what was written."""

    def __init__(self, client: Client, investigation: Investigation, now: Callable[[], datetime]) -> None:
        self.client = client
        self.investigation = investigation
        self.incident_id = investigation.context.id
        self.key = investigation.key
        self.mark = marker(self.key)
        self.now = now
        self.created: list[str] = []
        self.existing: list[str] = []
        self.item_ids: list[str] = []
        items = client.incident_timeline_items.list(self.incident_id, page_size=250)
        self.items = {i.title for i in items if self.mark in (i.description or "")}
        updates = client.incident_updates.list(self.incident_id, page_size=250)
        self.has_update = any(self.mark in (u.message or "") for u in updates)

    def idempotency_key(self, part: str) -> str:
        return f"incidentkit-investigation-{self.incident_id}-{self.key}-{part}"

    def timeline(self, title: str, description: str, at: datetime) -> None:
        if title in self.items:
            self.existing.append(f"timeline:{title}")
            return
        item = self.client.incident_timeline_items.create(
            self.incident_id,
            title=title,
            description=f"{description}\n\n{self.mark}",
            timestamp=at,
            idempotency_key=self.idempotency_key(title.lower().replace(" ", "-")),
        )
        self.items.add(title)
        self.item_ids.append(item.id)
        self.created.append(f"timeline:{title}")

    def update(self) -> str | None:
        if self.has_update:
            self.existing.append("update")
            return None
        text = findings_text(self.investigation)
        update = self.client.incident_updates.create(
            self.incident_id, message=f"{text}\n\n{self.mark}", idempotency_key=self.idempotency_key("update")
        )
        self.created.append("update")
        return update.id


def post_findings(
    client: Client,
    investigation: Investigation,
    *,
    slack: Any = None,
    append_summary: bool = False,
    now: Callable[[], datetime] | None = None,
) -> WriteBack:
    """Write the investigation back to its incident: see the module's description.

    Args:
        client: a client that may write (timeline items, updates; the summary when appending).
        investigation: what :func:`~incidentkit.investigation.investigate` found.
        slack: a ``slack_sdk.WebClient`` to post to the incident's channel with; None: no Slack.
        append_summary: also append the findings to the incident's summary.
        now: the current time (aware), for "Investigation complete"; the system clock when None.

    Raises:
        WriteBackError: the summary could not be written without losing someone else's text.
        ReadOnlyError: the client may not write.
    """
    from incidentkit.api.errors import APIStatusError

    clock = now or (lambda: datetime.now(UTC))
    writer = _Writer(client, investigation, clock)
    fallback: str | None = None
    errors: list[str] = []
    update_id: str | None = None
    slack_ts: str | None = None
    try:
        writer.timeline(STARTED, "incidentkit is investigating this incident.", investigation.investigated_at)
    except APIStatusError as error:
        if error.status not in _REFUSED:
            raise
        fallback = f"the API refused the timeline item ({error.status}): {error}"
    if fallback is None:
        root = investigation.root_cause
        if root is not None:
            writer.timeline(
                ROOT_CAUSE, "\n".join([root.claim, *root.evidence]), investigation.investigated_at
            )
        update_id = writer.update()
        finished = COMPLETE in writer.items
        write_complete = True
        if slack is not None and not finished:
            slack_ts, error_text, retry = _post_to_slack(slack, investigation)
            if slack_ts is not None:
                writer.created.append("slack")
            if error_text:
                errors.append(error_text)
            write_complete = not retry  # a Slack that may take it later: leave "complete" for the next run
        if write_complete:
            writer.timeline(COMPLETE, investigation.summary, clock())
    if append_summary or fallback is not None:
        if _append_summary(
            client, writer.incident_id, findings_text(investigation, with_evidence=False), writer.mark
        ):
            writer.created.append("summary")
        else:
            writer.existing.append("summary")
    return WriteBack(
        incident_id=writer.incident_id,
        key=writer.key,
        created=tuple(writer.created),
        existing=tuple(writer.existing),
        timeline_item_ids=tuple(writer.item_ids),
        update_id=update_id,
        slack_ts=slack_ts,
        fallback=fallback,
        errors=tuple(errors),
    )


def _post_to_slack(slack: Any, investigation: Investigation) -> tuple[str | None, str | None, bool]:
    """Post the findings to the incident's channel: (the message's ts, an error, whether to retry later)."""
    from slack_sdk.errors import SlackApiError

    incident = investigation.context.incident
    channel = incident.slack_channel_id
    if not channel:
        return None, f"{incident.reference} has no Slack channel: nothing posted to Slack", False
    link = f" <{incident.permalink}|{incident.reference}>" if incident.permalink else f" {incident.reference}"
    text = f"*Investigation of{link}*\n{findings_text(investigation, with_evidence=False)}"
    try:
        response = slack.chat_postMessage(channel=channel, text=text)
    except SlackApiError as error:
        code = str(error.response.get("error", "unknown_error"))
        retry = code in _SLACK_RETRYABLE or error.response.status_code >= 500
        return None, f"Slack refused the message to {channel}: {code}", retry
    except OSError as error:
        return None, f"could not reach Slack: {error}", True
    return str(response.get("ts")), None, False


def _append_summary(client: Client, incident_id: str, text: str, mark: str) -> bool:
    """Append ``text`` (marked) to the incident's summary, keeping what others wrote: True when appended now.

    Raises:
        WriteBackError: the summary kept changing under us for every attempt.
    """
    try:
        return append_to_summary(client, incident_id, f"{text}\n{mark}", present=mark).added
    except SummaryConflictError:
        raise WriteBackError(
            f"the summary of incident {incident_id} changed during each of {ATTEMPTS} attempts to "
            "append the findings; nothing of anyone's was overwritten, and the findings are not in it"
        ) from None
