"""Appending an agent's finding to an incident's summary without losing what others wrote.

OpenSRE's write-back: the finding goes at the end of the summary under a heading with its title.
The API only replaces the whole summary, so the append reads it, adds the finding, writes, then
reads again to verify; when someone else's edit landed in between (the finding is missing, or their
text is), it appends again to the latest summary, a few times at most. A finding already in the
summary is not added twice, so an agent that retries the call changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from incidentkit.errors import IncidentKitError

if TYPE_CHECKING:
    from incidentkit.api import Client

ATTEMPTS = 3
"""How many read-append-verify rounds before giving up (each lost to a concurrent edit)."""


class SummaryConflictError(IncidentKitError, RuntimeError):
    """Other edits kept replacing the summary: the finding could not be appended and verified."""


@dataclass(frozen=True)
class Appended:
    """What an append did.

    Attributes:
        incident: the incident as it was after the append (the API's JSON).
        added: False when the finding was already there (nothing was written).
        attempts: the read-append-verify rounds it took.
    """

    incident: dict[str, object]
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
    block = finding_text(title, body)
    incident_id = client.incidents.resolve_id(incident)
    for attempt in range(1, ATTEMPTS + 1):
        current = client.incidents.get(incident_id).to_json()
        summary = str(current.get("summary") or "")
        if block in summary:
            return Appended(current, added=attempt > 1, attempts=attempt)
        wanted = f"{summary.rstrip()}\n\n---\n{block}" if summary.strip() else block
        client.incidents.edit(incident_id, summary=wanted, notify_incident_channel=notify)
        after = client.incidents.get(incident_id).to_json()
        latest = str(after.get("summary") or "")
        # Verified when the finding is there and what was there before it still is.
        if block in latest and summary.rstrip() in latest:
            return Appended(after, added=True, attempts=attempt)
    raise SummaryConflictError(
        f"the summary of {incident} kept changing while the finding was appended ({ATTEMPTS} attempts); "
        "read the incident and try again"
    )
