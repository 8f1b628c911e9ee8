"""Typed models of the incident.io objects the client returns.

The models follow the official schema (``IncidentV2``, ``SeverityV2``, ``IncidentStatusV1`` and
so on) but are deliberately tolerant, because incident.io promises to add fields and enum values
without notice: unknown fields are kept (``model_extra``), enum-like fields are plain strings,
and only the fields every object has are required. Datetimes are timezone-aware.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from incidentkit.wire import STATUS_CATEGORIES as STATUS_CATEGORIES


class APIModel(BaseModel):
    """Base of every model: keeps unknown fields and serialises back to the API's JSON."""

    # defer_build: a model's validator is built on first use, not at import, which keeps
    # `import incidentkit.api` fast (most programs touch a few of these models).
    model_config = ConfigDict(extra="allow", defer_build=True)

    def to_json(self) -> dict[str, Any]:
        """The object as the API would send it (unset optional fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


class Severity(APIModel):
    """A severity (``SeverityV2``); a higher ``rank`` is more severe."""

    id: str
    name: str
    rank: int
    description: str = ""
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class IncidentStatus(APIModel):
    """An incident status (``IncidentStatusV1``) and the category it belongs to."""

    id: str
    name: str
    category: str
    rank: int = 0
    description: str = ""
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class IncidentType(APIModel):
    """An incident type (``IncidentTypeV1``)."""

    id: str
    name: str
    is_default: bool = False
    description: str = ""
    private_incidents_only: bool = False
    create_in_triage: str | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class IncidentRole(APIModel):
    """An incident role (``IncidentRoleV2``) such as the incident lead."""

    id: str
    name: str
    role_type: str | None = None
    shortform: str | None = None
    description: str = ""
    instructions: str | None = None


class CustomFieldOption(APIModel):
    """One option of a select custom field."""

    id: str
    value: str
    custom_field_id: str | None = None
    sort_key: int | None = None


class CustomField(APIModel):
    """A custom field (``CustomFieldV2``)."""

    id: str
    name: str
    field_type: str
    description: str = ""
    options: list[CustomFieldOption] = []


class User(APIModel):
    """A user (``UserV2`` / ``UserWithRolesV2``)."""

    id: str
    name: str
    email: str | None = None
    role: str | None = None
    slack_user_id: str | None = None
    is_active: bool | None = None


class Actor(APIModel):
    """Who did something: a user, an API key, a workflow or an alert (``ActorV2``)."""

    user: User | None = None
    api_key: dict[str, Any] | None = None
    workflow: dict[str, Any] | None = None
    alert: dict[str, Any] | None = None

    @property
    def display_name(self) -> str:
        """The actor's name, whichever kind of actor it is."""
        if self.user is not None:
            return self.user.name
        for other in (self.api_key, self.workflow, self.alert):
            if other and "name" in other:
                return str(other["name"])
        if self.alert and "title" in self.alert:
            return f"alert: {self.alert['title']}"  # alerts have a title, not a name
        return "unknown"


class IdentityTeam(APIModel):
    """A team the API key belongs to."""

    id: str
    name: str


class Identity(APIModel):
    """What ``GET /v1/identity`` says about the API key in use."""

    name: str
    roles: list[str] = []
    dashboard_url: str | None = None
    team_roles: list[str] = []
    teams: list[IdentityTeam] = []


class EmbeddedRole(APIModel):
    """The role half of a role assignment."""

    id: str
    name: str
    role_type: str | None = None
    shortform: str | None = None


class RoleAssignment(APIModel):
    """Who holds an incident role."""

    role: EmbeddedRole
    assignee: User | None = None


class CustomFieldValue(APIModel):
    """One value of a custom field entry; exactly one of the fields is set."""

    value_option: CustomFieldOption | None = None
    value_text: str | None = None
    value_link: str | None = None
    value_numeric: str | None = None
    value_catalog_entry: dict[str, Any] | None = None


class CustomFieldEntry(APIModel):
    """A custom field and its values on an incident."""

    custom_field: CustomField
    values: list[CustomFieldValue] = []


class IncidentTimestamp(APIModel):
    """An incident timestamp of the organisation (``IncidentTimestampV2``), such as ``Impact started at``."""

    id: str
    name: str
    rank: int = 0


class TimestampValue(APIModel):
    """When a timestamp happened, for one incident (``IncidentTimestampValueV2``)."""

    value: AwareDatetime | None = None


class IncidentTimestampValue(APIModel):
    """An incident timestamp and its value on one incident, if any (``IncidentTimestampWithValueV2``)."""

    incident_timestamp: IncidentTimestamp
    value: TimestampValue | None = None


class Incident(APIModel):
    """An incident (``IncidentV2``)."""

    id: str
    reference: str
    name: str
    incident_status: IncidentStatus
    severity: Severity | None = None
    incident_type: IncidentType | None = None
    summary: str | None = None
    visibility: str = "public"
    mode: str = "standard"
    creator: Actor | None = None
    incident_role_assignments: list[RoleAssignment] = []
    custom_field_entries: list[CustomFieldEntry] = []
    incident_timestamp_values: list[IncidentTimestampValue] = []
    postmortem_document_url: str | None = None
    team_ids: list[str] = []
    permalink: str | None = None
    slack_channel_id: str | None = None
    slack_channel_name: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    last_activity_at: AwareDatetime | None = None

    @property
    def status_category(self) -> str:
        """The category of the incident's current status (``live``, ``closed``, ...)."""
        return self.incident_status.category

    @property
    def lead(self) -> User | None:
        """Whoever holds the incident's lead role, if anyone does."""
        for assignment in self.incident_role_assignments:
            if assignment.role.role_type == "lead":
                return assignment.assignee
        return None

    def timestamp(self, name: str) -> datetime | None:
        """The value of the incident timestamp named ``name`` (any case), if it has one."""
        for entry in self.incident_timestamp_values:
            if entry.incident_timestamp.name.lower() == name.strip().lower():
                return entry.value.value if entry.value else None
        return None


class IncidentUpdate(APIModel):
    """An incident update (``IncidentUpdateV2``): a message, maybe with a status or severity change."""

    id: str
    incident_id: str
    new_incident_status: IncidentStatus
    new_severity: Severity | None = None
    message: str | None = None
    updater: Actor | None = None
    created_at: AwareDatetime


class TimelineItem(APIModel):
    """A timeline item on an incident (``IncidentTimelineItemV2``)."""

    id: str
    incident_id: str
    title: str
    timestamp: AwareDatetime
    description: str | None = None
    creator: Actor | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class FollowUp(APIModel):
    """A follow-up on an incident (``FollowUpV3``): work to do after the incident."""

    id: str
    incident_id: str
    title: str
    status: str
    labels: list[str] = []
    description: str | None = None
    assignee: User | None = None
    assignee_team: dict[str, Any] | None = None
    external_issue_reference: dict[str, Any] | None = None
    category: dict[str, Any] | None = None
    priority: dict[str, Any] | None = None
    creator: Actor | None = None
    completed_at: AwareDatetime | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
