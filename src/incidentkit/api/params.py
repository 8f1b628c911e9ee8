"""The pieces operations build their requests from, shared by every operation module.

Path segments are quoted, one-or-many values become lists, dates and datetimes are written the
one way the package writes them, list operations get a :class:`~incidentkit.api.pagination.ListSpec`
within each endpoint's page-size limit, and creates get a fresh idempotency key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import quote

from incidentkit.api.core import Op
from incidentkit.api.errors import InvalidArgumentError
from incidentkit.api.pagination import ListSpec
from incidentkit.timeutil import iso

MAX_PAGE_SIZE = {
    "/v2/incidents": 500,
    "/v2/incident_updates": 250,
    "/v2/incident_timeline_items": 250,
    "/v2/users": 10000,
    "/v3/follow_ups": 250,
    "/v3/catalog_entries": 250,
    "/v3/teams": 250,
    "/v2/alerts": 50,
    "/v2/alert_tags": 250,
    "/v2/incident_alerts": 50,
    "/v3/alert_routes": 50,
    "/v2/escalations": 50,
    "/v2/escalation_paths": 25,
    "/v2/schedules": 10000,
    "/v2/schedule_overrides": 250,
    "/v1/custom_field_options": 250,
    "/v1/postmortem_documents": 250,
    "/v1/incident_relationships": 250,
}

T = TypeVar("T")

OneOrMany = str | Sequence[str]
DateLike = date | datetime | str
CustomFieldValues = str | int | float | Sequence[str | int | float]
"""One custom field's value(s) as people give them: an option's value or id, a number, a URL, text."""


def new_idempotency_key() -> str:
    """A fresh idempotency key for a create that was not given one."""
    return str(uuid.uuid4())


def path_id(value: str) -> str:
    """A value quoted to stand as one segment of a path (``/v2/incidents/{id}``)."""
    return quote(value, safe="")


def many(value: OneOrMany | None) -> list[str]:
    """One value or several as a list (none: an empty list)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def date_value(value: DateLike) -> str:
    """A date, an aware datetime or a string as the API reads it in a filter or a body."""
    if isinstance(value, datetime):
        return iso(value)  # refuses a naive datetime: it names no instant
    if isinstance(value, date):
        return value.isoformat()
    return value


def ready(value: T) -> Op[T]:
    """An operation that needs no request, so that every operation can be driven alike."""
    return value
    yield  # unreachable, but makes this function a generator


def list_spec(
    path: str,
    items_key: str,
    parse: Any,
    params: Sequence[tuple[str, str]],
    page_size: int | None,
    limit: int | None,
) -> ListSpec[Any]:
    """The spec of a list operation, refusing a page size the endpoint does not accept."""
    maximum = MAX_PAGE_SIZE[path]
    if page_size is not None and not 1 <= page_size <= maximum:
        raise InvalidArgumentError(f"page_size must be between 1 and {maximum} for {path}, not {page_size}")
    if limit is not None and limit < 1:
        raise InvalidArgumentError(f"limit must be at least 1, not {limit}")
    return ListSpec(
        path=path,
        items_key=items_key,
        parse=parse,
        params=tuple(params),
        page_size=page_size or maximum,
        limit=limit,
    )
