"""The table of step types, and the wrapper every step runs in.

The wrapper does what every step needs the same way: it checks it got its own inputs model,
answers a dry run for write steps without sending anything, and turns the client's errors into
:class:`~incidentkit.workflows.nodes.base.StepError` classified as the engine expects.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import pydantic

from incidentkit.workflows.nodes.base import Completed, NodeContext, NodeResult, NodeType, StepError

InputsT = TypeVar("InputsT", bound=pydantic.BaseModel)

NODE_TYPES: dict[str, NodeType] = {}
"""Every step type by name; filled as the node modules are imported."""


def step_error_from_api(error: Exception, now: Callable[[], datetime]) -> StepError:
    """Classify an error of :mod:`incidentkit.api` (or a refusal before sending) as a :class:`StepError`."""
    from incidentkit.api.errors import (
        APIConnectionError,
        APIResponseError,
        APIStatusError,
        IncidentIOError,
    )
    from incidentkit.api.retry import is_retryable_status, retry_after_seconds

    if isinstance(error, APIStatusError):
        retryable = is_retryable_status(error.status)
        retry_after = retry_after_seconds(error.headers, error.body, now) if retryable else None
        return StepError(str(error), retryable=retryable, retry_after=retry_after)
    if isinstance(error, APIConnectionError | APIResponseError):
        return StepError(str(error), retryable=True)
    if isinstance(error, IncidentIOError | ValueError):
        # Unknown names, bad references, read-only clients, "nothing to edit": the same again fails again.
        return StepError(str(error), retryable=False)
    raise TypeError(f"not an API error: {type(error).__name__}")


def _dry_run(
    name: str,
    function: Callable[[Any, NodeContext], NodeResult],
    given: pydantic.BaseModel,
    context: NodeContext,
) -> NodeResult:
    """Run an incident.io step with its client's writes held: reads go out, the first write does not.

    The step resolves its references, names and statuses for real, so the dry run reports the exact
    request it would make (method, path and body). A step with nothing to change (an incident
    already live, say) reports that it would send nothing. Without a client (no API key) it can
    resolve nothing, so it reports the step's inputs instead.
    """
    from incidentkit.api.errors import WriteHeldError

    if context.client is None:
        context.log.info("dry run: %s would send its inputs (no API key, so nothing resolved)", name)
        inputs = given.model_dump(mode="json", by_alias=True, exclude_none=True)
        return Completed({"dry_run": True, "type": name, "would_send": {"inputs": inputs}})
    try:
        with context.api().hold_writes():
            result = function(given, context)
    except WriteHeldError as held:
        context.log.info("dry run: %s would send %s %s, and nothing was sent", name, held.method, held.path)
        would_send = {"method": held.method, "path": held.path, "body": held.body}
        return Completed({"dry_run": True, "type": name, "would_send": would_send})
    output = result.output if isinstance(result, Completed) else {}
    context.log.info("dry run: %s has nothing to send", name)
    return Completed({**output, "dry_run": True, "type": name, "would_send": None})


def register(
    name: str,
    inputs: type[InputsT],
    *,
    writes: bool,
    preview: Callable[[InputsT, NodeContext], dict[str, Any]] | None = None,
) -> Callable[[Callable[[InputsT, NodeContext], NodeResult]], Callable[[InputsT, NodeContext], NodeResult]]:
    """Register a step type; the decorated function gets its own inputs model and the context.

    Args:
        name: the step type.
        inputs: its inputs model.
        writes: whether it has side effects (a dry run then sends none of them).
        preview: what a dry run reports it would send; by default the exact incident.io request,
            found by running the step with its client's writes held.
    """

    def decorate(
        function: Callable[[InputsT, NodeContext], NodeResult],
    ) -> Callable[[InputsT, NodeContext], NodeResult]:
        def run(given: pydantic.BaseModel, context: NodeContext) -> NodeResult:
            if not isinstance(given, inputs):
                raise TypeError(f"{name} needs {inputs.__name__} inputs, not {type(given).__name__}")
            if writes and context.dry_run and preview is not None:
                context.log.info("dry run: %s would send, and nothing was sent", name)
                return Completed({"dry_run": True, "type": name, "would_send": preview(given, context)})
            from incidentkit.api.errors import IncidentIOError

            try:
                if writes and context.dry_run:
                    return _dry_run(name, function, given, context)
                return function(given, context)
            except (IncidentIOError, ValueError) as error:
                raise step_error_from_api(error, context.clock) from error

        if name in NODE_TYPES:
            raise ValueError(f"step type {name!r} is registered twice")
        NODE_TYPES[name] = NodeType(name=name, inputs=inputs, writes=writes, run=run)
        return function

    return decorate
