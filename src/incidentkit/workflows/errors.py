"""The workflow area's exceptions: one root, and a load error that carries every problem found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from incidentkit.errors import IncidentKitError


class WorkflowError(IncidentKitError):
    """Root of every error raised by ``incidentkit.workflows``."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workflow file, and where it is.

    Attributes:
        file: The file as it was named to the loader.
        line: 1-based line, or 0 when the problem has no single place (an unreadable file).
        column: 1-based column, or 0 when unknown.
        step_id: The step the problem is in, when it is in one.
        message: What is wrong and what was expected.
    """

    file: str
    line: int
    column: int
    step_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        step = f" step '{self.step_id}':" if self.step_id else ""
        return f"{where}:{step} {self.message}"


class WorkflowLoadError(WorkflowError, ValueError):
    """A workflow file could not be loaded; ``problems`` lists everything wrong with it, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column))
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in workflow files:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class ExpressionError(WorkflowError, ValueError):
    """An expression could not be compiled or evaluated; ``column`` is 1-based within the text."""

    def __init__(self, message: str, *, source: str, column: int = 0) -> None:
        self.source = source
        self.column = column
        super().__init__(message)


class MissingFieldError(ExpressionError):
    """An expression read a field the data does not have (false in a condition, an error elsewhere)."""
