"""`incidentkit emulator serve`, `incidentkit demo` and the pytest plugin, as a user runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner

from incidentkit.cli import main
from incidentkit.emulator import SANDBOX_API_KEY
from incidentkit.serving import bind

pytest_plugins = ["pytester"]


def test_serve_prints_the_key_and_the_url_then_answers(tmp_path: Path) -> None:
    state = tmp_path / "org.json"
    command = [sys.executable, "-m", "incidentkit", "emulator", "serve", "--port", "0", "--seed", "demo"]
    with subprocess.Popen(
        [*command, "--state", str(state)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == f"API key: {SANDBOX_API_KEY}"
        announced = process.stdout.readline().strip()
        assert announced.startswith("incident.io emulator listening on http://127.0.0.1:")
        url = announced.rsplit(" ", 1)[1]
        headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
        live = httpx2.get(f"{url}/v2/incidents", params={"status_category[one_of]": "live"}, headers=headers)
        assert live.status_code == 200 and live.json()["incidents"]
        assert int(live.headers["X-RateLimit-Remaining"]) == 1199
        too_big = httpx2.post(f"{url}/v2/incidents", content=b"x" * (1024 * 1024 + 10), headers=headers)
        assert too_big.status_code == 413 and too_big.json()["type"] == "payload_too_large"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert state.exists()


def test_serve_with_own_keys_does_not_accept_the_sandbox_key(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "incidentkit", "emulator", "serve", "--port", "0", "--api-key", "mine"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        assert httpx2.get(f"{url}/v1/identity", headers={"Authorization": "Bearer mine"}).status_code == 200
        sandbox = httpx2.get(f"{url}/v1/identity", headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"})
        assert sandbox.status_code == 401
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_serve_explains_a_port_in_use() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["emulator", "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_demo_runs_the_whole_scenario() -> None:
    result = CliRunner().invoke(main, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    steps = [line.split()[0] for line in out.splitlines() if line[:2] in {f"{n}." for n in range(1, 5)}]
    assert steps == ["1.", "2.", "3.", "4."]
    # The first incident came from a monitor's alert, and its page was taken.
    assert "the Monitoring alert route opens an incident" in out and "The route opened INC-50" in out
    assert "-> acked" in out and "page-on-call: succeeded (on_call=succeeded, page=succeeded" in out
    # Effects in the emulator, as the demo reads them back.
    assert (
        "Now: INC-50 [Investigating / Critical]" in out
        and "Update: Acknowledged by automated workflow" in out
    )
    assert "Now: INC-50 [Closed / Critical]" in out and "Update: Resolved after approval" in out
    assert "approving over HTTP as priya@example.com, the incident's lead" in out and "-> HTTP 200" in out
    # What the stand-in for Slack received.
    assert "#oncall: 🚨 SEV-1 Incident: Checkout failing for all customers" in out
    assert "#incidents: INC-51 (SEV-3): Search results slow in eu-west" in out
    runs = out[out.index("Runs:") :].splitlines()[1:]
    assert len(runs) == 8 and all(": succeeded (" in line for line in runs), runs
    # The Critical (SEV-1) incident was investigated and the findings posted; the Minor one was not.
    assert "investigate-serious-incidents: succeeded (investigate=succeeded)" in out
    assert "*Investigation of <https://app.incident.io/sandbox/incidents/50|INC-50>*" in out
    assert "dispatch_agent=succeeded" in out
    # The SEV-3 incident's issue reached the loopback stand-in for Linear; nothing was refused.
    assert "create_linear_issue=succeeded" in out and "not allow-listed" not in out
    tracker = out[out.index("stand-in for Linear:") :].splitlines()[1]
    assert tracker.strip() == "INC-51: Search results slow in eu-west"


def test_point_var_at_sets_one_constant_and_refuses_a_missing_one() -> None:
    from incidentkit.demo import point_var_at

    text = 'vars:\n  url: "https://api.linear.app/graphql"\n  other: "x"\nsteps: []\n'
    assert point_var_at(text, "url", "http://127.0.0.1:1/g") == text.replace(
        "https://api.linear.app/graphql", "http://127.0.0.1:1/g"
    )
    with pytest.raises(ValueError, match=r"no vars\.missing"):
        point_var_at(text, "missing", "http://127.0.0.1:1/g")


def test_the_packaged_example_workflows_are_the_examples(tmp_path: Path) -> None:
    from incidentkit.demo import example_workflows

    examples = Path(__file__).parent.parent.parent / "examples" / "workflows"
    assert example_workflows() == sorted((p.name, p.read_text("utf-8")) for p in examples.glob("*.yaml"))


def test_the_pytest_plugin_gives_users_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_declare(incidentkit_client, incidentkit_emulator):
            client = incidentkit_client
            incident = client.incidents.create(name="Database down", severity="Critical")
            assert [i.name for i in client.incidents.list(status_category="live")][0] == "Database down"
            assert incident.id in incidentkit_emulator.state.incidents

        @pytest.mark.incidentkit_seed("empty")
        def test_empty(incidentkit_emulator):
            assert incidentkit_emulator.state.incidents == {}

        def test_served(incidentkit_server):
            import httpx2
            assert httpx2.get(incidentkit_server.url + "/v1/identity").status_code == 401

        """
    )
    result = _run_pytester(pytester)
    result.assert_outcomes(passed=3)


def test_the_pytest_plugin_leaves_a_projects_client_fixture_alone(pytester: pytest.Pytester) -> None:
    # Django's and Flask's plugins both define `client`; ours must not compete for the name.
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("name", ["client", "emulator", "async_client", "emulator_server"])
        def test_name_is_not_ours(request, name):
            request.getfixturevalue(name)
        """
    )
    result = _run_pytester(pytester)
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*fixture 'client' not found*"])


def _run_pytester(pytester: pytest.Pytester) -> pytest.RunResult:
    env_backup = dict(os.environ)
    try:
        return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "error")
    finally:
        os.environ.clear()
        os.environ.update(env_backup)


def test_accepted_connections_have_nagle_turned_off() -> None:
    # asyncio sets TCP_NODELAY on accepted sockets only when the listening socket's proto is
    # IPPROTO_TCP; without it every keep-alive answer (headers, then body) waited ~40 ms for
    # the client's delayed acknowledgement.
    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            accepted.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        sock = bind()
        server = await asyncio.start_server(on_connect, sock=sock)
        async with server:
            host, port = sock.getsockname()[:2]
            _, writer = await asyncio.open_connection(host, port)
            nodelay = await asyncio.wait_for(accepted, timeout=10)
            writer.close()
        return nodelay

    assert asyncio.run(accept_one()) != 0
