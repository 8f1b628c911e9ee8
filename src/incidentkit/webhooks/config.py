"""Where the webhook signing secrets come from: options, then the environment, then the config file.

``INCIDENTKIT_WEBHOOK_SECRET`` holds one secret, or several separated by commas or spaces (during
a rotation both the old and the new secret verify). The configuration file
(:mod:`incidentkit.config_file`) may hold them too::

    [webhooks]
    secrets = ["whsec_...", "whsec_..."]

The secrets themselves are never printed; :func:`~incidentkit.webhooks.verify.secret_fingerprint`
tells them apart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incidentkit.config_file import ConfigFileError, read_config_file

__all__ = ["SECRET_ENV", "ConfiguredSecrets", "configured_secrets", "split_secrets"]

SECRET_ENV = "INCIDENTKIT_WEBHOOK_SECRET"
"""The environment variable that holds the webhook signing secret(s)."""


@dataclass(frozen=True)
class ConfiguredSecrets:
    """The secrets in force and where they were found (``--webhook-secret``, the variable, or nowhere)."""

    secrets: list[str] = field(repr=False)
    source: str

    def __repr__(self) -> str:
        return f"ConfiguredSecrets({len(self.secrets)} secret(s) from {self.source})"


def split_secrets(values: Iterable[str]) -> list[str]:
    """Every secret in ``values``, each of which may hold several separated by commas or whitespace."""
    return [part for value in values for part in re.split(r"[,\s]+", value) if part]


def configured_secrets(
    options: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> ConfiguredSecrets:
    """The signing secrets to use: options, else ``INCIDENTKIT_WEBHOOK_SECRET``, else the config file.

    Args:
        options: values of ``--webhook-secret`` (repeatable, each may hold several).
        environ: the environment; ``os.environ`` by default.
        config_file: the configuration file; the usual one (:func:`~incidentkit.config_file.config_path`)
            by default.

    Returns:
        The secrets (possibly none: callers must then refuse every webhook) and their source.

    Raises:
        ConfigFileError: the configuration file cannot be read, or its ``[webhooks] secrets`` is
            not a list of strings (the message names the key, never a value).
    """
    given = split_secrets(options)
    if given:
        return ConfiguredSecrets(given, "--webhook-secret")
    env = os.environ if environ is None else environ
    from_env = split_secrets([env.get(SECRET_ENV, "")])
    if from_env:
        return ConfiguredSecrets(from_env, SECRET_ENV)
    data, source = read_config_file(config_file)
    from_file = _file_secrets(data, source)
    if from_file:
        return ConfiguredSecrets(from_file, f"{source} [webhooks] secrets")
    return ConfiguredSecrets([], "nowhere")


def _file_secrets(data: Mapping[str, Any], source: Path | None) -> list[str]:
    table = data.get("webhooks", {})
    values = table.get("secrets", []) if isinstance(table, Mapping) else None
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigFileError(f"{source}: [webhooks] secrets must be a list of whsec_... strings")
    return split_secrets(values)
