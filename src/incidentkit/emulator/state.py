"""The emulated organisation: what the API can show, shaped as the API shapes it, and the emulator's settings.

Records are kept as the JSON objects the API returns, so a response is a lookup and a dump,
and the state file is the same JSON on disk.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

Record = dict[str, Any]

# API key roles (IdentityV1.roles in the schema) and the scopes they grant.
FULL_ACCESS_ROLES = ["viewer", "incident_creator", "incident_editor", "manage_settings"]
READ_ONLY_ROLES = ["viewer"]


@dataclass
class APIKey:
    """An API key the emulator accepts. The secret itself is the key of ``OrgState.api_keys``."""

    id: str
    name: str
    roles: list[str]

    @property
    def read_only(self) -> bool:
        return set(self.roles) <= set(READ_ONLY_ROLES)


@dataclass
class OrgState:
    """One organisation's data. Lists keep the API's order; ``incidents`` keeps creation order."""

    organisation_slug: str = "sandbox"
    severities: list[Record] = field(default_factory=list)
    incident_statuses: list[Record] = field(default_factory=list)
    incident_types: list[Record] = field(default_factory=list)
    incident_roles: list[Record] = field(default_factory=list)
    custom_fields: list[Record] = field(default_factory=list)
    custom_field_options: dict[str, list[Record]] = field(default_factory=dict)
    incident_timestamps: list[Record] = field(default_factory=list)
    users: list[Record] = field(default_factory=list)
    incidents: dict[str, Record] = field(default_factory=dict)
    incident_updates: list[Record] = field(default_factory=list)
    timeline_items: dict[str, Record] = field(default_factory=dict)
    follow_ups: list[Record] = field(default_factory=list)
    # "<resource>:<idempotency key>" -> id of what the first request created
    idempotency: dict[str, str] = field(default_factory=dict)
    next_reference: int = 1
    api_keys: dict[str, APIKey] = field(default_factory=dict)
    webhook_endpoints: list[Record] = field(default_factory=list)
    # The v3 catalog: types (with their schema) and entries, in creation order; archived ones are
    # kept, with ``archived_at``, so references to them still have a name.
    catalog_types: list[Record] = field(default_factory=list)
    catalog_entries: list[Record] = field(default_factory=list)
    teams: list[Record] = field(default_factory=list)
    # Alerting (emulator.alert_*): sources, routes (kept in the v3 shape), alerts and their links.
    alert_sources: list[Record] = field(default_factory=list)
    alert_routes: list[Record] = field(default_factory=list)
    alert_route_v2_settings: dict[str, Record] = field(default_factory=dict)  # v2-only fields, by route id
    alerts: list[Record] = field(default_factory=list)
    alert_metadata: dict[str, Record] = field(default_factory=dict)  # an alert's last event metadata
    alert_tags: list[Record] = field(default_factory=list)
    incident_alerts: list[Record] = field(default_factory=list)
    # On-call: schedules (ScheduleV2 without its computed shifts), overrides, escalation paths and
    # escalations; escalation_progress keeps what the API does not show (the idempotency key, the
    # level an escalation has reached and since when), by escalation id.
    schedules: list[Record] = field(default_factory=list)
    schedule_overrides: list[Record] = field(default_factory=list)
    escalation_paths: list[Record] = field(default_factory=list)
    escalations: list[Record] = field(default_factory=list)
    escalation_progress: dict[str, Record] = field(default_factory=dict)
    # Private incidents' members (IncidentMembershipV1), attachments (IncidentAttachmentV1) and
    # post-mortem documents (PostmortemDocumentV1), as the API shows them; an in-app document's
    # markdown by document id; and related incidents as {"id", "incident_ids": [a, b]}, since the
    # API shows each relationship from the side of the incident asked about.
    incident_memberships: list[Record] = field(default_factory=list)
    incident_attachments: list[Record] = field(default_factory=list)
    postmortem_documents: list[Record] = field(default_factory=list)
    postmortem_contents: dict[str, str] = field(default_factory=dict)
    incident_relationships: list[Record] = field(default_factory=list)
    # The schema-driven operations' records: collection path -> id -> record (emulator.generic).
    generic: dict[str, dict[str, Record]] = field(default_factory=dict)
    # The schema-driven singletons (a user's paging provider, the IP allowlist): path -> response body.
    documents: dict[str, Record] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrgState:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"state file has unknown keys: {', '.join(sorted(unknown))}")
        values = dict(data)
        values["api_keys"] = {secret: APIKey(**key) for secret, key in data.get("api_keys", {}).items()}
        return cls(**values)

    # Look-ups by id, used by every handler.

    def find(self, collection: list[Record], record_id: str) -> Record | None:
        return next((record for record in collection if record["id"] == record_id), None)

    def severity(self, severity_id: str) -> Record | None:
        return self.find(self.severities, severity_id)

    def status(self, status_id: str) -> Record | None:
        return self.find(self.incident_statuses, status_id)

    def incident_by_reference(self, value: str) -> Record | None:
        """An incident by ULID or by the number of its reference (``123`` for ``INC-123``)."""
        if value in self.incidents:
            return self.incidents[value]
        if value.isdigit():
            reference = f"INC-{int(value)}"
            return next((i for i in self.incidents.values() if i["reference"] == reference), None)
        return None


def load_state(path: Path) -> OrgState:
    """Read a state file written by :func:`save_state`.

    Raises:
        ValueError: the file is not a state file; the message names the file.
    """
    try:
        return OrgState.from_json(json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise ValueError(f"{path} is not an emulator state file: {error}") from error


def save_state(state: OrgState, path: Path) -> None:
    """Write the state atomically, so a crash mid-write never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(state.to_json(), file, separators=(",", ":"))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
