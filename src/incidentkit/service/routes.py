"""The service's HTTP endpoints for people and agents: approval decisions and agent answers.

``POST /api/approvals/{id}/approve|reject`` and ``POST /api/agent-dispatch/{token}`` are off (503,
fail closed) without a configured API token. Approvals require ``Authorization: Bearer <api token>``,
compared in constant time and never logged; the token is a service credential, so the decider named
in the body is then checked against the step's approvers through incident.io
(:mod:`incidentkit.workflows.approvers`): 403 with the reason when refused. An agent's answer is
authenticated by the resume token in its path alone: signed for that one step, it is the only
credential an agent is given, and it cannot decide an approval, so an agent may request an approval
(a workflow step after its answer) but never grant one. Bodies are read with a size limit and
parsed by the package's one JSON reader (:mod:`incidentkit.httpbody`).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from incidentkit.httpbody import BodyNotJSON, BodyTooLarge, parse_json, read_limited_body

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from incidentkit.credentials import Secret
    from incidentkit.workflows.runtime import EngineRuntime

APPROVALS_PATH = "/api/approvals/{approval_id}/{decision}"
AGENT_ANSWER_PATH = "/api/agent-dispatch/{token}"
AGENT_ANSWER_PREFIX = AGENT_ANSWER_PATH.split("/{")[0]
"""Where agents answer; a dispatch's callback URL is this under the service's URL, then the token."""

MAX_DECISION_BYTES = 16 * 1024
MAX_AGENT_ANSWER_BYTES = 1024 * 1024


async def _json_body(request: Request, limit: int) -> tuple[Any, JSONResponse | None]:
    """The request's JSON body, or the error answer (413 too large, 422 not JSON)."""
    from starlette.responses import JSONResponse

    try:
        return parse_json(await read_limited_body(request, limit)), None
    except BodyTooLarge:
        return None, JSONResponse({"error": f"the body is larger than {limit} bytes"}, status_code=413)
    except BodyNotJSON as error:
        return None, JSONResponse({"error": str(error)}, status_code=422)


def engine_routes(runtime: EngineRuntime, api_token: Secret | None) -> list[Route]:
    """The approval and agent-answer endpoints of ``runtime``, guarded by ``api_token``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from incidentkit.api.errors import IncidentIOError
    from incidentkit.store.errors import AlreadyDecidedError, RunNotFoundError
    from incidentkit.workflows.approvers import DecisionRefusedError, decide_approval

    def off() -> JSONResponse | None:
        if api_token is None:
            return JSONResponse(
                {"error": "no API token is configured: this endpoint is off"}, status_code=503
            )
        return None

    def refused(request: Request) -> JSONResponse | None:
        if (answer := off()) is not None or api_token is None:
            return answer
        given = request.headers.get("authorization", "")
        expected = f"Bearer {api_token.reveal()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401)
        return None

    async def decide(request: Request) -> JSONResponse:
        if (answer := refused(request)) is not None:
            return answer
        decision = {"approve": "approved", "reject": "rejected"}.get(request.path_params["decision"])
        if decision is None:
            return JSONResponse({"error": "use /approve or /reject"}, status_code=404)
        body, bad = await _json_body(request, MAX_DECISION_BYTES)
        if bad is not None:
            return bad
        by = body.get("by") if isinstance(body, dict) else None
        if not isinstance(by, str) or not by.strip():
            return JSONResponse({"error": 'say who decides: {"by": "email or user id"}'}, status_code=422)
        try:
            approval = await run_in_threadpool(
                decide_approval,
                runtime.runs,
                runtime.client,
                request.path_params["approval_id"],
                decision,
                by,
                agents=runtime.settings.agents.agents,
            )
        except RunNotFoundError as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        except AlreadyDecidedError as error:
            return JSONResponse({"error": str(error)}, status_code=409)
        except DecisionRefusedError as error:  # an agent, or not one of the approvers
            return JSONResponse({"error": str(error)}, status_code=403)
        except IncidentIOError as error:  # the decider could not be looked up: fail closed
            return JSONResponse({"error": f"cannot check the decider: {error}"}, status_code=503)
        runtime.wake()
        return JSONResponse({"approval": approval.to_dict()})

    async def agent_answer(request: Request) -> JSONResponse:
        # The resume token in the path is the agent's credential (checked by answer_agent); the
        # API token, which can decide approvals, is never needed by an agent.
        if (answer := off()) is not None:
            return answer
        from incidentkit.workflows.nodes import AgentAnswerError

        result, bad = await _json_body(request, MAX_AGENT_ANSWER_BYTES)
        if bad is not None:
            return bad
        try:
            record = await run_in_threadpool(
                runtime.engines[0].answer_agent, request.path_params["token"], result
            )
        except RunNotFoundError as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        except AgentAnswerError as error:
            return JSONResponse({"error": str(error)}, status_code=422)
        except AlreadyDecidedError as error:
            return JSONResponse({"error": str(error)}, status_code=409)
        runtime.wake()
        return JSONResponse({"run_id": record.run_id, "step": record.step_key, "status": record.status})

    return [
        Route(APPROVALS_PATH, decide, methods=["POST"]),
        Route(AGENT_ANSWER_PATH, agent_answer, methods=["POST"]),
    ]
