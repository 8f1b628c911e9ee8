"""Shell completion, including severity and status names from a cached catalogue.

Completion runs on every key press, so it must not call the API: the names come from a small
cache file written whenever a command fetched the organisation's severities or statuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem


def catalog_cache_path() -> Path:
    """Where the cached severity and status names live."""
    from incidentkit.paths import data_dir

    return data_dir() / "catalog-cache.json"


def remember_catalog(*, severities: list[str] | None = None, statuses: list[str] | None = None) -> None:
    """Save names for completion; failures are ignored (completion is a convenience)."""
    path = catalog_cache_path()
    try:
        cached = json.loads(path.read_text()) if path.exists() else {}
        if severities is not None:
            cached["severities"] = severities
        if statuses is not None:
            cached["statuses"] = statuses
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cached))
    except (OSError, ValueError):
        pass


def _cached(kind: str) -> list[str]:
    try:
        names = json.loads(catalog_cache_path().read_text()).get(kind, [])
    except (OSError, ValueError):
        return []
    return [str(n) for n in names]


def complete_severity(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete severity names (and SEV-n) from the cache."""
    names = _cached("severities")
    names += [f"SEV-{n}" for n in range(1, len(names) + 1)]
    return [CompletionItem(n) for n in names if n.lower().startswith(incomplete.lower())]


def complete_status(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete status names from the cache."""
    return [CompletionItem(n) for n in _cached("statuses") if n.lower().startswith(incomplete.lower())]


def complete_profile(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete saved profile names (read from the store's file; nothing is decrypted)."""
    from incidentkit.credentials import CredentialStore, CredentialStoreError

    try:
        names = list(CredentialStore(keyring=None).names())
    except (CredentialStoreError, OSError):
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    Add it to your shell's start-up file, for example for bash:
    `eval "$(incidentkit completion bash)"`.
    """
    from click.shell_completion import get_completion_class

    from incidentkit.cli import main

    cls: Any = get_completion_class(shell)
    click.echo(cls(main, {}, "incidentkit", "_INCIDENTKIT_COMPLETE").source())
