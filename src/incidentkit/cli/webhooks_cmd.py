"""``incidentkit webhooks``: check the signing secret and send a signed test delivery to a receiver."""

from __future__ import annotations

import click

from incidentkit.webhooks.receiver import DEFAULT_PORT, INGEST_PATH

DEFAULT_RECEIVER_URL = f"http://127.0.0.1:{DEFAULT_PORT}{INGEST_PATH}"
TEST_EVENT_TYPE = "public_incident.incident_created_v2"

_secret_option = click.option(
    "--webhook-secret",
    "secret_options",
    multiple=True,
    metavar="SECRET",
    help="Signing secret (whsec_...), repeatable; else INCIDENTKIT_WEBHOOK_SECRET (comma/space separated), "
    "else [webhooks] secrets in the configuration file.",
)

NO_SECRET = (
    "No webhook signing secret is configured. Set INCIDENTKIT_WEBHOOK_SECRET to the endpoint's "
    "signing secret from incident.io (Settings → Webhooks), pass --webhook-secret, or add "
    "[webhooks] secrets to the configuration file. "
    "Without one, every webhook is refused."
)


@click.group()
def webhooks() -> None:
    """incident.io webhooks: the signing secret and test deliveries."""


@webhooks.command()
@_secret_option
def secret(secret_options: tuple[str, ...]) -> None:
    """Show which signing secret(s) are configured, by fingerprint; never the secret itself.

    Exits with status 2 when none is configured or one is malformed.
    """
    from incidentkit.webhooks.config import configured_secrets
    from incidentkit.webhooks.verify import WebhookVerifier, secret_fingerprint

    configured = configured_secrets(secret_options)
    if not configured.secrets:
        click.secho(f"Error: {NO_SECRET}", err=True, fg="red")
        raise SystemExit(2)
    WebhookVerifier(configured.secrets)  # a malformed secret fails here, with a message that never shows it
    click.echo(f"{len(configured.secrets)} webhook signing secret(s) from {configured.source}:")
    for position, value in enumerate(configured.secrets, start=1):
        click.echo(f"  #{position} {secret_fingerprint(value)}")


@webhooks.command()
@click.option(
    "--url",
    default=DEFAULT_RECEIVER_URL,
    show_default=True,
    help="The receiver's incident.io webhook endpoint.",
)
@_secret_option
@click.option(
    "--secret",
    "explicit_secret",
    metavar="SECRET",
    help="Sign with this secret (whsec_...) instead of the configured one.",
)
@click.option(
    "--event-type",
    default=TEST_EVENT_TYPE,
    show_default=True,
    help="Which event to send; its payload is the official schema's example.",
)
def test(url: str, secret_options: tuple[str, ...], explicit_secret: str | None, event_type: str) -> None:
    """Send one signed test delivery to a running receiver and report its answer.

    The body is the official schema's example for the event type, signed as incident.io (Svix)
    signs it, with a fresh webhook-id. Exits with status 1 unless the receiver answers 2xx.
    """
    import json
    import secrets as random_secrets
    from datetime import UTC, datetime

    import httpx2

    from incidentkit.api.config import check_http_url
    from incidentkit.webhooks.config import configured_secrets
    from incidentkit.webhooks.events import event_types
    from incidentkit.webhooks.verify import secret_fingerprint, signed_headers

    url = check_http_url(url, where="--url")
    catalogue = event_types()
    if event_type not in catalogue:
        raise click.BadParameter(
            f"{event_type!r} is not an incident.io event type; e.g. {TEST_EVENT_TYPE}",
            param_hint="--event-type",
        )
    chosen = [explicit_secret] if explicit_secret else configured_secrets(secret_options).secrets
    if not chosen:
        click.secho(f"Error: {NO_SECRET}", err=True, fg="red")
        raise SystemExit(2)
    signing_secret = chosen[0]
    body = json.dumps(catalogue[event_type].example, separators=(",", ":")).encode()
    webhook_id = "msg_test_" + random_secrets.token_hex(12)
    headers = {
        **signed_headers(signing_secret, webhook_id, body, datetime.now(UTC)),
        "content-type": "application/json",
        "user-agent": "incidentkit-webhooks-test/1",
    }
    click.echo(
        f"Sending {event_type} ({webhook_id}) to {url}, signed with {secret_fingerprint(signing_secret)}"
    )
    try:
        response = httpx2.post(url, content=body, headers=headers, timeout=15.0, follow_redirects=False)
    except httpx2.HTTPError as error:
        click.secho(f"Error: could not reach {url}: {error}", err=True, fg="red")
        raise SystemExit(1) from None
    answer = response.text.strip()[:300]
    click.echo(f"HTTP {response.status_code}" + (f": {answer}" if answer else ""))
    if not response.is_success:
        raise SystemExit(1)
