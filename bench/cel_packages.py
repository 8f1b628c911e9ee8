"""The two CEL packages on PyPI, measured in the same run: import, compile and one evaluation.

``common-expression-language`` (module ``cel``, a Rust extension) against ``cel-python``
(module ``celpy``, pure Python). The workflow engine compiles every expression when a workflow
loads and evaluates conditions for every event, so compile and evaluation cost both matter;
import time is paid once per process. A package that is not installed is skipped with a note.

Run with ``.venv/bin/python bench/cel_packages.py`` (``make bench`` runs every script).
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Callable
from typing import Any

from _timing import prepare_bytecode, python, time_command

CONDITION = "trigger.incident_io.severity == 'SEV-1'"
TEMPLATE = "'SEV-1 Incident: ' + trigger.incident_io.title"
CONTEXT: dict[str, Any] = {
    "trigger": {
        "incident_io": {
            "incident_id": "01HZ0000000000000000000001",
            "severity": "SEV-1",
            "title": "Checkout is down {{ 7*7 }}",
            "status": "Investigating",
        }
    }
}


def per_call(function: Callable[[], object], repeat: int = 5, number: int = 2000) -> float:
    """Median seconds for one call of ``function`` over several batches."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            function()
        samples.append((time.perf_counter() - started) / number)
    return statistics.median(samples)


def measure_rust() -> dict[str, float] | None:
    """common-expression-language: ``cel.compile`` then ``Program.execute`` with a plain dict."""
    if importlib.util.find_spec("cel") is None:
        return None
    import cel

    program = cel.compile(CONDITION)
    assert program.execute(CONTEXT) is True
    return {
        "import": time_command([python(), "-c", "import cel"], runs=5),
        "compile": per_call(lambda: cel.compile(CONDITION), number=500),
        "evaluate": per_call(lambda: program.execute(CONTEXT)),
        "evaluate (text)": per_call(lambda: cel.compile(TEMPLATE).execute(CONTEXT), number=500),
    }


def measure_python() -> dict[str, float] | None:
    """cel-python: ``Environment.compile`` + ``program``, data converted with ``json_to_cel``."""
    if importlib.util.find_spec("celpy") is None:
        return None
    import celpy

    environment = celpy.Environment()
    program = environment.program(environment.compile(CONDITION))
    activation = {name: celpy.json_to_cel(value) for name, value in CONTEXT.items()}
    assert bool(program.evaluate(activation)) is True

    def evaluate_with_conversion() -> object:
        return program.evaluate({name: celpy.json_to_cel(value) for name, value in CONTEXT.items()})

    def compile_and_run_template() -> object:
        return environment.program(environment.compile(TEMPLATE)).evaluate(activation)

    return {
        "import": time_command([python(), "-c", "import celpy"], runs=5),
        "compile": per_call(lambda: environment.program(environment.compile(CONDITION)), number=50),
        "evaluate": per_call(evaluate_with_conversion, number=500),
        "evaluate (text)": per_call(compile_and_run_template, number=50),
    }


def main() -> None:
    prepare_bytecode()
    baseline = time_command([python(), "-c", "pass"], runs=5)
    results = {
        "common-expression-language": measure_rust(),
        "cel-python": measure_python(),
    }
    print(f"condition: {CONDITION}")
    print(f"python start-up alone: {baseline * 1000:8.1f} ms")
    for name, figures in results.items():
        if figures is None:
            print(f"{name}: not installed, skipped (pip install {name})")
            continue
        print(f"{name}:")
        print(f"  import (whole process)   {figures['import'] * 1000:10.1f} ms")
        print(f"  compile one condition    {figures['compile'] * 1e6:10.1f} µs")
        print(f"  evaluate it once         {figures['evaluate'] * 1e6:10.1f} µs")
        print(f"  compile + evaluate text  {figures['evaluate (text)'] * 1e6:10.1f} µs")
    rust, pure = results["common-expression-language"], results["cel-python"]
    if rust and pure:
        print("ratio (cel-python / common-expression-language):")
        for key in ("compile", "evaluate", "evaluate (text)"):
            print(f"  {key:24} {pure[key] / rust[key]:10.1f}x")
        extra_rust, extra_pure = rust["import"] - baseline, pure["import"] - baseline
        print(f"  {'import (less start-up)':24} {extra_pure / extra_rust:10.2f}x")


if __name__ == "__main__":
    main()
