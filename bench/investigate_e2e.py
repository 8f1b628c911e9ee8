"""`incidentkit investigate` end to end against the sandbox emulator: wall time of the whole command.

Sets up a sandbox in a temporary data directory, syncs its demo history into a temporary SQLite
store (`incidentkit sync --sandbox`), records three changes around INC-47's start (`incidentkit
changes record`), then times `incidentkit investigate INC-47 --sandbox --store ... --json` as a user
runs it (a new process each time: import, the sandbox emulator, the context, similar incidents,
changes, findings), and once with `--post` (the write-back). Prints the medians.

    python bench/investigate_e2e.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _timing import environment, prepare_bytecode, python, time_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the command (after a warm-up)")
    args = parser.parse_args()
    prepare_bytecode()
    with tempfile.TemporaryDirectory(prefix="investigate-bench-") as folder:
        root = Path(folder)
        env = {
            **environment(),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_CONFIG_HOME": str(root / "config"),
            "INCIDENTKIT_CONFIG": str(root / "absent.toml"),
        }
        store = f"sqlite:///{root / 'store.db'}"

        def cli(*argv: str) -> str:
            done = subprocess.run(
                [python(), "-m", "incidentkit", *argv], check=True, capture_output=True, text=True, env=env
            )
            return done.stdout

        started = time.perf_counter()
        cli("sync", "--sandbox", "--store", store)
        print(f"sync of the demo history: {time.perf_counter() - started:.2f} s")
        shown = json.loads(cli("incidents", "show", "INC-47", "--sandbox", "--json"))
        created = datetime.fromisoformat(shown["created_at"].replace("Z", "+00:00"))
        for service, version, minutes in (
            ("checkout-web", "v2.3.1", 12),
            ("payments", "v9.1", 40),
            ("search", "v7", 5),
        ):
            at = (created - timedelta(minutes=minutes)).isoformat()
            cli("changes", "record", "--service", service, "--version", version, "--at", at, "--store", store)

        command = [
            python(),
            "-m",
            "incidentkit",
            "investigate",
            "INC-47",
            "--sandbox",
            "--store",
            store,
            "--json",
        ]
        found = json.loads(
            subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
        )
        print(f"summary: {found['summary']}")
        seconds = time_command(command, runs=args.runs, env=env)
        print(f"incidentkit investigate (read only): median {seconds:.2f} s over {args.runs} runs")
        started = time.perf_counter()
        subprocess.run([*command, "--post"], check=True, capture_output=True, env=env)
        print(f"incidentkit investigate --post (first write-back): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
