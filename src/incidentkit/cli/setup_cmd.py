"""``setup``, ``verify`` and ``profiles``: getting a key in, checking it works, and switching."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import column, emit_list, output_options

# How many of a key's last characters `profiles list` shows (as Stripe and gh do): enough to tell keys apart.
KEY_ENDING = 4

if TYPE_CHECKING:
    from incidentkit.credentials import CredentialStore

# Which API key roles grant which capability (roles as listed in the schema's IdentityV1).
WRITE_ROLES = {"incident_creator", "global_access"}
EDIT_ROLES = {"incident_editor", "global_access"}


@dataclass(frozen=True)
class Check:
    """One line of the verification report."""

    name: str
    ok: bool
    detail: str


def verify_key(connection: Connection) -> tuple[list[Check], bool]:
    """Check the key: who it is, whether it reads incidents, and what it may write.

    Returns the checks and whether the key works at all (identity and reading succeed).
    Each failed check says what to do about it.
    """
    from incidentkit.api import IncidentIOError

    client = connection.client()
    checks: list[Check] = []
    try:
        identity = client.identity.get()
    except IncidentIOError as error:
        return [Check("key", False, _identity_failure(error, client.base_url))], False
    roles = set(identity.roles)
    where = f" at {identity.dashboard_url}" if identity.dashboard_url else ""
    checks.append(
        Check("key", True, f"'{identity.name}'{where}; roles: {', '.join(sorted(roles)) or 'none'}")
    )
    try:
        client.incidents.list(page_size=1, limit=1).first_page()
        checks.append(Check("read incidents", True, "GET /v2/incidents works"))
        reads = True
    except IncidentIOError as error:
        checks.append(Check("read incidents", False, _read_failure(error)))
        reads = False
    checks.append(_capability("write incidents", "declare and edit incidents", roles, WRITE_ROLES))
    checks.append(_capability("post updates", "post incident updates", roles, EDIT_ROLES))
    return checks, reads


def _identity_failure(error: Exception, base_url: str) -> str:
    """What a failed GET /v1/identity means, and what to do."""
    from incidentkit.api import errors

    if isinstance(error, errors.AuthenticationError):
        return (
            f"the API key was refused ({error.status} {error.type}): check that you copied the whole key, "
            "or create a new one in incident.io (Settings → API keys)"
        )
    if isinstance(error, errors.APIConnectionError):
        return (
            f"could not reach {base_url} ({error}): check your network connection, "
            "any proxy, and the base URL"
        )
    if isinstance(error, errors.NotFoundError | errors.MethodNotAllowedError | errors.APIResponseError):
        return (
            f"{base_url} does not answer like the incident.io API ({error}): check --base-url or "
            "INCIDENT_IO_BASE_URL (the real API is https://api.incident.io, with no path)"
        )
    return str(error)


def _read_failure(error: Exception) -> str:
    from incidentkit.api import errors

    if isinstance(error, errors.PermissionDeniedError):
        return (
            "the key may not list incidents (it lacks the incidents.view scope): "
            "create a key with the 'viewer' role"
        )
    return str(error)


def _capability(name: str, doing: str, roles: set[str], granting: set[str]) -> Check:
    """A capability is known from the key's roles, so checking it writes nothing."""
    granted = sorted(roles & granting)
    if granted:
        return Check(name, True, f"granted by the role {granted[0]}")
    return Check(
        name, False, f"the key cannot {doing}: it needs one of the roles {', '.join(sorted(granting))}"
    )


def _print_checks(checks: list[Check]) -> None:
    for check in checks:
        mark = click.style("ok", fg="green") if check.ok else click.style("no", fg="red")
        click.echo(f"  [{mark}] {check.name}: {check.detail}")


@click.command()
@connection_options
def verify(connection: Connection) -> None:
    """Check the API key: who it is, and which capabilities work.

    Calls GET /v1/identity and a minimal GET /v2/incidents, and reads what the key may write
    from its roles (nothing is written). Exits 0 only when the key works, 1 when it does not.
    """
    checks, works = verify_key(connection)
    _print_checks(checks)
    if _uses_a_saved_profile(connection):
        _warn_if_key_beside_credentials(saved_only=True)
    if not works:
        click.secho("The key does not work; see above for what to do.", err=True, fg="red")
        raise SystemExit(1)


@click.group(invoke_without_command=True)
@click.option(
    "--profile",
    "profile_name",
    metavar="NAME",
    help="Name to save the key under (asked for when interactive; default 'default').",
)
@click.option(
    "--base-url", metavar="URL", help="API base URL, if not the real API (for example an emulator)."
)
@click.option("--api-key-stdin", is_flag=True, help="Read the API key from standard input instead of asking.")
@click.option("--no-input", is_flag=True, help="Never prompt; fail if something is missing.")
@click.option("--no-verify", is_flag=True, help="Save without checking the key against the API.")
@click.pass_context
def setup(
    ctx: click.Context,
    profile_name: str | None,
    base_url: str | None,
    api_key_stdin: bool,
    no_input: bool,
    no_verify: bool,
) -> None:
    """Store an incident.io API key, encrypted, after checking that it works.

    Without options it asks for the key (the input is hidden), a base URL and a profile name.
    In scripts: `printf %s "$KEY" | incidentkit setup --api-key-stdin --no-input`.
    `incidentkit setup slack` stores a Slack bot token the same way.
    """
    from incidentkit.credentials import CredentialStore

    if ctx.invoked_subcommand is not None:
        return  # `setup slack`: the options above are the API key's, not asked for here

    interactive = not no_input
    if api_key_stdin:
        api_key = sys.stdin.readline().strip()
    elif not interactive:
        raise click.UsageError("--no-input needs the key on standard input: add --api-key-stdin")
    else:
        api_key = click.prompt("incident.io API key", hide_input=True, default="", show_default=False)
        api_key = api_key.strip()
    if not api_key:
        raise click.UsageError("the API key is empty")
    if interactive and base_url is None:
        base_url = click.prompt("Base URL (empty for the real API)", default="", show_default=False) or None
    if base_url:
        from incidentkit.api.config import check_base_url

        base_url = check_base_url(base_url, where="--base-url")
    if interactive and profile_name is None:
        profile_name = click.prompt("Profile name", default="default")
    profile_name = (profile_name or "default").strip()
    if not no_verify:
        checks, works = verify_key(Connection(api_key=api_key, base_url=base_url))
        _print_checks(checks)
        if not works:
            click.secho("The key does not work, so it was not saved.", err=True, fg="red")
            raise SystemExit(1)
    store = CredentialStore()
    first = not store.list_profiles()
    store.save_profile(profile_name, api_key, base_url=base_url, make_default=first)
    default = " (the default profile)" if first else ""
    click.echo(f"Saved profile '{profile_name}'{default}; the key is encrypted ({store.key_source}).")
    _warn_if_key_beside_credentials(store)


def _uses_a_saved_profile(connection: Connection) -> bool:
    """Whether the key checked came from the credential store (not a flag, the environment or the sandbox)."""
    from incidentkit.api.config import api_key_from_env

    if connection.sandbox or connection.api_key is not None:
        return False
    return connection.profile is not None or api_key_from_env() is None


def _warn_if_key_beside_credentials(
    store: CredentialStore | None = None, *, saved_only: bool = False
) -> None:
    """Say plainly when the master key is a file next to the credentials it encrypts."""
    from incidentkit.credentials import KEY_BESIDE_WARNING, CredentialStore

    store = store or CredentialStore()
    if saved_only and not store.path.exists():
        return  # nothing saved: the key in use came from a flag or the environment
    if store.key_beside_credentials():
        click.secho(
            KEY_BESIDE_WARNING.format(key_file=store.key_file, credentials=store.path.name),
            err=True,
            fg="yellow",
        )


@setup.command("slack")
@click.option("--token-stdin", is_flag=True, help="Read the bot token from standard input instead of asking.")
def setup_slack(token_stdin: bool) -> None:
    """Store the Slack bot token (xoxb-...) for slack.post steps, encrypted like the API keys.

    `serve`, `worker` and `workflows run` read it when neither INCIDENTKIT_SLACK_TOKEN nor
    [slack] token in the configuration file is set.
    """
    from incidentkit.credentials import SLACK_SECRET, CredentialStore

    if token_stdin:
        token = sys.stdin.readline().strip()
    else:
        token = click.prompt("Slack bot token", hide_input=True, default="", show_default=False).strip()
    if not token:
        raise click.UsageError("the Slack bot token is empty")
    if not token.startswith("xox"):
        raise click.BadParameter(
            "a Slack bot token starts with xoxb- (Slack app → OAuth & Permissions → Bot User OAuth Token)",
            param_hint="token",
        )
    store = CredentialStore()
    store.save_secret(SLACK_SECRET, token)
    click.echo(f"Saved the Slack bot token; it is encrypted ({store.key_source}).")
    _warn_if_key_beside_credentials(store)


@click.group()
def profiles() -> None:
    """Saved profiles, one per organisation or key."""


@profiles.command("list")
@output_options
def profiles_list(output_format: str | None) -> None:
    """List saved profiles (keys are never shown, only their last characters).

    One line a profile, the default marked *, unless a format is asked for (--json, -o csv, ...).
    """
    from incidentkit.credentials import CredentialStore, CredentialStoreError

    store = CredentialStore()
    found = store.list_profiles()
    rows = []
    for summary in found:
        profile = None
        with contextlib.suppress(CredentialStoreError):  # listed as not decrypting, below
            profile = store.get_profile(summary.name)
        ending = "…" + profile.api_key.reveal()[-KEY_ENDING:] if profile else "(does not decrypt)"
        rows.append(
            {
                "name": summary.name,
                "default": summary.is_default,
                "base_url": summary.base_url or "https://api.incident.io",
                "key": ending,
            }
        )
    if not rows:
        click.echo("No profiles yet: run `incidentkit setup`.", err=True)
    if output_format is None:
        for row in rows:
            click.echo(f"{'*' if row['default'] else ' '} {row['name']}  {row['base_url']}  key {row['key']}")
        return
    columns = [column("Name", "name"), column("Default", "default"), column("Base URL", "base_url")]
    emit_list(rows, [*columns, column("Key", "key")], output_format)


@profiles.command("use")
@click.argument("name")
def profiles_use(name: str) -> None:
    """Make NAME the default profile."""
    from incidentkit.credentials import CredentialStore

    CredentialStore().use(name)
    click.echo(f"'{name}' is now the default profile.")


@profiles.command("remove")
@click.argument("name")
def profiles_remove(name: str) -> None:
    """Forget the profile NAME and its key."""
    from incidentkit.credentials import CredentialStore

    CredentialStore().remove(name)
    click.echo(f"Removed profile '{name}'.")
