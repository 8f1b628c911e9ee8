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


def without_password(url: str) -> str:
    """The URL with whatever sits where a password would be (``user:PASSWORD@``) replaced by ``***``.

    Works on URLs that do not parse, which is when an error has to show one.
    """
    import re

    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def check_http_url(url: str, *, where: str) -> str:
    """The URL, stripped, if it is an http(s) URL with a host; else an :class:`InvalidBaseURLError`.

    Catches what otherwise surfaces as a traceback later: a URL that does not parse (a port that
    is not a number, an unclosed ``[``), a missing ``http://`` or ``https://``, and no host.

    Args:
        url: the URL as given.
        where: what set it (``--url``, ``--base-url``, ``INCIDENT_IO_BASE_URL``), named in the error.

    Raises:
        InvalidBaseURLError: the message names ``where`` and the value, and says what to change.
    """
    import httpx2

    from incidentkit.api.errors import InvalidBaseURLError

    text = url.strip()
    reason: str | None = None
    if "://" not in text:
        example = f"https://{text}" if text and " " not in text else DEFAULT_BASE_URL
        reason = f"it has no scheme; add http:// or https:// (for example {example!r})"
    else:
        try:
            parsed = httpx2.URL(text)
        except httpx2.InvalidURL as error:
            reason = str(error)
        else:
            if parsed.scheme not in ("http", "https"):
                reason = f"the scheme must be http or https, not {parsed.scheme!r}"
            elif not parsed.host:
                reason = "it has no host name"
            elif parsed.port is not None and not 0 < parsed.port < 65536:
                reason = f"the port {parsed.port} is not between 1 and 65535"
    if reason is not None:
        raise InvalidBaseURLError(f"invalid {where} {without_password(url)!r}: {reason}")
    return text


def check_base_url(url: str, *, where: str = "base_url") -> str:
    """The API base URL without a trailing slash, or a :class:`InvalidBaseURLError` saying what is wrong.

    On top of :func:`check_http_url`, a base URL must not end with an API version (``/v2``), which
    every request path already carries (it would make ``/v2/v2/incidents``).

    Args:
        url: the base URL as given.
        where: what set it (``--base-url``, ``INCIDENT_IO_BASE_URL``, ``base_url``), named in the error.

    Raises:
        InvalidBaseURLError: the URL cannot be the API's base URL; the message names ``where`` and the value.
    """
    import re

    from incidentkit.api.errors import InvalidBaseURLError

    text = check_http_url(url, where=where).rstrip("/")
    version = re.search(r"/v\d+$", text)
    if version:
        shown, without = without_password(url), without_password(text[: version.start()])
        raise InvalidBaseURLError(
            f"invalid {where} {shown!r}: it ends with the API version {version.group(0)!r}, "
            f"which every request path already carries; drop it ({without!r})"
        )
    return text
