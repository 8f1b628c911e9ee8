"""The MCP server: the tools of :mod:`incidentkit.agent_tools.registry`, served over stdio or
streamable HTTP with the official ``mcp`` package.

Every answer is compact JSON, both as the tool result's text and as its structured content. A tool
failure the agent can act on (a wrong argument, an incident that does not exist, a name the
organisation does not use, a write the key may not make) comes back as an error result whose text
says what to change; a bug comes back as a bare error, its traceback in the server's log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from incidentkit import __version__
from incidentkit.agent_tools.inputs import ToolInputError
from incidentkit.agent_tools.registry import TOOLS, ToolSpec, description_of, signature_for
from incidentkit.agent_tools.summary import SummaryConflictError
from incidentkit.agent_tools.toolbox import Toolbox

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from starlette.applications import Starlette

    from incidentkit.api import Client

logger = logging.getLogger("incidentkit.agent_tools")

SERVER_NAME = "incidentkit"
HTTP_PATH = "/mcp"
WRITE_ROLES = frozenset(
    {
        "incident_creator",
        "incident_editor",
        "global_access",
        "escalation_creator",
        "on_call_editor",
        "manage_settings",
    }
)
"""API key roles (``GET /v1/identity``) that let a key write something a write tool writes."""

INSTRUCTIONS = """\
Tools for incidents in incident.io. To investigate an incident, start with incident_io_incidents \
(action=context), then correlate_incidents (similar past incidents and how they were resolved) and \
recent_changes (deploys and config changes just before it started); investigate does all of that in \
one call. Incidents are named by reference (INC-123) or number. Lists return one page: pass the \
answer's next_after as after to get the next one. Before a risky action, call request_approval and \
wait until approval_status says approved."""


def key_can_write(client: Client) -> tuple[bool, str]:
    """Whether the client's key holds any write role, and the key's roles in words.

    A key made with only the viewer role (IncidentFox's "View data") gets no write tool at all.
    """
    identity = client.identity.get()
    roles = sorted(identity.roles)
    return bool(WRITE_ROLES & set(roles)), ", ".join(roles) or "none"


def build_server(box: Toolbox, *, read_only: bool) -> MCPServer:
    """The MCP server with every tool bound to ``box``; without the write tools when ``read_only``."""
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    mode = "read-only" if read_only else "read and write"
    server: MCPServer = MCPServer(
        SERVER_NAME,
        title="incidentkit: incident.io tools",
        description=f"incident.io incidents, investigation, on-call and paging ({mode}).",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    for spec in TOOLS:
        if read_only and spec.writes:
            continue
        server.add_tool(
            bind(box, spec, read_only=read_only),
            name=spec.name,
            title=spec.title,
            description=description_of(spec, read_only=read_only),
            annotations=ToolAnnotations(
                title=spec.title,
                read_only_hint=not spec.writes and not (spec.write_actions and not read_only),
                destructive_hint=False,
                idempotent_hint=True,
                open_world_hint=True,
            ),
            structured_output=False,
        )
    return server


def bind(box: Toolbox, spec: ToolSpec, *, read_only: bool) -> Callable[..., Any]:
    """The tool as the server calls it: the agent's arguments in, a compact JSON result out."""
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import CallToolResult, TextContent

    def call(**arguments: Any) -> CallToolResult:
        try:
            result = spec.function(box, **arguments)
        except Exception as error:
            message = actionable(error)
            if message is None:
                raise
            raise ToolError(message) from error
        text = json.dumps(result, separators=(",", ":"), ensure_ascii=False, default=str)
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=result)

    call.__name__ = spec.name
    call.__doc__ = spec.function.__doc__
    call.__signature__ = signature_for(spec, read_only=read_only).replace(  # type: ignore[attr-defined]
        return_annotation=CallToolResult
    )
    return call


def actionable(error: Exception) -> str | None:
    """What to tell the agent about a failure it can do something about; None for a bug."""
    from incidentkit.api import IncidentIOError, NotFoundError, ReadOnlyError
    from incidentkit.investigation.errors import InvestigationError

    if isinstance(error, ToolInputError | SummaryConflictError):
        return str(error)
    if isinstance(error, ReadOnlyError):
        return f"{error} (this server is read-only: nothing was changed)"
    if isinstance(error, NotFoundError):
        return f"{error} (check the incident_id or name you gave; list_recent_incidents finds incidents)"
    if isinstance(error, IncidentIOError | InvestigationError):
        return str(error)
    return None


def streamable_http_app(server: MCPServer, *, host: str) -> Starlette:
    """The server as an ASGI app answering MCP's streamable HTTP at ``/mcp``.

    Bound to a loopback host, it accepts only requests addressed to loopback (DNS rebinding
    protection): a web page cannot reach it through a name that resolves to this machine.
    """
    return server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)


async def serve_stdio(server: MCPServer) -> None:
    """Serve over stdin and stdout until the client closes them."""
    await server.run_stdio_async()
