"""`setup`, `verify`, `profiles` and where a command's key comes from, against an emulator on loopback."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentkit.emulator import Emulator, RunningServer, serve_in_thread
from tests.cli.conftest import Invoke

FULL = "full-access-key"
VIEWER = "viewer-only-key"
NO_SCOPES = "identity-only-key"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    emulator = Emulator(seed="default", api_keys=[FULL], read_only_keys=[VIEWER], rate_limit=None)
    emulator.add_api_key(NO_SCOPES, name="Key with no roles", roles=["glossary_entries_manage"])
    with serve_in_thread(emulator.asgi_app()) as running:
        yield running


@pytest.fixture
def url(server: RunningServer) -> str:
    return server.url


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def saved_file(home: Path) -> Path:
    return home / "config" / "incidentkit" / "credentials.json"


# verify


def test_verify_a_full_key(invoke: Invoke, url: str) -> None:
    result = invoke("verify", "--api-key", FULL, "--base-url", url)
    assert result.exit_code == 0, result.output
    assert "'Full access key'" in result.stdout
    assert "[ok] read incidents" in result.stdout
    assert "[ok] write incidents: granted by the role incident_creator" in result.stdout
    assert "[ok] post updates: granted by the role incident_editor" in result.stdout


def test_verify_a_read_only_key_works_but_says_what_it_cannot_do(invoke: Invoke, url: str) -> None:
    result = invoke("verify", "--api-key", VIEWER, "--base-url", url)
    assert result.exit_code == 0
    assert "[ok] read incidents" in result.stdout
    assert "[no] write incidents: the key cannot declare and edit incidents" in result.stdout
    assert "[no] post updates" in result.stdout


def test_verify_a_bad_key(invoke: Invoke, url: str) -> None:
    result = invoke("verify", "--api-key", "not-a-key", "--base-url", url)
    assert result.exit_code == 1
    assert "the API key was refused (401" in result.stdout
    assert "Settings → API keys" in result.stdout
    assert "not-a-key" not in result.output


def test_verify_with_no_network(invoke: Invoke, sleeps: list[float]) -> None:
    unreachable = closed_port_url()
    result = invoke("verify", "--api-key", FULL, "--base-url", unreachable)
    assert result.exit_code == 1
    assert len(sleeps) == 4  # the client retried before giving up (and the test did not wait)
    assert f"could not reach {unreachable}" in result.stdout
    assert "check your network connection" in result.stdout


def test_verify_with_a_wrong_base_url(invoke: Invoke, url: str) -> None:
    result = invoke("verify", "--api-key", FULL, "--base-url", url + "/api")
    assert result.exit_code == 1
    assert "does not answer like the incident.io API" in result.stdout
    assert "INCIDENT_IO_BASE_URL" in result.stdout


def test_verify_a_key_missing_the_read_scope(invoke: Invoke, url: str) -> None:
    result = invoke("verify", "--api-key", NO_SCOPES, "--base-url", url)
    assert result.exit_code == 1
    assert "[ok] key: 'Key with no roles'" in result.stdout
    assert "[no] read incidents: the key may not list incidents (it lacks the incidents.view scope)" in (
        result.stdout
    )


def test_verify_in_the_sandbox(invoke: Invoke) -> None:
    result = invoke("verify", "--sandbox")
    assert result.exit_code == 0
    assert "[ok] write incidents" in result.stdout


# A key without write scope, on a real command.


def test_a_key_without_write_scope_is_told_which_scope(invoke: Invoke, url: str) -> None:
    result = invoke("incidents", "create", "--name", "x", "--severity", "SEV-1", "--api-key", VIEWER,
                    "--base-url", url)  # fmt: skip
    assert result.exit_code == 1
    assert "403" in result.stderr and "incidents.create" in result.stderr
    assert "create a key with that permission" in result.stderr
    assert "Traceback" not in result.output


# setup


def test_setup_asks_with_hidden_input_and_saves_the_key_encrypted(
    invoke: Invoke, url: str, isolated_dirs: Path
) -> None:
    result = invoke("setup", input=f"{FULL}\n{url}\nwork\n")
    assert result.exit_code == 0, result.output
    assert "incident.io API key: \n" in result.stdout  # the prompt, and no echo of what was typed
    assert FULL not in result.output
    assert "Saved profile 'work' (the default profile)" in result.stdout
    stored = saved_file(isolated_dirs).read_text()
    assert FULL not in stored
    assert json.loads(stored)["profiles"]["work"]["base_url"] == url
    listed = invoke("incidents", "list", "--limit", "1", "--json")
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 1


def test_setup_from_stdin_for_scripts(invoke: Invoke, url: str) -> None:
    result = invoke("setup", "--api-key-stdin", "--no-input", "--base-url", url, "--profile", "ci",
                    input=FULL + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Saved profile 'ci'" in result.stdout
    assert invoke("profiles", "list").stdout.startswith("* ci ")


def test_setup_without_a_key_and_without_prompts_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("setup", "--no-input")
    assert result.exit_code == 2
    assert "--api-key-stdin" in result.stderr
    empty = invoke("setup", "--api-key-stdin", "--no-input", input="\n")
    assert empty.exit_code == 2 and "the API key is empty" in empty.stderr


def test_setup_does_not_save_a_key_that_does_not_work(invoke: Invoke, url: str, isolated_dirs: Path) -> None:
    result = invoke("setup", "--api-key-stdin", "--no-input", "--base-url", url, input="wrong\n")
    assert result.exit_code == 1
    assert "was not saved" in result.stderr
    assert not saved_file(isolated_dirs).exists()


# profiles and precedence


@pytest.fixture
def two_profiles(invoke: Invoke, url: str) -> None:
    for name, key in (("full", FULL), ("viewer", VIEWER)):
        result = invoke("setup", "--api-key-stdin", "--no-input", "--base-url", url, "--profile", name,
                        input=key + "\n")  # fmt: skip
        assert result.exit_code == 0, result.output


def whoami(invoke: Invoke, *args: str, env: dict[str, str] | None = None) -> str:
    result = invoke("verify", *args, env=env)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "] key:" in line)
    return line.split("'")[1]


@pytest.mark.usefixtures("two_profiles")
def test_profiles_list_use_and_remove(invoke: Invoke) -> None:
    listed = invoke("profiles", "list").stdout.splitlines()
    assert listed[0].startswith("* full ") and listed[1].startswith("  viewer ")
    assert all("key …" in line for line in listed)
    assert whoami(invoke) == "Full access key"

    assert invoke("profiles", "use", "viewer").exit_code == 0
    assert invoke("profiles", "list").stdout.startswith("  full ")
    assert whoami(invoke) == "Read-only key"

    assert invoke("profiles", "remove", "viewer").exit_code == 0
    assert whoami(invoke) == "Full access key"  # the remaining profile becomes the default
    unknown = invoke("profiles", "use", "viewer")
    assert unknown.exit_code == 2
    assert "no profile named 'viewer'; saved profiles: full" in unknown.stderr


@pytest.mark.usefixtures("two_profiles")
def test_precedence_flags_then_environment_then_profile(invoke: Invoke, url: str) -> None:
    env = {"INCIDENT_IO_API_KEY": VIEWER, "INCIDENT_IO_BASE_URL": url}
    assert whoami(invoke) == "Full access key"  # the default profile
    assert whoami(invoke, env=env) == "Read-only key"  # the environment beats the profile
    assert whoami(invoke, "--api-key", FULL, env=env) == "Full access key"  # a flag beats the environment
    assert whoami(invoke, "--profile", "full", env=env) == "Full access key"  # so does --profile
    assert whoami(invoke, env={"INCIDENTIO_API_KEY": VIEWER, "INCIDENT_IO_BASE_URL": url}) == "Read-only key"


@pytest.mark.usefixtures("two_profiles")
def test_the_environment_base_url_beats_the_default_profiles(invoke: Invoke) -> None:
    unreachable = closed_port_url()
    result = invoke("verify", env={"INCIDENT_IO_BASE_URL": unreachable})
    assert result.exit_code == 1
    assert f"could not reach {unreachable}" in result.stdout


def test_an_unknown_profile_lists_the_saved_ones(invoke: Invoke) -> None:
    result = invoke("incidents", "list", "--profile", "nope")
    assert result.exit_code == 2
    assert "no profile named 'nope'" in result.stderr and "incidentkit setup" in result.stderr


@pytest.mark.usefixtures("two_profiles")
def test_a_master_key_file_others_can_read_is_a_clear_error(invoke: Invoke, isolated_dirs: Path) -> None:
    key_file = isolated_dirs / "config" / "incidentkit" / "master.key"
    key_file.chmod(0o644)
    for args in (["incidents", "list"], ["profiles", "list"]):
        result = invoke(*args)
        assert result.exit_code == 2
        assert "can be read by other users (mode 0644)" in result.stderr and "chmod 600" in result.stderr
        assert "Traceback" not in result.output


@pytest.mark.usefixtures("two_profiles")
def test_a_tampered_store_is_a_clear_error(invoke: Invoke, isolated_dirs: Path) -> None:
    path = saved_file(isolated_dirs)
    data = json.loads(path.read_text())
    data["profiles"]["full"]["ciphertext"] = data["profiles"]["viewer"]["ciphertext"]
    path.write_text(json.dumps(data))
    result = invoke("incidents", "list", "--profile", "full")
    assert result.exit_code == 2
    assert "the key of profile 'full'" in result.stderr and "does not decrypt" in result.stderr
    assert "Traceback" not in result.output
    listed = invoke("profiles", "list")
    assert "full" in listed.stdout and "(does not decrypt)" in listed.stdout


# Where the master key sits


def test_setup_and_verify_say_plainly_that_the_master_key_sits_beside_the_credentials(
    invoke: Invoke, url: str, isolated_dirs: Path
) -> None:
    saved = invoke("setup", "--api-key-stdin", "--no-input", "--base-url", url, input=FULL + "\n")
    assert saved.exit_code == 0, saved.output
    key_file = isolated_dirs / "config" / "incidentkit" / "master.key"
    for result in (saved, invoke("verify")):
        assert f"the master key that encrypts the API keys is the file {key_file}" in result.stderr
        assert "beside credentials.json" in result.stderr
        assert "INCIDENTKIT_MASTER_KEY_FILE" in result.stderr and "INCIDENTKIT_MASTER_KEY " in result.stderr
    assert "master key" not in invoke("verify", "--api-key", FULL, "--base-url", url).stderr


def test_with_a_key_file_elsewhere_setup_says_nothing_of_the_sort(
    invoke: Invoke, url: str, isolated_dirs: Path
) -> None:
    elsewhere = isolated_dirs / "mounted" / "master.key"
    env = {"INCIDENTKIT_MASTER_KEY_FILE": str(elsewhere)}
    saved = invoke("setup", "--api-key-stdin", "--no-input", "--base-url", url, input=FULL + "\n", env=env)
    assert saved.exit_code == 0, saved.output
    assert f"master key in {elsewhere}" in saved.stdout and "beside" not in saved.stderr
    assert elsewhere.exists() and not (isolated_dirs / "config" / "incidentkit" / "master.key").exists()
    assert whoami(invoke, env=env) == "Full access key"
