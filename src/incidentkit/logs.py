"""Process logs of ``serve`` and ``worker``: each line with its time, and the run, workflow and step.

Code that works on a run says so once with :func:`log_context` (the engine does, around each
run and each step); every line logged inside the block, by any module, carries those fields. A
line may also name them itself with ``extra={"run_id": ..., "workflow": ..., "step": ...}``.
:func:`configure_logging` installs one handler on the root logger that writes either text

    2026-12-01T09:00:00.123Z INFO incidentkit.workflows.engine run=run_1 workflow=ack step=post: done

or one JSON object a line (``--log-format json``), with ``time``, ``level``, ``logger``,
``message`` and the context fields that are set.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
# The context fields, in the order they are printed.
FIELDS = ("run_id", "workflow", "step")
_TEXT_NAMES = {"run_id": "run", "workflow": "workflow", "step": "step"}

_CONTEXT: ContextVar[dict[str, str]] = ContextVar("incidentkit_log_context", default={})  # noqa: B039


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Within the block, this thread's (or task's) log lines carry ``fields`` (run_id, workflow, step).

    Fields given as None are left as they were; blocks nest, the inner one adding to the outer.
    """
    merged = {**_CONTEXT.get(), **{key: value for key, value in fields.items() if value is not None}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context fields on every record (a field given with ``extra=`` wins over the context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _CONTEXT.get()
        if getattr(record, "step", None) is None and getattr(record, "step_key", None) is not None:
            record.step = getattr(record, "step_key", None)  # the name the engine's step logger uses
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, context.get(name))
        return True


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TextFormatter(logging.Formatter):
    """``TIME LEVEL logger run=... workflow=... step=...: message``, the fields only where set."""

    def format(self, record: logging.LogRecord) -> str:
        fields = "".join(
            f" {_TEXT_NAMES[name]}={value}" for name in FIELDS if (value := getattr(record, name, None))
        )
        line = f"{_time(record)} {record.levelname} {record.name}{fields}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, the fields that are set."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "info", log_format: str = "text", stream: IO[str] | None = None) -> None:
    """Send every log line of the process to ``stream`` (stderr) in ``log_format``, from ``level`` up.

    Replaces the root logger's handlers, so calling it again changes the set-up rather than
    doubling every line. The HTTP library's one line per request stays quiet below warnings.

    Raises:
        ValueError: an unknown level or format.
    """
    if level.lower() not in LOG_LEVELS:
        raise ValueError(f"unknown log level {level!r}; choose one of {', '.join(LOG_LEVELS)}")
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r}; choose one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("httpx2").setLevel(logging.WARNING)
