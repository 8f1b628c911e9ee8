"""The store's errors: one root, each class saying when it is raised."""

from __future__ import annotations

from incidentkit.errors import IncidentKitError


class StoreError(IncidentKitError):
    """Something went wrong reading or writing the durable store."""


class StoreURLError(StoreError, ValueError):
    """A store URL was not understood (the message names the URL's scheme, never its password)."""


class EventNotFoundError(StoreError, LookupError):
    """No event with this webhook id is in the inbox."""


class RunNotFoundError(StoreError, LookupError):
    """No workflow run (or approval, or parked step) with this id is in the store."""


class AlreadyDecidedError(StoreError):
    """An approval (or a parked step) was already decided: the first decision stands."""


class LeaseLostError(StoreError):
    """A worker's lease on a run expired and another worker (or a person) took the run over."""


class RunStateError(StoreError, ValueError):
    """A run is not in a state that allows what was asked (retrying a running run, ...)."""


class ClaimLostError(StoreError):
    """A processor's claim on an inbox event ran out and another processor claimed the event."""
