"""Post-mortem documents: list, show, content, attach an external one, import one, change its status.

An incident has at most one external document (a link to Confluence, Notion, Google Docs...), and
none once it has an in-app one; re-attaching replaces the link. In-app documents come from
``POST /v2/incidents/{id}/actions/import_postmortem_document`` and keep their markdown, which
``GET /v1/postmortem_documents/{id}/content`` returns. The first document of an incident becomes
its main one: the incident's ``postmortem_document_url``.
"""

from __future__ import annotations

import random
from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import APIError, invalid, not_found, required
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.state import OrgState, Record
from incidentkit.emulator.validators import enum_field, incident_for_payload, string_field

STATUSES = ["in_progress", "in_review", "completed"]
PROVIDERS = [
    "",
    "confluence",
    "google_docs",
    "notion",
    "sharepoint",
    "incident_io",
    "copy_paste_basecamp",
    "copy_paste_confluence",
    "copy_paste_github_wiki",
    "copy_paste_google_docs",
    "copy_paste_notion",
    "copy_paste_quip",
]
# The status webhook names statuses in its own words (PostmortemDocumentWithStatusChangeV1).
_WEBHOOK_STATUS = {"in_progress": "created", "in_review": "review", "completed": "complete"}


def _document(
    state: OrgState,
    incident: Record,
    *,
    kind: str,
    url: str | None,
    now: float,
    rng: random.Random,
    title: str | None = None,
) -> Record:
    document_id = new_ulid(now, rng)
    number = incident["reference"].removeprefix("INC-")
    dashboard = (
        f"https://app.incident.io/{state.organisation_slug}/incidents/{number}/post-mortems/{document_id}"
    )
    document: Record = {
        "id": document_id,
        "incident_id": incident["id"],
        "title": title or f"{incident['reference']}: {incident['name']}",
        "status": "in_progress",
        "type": kind,
        "document_url": dashboard if kind == "in_app" else url,
        "exported_urls": [],
        "editors": [],
        "created_at": rfc3339(now),
        "updated_at": rfc3339(now),
    }
    state.postmortem_documents.append(document)
    incident["postmortem_document_ids"] = [*incident.get("postmortem_document_ids", []), document_id]
    incident.setdefault("postmortem_document_url", document["document_url"])
    return document


def attach_external(
    state: OrgState, incident: Record, permalink: str, *, now: float, rng: random.Random
) -> Record:
    """Link an externally hosted document to the incident, or re-point the one already linked.

    Raises:
        APIError: the incident already has an in-app document (422 naming ``incident_id``).
    """
    documents = [d for d in state.postmortem_documents if d["incident_id"] == incident["id"]]
    if any(d["type"] == "in_app" for d in documents):
        raise invalid(
            "incident_id",
            f"{incident['reference']} has an in-app post-mortem, so no external document can be attached",
            code="conflict",
        )
    existing = next((d for d in documents if d["type"] == "external"), None)
    if existing is None:
        return _document(state, incident, kind="external", url=permalink, now=now, rng=rng)
    if incident.get("postmortem_document_url") == existing["document_url"]:
        incident["postmortem_document_url"] = permalink
    existing["document_url"] = permalink
    existing["updated_at"] = rfc3339(now)
    return existing


def _permalink(body: dict[str, Any], name: str) -> str:
    value = string_field(body, name, needed=True)
    assert value is not None
    if not value.startswith(("https://", "http://")):
        raise invalid(name, f"{name} must be an http:// or https:// URL, not {value!r}")
    return value


def _find(call: Call) -> Record:
    document = call.state.find(call.state.postmortem_documents, call.path_params["id"])
    if document is None:
        raise not_found("post-mortem document", call.path_params["id"])
    return document


def list_documents(call: Call) -> tuple[int, Record]:
    incident_id = call.param("incident_id")
    newest_first = (
        enum_field(
            {"sort_by": call.param("sort_by")},
            "sort_by",
            ["created_at_newest_first", "created_at_oldest_first"],
            "created_at_newest_first",
        )
        == "created_at_newest_first"
    )
    # The documents are kept in creation order (ids made in the same millisecond need not sort).
    ordered = (
        list(reversed(call.state.postmortem_documents)) if newest_first else call.state.postmortem_documents
    )
    documents, meta = paginate(
        call, ordered, lambda d: incident_id is None or d["incident_id"] == incident_id, maximum=250
    )
    return 200, {"postmortem_documents": documents, "pagination_meta": meta}


def show_document(call: Call) -> tuple[int, Record]:
    return 200, {"postmortem_document": _find(call)}


def show_content(call: Call) -> tuple[int, Record]:
    document = _find(call)
    if document["type"] != "in_app":
        raise APIError(
            422,
            f"Post-mortem document {document['id']} is hosted outside incident.io, so it has no content here",
            code="not_in_app",
        )
    return 200, {"markdown": call.state.postmortem_contents.get(document["id"], "")}


def attach_document(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    incident = incident_for_payload(call, body)
    permalink = _permalink(body, "permalink")
    enum_field(body, "document_provider", PROVIDERS)  # informational only, as the schema says
    document = attach_external(call.state, incident, permalink, now=call.now, rng=call.rng)
    call.changed = True
    return 201, {"postmortem_document": document}


def import_document(call: Call) -> tuple[int, Record]:
    """``POST /v2/incidents/{id}/actions/import_postmortem_document``: an in-app document from markdown."""
    value = call.path_params["id"]
    incident = call.state.incident_by_reference(value)
    if incident is None:
        raise not_found("incident", value)
    body = call.json_object()
    title = string_field(body, "title", needed=True)
    content = string_field(body, "content")
    if content is None:
        raise required("content")
    document = _document(
        call.state, incident, kind="in_app", url=None, now=call.now, rng=call.rng, title=title
    )
    call.state.postmortem_contents[document["id"]] = content
    call.changed = True
    return 201, {"postmortem_document": document}


def update_status(call: Call) -> tuple[int, Record]:
    document = _find(call)
    body = call.json_object()
    status = enum_field(body, "status", STATUSES)
    if status is None:
        raise required("status")
    previous = document["status"]
    if status != previous:
        document["status"] = status
        document["updated_at"] = rfc3339(call.now)
        call.changed = True
        incident = call.state.incidents.get(document["incident_id"])
        if incident is not None and incident["visibility"] == "private":
            call.emit("private_incident.postmortem_document_status_updated_v1", {"id": document["id"]})
        else:
            call.emit(
                "public_incident.postmortem_document_status_updated_v1",
                {
                    "postmortem_document": dict(document),
                    "previous_status": _WEBHOOK_STATUS[previous],
                    "new_status": _WEBHOOK_STATUS[status],
                },
            )
    return 200, {"postmortem_document": document}


ROUTES = [
    ("GET", "/v1/postmortem_documents", list_documents, "incidents.view"),
    ("POST", "/v1/postmortem_documents/actions/attach", attach_document, "external_postmortems.create"),
    ("GET", "/v1/postmortem_documents/{id}", show_document, "incidents.view"),
    ("PUT", "/v1/postmortem_documents/{id}", update_status, "in_app_postmortems.update_status"),
    # Reading a document is a read: the viewer role may do it, whatever the scope's name says.
    ("GET", "/v1/postmortem_documents/{id}/content", show_content, "incidents.view"),
    (
        "POST",
        "/v2/incidents/{id}/actions/import_postmortem_document",
        import_document,
        "in_app_postmortems.import",
    ),
]
"""This module's operations: (method, schema path, handler, scope), for :mod:`.routes`."""
