"""Typed models of what hangs off incidents and their settings: timestamps, members, attachments,
post-mortem documents and related incidents.

Like :mod:`incidentkit.api.models`, they follow the official schema (``IncidentTimestampV2``,
``IncidentMembershipV1``, ``IncidentAttachmentV1``, ``PostmortemDocumentV1``,
``IncidentRelationshipV1``) and are tolerant: unknown fields are kept, enum-like fields are
plain strings, and only the fields every object has are required.
"""

from __future__ import annotations

from pydantic import AwareDatetime

from incidentkit.api.models import APIModel, IncidentTimestamp, User

__all__ = [
    "ExternalResource",
    "IncidentAttachment",
    "IncidentMembership",
    "IncidentRelationship",
    "IncidentTimestamp",
    "PostmortemDocument",
    "RelatedIncident",
]


class IncidentMembership(APIModel):
    """A user's membership of a private incident (``IncidentMembershipV1``)."""

    id: str
    incident_id: str
    user: User
    created_at: AwareDatetime
    updated_at: AwareDatetime


class ExternalResource(APIModel):
    """Something outside incident.io attached to an incident (``ExternalResourceV1``)."""

    resource_type: str
    external_id: str
    permalink: str
    title: str = ""


class IncidentAttachment(APIModel):
    """An external resource attached to an incident (``IncidentAttachmentV1``)."""

    id: str
    incident_id: str
    resource: ExternalResource


class PostmortemDocument(APIModel):
    """A post-mortem document (``PostmortemDocumentV1``): in incident.io (``in_app``) or ``external``."""

    id: str
    incident_id: str
    title: str
    status: str
    type: str = "in_app"
    document_url: str | None = None
    exported_urls: list[str] = []
    editors: list[User] = []
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None


class RelatedIncident(APIModel):
    """The other incident of a relationship (``IncidentRelationshipDetailsV1``)."""

    id: str
    name: str
    external_id: int

    @property
    def reference(self) -> str:
        """``INC-<external_id>``."""
        return f"INC-{self.external_id}"


class IncidentRelationship(APIModel):
    """A relationship to another incident (``IncidentRelationshipV1``)."""

    id: str
    incident: RelatedIncident
