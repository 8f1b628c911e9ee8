"""Shared helpers for the benchmarks: run a command several times and report the median."""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare_bytecode() -> None:
    """Compile the project once, as an installed package would be, so no run pays for compiling."""
    compileall.compile_dir(ROOT / "src", quiet=1)


def environment() -> dict[str, str]:
    """The environment for timed child processes: bytecode caches allowed."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_command(argv: list[str], runs: int = 7, env: dict[str, str] | None = None) -> float:
    """Median wall time of a command in seconds, after one warm-up run."""
    env = env or environment()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def python() -> str:
    """The interpreter running the benchmark (the project's virtual environment)."""
    return sys.executable
