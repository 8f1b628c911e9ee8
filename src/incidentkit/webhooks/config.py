"""Where the webhook signing secrets come from: command-line options first, then the environment.

``INCIDENTKIT_WEBHOOK_SECRET`` holds one secret, or several separated by commas or spaces (during
a rotation both the old and the new secret verify). The secrets themselves are never printed;
:func:`~incidentkit.webhooks.verify.secret_fingerprint` tells them apart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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
    options: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> ConfiguredSecrets:
    """The signing secrets to use: those given as options, else those in ``INCIDENTKIT_WEBHOOK_SECRET``.

    Args:
        options: values of ``--webhook-secret`` (repeatable, each may hold several).
        environ: the environment; ``os.environ`` by default.

    Returns:
        The secrets (possibly none: callers must then refuse every webhook) and their source.
    """
    given = split_secrets(options)
    if given:
        return ConfiguredSecrets(given, "--webhook-secret")
    env = os.environ if environ is None else environ
    from_env = split_secrets([env.get(SECRET_ENV, "")])
    if from_env:
        return ConfiguredSecrets(from_env, SECRET_ENV)
    return ConfiguredSecrets([], "nowhere")
