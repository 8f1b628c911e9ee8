"""`incidentkit webhooks secret` and `incidentkit webhooks test`, against a real receiver on 127.0.0.1."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from incidentkit.cli import main
from incidentkit.webhooks.config import SECRET_ENV, configured_secrets, split_secrets
from incidentkit.webhooks.verify import WebhookVerifier, secret_fingerprint
from tests.webhooks.receiver import running_receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW_SECRET = "whsec_" + base64.b64encode(b"the rotated-in secret, 32 bytes!").decode()


@pytest.fixture(autouse=True)
def no_secret_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["webhooks", *args], env=env, catch_exceptions=False)


def test_secrets_split_on_commas_and_spaces() -> None:
    assert split_secrets([f" {SECRET}, {NEW_SECRET}\n", ""]) == [SECRET, NEW_SECRET]
    assert configured_secrets(environ={SECRET_ENV: f"{SECRET} {NEW_SECRET}"}).secrets == [SECRET, NEW_SECRET]
    assert configured_secrets([NEW_SECRET], environ={SECRET_ENV: SECRET}).source == "--webhook-secret"
    assert SECRET not in repr(configured_secrets([SECRET]))


def test_secret_prints_fingerprints_from_the_environment_never_the_secret() -> None:
    result = run("secret", env={SECRET_ENV: f"{SECRET},{NEW_SECRET}"})
    assert result.exit_code == 0
    assert f"2 webhook signing secret(s) from {SECRET_ENV}" in result.stdout
    assert secret_fingerprint(SECRET) in result.stdout and secret_fingerprint(NEW_SECRET) in result.stdout
    assert SECRET.removeprefix("whsec_") not in result.output
    assert NEW_SECRET.removeprefix("whsec_") not in result.output


def test_secret_option_wins_over_the_environment() -> None:
    result = run("secret", "--webhook-secret", NEW_SECRET, env={SECRET_ENV: SECRET})
    assert result.exit_code == 0
    assert "from --webhook-secret" in result.stdout
    assert secret_fingerprint(SECRET) not in result.stdout


def test_secret_says_clearly_when_none_is_configured() -> None:
    result = run("secret")
    assert result.exit_code == 2
    assert "No webhook signing secret is configured" in result.stderr
    assert SECRET_ENV in result.stderr and "every webhook is refused" in result.stderr


def test_a_malformed_secret_is_named_but_not_shown() -> None:
    result = run("secret", env={SECRET_ENV: f"{SECRET} hunter2hunter2"})
    assert result.exit_code == 2
    assert "webhook secret #2 must start with 'whsec_'" in result.stderr
    assert "hunter2" not in result.output


def test_test_sends_a_signed_delivery_the_receiver_accepts() -> None:
    with running_receiver(verifier=WebhookVerifier([NEW_SECRET, SECRET])) as receiver:
        result = run("test", "--url", receiver.url, env={SECRET_ENV: SECRET})
        [delivery] = receiver.received
    assert result.exit_code == 0, result.output
    assert "HTTP 202: accepted" in result.stdout
    assert secret_fingerprint(SECRET) in result.stdout and SECRET not in result.output
    assert json.loads(delivery.body)["event_type"] == "public_incident.incident_created_v2"
    assert delivery.headers["webhook-id"].startswith("msg_test_")
    assert delivery.headers["webhook-id"] in result.stdout


def test_test_with_an_explicit_secret_and_event_type() -> None:
    with running_receiver(verifier=WebhookVerifier([NEW_SECRET])) as receiver:
        result = run(
            "test",
            "--url",
            receiver.url,
            "--secret",
            NEW_SECRET,
            "--event-type",
            "private_alert.alert_created_v1",
        )
        [delivery] = receiver.received
    assert result.exit_code == 0, result.output
    assert json.loads(delivery.body) == {
        "event_type": "private_alert.alert_created_v1",
        "private_alert.alert_created_v1": {"id": "abc123"},
    }


def test_test_reports_a_refusal_and_fails() -> None:
    with running_receiver(verifier=WebhookVerifier([NEW_SECRET])) as receiver:
        result = run("test", "--url", receiver.url, "--secret", SECRET)
    assert result.exit_code == 1
    assert "HTTP 401: no v1 signature in the webhook-signature header matches" in result.stdout


def test_test_explains_an_unreachable_receiver() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run("test", "--url", f"http://127.0.0.1:{port}/hook", "--secret", SECRET)
    assert result.exit_code == 1
    assert f"could not reach http://127.0.0.1:{port}/hook" in result.stderr


def test_test_needs_a_secret_and_a_known_event_type() -> None:
    assert "No webhook signing secret is configured" in run("test").stderr
    result = run("test", "--secret", SECRET, "--event-type", "incident.exploded")
    assert result.exit_code == 2
    assert "'incident.exploded' is not an incident.io event type" in result.output


def test_the_config_file_gives_secrets_when_neither_option_nor_environment_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[webhooks]\nsecrets = ["{SECRET}", "{NEW_SECRET}"]\n')
    monkeypatch.setenv("INCIDENTKIT_CONFIG", str(config))
    configured = configured_secrets(environ={})
    assert configured.secrets == [SECRET, NEW_SECRET]
    assert configured.source == f"{config} [webhooks] secrets"
    assert configured_secrets(environ={SECRET_ENV: SECRET}).secrets == [SECRET]  # the environment wins

    result = run("secret")
    assert result.exit_code == 0
    assert f"2 webhook signing secret(s) from {config}" in result.stdout
    assert SECRET.removeprefix("whsec_") not in result.output


def test_a_config_file_with_the_wrong_shape_names_the_key_not_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[webhooks]\nsecrets = 42\n")
    monkeypatch.setenv("INCIDENTKIT_CONFIG", str(config))
    with pytest.raises(ValueError, match=r"\[webhooks\] secrets must be a list") as raised:
        configured_secrets(environ={})
    # The message starts with the file's path, whose temporary directory may hold "42" itself.
    assert "42" not in str(raised.value).replace(str(config), "")
    config.write_text("[webhooks\nsecrets = 1\n")
    result = run("secret")
    assert result.exit_code == 2
    assert f"cannot read the configuration {config}" in result.stderr
