"""The agent tools against the demo organisation of the emulator, with the tests' clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from incidentkit.agent_tools import Toolbox
from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.investigation import InvestigationConfig
from tests.conftest import FakeClock

mcp = pytest.importorskip("mcp", reason="the mcp package is not installed")

VIEWER_KEY = "viewer-key"
CALL_SECONDS = 30
"""No call of a test takes longer than this (the emulator answers in milliseconds)."""


@pytest.fixture
def demo(clock: FakeClock) -> Emulator:
    return Emulator(seed="demo", read_only_keys=[VIEWER_KEY], clock=clock, random_seed=7)


@pytest.fixture
def box(demo: Emulator, clock: FakeClock, tmp_path: Path) -> Iterator[Toolbox]:
    client = Client(SANDBOX_API_KEY, transport=demo.transport(), rate_limit=None)
    toolbox = Toolbox(
        client, store_url=f"sqlite:///{tmp_path / 'store.db'}", config=InvestigationConfig(), clock=clock
    )
    yield toolbox
    toolbox.close()


@pytest.fixture
async def tools(box: Toolbox) -> AsyncIterator[Any]:
    """An MCP client session with the read-and-write server, in process."""
    from incidentkit.agent_tools.server import build_server

    async with mcp.Client(build_server(box, read_only=False)) as session:
        yield session


async def call(session: Any, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a tool that must succeed; its answer as JSON (the text and the structured content agree)."""
    import anyio

    with anyio.fail_after(CALL_SECONDS):
        result = await session.call_tool(name, arguments or {})
    text = result.content[0].text
    assert not result.is_error, text
    answer: dict[str, Any] = json.loads(text)
    assert answer == result.structured_content
    assert text == json.dumps(answer, separators=(",", ":"), ensure_ascii=False)  # compact JSON
    return answer


async def fails(session: Any, name: str, arguments: dict[str, Any]) -> str:
    """Call a tool that must fail; the error text the agent reads."""
    import anyio

    with anyio.fail_after(CALL_SECONDS):
        result = await session.call_tool(name, arguments)
    assert result.is_error
    text: str = result.content[0].text
    return text
