"""The tools the MCP server offers, which of them write, and how each is bound to a toolbox.

A write tool changes something in incident.io (an update, a timeline item, a page) or asks a person
for something (an approval); ``--read-only``, and a key without any write role, leave every one of
them out, and take ``append_summary`` out of ``incident_io_incidents``'s actions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from incidentkit.agent_tools import analysis_tools, approvals, incident_tools, paging_tools

Tool = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class ToolSpec:
    """One tool.

    Attributes:
        function: the tool; its first parameter is the toolbox, the others are the agent's.
        title: a short human title.
        writes: whether it changes anything (left out when read-only).
        write_actions: for a tool with an ``action`` argument, the actions that write (dropped from
            its choices when read-only).
    """

    function: Tool
    title: str
    writes: bool = False
    write_actions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The tool's name, its function's."""
        return self.function.__name__


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        incident_tools.incident_io_incidents, "incident.io incidents", write_actions=("append_summary",)
    ),
    ToolSpec(incident_tools.get_incident_details, "Incident details"),
    ToolSpec(incident_tools.list_recent_incidents, "Recent incidents"),
    ToolSpec(analysis_tools.correlate_incidents, "Similar past incidents"),
    ToolSpec(analysis_tools.recent_changes, "Changes before an incident"),
    ToolSpec(analysis_tools.investigate, "Investigate an incident"),
    ToolSpec(paging_tools.who_is_on_call, "Who is on call"),
    ToolSpec(incident_tools.list_follow_ups, "Follow-ups"),
    ToolSpec(approvals.approval_status, "Approval status"),
    ToolSpec(incident_tools.post_update, "Post an incident update", writes=True),
    ToolSpec(incident_tools.add_timeline_item, "Add a timeline item", writes=True),
    ToolSpec(incident_tools.create_follow_up, "Create a follow-up", writes=True),
    ToolSpec(paging_tools.page, "Page people", writes=True),
    ToolSpec(approvals.request_approval, "Ask a person for approval", writes=True),
)


def tool_names(*, read_only: bool) -> list[str]:
    """The names of the tools offered, in order."""
    return [spec.name for spec in TOOLS if not (read_only and spec.writes)]


def signature_for(spec: ToolSpec, *, read_only: bool) -> inspect.Signature:
    """The agent's side of a tool's signature: without the toolbox, without write actions when read-only."""
    full = inspect.signature(spec.function, eval_str=True)
    parameters = list(full.parameters.values())[1:]
    if read_only and spec.write_actions:
        parameters = [
            _without_actions(p, spec.write_actions) if p.name == "action" else p for p in parameters
        ]
    return full.replace(parameters=parameters)


def _without_actions(parameter: inspect.Parameter, dropped: tuple[str, ...]) -> inspect.Parameter:
    annotation = parameter.annotation
    metadata: tuple[Any, ...] = ()
    if get_origin(annotation) is Annotated:
        annotation, *rest = get_args(annotation)
        metadata = tuple(rest)
    kept = tuple(value for value in get_args(annotation) if value not in dropped)
    narrowed: Any = Literal[kept]
    if metadata:
        narrowed = Annotated[(narrowed, *metadata)]
    return parameter.replace(annotation=narrowed)


def description_of(spec: ToolSpec, *, read_only: bool) -> str:
    """The tool's description for the model: its docstring, and what read-only takes away."""
    text = inspect.cleandoc(spec.function.__doc__ or spec.title)
    if read_only and spec.write_actions:
        text += (
            f"\n\nThis server is read-only: the actions {', '.join(spec.write_actions)} are not available."
        )
    return text
