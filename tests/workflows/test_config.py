"""The engine's configuration file."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentkit.workflows.config import ConfigError, load_config


def test_the_file_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'workflows = "/srv/wf"\nteam_field = "Team"\n[severity_map]\nSEV-1 = "Critical"\n'
        '[http]\nallowed_hosts = ["API.linear.app"]\n[agents.responder]\nurl = "https://a.example/d"\n'
    )
    config = load_config(
        path, {"INCIDENTKIT_SLACK_TOKEN": "xoxb-1", "INCIDENTKIT_API_TOKEN": "s3cr3t-api-value"}
    )
    assert config.workflows_dir == Path("/srv/wf") and config.team_field == "Team"
    assert dict(config.severity_map) == {"SEV-1": "Critical"}
    assert config.http.allowed_hosts == frozenset({"api.linear.app"})
    assert config.agents.agents["responder"].url == "https://a.example/d"
    assert config.slack.token is not None and config.slack.token.reveal() == "xoxb-1"
    assert config.api_token is not None and "s3cr3t-api-value" not in repr(config)


def test_no_file_means_the_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "missing.toml", {})
    assert config.source is None and config.api_token is None and config.http.allowed_hosts == frozenset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("workflows = [", "cannot read the configuration"),
        ("[severity_map]\nSEV-9 = 'Critical'\n", "severity_map key 'SEV-9'"),
        ("[http]\nallowed_hosts = 'x'\n", "http.allowed_hosts must be a list"),
        ("[agents.a]\ntoken = 'x'\n", 'agents.a needs url = "https://..."'),
        (
            "[agents.a]\nurl = 'https://a.example/d'\ntimeout_seconds = 'soon'\n",
            "agents.a.timeout_seconds must be a positive number of seconds, not 'soon'",
        ),
        (
            "[agents.a]\nurl = 'https://a.example/d'\ntimeout_seconds = 0\n",
            "agents.a.timeout_seconds must be a positive number of seconds, not 0",
        ),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_config(path, {})
