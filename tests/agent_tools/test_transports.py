"""``incidentkit mcp`` over its two transports, driven by the mcp client: stdio (the command spawned
as an MCP client does) and streamable HTTP (served on loopback), and what read-only leaves out."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from incidentkit.agent_tools import Toolbox, tool_names
from incidentkit.agent_tools.server import build_server, key_can_write, streamable_http_app
from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.serving import RunningServer, serve_in_thread
from tests.agent_tools.conftest import VIEWER_KEY, call, fails, mcp

pytestmark = pytest.mark.anyio

WRITE_TOOLS = {"post_update", "add_timeline_item", "create_follow_up", "page", "request_approval"}
START_SECONDS = 60
"""How long a spawned server may take to start (a cold interpreter on a busy machine)."""


@pytest.fixture
def served(demo: Emulator) -> Iterator[RunningServer]:
    """The demo emulator on 127.0.0.1."""
    from incidentkit.emulator import serve_in_thread as serve_emulator

    with serve_emulator(demo.asgi_app()) as server:
        yield server


def _environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # the sandbox keeps its state there
    env.pop("INCIDENT_IO_API_KEY", None)
    return env


def _command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "incidentkit", "mcp", *arguments]


async def _names(session: Any) -> set[str]:
    with anyio.fail_after(30):
        listed = await session.list_tools()
    return {tool.name for tool in listed.tools}


async def test_read_only_leaves_out_every_write_tool_and_action(box: Toolbox) -> None:
    async with mcp.Client(build_server(box, read_only=True)) as session:
        with anyio.fail_after(30):
            listed = await session.list_tools()
        names = {tool.name for tool in listed.tools}
        assert names == set(tool_names(read_only=True))
        assert names.isdisjoint(WRITE_TOOLS) and "incident_io_incidents" in names
        incidents = next(tool for tool in listed.tools if tool.name == "incident_io_incidents")
        assert incidents.input_schema["properties"]["action"]["enum"] == ["list", "get", "updates", "context"]
        assert incidents.annotations.read_only_hint is True
        refused = await fails(
            session, "incident_io_incidents", {"action": "append_summary", "incident_id": "1"}
        )
        assert "'list', 'get', 'updates' or 'context'" in refused
        assert (await call(session, "incident_io_incidents", {"action": "list"}))["count"] > 0


async def test_the_full_server_offers_every_tool(box: Toolbox) -> None:
    async with mcp.Client(build_server(box, read_only=False)) as session:
        assert await _names(session) == set(tool_names(read_only=False))
        assert await _names(session) >= WRITE_TOOLS


def test_a_viewer_key_cannot_write(demo: Emulator) -> None:
    with Client(VIEWER_KEY, transport=demo.transport(), rate_limit=None) as viewer:
        assert key_can_write(viewer) == (False, "viewer")
    with Client(SANDBOX_API_KEY, transport=demo.transport(), rate_limit=None) as full:
        assert key_can_write(full)[0] is True


async def test_stdio_with_a_viewer_key_serves_the_read_tools_only(
    served: RunningServer, tmp_path: Path
) -> None:
    command = _command(
        "--base-url", served.url, "--api-key", VIEWER_KEY, "--store", f"sqlite:///{tmp_path / 's.db'}"
    )
    parameters = mcp.StdioServerParameters(command=command[0], args=command[1:], env=_environment(tmp_path))
    with anyio.fail_after(START_SECONDS):
        async with mcp.Client(parameters) as session:
            assert await _names(session) == set(tool_names(read_only=True))
            found = await call(
                session, "list_recent_incidents", {"status": "all", "time_range": "365d", "page_size": 3}
            )
            assert found["count"] == 3 and found["incidents"][0]["reference"].startswith("INC-")


async def test_stdio_in_the_sandbox_reads_and_writes(tmp_path: Path) -> None:
    command = _command("--sandbox", "--store", f"sqlite:///{tmp_path / 's.db'}")
    parameters = mcp.StdioServerParameters(command=command[0], args=command[1:], env=_environment(tmp_path))
    with anyio.fail_after(START_SECONDS):
        async with mcp.Client(parameters) as session:
            assert await _names(session) == set(tool_names(read_only=False))
            listed = await call(session, "incident_io_incidents", {"action": "list", "page_size": 1})
            ref = listed["incidents"][0]["reference"]
            item = await call(
                session, "add_timeline_item", {"incident_id": ref, "title": "Checked the dashboards"}
            )
            assert item["incident"] == ref and item["timeline_item"]["title"] == "Checked the dashboards"
            bad = await fails(session, "add_timeline_item", {"incident_id": ref, "title": ""})
            assert "title: is required" in bad


async def test_streamable_http_in_a_thread(box: Toolbox) -> None:
    app = streamable_http_app(build_server(box, read_only=False), host="127.0.0.1")
    with serve_in_thread(app, lifespan="on") as server:
        async with mcp.Client(f"{server.url}/mcp") as session:
            assert await _names(session) == set(tool_names(read_only=False))
            found = await call(
                session, "get_incident_details", {"incident_id": "INC-49", "include_timeline": False}
            )
            assert found["reference"] == "INC-49"
            wrong = await fails(session, "list_recent_incidents", {"time_range": "soon"})
            assert "time_range: 'soon' is not a duration" in wrong


def test_the_http_command_serves_on_loopback_until_stopped(served: RunningServer, tmp_path: Path) -> None:
    command = _command(
        "--transport", "http", "--port", "0", "--read-only",
        "--base-url", served.url, "--api-key", SANDBOX_API_KEY, "--store", f"sqlite:///{tmp_path / 's.db'}",
    )  # fmt: skip
    with subprocess.Popen(
        command, env=_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        said: list[str] = []
        try:
            url = _served_url(process, said)
            assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")

            async def use() -> set[str]:
                async with mcp.Client(url) as session:
                    return await _names(session)

            assert anyio.run(use) == set(tool_names(read_only=True))
        finally:
            process.terminate()
            process.wait(timeout=START_SECONDS)
    assert process.returncode == 0
    assert said and not any(SANDBOX_API_KEY in line for line in said)  # the key is never printed


def _served_url(process: subprocess.Popen[str], everything: list[str]) -> str:
    """The URL the command says it serves at, read from its stderr within START_SECONDS.

    Every line it writes to stderr, then and later, is added to ``everything``.
    """
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            everything.append(line)
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        found = re.search(r"at (http://\S+/mcp)", line)
        if found:
            return found.group(1)
    raise AssertionError(f"the server did not say where it serves: {seen}")
