"""The investigation's exceptions, under one root."""

from __future__ import annotations

from incidentkit.errors import IncidentKitError


class InvestigationError(IncidentKitError):
    """Root of the errors the investigation raises on purpose."""
