"""The wire facts both sides share: one list of status categories, one secret generator, one fingerprint."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from incidentkit import credentials
from incidentkit.api.models import STATUS_CATEGORIES
from incidentkit.emulator import Emulator, filters
from incidentkit.webhooks.verify import WebhookVerifier, secret_fingerprint, signed_headers
from incidentkit.wire import new_webhook_secret


def test_the_client_and_the_emulator_know_the_same_status_categories() -> None:
    assert filters.STATUS_CATEGORIES is STATUS_CATEGORIES


def test_generated_secrets_verify_and_a_seeded_emulator_makes_the_same_one() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    body = b'{"event_type": "x"}'
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    headers = signed_headers(secret, "msg_1", body, now)
    assert WebhookVerifier([secret], clock=lambda: now).verify(headers, body) == "msg_1"
    first = Emulator(seed="empty", random_seed=7).register_webhook("http://127.0.0.1:1/hook")["secret"]
    again = Emulator(seed="empty", random_seed=7).register_webhook("http://127.0.0.1:1/hook")["secret"]
    assert first == again != new_webhook_secret(random.Random(8).randbytes)


def test_one_fingerprint_for_api_keys_and_webhook_secrets() -> None:
    assert credentials.fingerprint("key") == secret_fingerprint("key") != secret_fingerprint("other")
    assert "key" not in secret_fingerprint("key")
