"""Where the client finds its API key and base URL.

Both spellings of the key's variable seen in the wild are accepted: ``INCIDENT_IO_API_KEY``
(first) and ``INCIDENTIO_API_KEY``. ``INCIDENT_IO_BASE_URL`` points the client elsewhere, such
as at the emulator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_BASE_URL = "https://api.incident.io"
API_KEY_VARIABLES = ("INCIDENT_IO_API_KEY", "INCIDENTIO_API_KEY")
BASE_URL_VARIABLE = "INCIDENT_IO_BASE_URL"


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The API key from the environment, or ``None``."""
    env = os.environ if environ is None else environ
    for name in API_KEY_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def base_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The base URL from the environment, or the real API's."""
    env = os.environ if environ is None else environ
    return env.get(BASE_URL_VARIABLE, "").strip() or DEFAULT_BASE_URL
