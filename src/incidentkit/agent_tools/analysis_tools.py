"""The investigation tools: similar past incidents, what changed before an incident, and the whole
investigation.

They read the store: the incident history that ``incidentkit sync`` copies from incident.io and the
change log fed by ``incidentkit changes record``, ``POST /api/changes`` and GitHub deployments. An
incident not synced yet is fetched from incident.io.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import Field

from incidentkit.agent_tools.incident_tools import IncidentId
from incidentkit.agent_tools.inputs import duration, required_text
from incidentkit.agent_tools.toolbox import Toolbox

MAX_MATCHES = 20


def correlate_incidents(
    box: Toolbox,
    incident_id: IncidentId,
    similarity_threshold: Annotated[
        float | None,
        Field(
            ge=0.0, le=1.0, description="The lowest score kept, 0-1; the configured threshold when omitted."
        ),
    ] = None,
    time_range: Annotated[
        str, Field(description="Only past incidents declared this far back: 30d, 12w, 365d (at most 3650d).")
    ] = "90d",
    limit: Annotated[int, Field(ge=1, le=MAX_MATCHES, description="How many matches at most (1-20).")] = 5,
) -> dict[str, Any]:
    """Past incidents similar to this one, best first, each explained: the score and its parts
    (text, shared services, alert sources, time, root cause), the reasons, and how that incident was
    resolved (closing summary, last updates, root cause, follow-ups). Read them for what worked."""
    ref = required_text("incident_id", incident_id, limit=500)
    since = box.clock() - duration("time_range", time_range, at_most=timedelta(days=3650))
    from incidentkit.investigation import similar

    history = box.history()
    query = box.history_incident(ref)
    matches = similar(
        query, k=limit, since=since, threshold=similarity_threshold, history=history, config=box.settings()
    )
    answer: dict[str, Any] = {
        "incident": query.reference,
        "since": since.isoformat(),
        "matches": [match.to_dict() for match in matches],
    }
    if not matches and history.count() == 0:
        answer["note"] = (
            "the incident history is empty, so nothing can match: a person must run `incidentkit sync` "
            "to copy past incidents from incident.io"
        )
    return answer


def recent_changes(
    box: Toolbox,
    incident_id: IncidentId,
    window: Annotated[
        str, Field(description="How far before the incident started to look: 30m, 4h, 24h (at most 30d).")
    ] = "4h",
) -> dict[str, Any]:
    """The deploys, config changes and feature flags made before an incident started, to its affected
    services and the services they depend on, closest to the start first: the usual suspects."""
    ref = required_text("incident_id", incident_id, limit=500)
    length = duration("window", window, at_most=timedelta(days=30))
    from incidentkit.investigation import ChangeLog, changes

    found = changes(
        ref,
        change_log=ChangeLog(box.store()),
        history=box.history(),
        client=box.client,
        window=length,
        config=box.settings(),
    )
    answer = found.to_dict()
    if not found.matches:
        answer["note"] = f"no change was recorded in the {window} before the incident started" + (
            "" if found.services else " (the incident names no affected service, so every change counts)"
        )
    return answer


def investigate(box: Toolbox, incident_id: IncidentId) -> dict[str, Any]:
    """The whole built-in investigation of an incident, read-only: its context, similar past
    incidents, recent changes and metrics evidence, with findings that each carry their evidence and a
    confidence, and a plain summary of what stands out. Writes nothing back."""
    ref = required_text("incident_id", incident_id, limit=500)
    from incidentkit.investigation import investigate as run_investigation

    found = run_investigation(box.client, ref, store=box.store(), config=box.settings(), now=box.clock)
    answer: dict[str, Any] = found.to_json()
    return answer


__all__ = ["correlate_incidents", "investigate", "recent_changes"]
