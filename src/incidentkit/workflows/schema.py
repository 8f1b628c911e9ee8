"""The workflow file format as pydantic models, and the JSON Schema generated from them.

A workflow is a trigger and a list of steps. ``condition``, ``approval``, ``wait`` and ``log``
are steps the engine itself runs (their fields are checked here); every other ``type`` names a
node from the step registry (``incidentkit.workflows.step_types``), whose inputs are checked by the
loader. A file may also hold only steps (a list, or one step): it loads as a workflow with a
``manual`` trigger, so snippets can be validated and run by hand.

``python -m incidentkit.workflows.schema --write`` regenerates ``workflow.schema.json``.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    WithJsonSchema,
    model_validator,
)

from incidentkit.store.states import RunMode
from incidentkit.timeutil import DURATION_PATTERN, parse_duration

ENGINE_STEP_TYPES = ("condition", "approval", "wait", "log")
"""Step types run by the engine rather than by a node."""

INCIDENT_TRIGGERS = (
    "trigger.incident_io.incident.created",
    "trigger.incident_io.incident.updated",
    "trigger.incident_io.incident.resolved",
)
"""The normalised incident triggers."""

SCHEMA_FILE = Path(__file__).with_name("workflow.schema.json")

_STEP_ID = r"^[A-Za-z_][A-Za-z0-9_-]*$"
_EVENT_PATTERN = re.compile(r"^[a-z*][a-z0-9_*]*(\.[a-z0-9_*]+)+$")


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": DURATION_PATTERN}, {"type": "number", "minimum": 0}],
            "description": "A duration: 30s, 5m, 1h30m, 2d, 2w, or a number of seconds.",
        }
    ),
]
StepId = Annotated[str, Field(pattern=_STEP_ID, description="A step id: letters, digits, _ and -.")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


# --- triggers -------------------------------------------------------------------------------------


class ManualInput(_Model):
    """One input of a ``manual`` trigger, given as ``--input name=value``."""

    type: Literal["string", "number", "integer", "boolean"] = "string"
    required: bool = True
    default: Any = None
    description: str = ""


def _input_shorthand(value: Any) -> Any:
    """``name: string`` is short for ``name: {type: string}``."""
    return {"type": value} if isinstance(value, str) else value


ManualInputSpec = Annotated[ManualInput, BeforeValidator(_input_shorthand)]


_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_CRON_NAMES = ("minute", "hour", "day of month", "month", "day of week")


def check_cron(expression: str) -> str:
    """Check a five-field cron expression (numbers, ``*``, ranges, lists and ``/`` steps).

    Raises:
        ValueError: which field is wrong and its allowed range.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron needs 5 fields (minute hour day month weekday), got {len(fields)}")
    for text, (low, high), name in zip(fields, _CRON_RANGES, _CRON_NAMES, strict=True):
        for item in text.split(","):
            base, _, step = item.partition("/")
            if step and not (step.isdigit() and int(step) > 0):
                raise ValueError(f"cron {name} step {step!r} must be a positive number")
            if base == "*":
                continue
            bounds = base.split("-")
            if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
                raise ValueError(f"cron {name} field {item!r} is not a number, range or *")
            if not all(low <= int(b) <= high for b in bounds):
                raise ValueError(f"cron {name} {item!r} is outside {low}-{high}")
    return expression


class Trigger(_Model):
    """What starts a run: an incident trigger, a raw event type or glob, ``schedule`` or ``manual``."""

    type: str = Field(
        description=(
            "trigger.incident_io.incident.created|updated|resolved, an incident.io event type or glob "
            "(public_incident.*), schedule, or manual"
        )
    )
    filter: str | None = Field(None, description="A condition that must be true for the run to start.")
    cron: str | None = Field(None, description="For schedule: a five-field cron expression.")
    inputs: dict[str, ManualInputSpec] | None = Field(None, description="For manual: the inputs, with types.")

    @model_validator(mode="after")
    def _check_kind(self) -> Trigger:
        kind = self.type
        if kind == "schedule":
            if not self.cron:
                raise ValueError("a schedule trigger needs cron: (for example '*/5 * * * *')")
            check_cron(self.cron)
        elif self.cron is not None:
            raise ValueError("cron: only applies to a schedule trigger")
        if self.inputs is not None and kind != "manual":
            raise ValueError("inputs: only apply to a manual trigger")
        if kind in ("schedule", "manual") or kind in INCIDENT_TRIGGERS:
            return self
        if kind.startswith("trigger."):
            raise ValueError(f"unknown trigger {kind!r}: expected one of {', '.join(INCIDENT_TRIGGERS)}")
        if not _EVENT_PATTERN.match(kind):
            raise ValueError(
                f"unknown trigger {kind!r}: expected {', '.join(INCIDENT_TRIGGERS)}, schedule, manual, "
                "or an incident.io event type such as public_incident.incident_created_v2 (globs allowed)"
            )
        return self


# --- steps ----------------------------------------------------------------------------------------


class StepRetry(_Model):
    """How a failed step is retried: Temporal's fields and defaults."""

    maximum_attempts: int = Field(5, ge=1, description="Attempts in all, including the first.")
    initial_interval: Duration = Field(timedelta(seconds=1), description="Wait before the second attempt.")
    backoff_coefficient: float = Field(2.0, ge=1.0, description="Each wait is the last times this.")
    maximum_interval: Duration | None = Field(None, description="Cap on one wait (default 100x initial).")

    def delay(self, failed_attempts: int) -> timedelta:
        """The wait after ``failed_attempts`` failures (1 for the first failure)."""
        cap = self.maximum_interval or self.initial_interval * 100
        seconds = self.initial_interval.total_seconds() * self.backoff_coefficient ** (failed_attempts - 1)
        return min(timedelta(seconds=seconds), cap)


class Concurrency(_Model):
    """Runs with the same rendered ``key`` are serialised; ``mode`` says how.

    Only a workflow has it: it orders whole runs (a step cannot hold a key across runs), so a
    step's ``concurrency`` is a load error pointing to the workflow level.
    """

    key: str = Field(description="A template, e.g. '{{ $trigger.incident_io.incident_id }}'.")
    mode: RunMode = RunMode.QUEUE


OnError = Annotated[
    str,
    Field(
        pattern=r"^(fail|continue|goto:\s*[A-Za-z_][A-Za-z0-9_-]*)$",
        description="fail (the default), continue, or goto:<step id>.",
    ),
]


class StepBase(_Model):
    """Fields every step has."""

    id: StepId
    type: str
    if_: str | None = Field(None, alias="if", description="A condition; the step is skipped unless true.")
    retry: StepRetry | None = None
    timeout: Duration | None = Field(None, description="How long one attempt may take.")
    on_error: OnError = "fail"
    foreach: str | None = Field(None, description="A list expression; the step runs once per item.")

    @property
    def goto_target(self) -> str | None:
        """The step ``on_error: goto:<step>`` names, if any."""
        if self.on_error.startswith("goto:"):
            return self.on_error.removeprefix("goto:").strip()
        return None


def _not_an_engine_type(schema: dict[str, Any]) -> None:
    """In the JSON Schema, a node step's ``type`` is anything but an engine step type."""
    schema["properties"]["type"]["not"] = {"enum": list(ENGINE_STEP_TYPES)}


class NodeStep(StepBase):
    """A step run by a node from the registry (``incident_io.*``, ``slack.post``, ``http.request``...)."""

    model_config = ConfigDict(json_schema_extra=_not_an_engine_type)

    inputs: dict[str, Any] = Field(default_factory=dict, description="The node's inputs; templates allowed.")


class Case(_Model):
    """One branch of a ``condition`` with ``cases``: the steps to run when the value equals ``value``."""

    value: Any
    steps: list[StepId]


class DefaultCase(_Model):
    """The branch taken when no case matched."""

    default: list[StepId]


def _case_kind(value: Any) -> str:
    """A case with a ``default`` key is the default branch."""
    if isinstance(value, DefaultCase) or (isinstance(value, dict) and "default" in value):
        return "default"
    return "case"


CaseSpec = Annotated[
    Annotated[Case, Tag("case")] | Annotated[DefaultCase, Tag("default")], Discriminator(_case_kind)
]


class ConditionStep(StepBase):
    """Evaluates ``condition`` and routes: ``onTrue``/``onFalse``, or ``cases`` with a ``default``."""

    type: Literal["condition"]
    condition: str = Field(description="An expression: '{{ ... }}' or bare CEL.")
    on_true: list[StepId] | None = Field(None, alias="onTrue")
    on_false: list[StepId] | None = Field(None, alias="onFalse")
    cases: list[CaseSpec] | None = None

    @model_validator(mode="after")
    def _check_routes(self) -> ConditionStep:
        boolean = self.on_true is not None or self.on_false is not None
        if boolean and self.cases is not None:
            raise ValueError("use either onTrue/onFalse or cases, not both")
        if not boolean and self.cases is None:
            raise ValueError("a condition needs onTrue/onFalse or cases to route")
        if self.cases is not None:
            defaults = [i for i, case in enumerate(self.cases) if isinstance(case, DefaultCase)]
            if len(defaults) > 1:
                raise ValueError("only one default case is allowed")
            if defaults and defaults[0] != len(self.cases) - 1:
                raise ValueError("the default case must be the last one")
        return self

    def branches(self) -> list[list[str]]:
        """Every list of step ids this condition can select."""
        if self.cases is not None:
            return [case.steps if isinstance(case, Case) else case.default for case in self.cases]
        return [self.on_true or [], self.on_false or []]

    def routed_steps(self) -> list[str]:
        """Each step id any branch names, once, in the order first named."""
        return list(dict.fromkeys(step for branch in self.branches() for step in branch))


class Approvers(_Model):
    """Who may decide an approval; both empty means anyone with the approve permission."""

    users: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)


def _approvers_shorthand(value: Any) -> Any:
    """``approvers: [alice, bob]`` is short for ``approvers: {users: [alice, bob]}``."""
    return {"users": value} if isinstance(value, list) else value


class ApprovalStep(StepBase):
    """Parks the run until a person approves or rejects, or ``timeout`` passes."""

    type: Literal["approval"]
    prompt: str = Field("Approve this step?", description="What the approver is asked; templates allowed.")
    approvers: Annotated[Approvers, BeforeValidator(_approvers_shorthand)] = Field(default_factory=Approvers)
    on_timeout: Literal["reject", "approve", "fail"] = "reject"
    channel: str | None = Field(None, description="Where to announce the request; templates allowed.")


class WaitStep(StepBase):
    """A durable sleep: for ``duration``, or ``until`` a time (an expression giving a timestamp)."""

    type: Literal["wait"]
    duration: Duration | None = None
    until: str | None = Field(None, description="A template giving an RFC 3339 time.")

    @model_validator(mode="after")
    def _check_one(self) -> WaitStep:
        if (self.duration is None) == (self.until is None):
            raise ValueError("a wait step needs exactly one of duration: or until:")
        return self


class LogStep(StepBase):
    """Writes a line to the run log."""

    type: Literal["log"]
    message: str = Field(description="The line; templates allowed.")
    level: Literal["debug", "info", "warning", "error"] = "info"


ENGINE_STEP_MODELS: dict[str, type[StepBase]] = {
    "condition": ConditionStep,
    "approval": ApprovalStep,
    "wait": WaitStep,
    "log": LogStep,
}

Step = ConditionStep | ApprovalStep | WaitStep | LogStep | NodeStep


class WorkflowSpec(_Model):
    """A whole workflow file."""

    model_config = ConfigDict(title="Workflow")

    name: str | None = Field(None, description="Defaults to the file name without extension.")
    description: str = ""
    enabled: bool = True
    trigger: Trigger
    vars: dict[str, Any] = Field(default_factory=dict, description="Constants, visible as $vars.")
    concurrency: Concurrency | None = None
    steps: list[Step] = Field(min_length=1)

    def step(self, step_id: str) -> Step:
        """The step with this id.

        Raises:
            KeyError: no such step.
        """
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a workflow file: a workflow, a list of steps, or one step."""
    adapter: TypeAdapter[Any] = TypeAdapter(WorkflowSpec | list[Step] | Step)
    schema = adapter.json_schema(ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "incidentkit workflow",
        "description": (
            "A workflow (trigger + steps), or only steps (a list or a single step), which load with a "
            "manual trigger."
        ),
        **schema,
    }


def render_json_schema() -> str:
    """The schema file's text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """``--write`` regenerates the shipped schema; without it, print the schema."""
    if argv == ["--write"]:
        SCHEMA_FILE.write_text(render_json_schema())
    else:
        sys.stdout.write(render_json_schema())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
