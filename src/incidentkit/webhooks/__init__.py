"""Receive incident.io webhooks: signature verification, typed events and lifecycle events.

>>> from incidentkit.webhooks import WebhookVerifier, parse_event
>>> verifier = WebhookVerifier(["whsec_..."])  # doctest: +SKIP
>>> webhook_id = verifier.verify(request.headers, body)  # doctest: +SKIP
>>> event = parse_event(body, webhook_id=webhook_id, received_at=now)  # doctest: +SKIP

- :mod:`~incidentkit.webhooks.verify`: the Standard Webhooks (Svix) signature scheme; fails closed.
- :mod:`~incidentkit.webhooks.events`: one typed envelope for all of incident.io's event types.
- :mod:`~incidentkit.webhooks.lifecycle`: incident created / updated (with changes) / resolved,
  computed from two snapshots of an incident.
- :mod:`~incidentkit.webhooks.config`: where the signing secrets come from.
"""

# Names are imported on first use, so verifying a request does not pay for pydantic.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incidentkit.webhooks.config import SECRET_ENV as SECRET_ENV
    from incidentkit.webhooks.config import configured_secrets as configured_secrets
    from incidentkit.webhooks.events import EventParseError as EventParseError
    from incidentkit.webhooks.events import WebhookEvent as WebhookEvent
    from incidentkit.webhooks.events import event_types as event_types
    from incidentkit.webhooks.events import parse_event as parse_event
    from incidentkit.webhooks.lifecycle import FieldChange as FieldChange
    from incidentkit.webhooks.lifecycle import LifecycleEvent as LifecycleEvent
    from incidentkit.webhooks.lifecycle import lifecycle_events as lifecycle_events
    from incidentkit.webhooks.verify import InvalidSecretError as InvalidSecretError
    from incidentkit.webhooks.verify import WebhookVerificationError as WebhookVerificationError
    from incidentkit.webhooks.verify import WebhookVerifier as WebhookVerifier
    from incidentkit.webhooks.verify import secret_fingerprint as secret_fingerprint
    from incidentkit.webhooks.verify import sign as sign
    from incidentkit.webhooks.verify import signed_headers as signed_headers

_MODULES = {
    "EventParseError": "events",
    "FieldChange": "lifecycle",
    "InvalidSecretError": "verify",
    "LifecycleEvent": "lifecycle",
    "SECRET_ENV": "config",
    "WebhookEvent": "events",
    "WebhookVerificationError": "verify",
    "WebhookVerifier": "verify",
    "configured_secrets": "config",
    "event_types": "events",
    "lifecycle_events": "lifecycle",
    "parse_event": "events",
    "secret_fingerprint": "verify",
    "sign": "verify",
    "signed_headers": "verify",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'incidentkit.webhooks' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"incidentkit.webhooks.{module}"), name)
    globals()[name] = value
    return value
