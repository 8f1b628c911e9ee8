"""``http.request``: JSON over HTTP to an allow-listed host (Linear, Jira, PagerDuty, custom webhooks).

A host is allowed only by exact name (``evil-example.com`` is not ``example.com``, nor is
``example.com.evil.net``). Redirects are followed by hand so each target is checked the same
way; credentials are not carried to another host. Header values are never logged, and a dry
run shows them redacted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from incidentkit.api.retry import is_retryable_status, retry_after_seconds
from incidentkit.workflows.nodes.base import Completed, NodeContext, StepError, StepInputs
from incidentkit.workflows.nodes.registry import register

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_BODY_CHARS = 65536
_SENSITIVE_WORDS = ("auth", "token", "secret", "key", "cookie", "password", "signature")


def is_sensitive_header(name: str) -> bool:
    """Whether a header's value may be a credential (Authorization, X-Api-Key, Cookie, ...)."""
    lowered = name.lower()
    return any(word in lowered for word in _SENSITIVE_WORDS)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with every possibly secret value replaced."""
    return {name: "********" if is_sensitive_header(name) else value for name, value in headers.items()}


def host_of(url: str) -> str:
    """The lower-case host name of ``url``, without a trailing dot; empty when there is none."""
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def check_allowed(url: str, allowed_hosts: frozenset[str]) -> None:
    """Refuse a URL that is not http(s) or whose host is not exactly one of ``allowed_hosts``.

    Raises:
        StepError: not retryable; says which host and what is allowed.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise StepError(
            f"http.request: {scheme or 'no'} scheme in the URL; only http and https", retryable=False
        )
    host = host_of(url)
    allowed = {entry.rstrip(".").lower() for entry in allowed_hosts}
    if host not in allowed:
        listed = ", ".join(sorted(allowed)) or "(none: configure the http allow-list)"
        raise StepError(
            f"http.request: host {host!r} is not allow-listed; allowed hosts: {listed}", retryable=False
        )


def _safe_url(url: str) -> str:
    """The URL without query or credentials, for logs and errors (a query may hold a token)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


class HttpRequestInputs(StepInputs):
    """Inputs of ``http.request``."""

    method: str = Field("GET", pattern=r"(?i)^(GET|POST|PUT|PATCH|DELETE|HEAD)$")
    url: str
    headers: dict[str, str] | None = None
    query: dict[str, str] | None = None
    body: Any = Field(None, description="sent as JSON")
    timeout: float | None = Field(None, gt=0, le=300, description="seconds")


def _preview(inputs: HttpRequestInputs, context: NodeContext) -> dict[str, Any]:
    check_allowed(inputs.url, context.http.allowed_hosts)  # a dry run also shows a refusal
    return {
        "method": inputs.method.upper(),
        "url": inputs.url,
        "headers": redact_headers(inputs.headers or {}),
        "query": inputs.query,
        "body": inputs.body,
    }


def _decode(response: Any) -> Any:
    text = response.text
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text[:MAX_BODY_CHARS]


@register("http.request", HttpRequestInputs, writes=True, preview=_preview)
def http_request(inputs: HttpRequestInputs, context: NodeContext) -> Completed:
    """Send the request; output ``status``, ``headers``, ``body`` (JSON when it parses) and ``url``."""
    import httpx2

    settings = context.http
    method = inputs.method.upper()
    url = inputs.url
    headers = dict(inputs.headers or {})
    body = inputs.body
    check_allowed(url, settings.allowed_hosts)
    timeout = inputs.timeout or settings.timeout
    with httpx2.Client(timeout=timeout, follow_redirects=False) as client:
        for _ in range(settings.max_redirects + 1):
            context.log.info("http.request %s %s", method, _safe_url(url))
            try:
                response = client.request(
                    method,
                    url,
                    headers=headers,
                    params=inputs.query if url == inputs.url else None,
                    json=body if method not in ("GET", "HEAD") and body is not None else None,
                )
            except httpx2.TransportError as error:
                raise StepError(
                    f"http.request {method} {_safe_url(url)} failed: {type(error).__name__}: {error}",
                    retryable=True,
                ) from None
            if response.status_code not in REDIRECT_STATUSES or "location" not in response.headers:
                break
            target = str(response.url.join(response.headers["location"]))
            check_allowed(target, settings.allowed_hosts)
            if host_of(target) != host_of(url):
                # Credentials were meant for the first host only.
                headers = {k: v for k, v in headers.items() if not is_sensitive_header(k)}
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, body = "GET", None
            url = target
        else:
            raise StepError(
                f"http.request: more than {settings.max_redirects} redirects from {_safe_url(inputs.url)}",
                retryable=False,
            )
    status = response.status_code
    decoded = _decode(response)
    if status >= 400:
        retryable = is_retryable_status(status)
        retry_after = retry_after_seconds(response.headers, None, context.clock) if retryable else None
        snippet = (decoded if isinstance(decoded, str) else json.dumps(decoded))[:500] if decoded else ""
        raise StepError(
            f"http.request {method} {_safe_url(url)} answered {status}: {snippet}".rstrip(": "),
            retryable=retryable,
            retry_after=retry_after,
        )
    return Completed(
        {
            "status": status,
            "headers": redact_headers(dict(response.headers)),
            "body": decoded,
            "url": _safe_url(url),
        }
    )
