"""Incident references: the ways a person names an incident.

incident.io incidents can be named by their ULID (``01FDAG4SAP5TYPT98WGR2N7W91``), by their
reference (``INC-123``), by the bare number (``123``) or by the dashboard URL
(``https://app.incident.io/<org>/incidents/123``). ``GET /v2/incidents/{id}`` accepts both the
ULID and the numeric reference, so parsing only has to tell the two apart and refuse anything else.

A dashboard URL also names an organisation (its first path segment). The number ``47`` means a
different incident in every organisation, so the client compares that slug with the API key's
own organisation before it acts (see :func:`organisation_slug` and
``incidentkit.api.resolvers.resolve_incident_ref``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from incidentkit.api.errors import InvalidReferenceError

DASHBOARD_HOST = "app.incident.io"

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$", re.IGNORECASE)
_INC = re.compile(r"^(?:INC-)?(\d+)$", re.IGNORECASE)
_DASHBOARD_PATH = re.compile(r"^/([^/]+)/incidents/(?:INC-)?(\d+|[0-9A-HJKMNP-TV-Z]{26})/?$", re.IGNORECASE)


@dataclass(frozen=True)
class IncidentRef:
    """A parsed incident reference: either an id (ULID) or a numeric reference.

    Attributes:
        id: the ULID, when given one.
        number: the numeric reference, when given one.
        organisation: the organisation slug of a dashboard URL (``acme`` in
            ``https://app.incident.io/acme/incidents/1``); None for the other forms.
    """

    id: str | None = None
    number: int | None = None
    organisation: str | None = None

    @property
    def path_value(self) -> str:
        """The value to put in ``/v2/incidents/{id}``: the ULID or the number."""
        if self.id is not None:
            return self.id
        return str(self.number)

    def __str__(self) -> str:
        return self.id if self.id is not None else f"INC-{self.number}"


def parse_incident_ref(value: str) -> IncidentRef:
    """Parse a ULID, ``INC-123``, ``123`` or a dashboard URL into an :class:`IncidentRef`.

    Raises:
        InvalidReferenceError: the value is none of those, or a URL on a host other than
            ``app.incident.io`` (lookalike hosts such as ``evilincident.io`` are refused).
    """
    text = value.strip()
    if "://" in text:
        return _parse_dashboard_url(text, value)
    if _ULID.match(text):
        return IncidentRef(id=text.upper())
    match = _INC.match(text)
    if match:
        return IncidentRef(number=int(match.group(1)))
    raise InvalidReferenceError(
        f"{value!r} is not an incident reference: expected a ULID, INC-123, 123 or a dashboard URL "
        f"(https://{DASHBOARD_HOST}/<org>/incidents/123)"
    )


def _parse_dashboard_url(text: str, original: str) -> IncidentRef:
    parts = urlsplit(text)
    if parts.scheme != "https" or (parts.hostname or "").lower() != DASHBOARD_HOST:
        raise InvalidReferenceError(
            f"{original!r} is not an incident.io dashboard URL: only https://{DASHBOARD_HOST}/ is accepted"
        )
    match = _DASHBOARD_PATH.match(parts.path)
    if not match:
        raise InvalidReferenceError(
            f"{original!r} does not point at an incident: expected https://{DASHBOARD_HOST}/<org>/incidents/123"
        )
    parsed = parse_incident_ref(match.group(2))
    return IncidentRef(id=parsed.id, number=parsed.number, organisation=match.group(1).lower())


def organisation_slug(dashboard_url: str | None) -> str | None:
    """The organisation slug of a dashboard URL (``https://app.incident.io/acme`` -> ``acme``), or None."""
    if not dashboard_url:
        return None
    parts = urlsplit(dashboard_url.strip())
    segments = [segment for segment in parts.path.split("/") if segment]
    if (parts.hostname or "").lower() != DASHBOARD_HOST or not segments:
        return None
    return segments[0].lower()
