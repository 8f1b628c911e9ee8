"""The rooms of the package import one way only, as the README's "How the code is laid out" shows."""

from __future__ import annotations

import ast
from pathlib import Path

import incidentkit

PACKAGE = Path(incidentkit.__file__).parent

# Each room may import the rooms of lower tiers (and its own). Modules directly under incidentkit/
# that are not listed (errors, wire, timeutil, paths, ...) are the ground floor: they import
# nothing of the package but one another.
TIERS: list[set[str]] = [
    {"api", "store"},
    {"webhooks"},
    {"emulator"},
    # The investigation reads the API and the store only; the workflow step ``investigate`` runs it.
    {"investigation"},
    {"workflows", "testing"},
    {"service", "agent_tools"},
    {"demo"},
    {"cli"},
    {"__main__"},
]
# The emulator is the other side of the wire: it never imports the client (it signs its webhooks
# with the receiver's own scheme, ``webhooks.verify.sign``).
FORBIDDEN = {("emulator", "api")}


def _tier(room: str) -> int:
    return next((index for index, rooms in enumerate(TIERS) if room in rooms), -1)


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports() -> list[tuple[str, str, str]]:
    """(importing module, its room, imported room) for every import of the package's own modules."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(("incidentkit", *path.relative_to(PACKAGE).with_suffix("").parts))
        room = "store" if "alembic" in module else _room(module)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.startswith("incidentkit.") and _room(name) != room:
                    found.append((module, room, _room(name)))
    return found


def test_every_import_goes_down_the_tiers() -> None:
    wrong = [
        f"{module} ({room}) imports {target}"
        for module, room, target in _imports()
        if (room, target) in FORBIDDEN or (_tier(target) >= 0 and _tier(target) >= _tier(room))
    ]
    assert wrong == []


def test_the_ground_floor_imports_no_room() -> None:
    rooms = {name for tier in TIERS for name in tier}
    assert not [
        (module, target) for module, room, target in _imports() if room not in rooms and target in rooms
    ]
