"""The checks of one workflow file: each step against its type, references and routes, inputs, expressions.

A :class:`Checker` collects the problems of one file, each placed at its line and column through
the YAML positions (steps-only files included), so the loader reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic

from incidentkit.workflows import step_types
from incidentkit.workflows.errors import ExpressionError, Problem
from incidentkit.workflows.expressions import compile_condition, compile_template, is_template
from incidentkit.workflows.schema import (
    ENGINE_STEP_MODELS,
    ApprovalStep,
    Case,
    ConditionStep,
    LogStep,
    NodeStep,
    Step,
    WaitStep,
)
from incidentkit.workflows.yamlsource import Path, Source


class Checker:
    """Collects the problems of one file, each placed through the YAML positions."""

    def __init__(self, source: Source, file: str, layout: str) -> None:
        self.source = source
        self.file = file
        self.layout = layout  # "workflow", "list" (a list of steps) or "step" (one step)
        self.problems: list[Problem] = []

    def to_source(self, path: Path) -> Path:
        """A path in the workflow document → the path in the YAML (steps-only files differ)."""
        if self.layout == "workflow":
            return path
        if path[:1] != ("steps",) or len(path) < 2:
            return ()
        return path[1:] if self.layout == "list" else path[2:]

    def add(self, path: Path, message: str, step_id: str | None = None, *, key: bool = False) -> None:
        """Add a problem at ``path`` in the document (at its key with ``key``, else at its value)."""
        where = self.to_source(path)
        position = self.source.key_position(where) if key else self.source.value_position(where)
        self.problems.append(Problem(self.file, position.line, position.column, step_id, message))

    def add_expression(self, path: Path, text: str, error: ExpressionError, step_id: str | None) -> None:
        """Add an expression's error at its place inside the text at ``path``."""
        offset = max(error.column - 1, 0)
        before = text[:offset]
        line_text = text.split("\n")[before.count("\n")]
        column = offset - (before.rfind("\n") + 1)
        position = self.source.text_position(self.to_source(path), line_text, column)
        self.problems.append(Problem(self.file, position.line, position.column, step_id, str(error)))

    def add_validation(
        self, base: Path, data: Any, error: pydantic.ValidationError, step_id: str | None
    ) -> None:
        """Add each of a model's validation errors of ``data``, found at ``base``, as a problem."""
        for detail in error.errors(include_url=False):
            loc = _data_path(data, detail["loc"], keep_last=detail["type"] in ("missing", "extra_forbidden"))
            path = (*base, *loc)
            field = ".".join(str(part) for part in loc)
            if detail["type"] == "extra_forbidden" and _is_step_concurrency(base, loc):
                self.add(path, STEP_CONCURRENCY_MESSAGE, step_id, key=True)
            elif detail["type"] == "extra_forbidden":
                self.add(path, f"unknown field '{loc[-1]}'{_allowed_fields(data, loc)}", step_id, key=True)
            elif detail["type"] == "missing":
                self.add(path[:-1], f"missing field '{field}'", step_id, key=True)
            else:
                message = detail["msg"].removeprefix("Value error, ")
                prefix = f"field '{field}': " if field else ""
                got = (
                    f" (got {detail['input']!r})"
                    if field and not isinstance(detail["input"], dict | list)
                    else ""
                )
                self.add(path, f"{prefix}{message}{got}", step_id)


STEP_CONCURRENCY_MESSAGE = (
    "'concurrency' is not a step field: put 'concurrency: {key, mode}' at the workflow level"
    " (next to 'trigger:'), where it serialises whole runs with the same key"
)


def _is_step_concurrency(base: Path, loc: Path) -> bool:
    """True for an unknown ``concurrency`` field on a step (it belongs to the workflow)."""
    return base[:1] == ("steps",) and len(loc) == 1 and loc[0] == "concurrency"


def _data_path(data: Any, loc: tuple[Any, ...], *, keep_last: bool) -> Path:
    """Pydantic's error location with union tags and model names removed (they are not in the data)."""
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            path.append(part)
            current = current[part]
        elif last and keep_last:
            path.append(part)
    return tuple(path)


def _allowed_fields(data: Any, loc: Path) -> str:
    """``; expected one of: …`` for an unknown field of a step, when the step type is known."""
    if len(loc) != 1 or not isinstance(data, dict):
        return ""
    model = ENGINE_STEP_MODELS.get(str(data.get("type")), NodeStep)
    names = [info.alias or name for name, info in model.model_fields.items()]
    return f"; expected one of: {', '.join(names)}"


def check_steps(checker: Checker, raw: Any) -> list[tuple[int, Step]] | None:
    """Validate each step with the model for its type; return the valid ones with their index."""
    if raw is None:
        checker.add((), "missing field 'steps': a workflow needs a list of steps")
        return None
    if not isinstance(raw, list) or not raw:
        checker.add(("steps",), "field 'steps' must be a non-empty list of steps")
        return None
    steps: list[tuple[int, Step]] = []
    known = step_types.known_step_types()
    for index, item in enumerate(raw):
        path: Path = ("steps", index)
        if not isinstance(item, dict):
            checker.add(path, "a step must be a mapping with id: and type:")
            continue
        step_id = item.get("id") if isinstance(item.get("id"), str) else None
        step_type = item.get("type")
        if not isinstance(step_type, str):
            if step_type is None:
                checker.add(path, "missing field 'type'", step_id)
            else:
                checker.add((*path, "type"), f"field 'type' must be text, not {step_type!r}", step_id)
            continue
        if step_type not in known:
            checker.add(
                (*path, "type"), f"unknown step type '{step_type}'; known types: {', '.join(known)}", step_id
            )
            _check_raw_expressions(checker, path, item, step_id)
            continue
        model = ENGINE_STEP_MODELS.get(step_type, NodeStep)
        try:
            steps.append((index, model.model_validate(item)))  # type: ignore[arg-type]
        except pydantic.ValidationError as error:
            checker.add_validation(path, item, error, step_id)
            _check_raw_expressions(checker, path, item, step_id)
    return steps


def _check_raw_expressions(checker: Checker, path: Path, item: dict[str, Any], step_id: str | None) -> None:
    """Compile the expressions of a step that did not validate, so one run reports all of its problems."""
    in_loop = isinstance(item.get("foreach"), str)
    for key in ("if", "foreach", "condition"):
        if isinstance(item.get(key), str):
            _compile(
                checker,
                (*path, key),
                item[key],
                step_id,
                condition=True,
                foreach=in_loop and key != "foreach",
            )
    for text_path, text in _templates(item.get("inputs"), (*path, "inputs")):
        _compile(checker, text_path, text, step_id, condition=False, foreach=in_loop)


def check_references(checker: Checker, steps: list[Step]) -> None:
    """Unique ids, routing and goto targets that exist, one router per step, no cycles, node inputs."""
    index_of: dict[str, int] = {}
    for index, step in enumerate(steps):
        if step.id in index_of:
            first = checker.source.value_position(checker.to_source(("steps", index_of[step.id], "id")))
            checker.add(
                ("steps", index, "id"), f"duplicate step id '{step.id}' (first on line {first.line})", step.id
            )
        else:
            index_of[step.id] = index
    router_of: dict[str, str] = {}
    for index, step in enumerate(steps):
        if isinstance(step, ConditionStep):
            for path, target in _route_references(step, ("steps", index)):
                if target not in index_of:
                    checker.add(path, f"step '{target}' is not defined in this workflow", step.id)
                elif target == step.id:
                    checker.add(path, "a condition cannot route to itself", step.id)
                elif router_of.setdefault(target, step.id) != step.id:
                    checker.add(
                        path, f"step '{target}' is already routed by condition '{router_of[target]}'", step.id
                    )
        goto = step.goto_target
        if goto is not None:
            where: Path = ("steps", index, "on_error")
            if goto not in index_of:
                checker.add(where, f"on_error goes to step '{goto}', which is not defined", step.id)
            elif goto in router_of or _routed_later(steps, index, goto):
                checker.add(
                    where, f"on_error goto cannot go to '{goto}': a condition routes that step", step.id
                )
            elif index_of[goto] <= index:
                checker.add(
                    where, f"on_error goto must jump forward; '{goto}' is not after this step", step.id
                )
        if isinstance(step, NodeStep):
            _check_inputs(checker, step, ("steps", index))
        if step.foreach is not None and not isinstance(step, NodeStep | LogStep):
            checker.add(
                ("steps", index, "foreach"), f"foreach: is not supported on a {step.type} step", step.id
            )
    _check_route_cycles(checker, router_of, index_of)


def check_standalone(checker: Checker, raw: Any, numbered: list[tuple[int, Step]]) -> None:
    """With some steps invalid, the checks that need no other step: duplicate ids and node inputs.

    Routes and gotos name other steps, so they wait until every step is valid; these do not, and
    reporting them now saves a second run of ``workflows validate``.
    """
    first: dict[str, int] = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        step_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(step_id, str):
            continue
        if step_id in first:
            line = checker.source.value_position(checker.to_source(("steps", first[step_id], "id"))).line
            checker.add(
                ("steps", index, "id"), f"duplicate step id '{step_id}' (first on line {line})", step_id
            )
        else:
            first[step_id] = index
    for index, step in numbered:
        if isinstance(step, NodeStep):
            _check_inputs(checker, step, ("steps", index))


def _routed_later(steps: list[Step], after: int, step_id: str) -> bool:
    """Whether a condition after position ``after`` routes ``step_id`` (not yet seen by the check)."""
    return any(isinstance(step, ConditionStep) and step_id in step.routed_steps() for step in steps[after:])


def _route_references(step: ConditionStep, path: Path) -> Iterator[tuple[Path, str]]:
    if step.cases is not None:
        for case_index, case in enumerate(step.cases):
            key, targets = ("steps", case.steps) if isinstance(case, Case) else ("default", case.default)
            for target_index, target in enumerate(targets):
                yield (*path, "cases", case_index, key, target_index), target
        return
    for key, branch in (("onTrue", step.on_true), ("onFalse", step.on_false)):
        for target_index, target in enumerate(branch or []):
            yield (*path, key, target_index), target


def _check_route_cycles(checker: Checker, router_of: dict[str, str], index_of: dict[str, int]) -> None:
    """A condition must not be routed, directly or not, by a step it routes (it would never run)."""
    for step_id, router in router_of.items():
        seen = {step_id}
        current: str | None = router
        while current is not None and current not in seen:
            seen.add(current)
            current = router_of.get(current)
        if current == step_id:
            checker.add(("steps", index_of[step_id], "id"), f"step '{step_id}' is routed in a cycle", step_id)


def _check_inputs(checker: Checker, step: NodeStep, path: Path) -> None:
    """Input names against the node's model: YAML names (aliases) or the field names themselves."""
    fields = step_types.node_inputs(step.type)
    if fields is None:
        return
    documented = [info.alias or name for name, info in fields.items()]
    for name in step.inputs:
        if name not in documented and name not in fields:
            expected = ", ".join(documented) or "none"
            checker.add(
                (*path, "inputs", name),
                f"unknown input '{name}' for {step.type}; its inputs are: {expected}",
                step.id,
                key=True,
            )
    for name, info in fields.items():
        yaml_name = info.alias or name
        if info.is_required() and name not in step.inputs and yaml_name not in step.inputs:
            checker.add((*path, "inputs"), f"missing input '{yaml_name}' for {step.type}", step.id, key=True)


def _templates(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Every string holding ``{{`` inside a value, with its path."""
    if is_template(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _templates(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _templates(item, (*path, index))


def check_header_expressions(checker: Checker, data: dict[str, Any]) -> None:
    """Compile the trigger's filter and the run concurrency key, as written."""
    for section, key, condition in (("trigger", "filter", True), ("concurrency", "key", False)):
        part = data.get(section)
        if isinstance(part, dict) and isinstance(part.get(key), str):
            _compile(checker, (section, key), part[key], None, condition=condition, foreach=False)


def check_step_expressions(checker: Checker, steps: list[tuple[int, Step]]) -> None:
    """Compile every expression of the valid steps, so a syntax error is a load error with its place."""
    for index, step in steps:
        path: Path = ("steps", index)
        in_loop = step.foreach is not None
        conditions: list[tuple[str, str | None]] = [("if", step.if_), ("foreach", step.foreach)]
        texts: list[tuple[Path, str]] = []
        if isinstance(step, ConditionStep):
            conditions.append(("condition", step.condition))
        if isinstance(step, NodeStep):
            texts += list(_templates(step.inputs, (*path, "inputs")))
        if isinstance(step, ApprovalStep):
            texts += [((*path, k), v) for k, v in (("prompt", step.prompt), ("channel", step.channel)) if v]
        if isinstance(step, LogStep):
            texts.append(((*path, "message"), step.message))
        if isinstance(step, WaitStep) and step.until:
            texts.append(((*path, "until"), step.until))
        for key, text in conditions:
            if text is not None:
                _compile(
                    checker, (*path, key), text, step.id, condition=True, foreach=in_loop and key != "foreach"
                )
        for text_path, text in texts:
            _compile(checker, text_path, text, step.id, condition=False, foreach=in_loop)


def _compile(
    checker: Checker, path: Path, text: str, step_id: str | None, *, condition: bool, foreach: bool
) -> None:
    try:
        expressions = [compile_condition(text)] if condition else list(compile_template(text).expressions)
    except ExpressionError as error:
        checker.add_expression(path, text, error, step_id)
        return
    for expression in expressions:
        loop_names = expression.variables & {"item", "index"}
        if loop_names and not foreach:
            name = sorted(loop_names)[0]
            offset = text.find(f"${name}")
            checker.add_expression(
                path,
                text,
                ExpressionError(
                    f"${name} is only defined in a step with foreach:", source=text, column=offset + 1
                ),
                step_id,
            )
