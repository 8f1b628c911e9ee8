"""Fuzz the served emulator with schemathesis, driven by incident.io's own schema (``make fuzz``).

Serves ``incidentkit emulator serve`` on loopback (the ``demo`` seed, the sandbox key, no rate
limit), writes the schema the emulator ships to a temporary file and runs the ``schemathesis``
command given (from its own environment, ``.venv-fuzz``, so its dependencies never constrain the
project's) against every non-deprecated operation: hand-written and generic alike. A run fails
on a server error (5xx), a status code the operation does not declare, a wrong content type or
a response that breaks the schema. Time is bounded by the examples per operation and the phases.

Usage: python tests/fuzz/run_fuzz.py --schemathesis .venv-fuzz/bin/schemathesis [--examples 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"

# Operations left out, each because the schema (not the emulator) is at fault.
EXCLUDED_PATHS = [
    # The schema document itself: declared as an application/json *string* of format binary, so the
    # JSON document the API answers (an object) can never match. Its content is checked by
    # tests/emulator/test_generic.py instead.
    "/v1/openapiV3.json",
]


@contextmanager
def served_emulator() -> Iterator[str]:
    """``incidentkit emulator serve`` on a free loopback port; yields its URL and stops it on exit."""
    argv = [sys.executable, "-m", "incidentkit", "emulator", "serve", "--port", "0", "--seed", "demo",
            "--rate-limit", "0"]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            if "listening on" in line:
                url = line.split("listening on", 1)[1].strip()
                break
        if url is None:
            raise SystemExit("the emulator did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def schema_file(directory: Path) -> Path:
    """The schema the emulator serves and validates against, as a file for schemathesis."""
    from incidentkit.emulator.spec import spec

    path = directory / "openapi.json"
    path.write_text(json.dumps(spec()))
    return path


# Left out of the examples phase only: completing the schema's examples of these deeply nested
# bodies crashes schemathesis itself (Hypothesis fails describing a strategy: "AST constructor
# recursion depth mismatch"), a fault of the tool, not of the emulator; the fuzzing phase covers them.
EXAMPLES_CRASH_THE_TOOL = "^/v2/escalation_path(s|_templates)"

PHASES = [("examples", EXAMPLES_CRASH_THE_TOOL), ("fuzzing", None)]


def command(
    schemathesis: str, schema: Path, url: str, examples: int, seed: int, phase: str, skip: str | None
) -> list[str]:
    """The schemathesis command line for one bounded run of one phase."""
    from incidentkit.emulator import SANDBOX_API_KEY

    argv = [
        schemathesis, "run", str(schema), "--url", url,
        "--header", f"Authorization: Bearer {SANDBOX_API_KEY}",
        "--exclude-deprecated",
        # examples: the schema's own; fuzzing: generated, valid and invalid (--mode all).
        "--phases", phase, "--mode", "all",
        "--max-examples", str(examples), "--seed", str(seed), "--workers", "2", "--no-shrink",
        "--checks", CHECKS,
        # Generating the schema's large bodies trips Hypothesis's own health checks (data too
        # large, too slow): they are about the generator, not about the emulator's answers.
        "--suppress-health-check", "all",
    ]  # fmt: skip
    for path in EXCLUDED_PATHS:
        argv += ["--exclude-path", path]
    if skip is not None:
        argv += ["--exclude-path-regex", skip]
    return argv


def main() -> int:
    """Serve the emulator, fuzz it phase by phase, stop it; non-zero when any phase found a problem."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schemathesis", required=True, help="the schemathesis command to run")
    parser.add_argument("--examples", type=int, default=2, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=1, help="random seed, for a repeatable run")
    args = parser.parse_args()
    # A path given relative to here (make passes .venv-fuzz/bin/schemathesis) must survive the cwd below.
    runner = str(Path(args.schemathesis).resolve()) if os.sep in args.schemathesis else args.schemathesis
    status = 0
    with tempfile.TemporaryDirectory(prefix="incidentkit-fuzz-") as scratch, served_emulator() as url:
        schema = schema_file(Path(scratch))
        for phase, skip in PHASES:
            argv = command(runner, schema, url, args.examples, args.seed, phase, skip)
            # Run from the scratch directory, so schemathesis's reports and caches stay out of the tree.
            status = subprocess.run(argv, cwd=scratch, check=False).returncode or status
    return status


if __name__ == "__main__":
    raise SystemExit(main())
