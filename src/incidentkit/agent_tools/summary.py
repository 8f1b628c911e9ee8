"""Appending an agent's finding to an incident's summary without losing what others wrote.

OpenSRE's write-back: the finding goes at the end of the summary under a heading with its title,
appended by :func:`incidentkit.investigation.summary_append.append_to_summary` (read, append,
verify, retry; a finding already there is not added twice, so an agent that retries the call
changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.summary_append import SummaryConflictError, append_to_summary

if TYPE_CHECKING:
    from incidentkit.api import Client

__all__ = ["Appended", "SummaryConflictError", "append_finding", "finding_text"]


@dataclass(frozen=True)
class Appended:
    """What an append did.

    Attributes:
        incident: the incident as it was after the append (the API's JSON).
        added: False when the finding was already there (nothing was written).
        attempts: the read-append-verify rounds it took.
    """

    incident: dict[str, Any]
    added: bool
    attempts: int


def finding_text(title: str, body: str | None) -> str:
    """The block appended for one finding: a heading with its title, then its text."""
    block = f"**Finding: {title}**"
    return f"{block}\n{body}" if body else block


def append_finding(
    client: Client, incident: str, *, title: str, body: str | None = None, notify: bool = False
) -> Appended:
    """Append a finding to the summary of ``incident`` (ULID, ``INC-123``, ``123`` or URL).

    Raises:
        SummaryConflictError: concurrent edits replaced the summary on every attempt.
        IncidentIOError: the API refused (not found, not allowed, read-only client...).
    """
    incident_id = client.incidents.resolve_id(incident)
    done = append_to_summary(
        client, incident_id, finding_text(title, body), separator="\n\n---\n", notify=notify
    )
    return Appended(done.incident.to_json(), added=done.added, attempts=done.attempts)
