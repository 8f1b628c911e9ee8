"""Small API payloads for scripted-transport tests (the emulator tests use real ones)."""

from __future__ import annotations

from typing import Any

TS = "2026-11-22T12:00:00Z"


def _status(id_: str, name: str, category: str, rank: int) -> dict[str, Any]:
    return {"id": id_, "name": name, "category": category, "rank": rank, "description": "", "created_at": TS,
            "updated_at": TS}  # fmt: skip


def _severity(id_: str, name: str, rank: int) -> dict[str, Any]:
    return {"id": id_, "name": name, "rank": rank, "description": "", "created_at": TS, "updated_at": TS}


STATUSES = [
    _status("ST_TRIAGE", "Triage", "triage", 0),
    _status("ST_INVESTIGATING", "Investigating", "live", 1),
    _status("ST_FIXING", "Fixing", "live", 2),
    _status("ST_CLOSED", "Closed", "closed", 5),
]

SEVERITIES = [
    _severity("SEV_MINOR", "Minor", 0),
    _severity("SEV_MAJOR", "Major", 1),
    _severity("SEV_CRITICAL", "Critical", 2),
]


def incident(
    number: int = 1, *, status: str = "ST_TRIAGE", severity: str = "SEV_MINOR", **extra: Any
) -> dict[str, Any]:
    status_obj = next(s for s in STATUSES if s["id"] == status)
    severity_obj = next(s for s in SEVERITIES if s["id"] == severity)
    body: dict[str, Any] = {
        "id": f"01J00000000000000000000{number:03d}",
        "reference": f"INC-{number}",
        "name": f"Incident {number}",
        "incident_status": status_obj,
        "severity": severity_obj,
        "visibility": "public",
        "mode": "standard",
        "creator": {"user": {"id": "U1", "name": "Ada", "role": "responder"}},
        "incident_role_assignments": [],
        "custom_field_entries": [],
        "team_ids": [],
        "slack_team_id": "T1",
        "slack_channel_id": "C1",
        "created_at": TS,
        "updated_at": TS,
        "last_activity_at": TS,
    }
    body.update(extra)
    return body


def incidents_page(numbers: range, after: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"page_size": len(numbers)}
    if after:
        meta["after"] = after
    return {"incidents": [incident(n) for n in numbers], "pagination_meta": meta}
