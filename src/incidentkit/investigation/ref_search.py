"""Find the incidents an alert payload or a piece of text points at: ``INC-123`` and dashboard URLs.

An alert routed to an agent often names the incident it belongs to somewhere deep in its payload
(an annotation, a link, a description). :func:`find_incident_refs` walks nested JSON and free text
for incident.io references. URLs are parsed by :func:`incidentkit.api.refs.parse_incident_ref`, so a
lookalike host (``app.incident.io.evil.example``, ``evilincident.io``) is refused exactly as it is
everywhere else, and an ``INC-123`` inside such a URL is not taken either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from incidentkit.api.errors import InvalidReferenceError
from incidentkit.api.refs import IncidentRef, parse_incident_ref

__all__ = ["FoundRef", "find_incident_refs"]

_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>()\[\]{}`]+", re.IGNORECASE)
_INC = re.compile(r"(?<![\w-])INC-(\d+)(?![\w-])", re.IGNORECASE)
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$", re.IGNORECASE)
# Punctuation that ends a sentence rather than a URL.
_TRAILING = ".,;:!?"


@dataclass(frozen=True)
class FoundRef:
    """An incident reference found in a payload.

    Attributes:
        ref: the parsed reference.
        text: the text it was found as (``INC-12``, the URL, the ULID).
        where: where in the payload: a JSON path such as ``$.alert.annotations[0]``, or ``$`` for text.
    """

    ref: IncidentRef
    text: str
    where: str


def find_incident_refs(text_or_payload: Any) -> list[FoundRef]:
    """Every distinct incident reference inside a payload or text, in the order found.

    Args:
        text_or_payload: free text, a JSON document as text, or parsed JSON (dicts, lists, strings).
            In strings it finds dashboard URLs (``https://app.incident.io/<org>/incidents/123``) and
            ``INC-123``; a ULID counts only as the whole value of a key naming an incident
            (``incident_id``), since any 26-character token could look like one.

    Returns:
        One entry per distinct incident (the first place it was found); URLs on hosts other than
        ``app.incident.io`` are never returned.
    """
    payload = text_or_payload
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", errors="replace")
    if isinstance(payload, str) and payload.lstrip()[:1] in ("{", "["):
        with suppress(ValueError):  # not JSON after all: read it as text
            payload = json.loads(payload)
    found: list[FoundRef] = []
    # One incident once, however it was written: a URL's organisation slug does not make it another.
    seen: set[tuple[str | None, int | None]] = set()
    for item in _walk(payload, "$", key=None):
        if (item.ref.id, item.ref.number) not in seen:
            seen.add((item.ref.id, item.ref.number))
            found.append(item)
    return found


def _walk(value: Any, where: str, key: str | None) -> Iterator[FoundRef]:
    if isinstance(value, dict):
        for name, child in value.items():
            yield from _walk(child, f"{where}.{name}", key=str(name))
    elif isinstance(value, list | tuple):
        for index, child in enumerate(value):
            yield from _walk(child, f"{where}[{index}]", key=key)
    elif isinstance(value, str):
        if key is not None and "incident" in key.lower() and _ULID.match(value.strip()):
            yield FoundRef(IncidentRef(id=value.strip().upper()), value.strip(), where)
        yield from _in_text(value, where)


def _in_text(text: str, where: str) -> Iterator[FoundRef]:
    """The references in one string, in the order they appear."""
    found: list[tuple[int, FoundRef]] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        try:
            found.append((match.start(), FoundRef(parse_incident_ref(url), url, where)))
        except InvalidReferenceError:
            continue  # another site, a lookalike host, or not an incident page
    # INC-123 outside URLs only (blanked out, keeping offsets): one inside a refused URL must not slip in.
    outside = _URL.sub(lambda match: " " * len(match.group(0)), text)
    for match in _INC.finditer(outside):
        found.append(
            (match.start(), FoundRef(IncidentRef(number=int(match.group(1))), match.group(0), where))
        )
    for _, item in sorted(found, key=lambda pair: pair[0]):
        yield item
