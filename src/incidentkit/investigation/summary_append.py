"""Appending text to an incident's summary without losing what others wrote.

The API only replaces the whole summary and has no conditional write, so an append reads the
summary, reads it again just before writing (someone writing meanwhile starts the attempt over),
writes it with the text appended, and reads it back: the text must be there, and so must everything
that was there before. When someone else's edit replaced it in between, the text goes on top of
theirs, a few times at most. A summary that already holds the text is left alone, so a retried
append changes nothing. Only a write landing in the moment between the second read and ours can
still be overwritten.

The investigation's write-back and the agent tools' ``append_summary`` both append this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from incidentkit.investigation.errors import InvestigationError

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.api.models import Incident

ATTEMPTS = 3
"""How many read-append-verify rounds before giving up (each lost to a concurrent edit)."""


class SummaryConflictError(InvestigationError):
    """Other edits kept replacing the summary: the text could not be appended and verified."""


@dataclass(frozen=True)
class SummaryAppend:
    """What an append did.

    Attributes:
        incident: the incident as last read.
        added: whether this call wrote the text (False: the summary held it already).
        attempts: the read-append-verify rounds it took.
    """

    incident: Incident
    added: bool
    attempts: int


def append_to_summary(
    client: Client,
    incident_id: str,
    text: str,
    *,
    present: str | None = None,
    separator: str = "\n\n",
    notify: bool = False,
) -> SummaryAppend:
    """Append ``text`` to the summary of the incident ``incident_id``, keeping what others wrote.

    Args:
        client: a client that may edit incidents.
        incident_id: the incident's id.
        text: what to append.
        present: what shows the text is already there (a marker inside it); ``text`` itself if not given.
        separator: what goes between the summary and the text when the summary is not empty.
        notify: whether incident.io announces the edit in the incident's channel.

    Raises:
        SummaryConflictError: concurrent edits replaced the summary on every attempt.
        IncidentIOError: the API refused (not found, not allowed, read-only client...).
    """
    there = present or text
    wrote = False
    for attempt in range(1, ATTEMPTS + 1):
        current = client.incidents.get(incident_id)
        summary = current.summary or ""
        if there in summary:
            return SummaryAppend(current, added=wrote, attempts=attempt)
        if (client.incidents.get(incident_id).summary or "") != summary:
            continue  # someone is writing it right now: start over from their text
        wanted = f"{summary.rstrip()}{separator}{text}" if summary.strip() else text
        client.incidents.edit(incident_id, summary=wanted, notify_incident_channel=notify)
        wrote = True
        after = client.incidents.get(incident_id)
        latest = after.summary or ""
        # Verified when the text is there and what was there before it still is.
        if there in latest and summary.rstrip() in latest:
            return SummaryAppend(after, added=True, attempts=attempt)
        # Someone wrote after us and replaced ours: theirs is kept, ours goes on top of it.
    raise SummaryConflictError(
        f"the summary of incident {incident_id} changed during each of {ATTEMPTS} attempts to append to it; "
        "nothing of anyone's was overwritten, and the text is not in it: read the incident and try again"
    )
