"""Operations on what hangs off an incident: members, attachments, post-mortem documents, relationships.

Memberships give users access to private incidents (``/v1/incident_memberships``), attachments
link external resources (``/v1/incident_attachments``), post-mortem documents are listed, read,
linked and moved through review (``/v1/postmortem_documents``), and related incidents are listed
(``/v1/incident_relationships``). Incidents may be named any way :func:`resolve_incident_id`
takes; users by id, email or Slack user id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from incidentkit.api.core import APIRequest, Op
from incidentkit.api.errors import InvalidArgumentError
from incidentkit.api.incident_inputs import resolve_user_id
from incidentkit.api.lookups import Lookups
from incidentkit.api.operations import resolve_incident_id
from incidentkit.api.pagination import ListSpec
from incidentkit.api.params import list_spec, path_id
from incidentkit.api.refs import IncidentRef

if TYPE_CHECKING:
    from incidentkit.api.incident_extras_models import (
        IncidentAttachment,
        IncidentMembership,
        IncidentRelationship,
        PostmortemDocument,
    )

Incident = str | IncidentRef


# --- memberships ------------------------------------------------------------------------------


def create_incident_membership(lookups: Lookups, incident: Incident, user: str) -> Op[IncidentMembership]:
    """Give a user access to a private incident (``POST /v1/incident_memberships``).

    Granting it again returns the membership the user has, so a retry is harmless.
    """
    payload = {
        "incident_id": (yield from resolve_incident_id(lookups, incident)),
        "user_id": (yield from resolve_user_id(lookups, user)),
    }
    body = yield APIRequest("POST", "/v1/incident_memberships", json=payload, retry_safe=True)
    from incidentkit.api.incident_extras_models import IncidentMembership

    return IncidentMembership.model_validate(body["incident_membership"])


def revoke_incident_membership(lookups: Lookups, incident: Incident, user: str) -> Op[None]:
    """Take a user's access to a private incident away (``POST /v1/incident_memberships/actions/revoke``)."""
    payload = {
        "incident_id": (yield from resolve_incident_id(lookups, incident)),
        "user_id": (yield from resolve_user_id(lookups, user)),
    }
    yield APIRequest("POST", "/v1/incident_memberships/actions/revoke", json=payload)


# --- attachments ------------------------------------------------------------------------------


def _attachment_from(raw: Any) -> IncidentAttachment:
    from incidentkit.api.incident_extras_models import IncidentAttachment

    return IncidentAttachment.model_validate(raw)


def list_incident_attachments(
    lookups: Lookups,
    incident: Incident | None = None,
    *,
    resource_type: str | None = None,
    external_id: str | None = None,
) -> Op[list[IncidentAttachment]]:
    """List attachments (``GET /v1/incident_attachments``) of an incident, or of one external resource.

    Raises:
        InvalidArgumentError: neither an incident nor both ``resource_type`` and ``external_id``.
    """
    if incident is None and (resource_type is None or external_id is None):
        raise InvalidArgumentError("give an incident, or both resource_type and external_id")
    params: list[tuple[str, str]] = []
    if incident is not None:
        params.append(("incident_id", (yield from resolve_incident_id(lookups, incident))))
    if resource_type is not None:
        params.append(("resource_type", resource_type))
    if external_id is not None:
        params.append(("external_id", external_id))
    body = yield APIRequest("GET", "/v1/incident_attachments", params=tuple(params))
    return [_attachment_from(a) for a in body["incident_attachments"]]


def create_incident_attachment(
    lookups: Lookups,
    incident: Incident,
    resource_type: str,
    *,
    external_id: str | None = None,
    url: str | None = None,
    title: str | None = None,
    emoji: str | None = None,
) -> Op[IncidentAttachment]:
    """Attach an external resource to an incident (``POST /v1/incident_attachments``).

    Give the resource's ``external_id`` or its ``url``, not both; ``arbitrary_url`` links any URL,
    with an optional ``title`` and ``emoji``.

    Raises:
        InvalidArgumentError: both or neither of ``external_id`` and ``url`` (nothing is sent).
    """
    if (external_id is None) == (url is None):
        raise InvalidArgumentError("give the resource's external_id or its url, not both and not neither")
    resource: dict[str, str] = {"resource_type": resource_type}
    for key, value in (("external_id", external_id), ("url", url), ("title", title), ("emoji", emoji)):
        if value is not None:
            resource[key] = value
    payload = {"incident_id": (yield from resolve_incident_id(lookups, incident)), "resource": resource}
    body = yield APIRequest("POST", "/v1/incident_attachments", json=payload)
    return _attachment_from(body["incident_attachment"])


def delete_incident_attachment(lookups: Lookups, attachment_id: str) -> Op[None]:
    """Remove an attachment from its incident (``DELETE /v1/incident_attachments/{id}``)."""
    yield APIRequest("DELETE", f"/v1/incident_attachments/{path_id(attachment_id)}")


# --- post-mortem documents --------------------------------------------------------------------


def _document_from(raw: Any) -> PostmortemDocument:
    from incidentkit.api.incident_extras_models import PostmortemDocument

    return PostmortemDocument.model_validate(raw)


def list_postmortem_documents(
    lookups: Lookups,
    incident: Incident | None = None,
    *,
    sort_by: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
) -> Op[ListSpec[PostmortemDocument]]:
    """List post-mortem documents (``GET /v1/postmortem_documents``), of one incident or all, newest first."""
    params: list[tuple[str, str]] = []
    if incident is not None:
        params.append(("incident_id", (yield from resolve_incident_id(lookups, incident))))
    if sort_by is not None:
        params.append(("sort_by", sort_by))
    return list_spec(
        "/v1/postmortem_documents", "postmortem_documents", _document_from, params, page_size, limit
    )


def get_postmortem_document(lookups: Lookups, document_id: str) -> Op[PostmortemDocument]:
    """Get a post-mortem document's metadata (``GET /v1/postmortem_documents/{id}``)."""
    body = yield APIRequest("GET", f"/v1/postmortem_documents/{path_id(document_id)}")
    return _document_from(body["postmortem_document"])


def get_postmortem_content(lookups: Lookups, document_id: str) -> Op[str]:
    """An in-app post-mortem document as markdown (``GET /v1/postmortem_documents/{id}/content``)."""
    body = yield APIRequest("GET", f"/v1/postmortem_documents/{path_id(document_id)}/content")
    return str(body["markdown"])


def attach_postmortem_document(
    lookups: Lookups, incident: Incident, permalink: str, *, document_provider: str | None = None
) -> Op[PostmortemDocument]:
    """Link an external post-mortem to an incident (``POST /v1/postmortem_documents/actions/attach``).

    An incident has one external document: attaching again re-points it, so a retry is harmless.
    """
    payload = {"incident_id": (yield from resolve_incident_id(lookups, incident)), "permalink": permalink}
    if document_provider is not None:
        payload["document_provider"] = document_provider
    body = yield APIRequest("POST", "/v1/postmortem_documents/actions/attach", json=payload, retry_safe=True)
    return _document_from(body["postmortem_document"])


def import_postmortem_document(
    lookups: Lookups, incident: Incident, *, title: str, content: str
) -> Op[PostmortemDocument]:
    """Import markdown as an in-app post-mortem.

    ``POST /v2/incidents/{id}/actions/import_postmortem_document``.
    """
    incident_id = yield from resolve_incident_id(lookups, incident)
    body = yield APIRequest(
        "POST",
        f"/v2/incidents/{path_id(incident_id)}/actions/import_postmortem_document",
        json={"title": title, "content": content},
    )
    return _document_from(body["postmortem_document"])


def update_postmortem_status(lookups: Lookups, document_id: str, status: str) -> Op[PostmortemDocument]:
    """Move a post-mortem to ``in_progress``, ``in_review`` or ``completed``.

    ``PUT /v1/postmortem_documents/{id}``.
    """
    body = yield APIRequest(
        "PUT", f"/v1/postmortem_documents/{path_id(document_id)}", json={"status": status}
    )
    return _document_from(body["postmortem_document"])


# --- relationships ----------------------------------------------------------------------------


def _relationship_from(raw: Any) -> IncidentRelationship:
    from incidentkit.api.incident_extras_models import IncidentRelationship

    return IncidentRelationship.model_validate(raw)


def list_incident_relationships(
    lookups: Lookups, incident: Incident, *, page_size: int | None = None, limit: int | None = None
) -> Op[ListSpec[IncidentRelationship]]:
    """List the incidents related to one (``GET /v1/incident_relationships``), every page."""
    params = [("incident_id", (yield from resolve_incident_id(lookups, incident)))]
    return list_spec(
        "/v1/incident_relationships", "incident_relationships", _relationship_from, params, page_size, limit
    )
