"""The demo scenario: an incident's life, from declaration to close, through the client.

``make demo`` runs it against the emulator served on loopback, so it needs no account. It is
an ordinary client program: point it at a real organisation and it does the same there.
"""

from __future__ import annotations

from collections.abc import Callable

from incidentkit.api import Client, Incident

Echo = Callable[[str], None]


def _describe(incident: Incident) -> str:
    severity = incident.severity.name if incident.severity else "no severity"
    return f"{incident.reference} [{incident.incident_status.name} / {severity}] {incident.name}"


def run_scenario(client: Client, echo: Echo = print) -> Incident:
    """Declare, acknowledge, escalate, update, annotate and close an incident; list what is live.

    Returns the closed incident.
    """
    severities = client.severities.list()
    least = severities[-1]
    echo(f"Organisation severities (most severe first): {', '.join(s.name for s in severities)}")

    incident = client.incidents.create(
        name="Checkout latency above 2s",
        summary="p99 latency of the checkout API is above 2 seconds since 14:02.",
        severity=least.name,
        status="Triage",
    )
    echo(f"1. Declared          {_describe(incident)}")

    change = client.incidents.acknowledge(incident.id, message="On it: looking at the checkout dashboards.")
    echo(f"2. Acknowledged      {_describe(change.incident)}  ({change.description})")

    change = client.incidents.escalate(incident.id, message="Error rate is climbing; escalating.")
    echo(f"3. Escalated         {_describe(change.incident)}  ({change.description})")

    update = client.incident_updates.create(
        incident.id, message="Rolled back the 14:00 deploy of checkout; latency recovering."
    )
    echo(f"4. Posted update     {update.message}")

    item = client.incident_timeline_items.create(
        incident.id, title="Rollback of checkout deploy", description="Deploy 2026.11.22-3 rolled back."
    )
    echo(f"5. Timeline item     {item.title} at {item.timestamp.isoformat()}")

    change = client.incidents.close(incident.id, message="Latency back to normal for 30 minutes.")
    echo(f"6. Closed            {_describe(change.incident)}  ({change.description})")

    live = list(client.incidents.list(status_category="live"))
    echo(f"7. Live incidents    {len(live)}")
    for other in live:
        echo(f"     {_describe(other)}")
    return change.incident
