"""Serving the emulator in a child process for the benchmarks, as `incidentkit emulator serve` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

KEY = "bench-key"


@contextmanager
def served_emulator(seed: str = "demo") -> Iterator[str]:
    """Run `incidentkit emulator serve` on a free loopback port; yields its URL and stops it on exit."""
    argv = [sys.executable, "-m", "incidentkit", "emulator", "serve", "--port", "0", "--seed", seed,
            "--rate-limit", "0", "--api-key", KEY]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            if "listening on" in line:
                url = line.split("listening on", 1)[1].strip()
                break
        if url is None:
            raise RuntimeError("the emulator did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def admin(url: str, method: str, path: str, body: dict[str, Any]) -> Any:
    """Call an emulator admin endpoint (no key needed; loopback only)."""
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())
