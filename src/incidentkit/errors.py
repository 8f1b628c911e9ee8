"""The root of every exception incidentkit raises on purpose, so a caller can tell them from bugs.

Each area has its own root under it (:class:`~incidentkit.api.IncidentIOError`,
``incidentkit.webhooks.errors.WebhookError``, ``incidentkit.store.errors.StoreError``,
``incidentkit.workflows.errors.WorkflowError``), and the credential store and the config file have
theirs. Anything else that escapes is a bug.
"""

from __future__ import annotations


class IncidentKitError(Exception):
    """Root of every error raised by incidentkit on purpose (bad input, a refusal, a failure outside)."""
