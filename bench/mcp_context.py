"""Latency of the MCP ``context`` tool (``incident_io_incidents`` with ``action=context``).

The emulator runs as ``incidentkit emulator serve`` does, in a child process on loopback, with the
demo organisation; the MCP server runs here against it with a real client over HTTP, and is driven
by the official ``mcp`` client over streamable HTTP (served on loopback, as ``incidentkit mcp
--transport http`` serves it). Each call is one incident's whole context: the incident, its updates,
timeline, alerts, follow-ups and the catalog's services, several API requests in all.

Baseline, measured in the same run: :func:`incidentkit.investigation.context` called directly with
the same client, so the difference is what MCP (JSON-RPC, HTTP, the tool's JSON) adds.

Usage: ``python bench/mcp_context.py [CALLS]`` (default 200). Prints p50 and p99 in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import mcp

from _emulator import KEY, served_emulator
from incidentkit.agent_tools import Toolbox
from incidentkit.agent_tools.server import build_server, streamable_http_app
from incidentkit.api import Client
from incidentkit.investigation import InvestigationConfig, context
from incidentkit.serving import serve_in_thread

REFS = ("INC-49", "INC-48", "INC-47", "INC-46")


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50={statistics.median(ordered) * 1000:.1f} ms p99={p99 * 1000:.1f} ms (n={len(ordered)})"


def main(calls: int) -> None:
    with served_emulator("demo") as url, tempfile.TemporaryDirectory() as scratch:
        client = Client(KEY, base_url=url, rate_limit=None)
        config = InvestigationConfig()
        direct: list[float] = []
        for index in range(calls):
            started = time.perf_counter()
            context(client, REFS[index % len(REFS)], config=config)
            direct.append(time.perf_counter() - started)

        box = Toolbox(client, store_url=f"sqlite:///{Path(scratch) / 'store.db'}", config=config)
        app = streamable_http_app(build_server(box, read_only=True), host="127.0.0.1")
        with serve_in_thread(app, lifespan="on") as server:

            async def drive() -> list[float]:
                samples: list[float] = []
                async with mcp.Client(f"{server.url}/mcp") as session:
                    for index in range(calls):
                        arguments = {"action": "context", "incident_id": REFS[index % len(REFS)]}
                        started = time.perf_counter()
                        result = await session.call_tool("incident_io_incidents", arguments)
                        samples.append(time.perf_counter() - started)
                        assert not result.is_error, result.content
                return samples

            over_mcp = anyio.run(drive)
        box.close()
    print(f"mcp context tool (streamable HTTP): {percentiles(over_mcp)}")
    print(f"investigation.context directly:     {percentiles(direct)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
