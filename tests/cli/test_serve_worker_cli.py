"""`serve` and `worker` take --profile, --api-key and --base-url and say which organisation they act on."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentkit.emulator import Emulator, RunningServer, serve_in_thread
from tests.cli.conftest import SECRET, Invoke, read_log_until, running

KEY = "acme-key"


@pytest.fixture(scope="module")
def acme() -> Iterator[RunningServer]:
    emulator = Emulator(seed="default", api_keys=[KEY], rate_limit=None)
    emulator.state.organisation_slug = "acme"
    with serve_in_thread(emulator.asgi_app()) as server:
        yield server


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "INCIDENTKIT_WEBHOOK_SECRET": SECRET,
    }


def _first_lines_until(process: subprocess.Popen[str], prefix: str, most: int = 12) -> list[str]:
    assert process.stdout is not None
    lines = []
    for _ in range(most):
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith(prefix):
            break
    return lines


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


def test_worker_with_api_key_and_base_url_names_the_organisation(tmp_path: Path, acme: RunningServer) -> None:
    store = f"sqlite:///{tmp_path / 'w.db'}"
    command = [sys.executable, "-m", "incidentkit", "worker", "--store", store, "--api-key", KEY,
               "--base-url", acme.url, "--poll-interval", "0.05"]  # fmt: skip
    with running(command, _env(tmp_path)) as process:
        lines = _first_lines_until(process, "Organisation:")
        assert "Organisation: 'acme' (https://app.incident.io/acme), API key" in lines[-1], lines
        _stop(process)


def test_serve_with_a_profile_names_the_organisation(
    tmp_path: Path, acme: RunningServer, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(tmp_path)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, env[name])
    saved = invoke("setup", "--api-key-stdin", "--no-input", "--base-url", acme.url, "--profile", "acme",
                   "--no-verify", input=KEY + "\n")  # fmt: skip
    assert saved.exit_code == 0, saved.output
    command = [sys.executable, "-m", "incidentkit", "serve", "--port", "0", "--workers", "0",
               "--store", f"sqlite:///{tmp_path / 's.db'}", "--profile", "acme"]  # fmt: skip
    with running(command, env) as process:
        lines = _first_lines_until(process, "Organisation:")
        assert lines[-1].startswith("Organisation: 'acme' (https://app.incident.io/acme)"), lines
        _stop(process)


def test_serve_says_when_the_organisation_cannot_be_known(tmp_path: Path, acme: RunningServer) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    command = [sys.executable, "-m", "incidentkit", "serve", "--port", "0", "--workers", "0",
               "--store", store, "--api-key", "wrong", "--base-url", acme.url]  # fmt: skip
    with running(command, _env(tmp_path)) as process:
        lines = _first_lines_until(process, "Organisation:")
        assert lines[-1].startswith("Organisation: unknown, GET /v1/identity failed"), lines
        assert "401" in lines[-1]
        _stop(process)


def test_serve_sandbox_refuses_account_flags(invoke: Invoke) -> None:
    result = invoke("serve", "--sandbox", "--port", "0", "--profile", "x")
    assert result.exit_code == 2 and "--sandbox runs against its own emulator" in result.stderr


SLACK_WORKFLOW = """
name: announce
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: post
    type: slack.post
    inputs:
      channel: "#incidents"
      message: "New: {{ $trigger.incident_io.title }}"
"""


def test_serve_sandbox_brings_the_demos_slack_stand_in(tmp_path: Path) -> None:
    import httpx2

    from incidentkit.emulator import SANDBOX_API_KEY

    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "announce.yaml").write_text(SLACK_WORKFLOW)
    store = f"sqlite:///{tmp_path / 'slack.db'}"
    command = [sys.executable, "-m", "incidentkit", "serve", "--sandbox", "--port", "0", "--store", store,
               "--workflows", str(folder)]  # fmt: skip
    with running(command, _env(tmp_path)) as process:
        lines = _first_lines_until(process, "Workflows from")
        emulator_url = next(line for line in lines if line.startswith("Sandbox emulator on")).split()[3]
        assert any(line.startswith("Slack stand-in on http://127.0.0.1:") for line in lines), lines
        assert "(as in `incidentkit demo`)" in "\n".join(lines)
        with httpx2.Client(
            base_url=emulator_url, headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"}
        ) as api:
            severity = api.get("/v1/severities").json()["severities"][0]["id"]
            api.post(
                "/v2/incidents",
                json={
                    "idempotency_key": "slack",
                    "name": "Slack outage",
                    "severity_id": severity,
                    "visibility": "public",
                },
            ).raise_for_status()
        log = read_log_until(process, "Slack stand-in: message to #incidents: New: Slack outage")
        assert "no Slack bot token" not in "".join(log)
        read_log_until(process, "of announce succeeded")
        _stop(process)


def test_setup_slack_stores_the_bot_token_encrypted_and_slack_post_uses_it(
    tmp_path: Path, invoke: Invoke, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentkit.testing import SlackRecorder

    token = "xoxb-saved-by-setup"
    saved = invoke("setup", "slack", "--token-stdin", input=token + "\n")
    assert saved.exit_code == 0, saved.output
    assert "Saved the Slack bot token" in saved.stdout and token not in saved.output
    stored = (isolated_dirs / "config" / "incidentkit" / "credentials.json").read_text()
    assert token not in stored and '"slack"' in stored
    assert invoke("setup", "slack", "--token-stdin", input="not-a-token\n").exit_code == 2

    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "post.yaml").write_text(
        "name: post\ntrigger:\n  type: manual\nsteps:\n  - id: post\n    type: slack.post\n"
        "    inputs:\n      channel: '#ops'\n      message: hello\n"
    )
    with SlackRecorder(token=token) as slack:
        config = tmp_path / "config.toml"
        config.write_text(f'[slack]\nbase_url = "{slack.base_url}"\n')
        monkeypatch.setenv("INCIDENTKIT_CONFIG", str(config))
        store = f"sqlite:///{tmp_path / 'runs.db'}"
        result = invoke("workflows", "run", "post", "--workflows", str(folder), "--store", store)
        assert result.exit_code == 0, result.output
        assert [(m.channel, m.text) for m in slack.messages] == [("#ops", "hello")]
