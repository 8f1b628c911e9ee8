"""Webhook verifications per second: incidentkit's verifier against the `standardwebhooks` library, same run.

Both check the same signed 4 KB body (the size of an incident.io incident event) under one secret.
Ours also checks the tolerance on an injected clock and looks up headers case-insensitively; the
library reads the real clock and parses the body as JSON unless told not to (it is told not to here).
"""

from __future__ import annotations

import json
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime

import standardwebhooks

from incidentkit.webhooks.events import event_types
from incidentkit.webhooks.verify import WebhookVerifier, signed_headers

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def per_second(call: Callable[[], object], number: int = 20_000) -> float:
    """The best of five runs, as calls per second."""
    return number / min(timeit.Timer(call).repeat(repeat=5, number=number))


def main() -> None:
    body = json.dumps(event_types()["public_incident.incident_created_v2"].example).encode()
    now = datetime.fromtimestamp(int(time.time()), UTC)
    headers = signed_headers(SECRET, "msg_bench", body, now)
    ours = WebhookVerifier([SECRET], clock=lambda: now)
    library = standardwebhooks.Webhook(SECRET)
    assert ours.verify(headers, body) == "msg_bench"
    library.verify(body, headers, json_parse=False)

    ours_rate = per_second(lambda: ours.verify(headers, body))
    library_rate = per_second(lambda: library.verify(body, headers, json_parse=False))
    print(f"body size:                        {len(body):7d} bytes")
    print(f"incidentkit WebhookVerifier:      {ours_rate:9.0f} verifications/s")
    print(f"standardwebhooks.Webhook:         {library_rate:9.0f} verifications/s")
    print(f"ratio (ours / standardwebhooks):  {ours_rate / library_rate:9.2f}x")


if __name__ == "__main__":
    main()
