"""Severity as the priority agents use: Critical → P0, Major/High → P1, Minor/Medium → P2, Low → P3.

Organisations name severities their own way; the mapping is by name, any case, from the
``[investigation.priorities]`` table over :data:`~incidentkit.investigation.config.DEFAULT_PRIORITIES`.
Names that already are a level (``P2``, ``SEV-1``, ``SEV 2``, ``S3``) map to it without configuration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from incidentkit.investigation.config import DEFAULT_PRIORITIES

__all__ = ["severity_priority"]

_PRIORITY = re.compile(r"^P(\d)$", re.IGNORECASE)
_SEV = re.compile(r"^(?:SEV|S)[\s_-]?(\d)$", re.IGNORECASE)


def severity_priority(severity: str | None, mapping: Mapping[str, str] | None = None) -> str | None:
    """The priority (``P0``…) of a severity name, or None when the name maps to nothing.

    Args:
        severity: the severity's name (``Critical``, ``SEV-1``...), or None for no severity.
        mapping: lower-case severity name → priority; :data:`DEFAULT_PRIORITIES` when None.

    >>> severity_priority("Major")
    'P1'
    >>> severity_priority("SEV-1")
    'P0'
    """
    if not severity:
        return None
    name = severity.strip()
    table = DEFAULT_PRIORITIES if mapping is None else mapping
    configured = table.get(name.lower())
    if configured is not None:
        return configured
    if _PRIORITY.match(name):
        return name.upper()
    sev = _SEV.match(name)
    if sev and int(sev.group(1)) >= 1:
        return f"P{int(sev.group(1)) - 1}"
    return None
