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


def check_base_url(url: str, *, where: str = "base_url") -> str:
    """The base URL without a trailing slash, or a :class:`InvalidBaseURLError` saying what is wrong.

    The checks are the ones that otherwise surface as a traceback or a puzzling 404 later: a URL that
    does not parse (a port that is not a number, an unclosed ``[``), a missing ``http://`` or
    ``https://``, no host, and an API version (``/v2``) at the end, which every request path already
    carries.

    Args:
        url: the base URL as given.
        where: what set it (``--base-url``, ``INCIDENT_IO_BASE_URL``, ``base_url``), named in the error.

    Raises:
        InvalidBaseURLError: the URL cannot be the API's base URL; the message names ``where`` and the value.
    """
    import re

    import httpx2

    from incidentkit.api.errors import InvalidBaseURLError

    def refuse(reason: str) -> InvalidBaseURLError:
        return InvalidBaseURLError(f"invalid {where} {url!r}: {reason}")

    text = url.strip()
    if "://" not in text:
        example = f"https://{text}" if text and " " not in text else DEFAULT_BASE_URL
        raise refuse(f"it has no scheme; add http:// or https:// (for example {example!r})")
    try:
        parsed = httpx2.URL(text)
    except httpx2.InvalidURL as error:
        raise refuse(str(error)) from None
    if parsed.scheme not in ("http", "https"):
        raise refuse(f"the scheme must be http or https, not {parsed.scheme!r}")
    if not parsed.host:
        raise refuse("it has no host name")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise refuse(f"the port {parsed.port} is not between 1 and 65535")
    version = re.search(r"/v\d+/?$", parsed.path)
    if version:
        without = text[: text.rstrip("/").rindex("/")]
        raise refuse(
            f"it ends with the API version {version.group(0).rstrip('/')!r}, which every request path "
            f"already carries; drop it ({without!r})"
        )
    return text.rstrip("/")
