"""The one configuration file every part of incidentkit reads: ``config.toml``.

``$INCIDENTKIT_CONFIG`` names it, else it is ``config.toml`` in the configuration directory
(``$XDG_CONFIG_HOME/incidentkit`` or ``~/.config/incidentkit``). A missing file means the defaults.
Each part reads its own keys: the webhook receiver ``[webhooks] secrets``, the workflow engine the
rest (see :mod:`incidentkit.workflows.config`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from incidentkit.errors import IncidentKitError
from incidentkit.paths import config_dir

CONFIG_ENV = "INCIDENTKIT_CONFIG"
"""The environment variable that names the configuration file."""


class ConfigFileError(IncidentKitError, ValueError):
    """The configuration file exists but cannot be read, or is not valid TOML."""


def config_path() -> Path:
    """``$INCIDENTKIT_CONFIG``, else ``config.toml`` in the configuration directory."""
    given = os.environ.get(CONFIG_ENV, "").strip()
    return Path(given) if given else config_dir() / "config.toml"


def read_config_file(path: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """The file's contents and the path read, or ``({}, None)`` when there is no file.

    Raises:
        ConfigFileError: the file cannot be read or is not valid TOML (the message names the file
            and the line, never a value).
    """
    path = path or config_path()
    if not path.is_file():
        return {}, None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigFileError(f"cannot read the configuration {path}: {error}") from None
