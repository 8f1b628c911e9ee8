"""Agent tools: incident.io, the investigation and on-call as MCP tools (``incidentkit mcp``).

The tools (:mod:`~incidentkit.agent_tools.registry`) are plain functions over a
:class:`~incidentkit.agent_tools.toolbox.Toolbox`; :mod:`~incidentkit.agent_tools.server` serves
them with the official ``mcp`` package over stdio or streamable HTTP. Nothing here imports ``mcp``
until a server is built.
"""

from incidentkit.agent_tools.registry import TOOLS, ToolSpec, tool_names
from incidentkit.agent_tools.toolbox import Toolbox

__all__ = ["TOOLS", "ToolSpec", "Toolbox", "tool_names"]
