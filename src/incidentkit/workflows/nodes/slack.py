"""``slack.post``: a message to a Slack channel through the Slack Web API (``chat.postMessage``).

Slack answers HTTP 200 with ``{"ok": false, "error": "..."}`` for most refusals, and 429 with
``Retry-After`` when rate limited. Rate limits and Slack's own failures are retryable; a missing
channel or a bad token is not, and the step error carries Slack's error code.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import Field

from incidentkit.workflows.nodes.base import Completed, NodeContext, StepError, StepInputs
from incidentkit.workflows.nodes.registry import register

# Slack error codes that mean "try again later" rather than "this will never work".
RETRYABLE_SLACK_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)

# slack_sdk logs requests at debug level; it redacts the token, and this logger keeps even that quiet.
_sdk_logger = logging.getLogger("incidentkit.workflows.nodes.slack_sdk")
_sdk_logger.setLevel(logging.WARNING)


class SlackPostInputs(StepInputs):
    """Inputs of ``slack.post``."""

    channel: str = Field(description="a channel name (#oncall) or id (C0123)")
    message: str = Field(description="the text; with blocks, the notification fallback")
    blocks: list[dict[str, Any]] | None = None
    thread: str | None = Field(None, description="the ts of the message to reply under")


def _preview(inputs: SlackPostInputs, context: NodeContext) -> dict[str, Any]:
    sent: dict[str, Any] = {"channel": inputs.channel, "text": inputs.message}
    if inputs.blocks is not None:
        sent["blocks"] = inputs.blocks
    if inputs.thread is not None:
        sent["thread_ts"] = inputs.thread
    return {"url": context.slack.base_url.rstrip("/") + "/chat.postMessage", "body": sent}


@register("slack.post", SlackPostInputs, writes=True, preview=_preview)
def post_to_slack(inputs: SlackPostInputs, context: NodeContext) -> Completed:
    """Post ``message`` to ``channel``; the output has Slack's ``channel`` id and the message ``ts``."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from incidentkit.api.retry import is_retryable_status, retry_after_seconds

    settings = context.slack
    if settings.token is None:
        raise StepError(
            "slack.post: no Slack bot token is configured: run `incidentkit setup slack` (the encrypted "
            "credential store), or set INCIDENTKIT_SLACK_TOKEN or [slack] token in the config file",
            retryable=False,
        )
    base_url = settings.base_url if settings.base_url.endswith("/") else settings.base_url + "/"
    client = WebClient(
        token=settings.token.reveal(),
        base_url=base_url,
        timeout=int(settings.timeout),
        logger=_sdk_logger,
        retry_handlers=[],  # the engine schedules retries; nothing may sleep in a worker
    )
    try:
        response = client.chat_postMessage(
            channel=inputs.channel, text=inputs.message, blocks=inputs.blocks, thread_ts=inputs.thread
        )
    except SlackApiError as error:
        code = str(error.response.get("error", "unknown_error"))
        status = error.response.status_code
        retryable = code in RETRYABLE_SLACK_ERRORS or is_retryable_status(status)
        retry_after = (
            retry_after_seconds(dict(error.response.headers or {}), None, context.clock)
            if retryable
            else None
        )
        raise StepError(
            f"slack.post to {inputs.channel}: Slack answered {status} {code}",
            retryable=retryable,
            retry_after=retry_after,
        ) from None
    except OSError as error:  # refused, reset, timed out (urllib raises OSError subclasses)
        raise StepError(f"slack.post: could not reach Slack at {base_url}: {error}", retryable=True) from None
    context.log.info("posted to Slack channel %s", inputs.channel)
    return Completed(
        {
            "ok": True,
            "channel": response.get("channel"),
            "ts": response.get("ts"),
            "thread": inputs.thread,
        }
    )
