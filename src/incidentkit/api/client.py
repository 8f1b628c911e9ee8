"""The incident.io clients: :class:`Client` (blocking) and :class:`AsyncClient`.

Both own the same parts: authentication, the rate limiter, retries and the organisation
catalogue (see :mod:`incidentkit.api.base`). They differ only in how they wait and send; every
operation is shared (see :mod:`incidentkit.api.resources`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx2

from incidentkit.api.alert_resources import (
    AlertEvents,
    AlertRoutes,
    Alerts,
    AlertSources,
    AsyncAlertEvents,
    AsyncAlertRoutes,
    AsyncAlerts,
    AsyncAlertSources,
    AsyncIncidentAlerts,
    IncidentAlerts,
)
from incidentkit.api.base import DEFAULT_TIMEOUT, BaseClient, OnWait, tls_context
from incidentkit.api.core import APIRequest, Op, Params
from incidentkit.api.errors import APIStatusError
from incidentkit.api.paging_resources import (
    AsyncEscalationPaths,
    AsyncEscalations,
    AsyncOnCall,
    AsyncScheduleOverrides,
    AsyncSchedules,
    EscalationPaths,
    Escalations,
    OnCallResource,
    ScheduleOverrides,
    Schedules,
)
from incidentkit.api.ratelimit import TokenBucket
from incidentkit.api.resources import (
    AsyncCatalog,
    AsyncCustomFieldOptions,
    AsyncCustomFields,
    AsyncFollowUps,
    AsyncIdentity,
    AsyncIncidentAttachments,
    AsyncIncidentMemberships,
    AsyncIncidentRelationships,
    AsyncIncidentRoles,
    AsyncIncidents,
    AsyncIncidentStatuses,
    AsyncIncidentTimestamps,
    AsyncIncidentTypes,
    AsyncIncidentUpdates,
    AsyncPostmortemDocuments,
    AsyncSeverities,
    AsyncTeams,
    AsyncTimelineItems,
    AsyncUsers,
    Catalog,
    CustomFieldOptions,
    CustomFields,
    FollowUps,
    IdentityResource,
    IncidentAttachments,
    IncidentMemberships,
    IncidentRelationships,
    IncidentRoles,
    Incidents,
    IncidentStatuses,
    IncidentTimestamps,
    IncidentTypes,
    IncidentUpdates,
    PostmortemDocuments,
    Severities,
    Teams,
    TimelineItems,
    Users,
)
from incidentkit.api.retry import RetryPolicy

T = TypeVar("T")


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio  # imported here so that blocking users never pay for asyncio

    await asyncio.sleep(seconds)


class Client(BaseClient):
    """A blocking incident.io client.

    Args:
        api_key: the API key; by default ``INCIDENT_IO_API_KEY`` or ``INCIDENTIO_API_KEY``.
        base_url: the API's base URL; by default ``INCIDENT_IO_BASE_URL`` or the real API.
        read_only: refuse every write before anything is sent.
        timeout: seconds to wait for each response.
        retry: how often and how patiently to retry.
        rate_limit: requests a minute (default 1,200, like incident.io), a shared
            :class:`TokenBucket`, or ``None`` for no client-side limit.
        transport: an httpx2 transport, such as the emulator's ``MockTransport``.
        sleep: how to wait; injectable so tests need no real time.
        now: the wall clock, to read the body's absolute ``retry_after``.
        rng: jitter source in [0, 1).
        on_wait: called as ``on_wait(reason, seconds, attempt)`` before every wait (a retry's backoff,
            a ``Retry-After``, the client-side rate limit), so a program can tell its user what it
            waits for; the CLI prints it on a terminal.
        max_wait: the most seconds one request may spend waiting between retries; a retry that
            would wait longer is not made and the last error is raised (``None``: no limit beyond
            ``retry``). ``RetryPolicy(max_retries=0)`` turns retries off.

    Raises:
        ConfigurationError: no API key; :class:`InvalidBaseURLError` (a subclass) for a base URL
            that does not parse, has no scheme or ends with the API version.

    Example:
        >>> client = Client(api_key="...")  # doctest: +SKIP
        >>> for incident in client.incidents.list(status_category="live"):  # doctest: +SKIP
        ...     print(incident.reference, incident.name)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        read_only: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        rate_limit: TokenBucket | float | None = 1200,
        transport: httpx2.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] | None = None,
        rng: Callable[[], float] | None = None,
        on_wait: OnWait | None = None,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            read_only=read_only,
            retry=retry,
            rate_limit=rate_limit,
            now=now,
            rng=rng,
            timeout=timeout,
            on_wait=on_wait,
            max_wait=max_wait,
        )
        self._sleep = sleep
        self._http = httpx2.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, verify=tls_context(self.base_url)
        )
        self.severities = Severities(self)
        self.incident_statuses = IncidentStatuses(self)
        self.incident_types = IncidentTypes(self)
        self.incident_roles = IncidentRoles(self)
        self.custom_fields = CustomFields(self)
        self.users = Users(self)
        self.identity = IdentityResource(self)
        self.incidents = Incidents(self)
        self.incident_updates = IncidentUpdates(self)
        self.incident_timeline_items = TimelineItems(self)
        self.follow_ups = FollowUps(self)
        self.catalog = Catalog(self)
        self.teams = Teams(self)
        self.alerts = Alerts(self)
        self.alert_sources = AlertSources(self)
        self.alert_routes = AlertRoutes(self)
        self.incident_alerts = IncidentAlerts(self)
        self.alert_events = AlertEvents(self)
        self.escalations = Escalations(self)
        self.escalation_paths = EscalationPaths(self)
        self.schedules = Schedules(self)
        self.schedule_overrides = ScheduleOverrides(self)
        self.oncall = OnCallResource(self)
        self.incident_timestamps = IncidentTimestamps(self)
        self.custom_field_options = CustomFieldOptions(self)
        self.incident_memberships = IncidentMemberships(self)
        self.incident_attachments = IncidentAttachments(self)
        self.postmortem_documents = PostmortemDocuments(self)
        self.incident_relationships = IncidentRelationships(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        retry_safe: bool | None = None,
    ) -> Any:
        """Call any endpoint, with the client's auth, rate limit, retries and errors; returns the JSON."""
        pairs = tuple(params.items()) if isinstance(params, Mapping) else tuple(params or ())
        return self._send(APIRequest(method.upper(), path, params=pairs, json=json, retry_safe=retry_safe))

    def _run(self, operation: Op[T]) -> T:
        try:
            request = next(operation)
            while True:
                try:
                    body = self._send(request)
                except APIStatusError as error:
                    request = operation.throw(error)
                else:
                    request = operation.send(body)
        except StopIteration as stop:
            result: T = stop.value
            return result

    def _send(self, request: APIRequest) -> Any:
        self._check_writable(request)
        retries = 0
        waited = 0.0
        while True:
            wait = self._limiter_wait(retries + 1)
            if wait > 0:
                self._sleep(wait)
            response: httpx2.Response | None = None
            error: Exception | None = None
            try:
                response = self._http.request(headers=self._headers(request), **self._httpx_args(request))
            except httpx2.TransportError as exc:
                error = exc
            delay, body = self._after_attempt(request, retries, response, error, waited)
            if delay is None:
                break
            self._sleep(delay)
            waited += delay
            retries += 1
        if error is not None:
            raise self._connection_error(request, error, retries + 1) from None
        assert response is not None
        return self._final(request, response, body, retries + 1)


class AsyncClient(BaseClient):
    """The asyncio incident.io client; the same arguments as :class:`Client`, with an async ``sleep``.

    Example:
        >>> async with AsyncClient() as client:  # doctest: +SKIP
        ...     async for incident in client.incidents.list(status_category="live"):
        ...         print(incident.reference)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        read_only: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        rate_limit: TokenBucket | float | None = 1200,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        now: Callable[[], datetime] | None = None,
        rng: Callable[[], float] | None = None,
        on_wait: OnWait | None = None,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            read_only=read_only,
            retry=retry,
            rate_limit=rate_limit,
            now=now,
            rng=rng,
            timeout=timeout,
            on_wait=on_wait,
            max_wait=max_wait,
        )
        self._sleep = sleep or _asyncio_sleep
        self._http = httpx2.AsyncClient(
            base_url=self.base_url, timeout=timeout, transport=transport, verify=tls_context(self.base_url)
        )
        self.severities = AsyncSeverities(self)
        self.incident_statuses = AsyncIncidentStatuses(self)
        self.incident_types = AsyncIncidentTypes(self)
        self.incident_roles = AsyncIncidentRoles(self)
        self.custom_fields = AsyncCustomFields(self)
        self.users = AsyncUsers(self)
        self.identity = AsyncIdentity(self)
        self.incidents = AsyncIncidents(self)
        self.incident_updates = AsyncIncidentUpdates(self)
        self.incident_timeline_items = AsyncTimelineItems(self)
        self.follow_ups = AsyncFollowUps(self)
        self.catalog = AsyncCatalog(self)
        self.teams = AsyncTeams(self)
        self.alerts = AsyncAlerts(self)
        self.alert_sources = AsyncAlertSources(self)
        self.alert_routes = AsyncAlertRoutes(self)
        self.incident_alerts = AsyncIncidentAlerts(self)
        self.alert_events = AsyncAlertEvents(self)
        self.escalations = AsyncEscalations(self)
        self.escalation_paths = AsyncEscalationPaths(self)
        self.schedules = AsyncSchedules(self)
        self.schedule_overrides = AsyncScheduleOverrides(self)
        self.oncall = AsyncOnCall(self)
        self.incident_timestamps = AsyncIncidentTimestamps(self)
        self.custom_field_options = AsyncCustomFieldOptions(self)
        self.incident_memberships = AsyncIncidentMemberships(self)
        self.incident_attachments = AsyncIncidentAttachments(self)
        self.postmortem_documents = AsyncPostmortemDocuments(self)
        self.incident_relationships = AsyncIncidentRelationships(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        retry_safe: bool | None = None,
    ) -> Any:
        """Call any endpoint, with the client's auth, rate limit, retries and errors; returns the JSON."""
        pairs = tuple(params.items()) if isinstance(params, Mapping) else tuple(params or ())
        return await self._send(
            APIRequest(method.upper(), path, params=pairs, json=json, retry_safe=retry_safe)
        )

    async def _run(self, operation: Op[T]) -> T:
        try:
            request = next(operation)
            while True:
                try:
                    body = await self._send(request)
                except APIStatusError as error:
                    request = operation.throw(error)
                else:
                    request = operation.send(body)
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def _send(self, request: APIRequest) -> Any:
        self._check_writable(request)
        retries = 0
        waited = 0.0
        while True:
            wait = self._limiter_wait(retries + 1)
            if wait > 0:
                await self._sleep(wait)
            response: httpx2.Response | None = None
            error: Exception | None = None
            try:
                response = await self._http.request(
                    headers=self._headers(request), **self._httpx_args(request)
                )
            except httpx2.TransportError as exc:
                error = exc
            delay, body = self._after_attempt(request, retries, response, error, waited)
            if delay is None:
                break
            await self._sleep(delay)
            waited += delay
            retries += 1
        if error is not None:
            raise self._connection_error(request, error, retries + 1) from None
        assert response is not None
        return self._final(request, response, body, retries + 1)
