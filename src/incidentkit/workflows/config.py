"""The engine's part of the configuration file: workflows, severity names, Slack, HTTP, agents, tokens.

The file is :mod:`incidentkit.config_file`'s ``config.toml``; a missing file means the defaults.
Secrets may be written in the file (readable only by its owner) but are better given by
environment: ``INCIDENTKIT_SLACK_TOKEN`` (else the file's ``[slack] token``, else the token
``incidentkit setup slack`` saved in the credential store), ``INCIDENTKIT_API_TOKEN`` (what the
approval and agent endpoints of ``serve`` require) and ``INCIDENTKIT_AGENT_TOKEN_KEY``.

Example::

    workflows = "/etc/incidentkit/workflows"
    team_field = "Team"

    [severity_map]
    SEV-1 = "Critical"

    [slack]
    base_url = "https://slack.com/api/"

    [http]
    allowed_hosts = ["api.linear.app"]

    [agents.incident-responder]
    url = "https://agents.example.com/dispatch"
    timeout_seconds = 900
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incidentkit.config_file import ConfigFileError, config_path, read_config_file
from incidentkit.credentials import Secret
from incidentkit.workflows.errors import WorkflowError
from incidentkit.workflows.nodes import AgentEndpoint, AgentSettings, HttpSettings, SlackSettings
from incidentkit.workflows.severity import severity_map_from_config

SLACK_TOKEN_ENV = "INCIDENTKIT_SLACK_TOKEN"
API_TOKEN_ENV = "INCIDENTKIT_API_TOKEN"
AGENT_TOKEN_KEY_ENV = "INCIDENTKIT_AGENT_TOKEN_KEY"
DEFAULT_WORKFLOWS_DIR = "workflows"


class ConfigError(WorkflowError, ValueError):
    """The configuration file cannot be read or holds a wrong value (the message names the key)."""


@dataclass(frozen=True)
class EngineConfig:
    """The parsed configuration.

    Attributes:
        workflows_dir: the workflow directory, or None when neither the file nor ``./workflows`` gives one.
        severity_map: ``SEV-n``/``Pn`` → the organisation's severity.
        team_field: the custom field holding an incident's team.
        slack: ``slack.post`` settings.
        http: ``http.request`` settings.
        agents: ``agent.dispatch`` settings.
        api_token: the token the approval and agent-answer endpoints require; None turns them off.
        source: the file read, if any.
    """

    workflows_dir: Path | None = None
    severity_map: Mapping[str, str] = field(default_factory=dict)
    team_field: str | None = None
    slack: SlackSettings = field(default_factory=SlackSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    api_token: Secret | None = None
    source: Path | None = None


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> EngineConfig:
    """Read the configuration (the defaults when the file does not exist).

    Raises:
        ConfigError: the file is not valid TOML or a value has the wrong type.
    """
    env = os.environ if environ is None else environ
    path = path or config_path()
    try:
        data, source = read_config_file(path)
    except ConfigFileError as error:
        raise ConfigError(str(error)) from None
    try:
        severity_map = severity_map_from_config(data)
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from None
    workflows = data.get("workflows")
    if workflows is not None and not isinstance(workflows, str):
        raise ConfigError(f"{path}: workflows must be a directory path, not {workflows!r}")
    workflows_dir = Path(workflows).expanduser() if workflows else None
    if workflows_dir is None and Path(DEFAULT_WORKFLOWS_DIR).is_dir():
        workflows_dir = Path(DEFAULT_WORKFLOWS_DIR)
    slack_table = _table(data, "slack", path)
    http_table = _table(data, "http", path)
    slack_token = env.get(SLACK_TOKEN_ENV) or slack_table.get("token") or _saved_slack_token()
    hosts = http_table.get("allowed_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise ConfigError(f"{path}: http.allowed_hosts must be a list of host names")
    agents: dict[str, AgentEndpoint] = {}
    for name, table in _table(data, "agents", path).items():
        if not isinstance(table, Mapping) or not isinstance(table.get("url"), str):
            raise ConfigError(f'{path}: agents.{name} needs url = "https://..."')
        token = table.get("token")
        agents[name] = AgentEndpoint(
            url=table["url"],
            token=Secret(token) if isinstance(token, str) else None,
            timeout_seconds=_seconds(
                table.get("timeout_seconds", 1800.0), f"agents.{name}.timeout_seconds", path
            ),
        )
    token_key = env.get(AGENT_TOKEN_KEY_ENV) or data.get("agent_token_key")
    api_token = env.get(API_TOKEN_ENV) or data.get("api_token")
    team_field = data.get("team_field")
    return EngineConfig(
        workflows_dir=workflows_dir,
        severity_map=severity_map,
        team_field=team_field if isinstance(team_field, str) else None,
        slack=SlackSettings(
            token=Secret(slack_token) if isinstance(slack_token, str) and slack_token else None,
            base_url=str(slack_table.get("base_url", SlackSettings.base_url)),
        ),
        http=HttpSettings(allowed_hosts=frozenset(h.lower() for h in hosts)),
        agents=AgentSettings(
            agents=agents,
            token_key=Secret(token_key) if isinstance(token_key, str) and token_key else None,
            callback_url=data.get("agent_callback_url")
            if isinstance(data.get("agent_callback_url"), str)
            else None,
        ),
        api_token=Secret(api_token) if isinstance(api_token, str) and api_token else None,
        source=source,
    )


def _saved_slack_token() -> str | None:
    """The bot token `incidentkit setup slack` saved in the credential store, if any."""
    from incidentkit.credentials import SLACK_SECRET, CredentialStore, CredentialStoreError

    try:
        saved = CredentialStore().get_secret(SLACK_SECRET)
    except CredentialStoreError as error:
        raise ConfigError(f"the Slack bot token: {error}") from None
    return saved.reveal() if saved is not None else None


def _seconds(value: Any, key: str, path: Path) -> float:
    """A positive number of seconds, else a ConfigError naming the key and the value."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{path}: {key} must be a positive number of seconds, not {value!r}")
    return float(value)


def _table(data: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{path}: {key} must be a table ([{key}])")
    return value
