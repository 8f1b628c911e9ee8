"""A directory of workflow files, reloaded when the files change.

Each file is loaded on its own: a file that stops loading keeps its last good version running and
its problems are reported (logged, and listed by :attr:`WorkflowDirectory.problems`) until it is
fixed. A deleted file's workflow stops. Changes are found by polling modification times and sizes,
whenever :meth:`WorkflowDirectory.reload_if_changed` is called (the worker calls it every round).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from incidentkit.workflows.errors import Problem
from incidentkit.workflows.loader import WORKFLOW_SUFFIXES, Workflow, check_files

logger = logging.getLogger("incidentkit.workflows.directory")


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[int, int]
    workflow: Workflow | None
    problems: tuple[Problem, ...]


class WorkflowDirectory:
    """The workflows in one directory (not its sub-directories), kept up to date.

    Args:
        path: the directory; a missing directory holds no workflows (and says so in ``problems``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._files: dict[Path, _Loaded] = {}
        self._last_good: dict[Path, Workflow] = {}
        self._lock = threading.Lock()
        self.reload_if_changed()

    def workflows(self) -> list[Workflow]:
        """The workflows running now (a broken file's last good version included), by name."""
        found: dict[str, Workflow] = {}
        with self._lock:
            for file in sorted(self._last_good):  # the first file of a name wins (see ``problems``)
                found.setdefault(self._last_good[file].name, self._last_good[file])
        return [found[name] for name in sorted(found)]

    @property
    def problems(self) -> list[Problem]:
        """The problems of files that do not load now."""
        with self._lock:
            problems = [p for loaded in self._files.values() for p in loaded.problems]
            first: dict[str, Path] = {}
            for file in sorted(self._last_good):
                name = self._last_good[file].name
                if name in first:
                    message = f"workflow name '{name}' is also used by {first[name]}; this file is ignored"
                    problems.append(Problem(str(file), 0, 0, None, message))
                first.setdefault(name, file)
        if not self.path.is_dir():
            problems.insert(0, Problem(str(self.path), 0, 0, None, "no such directory"))
        return problems

    def reload_if_changed(self) -> bool:
        """Load new and changed files, forget deleted ones; returns whether anything changed."""
        current: dict[Path, tuple[int, int]] = {}
        if self.path.is_dir():
            for file in self.path.iterdir():
                if file.suffix in WORKFLOW_SUFFIXES and file.is_file():
                    stat = file.stat()
                    current[file] = (stat.st_mtime_ns, stat.st_size)
        changed = False
        with self._lock:
            for gone in set(self._files) - set(current):
                del self._files[gone]
                self._last_good.pop(gone, None)
                logger.info("Workflow file %s removed", gone)
                changed = True
            for file, stamp in sorted(current.items()):
                known = self._files.get(file)
                if known is not None and known.stamp == stamp:
                    continue
                changed = True
                loaded, problems = check_files([file])
                workflow = loaded[0] if loaded else None
                self._files[file] = _Loaded(stamp, workflow, tuple(problems))
                if workflow is not None:
                    self._last_good[file] = workflow
                    logger.info(
                        "Workflow %s loaded from %s (version %s)", workflow.name, file, workflow.version
                    )
                else:
                    kept = self._last_good.get(file)
                    still = f"; version {kept.version} keeps running" if kept else ""
                    for problem in problems:
                        logger.error("Workflow file %s does not load%s: %s", file, still, problem)
        return changed
