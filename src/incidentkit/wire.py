"""Facts of the incident.io wire format that both sides of it share: the client and the emulator.

Standard library only, so the client, the webhook receiver, the emulator (which must not import
the client) and the CLI all take these from one place: the status categories, webhook signing
secrets (``whsec_`` and base64) and the fingerprint that stands for a secret in logs and output.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable

STATUS_CATEGORIES = ("triage", "declined", "merged", "canceled", "live", "learning", "closed", "paused")
"""The status categories the schema knows today; the API may add more."""

WEBHOOK_SECRET_PREFIX = "whsec_"


def new_webhook_secret(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A new webhook signing secret: ``whsec_`` and 24 random bytes in base64.

    Args:
        random_bytes: the source of randomness; the emulator passes its seeded one so that a
            seeded organisation is the same on every run.
    """
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(random_bytes(24)).decode()


def secret_fingerprint(secret: str) -> str:
    """A short identifier for a secret that is safe to print: a prefix of its SHA-256, never the secret.

    Args:
        secret: the secret (a webhook signing secret, an API key).

    Returns:
        ``sha256:`` and 12 hex digits, e.g. ``sha256:3f1c0a9b2d4e``.
    """
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]
