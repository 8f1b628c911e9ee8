"""How a command reaches incident.io: flags, then the environment, then the saved profile.

``--sandbox`` replaces all of that with an emulator started in-process, so every command can
be tried with no account; its state is kept in ``sandbox-state.json`` in the user's data directory
between commands (``incidentkit emulator reset`` starts it afresh).

The flags may come before the command too (``incidentkit --profile acme incidents list``), as
``gh`` and ``kubectl`` allow; a flag given to the command itself wins.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from incidentkit.cli.completion import complete_profile

if TYPE_CHECKING:
    from incidentkit.api import Client

F = TypeVar("F", bound=Callable[..., Any])

SANDBOX_BASE_URL = "https://sandbox.incidentkit.invalid"
SANDBOX_STATE_FILE = "sandbox-state.json"
# The ``ctx.meta`` key under which ``incidentkit`` keeps the connection flags given before the command.
ROOT_FLAGS = "incidentkit.connection"


@dataclass
class Connection:
    """The connection settings a command was given, turned into a client on demand."""

    profile: str | None = None
    api_key: str | None = None
    base_url: str | None = None
    sandbox: bool = False
    read_only: bool = False
    max_wait: float | None = None
    no_retry: bool = False
    _client: Client | None = field(default=None, repr=False)

    def client(self) -> Client:
        """The client for these settings (created once per command)."""
        if self._client is None:
            self._client = self._make_client()
            ctx = click.get_current_context(silent=True)
            if ctx is not None:
                ctx.call_on_close(self._client.close)
                ctx.call_on_close(self._remember_catalog)
        return self._client

    def _remember_catalog(self) -> None:
        """Keep the severity and status names this command fetched anyway, for shell completion."""
        from incidentkit.cli.completion import remember_catalog

        if self._client is None:
            return
        lookups = self._client.lookups
        if lookups.severities is not None or lookups.statuses is not None:
            remember_catalog(
                severities=None if lookups.severities is None else [s.name for s in lookups.severities],
                statuses=None if lookups.statuses is None else [s.name for s in lookups.statuses],
            )

    def _make_client(self) -> Client:
        from incidentkit.api import Client, RetryPolicy

        if self.sandbox:
            return sandbox_client(read_only=self.read_only)
        api_key, base_url = self.resolve()
        return Client(
            api_key,
            base_url=base_url,
            read_only=self.read_only,
            sleep=_sleep(),
            retry=RetryPolicy(max_retries=0) if self.no_retry else None,
            max_wait=self.max_wait,
            on_wait=announce_wait if sys.stderr.isatty() else None,
        )

    def resolve(self) -> tuple[str, str]:
        """The API key and base URL to use: flags first, then the environment, then the saved profile.

        ``--profile NAME`` is a flag too, so a named profile (its key and its base URL) beats the
        environment; only ``--api-key`` and ``--base-url`` beat it. Without ``--profile``, each of
        the key and the base URL comes from the first of flag, environment and default profile that
        sets it; the default profile is read only when no key was given by flag or environment.

        Raises:
            ConfigurationError: no key anywhere; the message says how to get one.
            InvalidBaseURLError: the base URL cannot be the API's; the message names where it was set.
        """
        from incidentkit.api import ConfigurationError
        from incidentkit.api.config import (
            BASE_URL_VARIABLE,
            DEFAULT_BASE_URL,
            api_key_from_env,
            check_base_url,
        )

        env_base_url = os.environ.get(BASE_URL_VARIABLE, "").strip() or None
        api_key: str | None
        base_url: str | None
        # Where the base URL was set, to name it in an error.
        source = "--base-url" if self.base_url else BASE_URL_VARIABLE
        if self.profile is not None:
            saved = load_profile(self.profile)
            if saved is None:  # not reached: the store raises for a name it does not know
                raise ConfigurationError(f"no profile named {self.profile!r}")
            api_key = self.api_key or saved[0]
            base_url = self.base_url or saved[1]
            source = "--base-url" if self.base_url else f"base URL of the profile {self.profile!r}"
        else:
            api_key = self.api_key or api_key_from_env()
            base_url = self.base_url or env_base_url
            if api_key is None:
                saved = load_profile(None)
                if saved is not None:
                    api_key = saved[0]
                    if base_url is None and saved[1]:
                        base_url, source = saved[1], "base URL of the default profile"
        if base_url:
            base_url = check_base_url(base_url, where=source)
        if not api_key:
            raise ConfigurationError(
                "no incident.io API key: run `incidentkit setup`, set INCIDENT_IO_API_KEY, "
                "or add --sandbox to try this against the built-in emulator"
            )
        return api_key, base_url or DEFAULT_BASE_URL


def announce_wait(reason: str, seconds: float, attempt: int) -> None:
    """Say on stderr what the command is waiting for (the CLI wires this only when stderr is a terminal)."""
    rounded = f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.1f} s"
    click.echo(f"{reason}; retrying in {rounded} (attempt {attempt}; Ctrl-C to stop)", err=True)


def _sleep() -> Callable[[float], None]:
    """How the client waits between retries: ``time.sleep``, unless the caller of the CLI gave another.

    Programs (and tests) that run the CLI in-process pass ``obj={"sleep": ...}`` to click, the
    documented way to hand a command group its context object.
    """
    import time

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if isinstance(obj, dict) and callable(obj.get("sleep")):
        injected: Callable[[float], None] = obj["sleep"]
        return injected
    return time.sleep


def load_profile(name: str | None) -> tuple[str, str | None] | None:
    """The saved (API key, base URL) of a profile, or of the default profile when ``name`` is None."""
    from incidentkit.credentials import CredentialStore

    profile = CredentialStore().get_profile(name)
    if profile is None:
        return None
    return profile.api_key.reveal(), profile.base_url


def sandbox_state_file() -> Path:
    """Where ``--sandbox`` keeps its organisation between commands."""
    from incidentkit.paths import data_dir

    return data_dir() / SANDBOX_STATE_FILE


def sandbox_client(*, read_only: bool = False) -> Client:
    """A client wired to an in-process emulator whose state persists in the data directory."""
    from incidentkit.api import Client
    from incidentkit.emulator import SANDBOX_API_KEY, Emulator

    state = sandbox_state_file()
    state.parent.mkdir(parents=True, exist_ok=True)
    emulator = Emulator(seed="demo", state_file=state)
    return Client(
        SANDBOX_API_KEY,
        base_url=SANDBOX_BASE_URL,
        transport=emulator.transport(),
        read_only=read_only,
        rate_limit=None,
    )


def _apply(options: Sequence[Callable[[Any], Any]], function: F) -> F:
    """``function`` with each option added, the first listed first in the help."""
    for decorator in reversed(options):
        function = decorator(function)
    return function


def _account_option_list() -> list[Callable[[Any], Any]]:
    return [
        click.option(
            "--profile",
            metavar="NAME",
            shell_complete=complete_profile,
            help="Use this saved profile (see `incidentkit profiles`).",
        ),
        click.option(
            "--api-key",
            metavar="KEY",
            help="API key to use; prefer INCIDENT_IO_API_KEY or `incidentkit setup`, which keep it out "
            "of your shell history.",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            help="API base URL (default: INCIDENT_IO_BASE_URL or the real API).",
        ),
    ]


def connection_flags(function: F) -> F:
    """The connection flags themselves (shared by every command and by ``incidentkit`` itself)."""
    return _apply(
        [
            *_account_option_list(),
            click.option(
                "--sandbox",
                is_flag=True,
                default=None,
                help="Run against a built-in emulator; no account or key needed.",
            ),
            click.option(
                "--read-only", is_flag=True, default=None, help="Refuse every write before anything is sent."
            ),
            click.option(
                "--max-wait",
                type=click.FloatRange(min=0),
                metavar="SECONDS",
                help="Wait at most this long in all between retries of a request, then fail (for scripts).",
            ),
            click.option(
                "--no-retry",
                is_flag=True,
                default=None,
                help="Fail on the first error instead of retrying rate limits, 5xx and network errors.",
            ),
        ],
        function,
    )


CONNECTION_FLAGS = ("profile", "api_key", "base_url", "sandbox", "read_only", "max_wait", "no_retry")
ACCOUNT_FLAGS = ("profile", "api_key", "base_url")


def _with_flags_given_before(given: dict[str, Any]) -> dict[str, Any]:
    """``given``, each flag the command was not given taken from the same flag given before the command."""
    ctx = click.get_current_context(silent=True)
    before: dict[str, Any] = ctx.meta.get(ROOT_FLAGS, {}) if ctx is not None else {}
    return {name: given[name] if given[name] is not None else before.get(name) for name in given}


def connection_options(function: F) -> F:
    """Add the connection flags to a command and pass it a :class:`Connection` as ``connection``.

    A flag the command was not given falls back to the same flag given before the command.
    """

    @connection_flags
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        merged = _with_flags_given_before({name: kwargs.pop(name) for name in CONNECTION_FLAGS})
        connection = Connection(
            profile=merged["profile"],
            api_key=merged["api_key"],
            base_url=merged["base_url"],
            sandbox=bool(merged["sandbox"]),
            read_only=bool(merged["read_only"]),
            max_wait=merged["max_wait"],
            no_retry=bool(merged["no_retry"]),
        )
        return function(*args, connection=connection, **kwargs)

    return wrapper  # type: ignore[return-value]


def account_options(function: F) -> F:
    """``--profile``, ``--api-key`` and ``--base-url`` alone, as a :class:`Connection` named ``connection``.

    For the long-running commands (``serve``, ``worker``), whose ``--sandbox`` means something of
    their own and which must be able to write. Like :func:`connection_options`, a flag the command
    was not given falls back to the same flag given before the command.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        merged = _with_flags_given_before({name: kwargs.pop(name) for name in ACCOUNT_FLAGS})
        return function(*args, connection=Connection(**merged), **kwargs)

    return _apply(_account_option_list(), wrapper)  # type: ignore[return-value]


def describe_organisation(client: Client) -> str:
    """A line saying which organisation and key a client acts on, from ``GET /v1/identity``.

    A long-running process says it at start, so a wrong profile or key shows before anything runs.
    It never fails: when the API cannot be asked, the line says so and why.
    """
    from incidentkit.api import IncidentIOError
    from incidentkit.api.refs import organisation_slug

    try:
        identity = client.identity.get()
    except IncidentIOError as error:
        return f"Organisation: unknown, GET /v1/identity failed at {client.base_url}: {error}"
    slug = organisation_slug(identity.dashboard_url)
    where = f"'{slug}' ({identity.dashboard_url})" if slug else f"unnamed ({client.base_url})"
    return f"Organisation: {where}, API key '{identity.name}'"
