"""The webhook area's exceptions: one root, under the package's."""

from __future__ import annotations

from incidentkit.errors import IncidentKitError


class WebhookError(IncidentKitError):
    """Root of every error raised by ``incidentkit.webhooks``."""
