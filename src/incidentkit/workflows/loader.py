"""Loading workflow files: read, parse (YAML with positions), check, and make a :class:`Workflow`.

Every problem in a file is reported at once, each with its file, line, column and step id, so
one ``workflows validate`` run shows everything to fix. A file holding only steps (a list, or a
single step) loads as a workflow with a ``manual`` trigger. The checks themselves (steps,
references, inputs, expressions) are in :mod:`incidentkit.workflows.checks`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import pydantic

from incidentkit.workflows.checks import (
    Checker,
    check_header_expressions,
    check_references,
    check_standalone,
    check_step_expressions,
    check_steps,
)
from incidentkit.workflows.errors import Problem, WorkflowLoadError
from incidentkit.workflows.schema import NodeStep, WorkflowSpec
from incidentkit.workflows.yamlsource import parse

WORKFLOW_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Workflow:
    """A loaded, checked workflow.

    Attributes:
        name: ``name:`` from the file, else the file name without its extension.
        spec: The validated document.
        version: Hash of the parsed content: formatting and comments do not change it.
        file: The file it came from.
        steps_only: True when the file held only steps (it then has a manual trigger).
    """

    name: str
    spec: WorkflowSpec
    version: str
    file: str
    steps_only: bool = False


def load_text(text: str, file: str = "<workflow>") -> Workflow:
    """Load a workflow from YAML text.

    Raises:
        WorkflowLoadError: with every problem found.
    """
    workflow, problems = _load(text, file)
    if problems or workflow is None:
        raise WorkflowLoadError(problems)
    return workflow


def load_file(path: str | FilePath) -> Workflow:
    """Load one workflow file.

    Raises:
        WorkflowLoadError: with every problem found (an unreadable file is one problem).
    """
    workflows, problems = check_files([path])
    if problems:
        raise WorkflowLoadError(problems)
    return workflows[0]


def load_directory(directory: str | FilePath) -> list[Workflow]:
    """Load every ``*.yaml`` and ``*.yml`` file in a directory (not its sub-directories), by name.

    Raises:
        WorkflowLoadError: with every problem in every file, or a missing directory; also when
            two files declare the same workflow name.
    """
    folder = FilePath(directory)
    if not folder.is_dir():
        raise WorkflowLoadError([Problem(str(folder), 0, 0, None, "no such directory")])
    files = sorted(p for p in folder.iterdir() if p.suffix in WORKFLOW_SUFFIXES and p.is_file())
    workflows, problems = check_files(files)
    seen: dict[str, Workflow] = {}
    for workflow in workflows:
        if workflow.name in seen:
            problems.append(
                Problem(
                    workflow.file,
                    0,
                    0,
                    None,
                    f"workflow name '{workflow.name}' is also used by {seen[workflow.name].file}",
                )
            )
        seen.setdefault(workflow.name, workflow)
    if problems:
        raise WorkflowLoadError(problems)
    return workflows


def check_files(paths: Iterable[str | FilePath]) -> tuple[list[Workflow], list[Problem]]:
    """Load each file; return the workflows that loaded and every problem of those that did not."""
    workflows: list[Workflow] = []
    problems: list[Problem] = []
    for path in paths:
        name = str(path)
        try:
            text = FilePath(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            problems.append(Problem(name, 0, 0, None, f"cannot read the file: {reason}"))
            continue
        workflow, found = _load(text, name)
        problems += found
        if workflow is not None and not found:
            workflows.append(workflow)
    return workflows, problems


def workflow_version(spec: WorkflowSpec) -> str:
    """The hash of a workflow's parsed content (canonical JSON), as 16 hex digits."""
    canonical = json.dumps(spec.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _load(text: str, file: str) -> tuple[Workflow | None, list[Problem]]:
    source = parse(text)
    data = source.data
    layout = "workflow"
    if isinstance(data, list):
        data, layout = {"trigger": {"type": "manual"}, "steps": data}, "list"
    elif isinstance(data, dict) and ("type" in data or "id" in data) and not {"steps", "trigger"} & set(data):
        data, layout = {"trigger": {"type": "manual"}, "steps": [data]}, "step"
    checker = Checker(source, file, layout)
    for position, message in source.problems:
        checker.problems.append(Problem(file, position.line, position.column, None, message))
    if source.problems and data is None:
        return None, checker.problems
    if not isinstance(data, dict):
        checker.add((), "expected a workflow (a mapping with trigger: and steps:), a list of steps or a step")
        return None, checker.problems
    numbered = check_steps(checker, data.get("steps"))
    steps = [step for _, step in numbered] if numbered is not None and len(numbered) == _count(data) else None
    header = {key: value for key, value in data.items() if key != "steps"}
    spec: WorkflowSpec | None = None
    try:
        # The steps were checked one by one above; a stand-in keeps their problems from being
        # reported a second time while the rest of the document is checked.
        spec = WorkflowSpec.model_validate({**header, "steps": steps or [NodeStep(id="_", type="_")]})
    except pydantic.ValidationError as error:
        checker.add_validation((), {**header, "steps": data.get("steps")}, error, None)
    check_header_expressions(checker, data)
    check_step_expressions(checker, numbered or [])
    if steps is not None:
        check_references(checker, steps)
    elif numbered:
        check_standalone(checker, data.get("steps"), numbered)
    if spec is None or steps is None or checker.problems:
        return None, checker.problems
    spec = spec.model_copy(update={"steps": steps})
    name = spec.name or FilePath(file).stem
    return Workflow(name, spec, workflow_version(spec), file, layout != "workflow"), []


def _count(data: dict[str, Any]) -> int:
    steps = data.get("steps")
    return len(steps) if isinstance(steps, list) else -1
