"""An optional summary of the findings written by a language model, through an OpenAI-compatible API.

With ``[investigation.llm]`` configured, :func:`llm_summary` sends the incident, its affected
services and the findings (claims, evidence, confidences), with the organisation's "context for
AI" (``[investigation] ai_context``), to ``POST {base_url}/chat/completions`` and returns the
model's answer. The model only words what the rules found: the findings, their confidences and the
write-back's "Root cause identified" stay the rules' (see :mod:`incidentkit.investigation.summary`).

The key comes from the environment variable ``api_key_env``, else the credential store's secret
``credential``; without either the request goes without one (a local model). The key is sent in the
``Authorization`` header only, and never appears in a log or an error.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.config import LLMConfig
from incidentkit.investigation.errors import InvestigationError

if TYPE_CHECKING:
    from incidentkit.credentials import Secret
    from incidentkit.investigation.incident_context import IncidentContext
    from incidentkit.investigation.summary import Finding

__all__ = ["LLMError", "chat_completions_url", "llm_summary"]

INSTRUCTIONS = (
    "You summarise an incident investigation for the engineers responding to it. Use only the findings "
    "given: do not invent causes, services or numbers. Keep each finding's confidence (say 'likely' for "
    "medium and 'possibly' for low). Answer in at most three short sentences of plain text."
)
MAX_ANSWER = 2000


class LLMError(InvestigationError):
    """The language model could not give a summary (unreachable, refused, answered nothing usable)."""


def chat_completions_url(base_url: str) -> str:
    """``https://host/v1`` → ``https://host/v1/chat/completions``; a base without ``/v1`` gets it."""
    base = base_url.rstrip("/")
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


def api_key(config: LLMConfig) -> Secret | None:
    """The key: the environment variable, else the credential store's secret, else None."""
    from incidentkit.credentials import CredentialStore, CredentialStoreError, Secret

    value = os.environ.get(config.api_key_env, "").strip()
    if value:
        return Secret(value)
    try:
        return CredentialStore().get_secret(config.credential)
    except CredentialStoreError as error:
        raise LLMError(f"the language model's key in the credential store: {error}") from None


def prompt(context: IncidentContext, findings: list[Finding], ai_context: str) -> list[dict[str, str]]:
    """The chat messages: the instructions with the organisation's context, then the facts as JSON."""
    system = INSTRUCTIONS
    if ai_context:
        system += "\n\nAbout this organisation:\n" + ai_context
    facts = {
        "incident": {
            key: context.to_json()["incident"][key]
            for key in ("reference", "name", "summary", "severity", "priority", "status", "started_at")
        },
        "services": [service.to_json() for service in context.services],
        "findings": [
            {"claim": f.claim, "confidence": f.confidence, "evidence": list(f.evidence)} for f in findings
        ],
    }
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": json.dumps(facts, ensure_ascii=False)},
    ]


def llm_summary(
    context: IncidentContext,
    findings: list[Finding],
    config: LLMConfig,
    *,
    ai_context: str = "",
    transport: Any = None,
) -> str:
    """The model's summary of ``findings``.

    Raises:
        LLMError: the endpoint could not be reached, answered an error, or gave no text (the message
            says which, and never holds the key).
    """
    import httpx2

    url = chat_completions_url(config.base_url)
    headers = {"Content-Type": "application/json"}
    key = api_key(config)
    if key is not None:
        headers["Authorization"] = f"Bearer {key.reveal()}"
    body = {"model": config.model, "messages": prompt(context, findings, ai_context), "temperature": 0}
    try:
        with httpx2.Client(timeout=config.timeout_seconds, transport=transport) as http:
            response = http.post(url, json=body, headers=headers)
    except httpx2.HTTPError as error:
        raise LLMError(f"the language model at {url} could not be reached: {type(error).__name__}") from None
    if response.status_code != 200:
        raise LLMError(f"the language model at {url} answered {response.status_code}: {_reason(response)}")
    try:
        text = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError(f"the language model at {url} answered without a chat completion") from None
    if not isinstance(text, str) or not text.strip():
        raise LLMError(f"the language model at {url} answered an empty summary")
    return text.strip()[:MAX_ANSWER]


def _reason(response: Any) -> str:
    """The error's message from an OpenAI-style error body, short, or the start of the body."""
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        message = None
    return str(message or response.text or "no reason given")[:200]
