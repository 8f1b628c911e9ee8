"""The store's errors: one root, each class saying when it is raised."""

from __future__ import annotations


class StoreError(Exception):
    """Something went wrong reading or writing the durable store."""


class StoreURLError(StoreError, ValueError):
    """A store URL was not understood (the message names the URL's scheme, never its password)."""


class EventNotFoundError(StoreError, LookupError):
    """No event with this webhook id is in the inbox."""
