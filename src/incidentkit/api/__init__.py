"""The incident.io client library.

>>> from incidentkit.api import Client
>>> client = Client()  # INCIDENT_IO_API_KEY from the environment  # doctest: +SKIP
>>> client.incidents.acknowledge("INC-123", message="Looking into it")  # doctest: +SKIP
"""

# Names are imported on first use, so `from incidentkit.api.errors import ...` (used by the CLI's
# error handling and by other rooms) does not pay for httpx2 and pydantic.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incidentkit.api.client import (
        AsyncClient as AsyncClient,
    )
    from incidentkit.api.client import (
        Client as Client,
    )
    from incidentkit.api.errors import (
        APIConnectionError as APIConnectionError,
    )
    from incidentkit.api.errors import (
        APIResponseError as APIResponseError,
    )
    from incidentkit.api.errors import (
        APIStatusError as APIStatusError,
    )
    from incidentkit.api.errors import (
        AuthenticationError as AuthenticationError,
    )
    from incidentkit.api.errors import (
        BadRequestError as BadRequestError,
    )
    from incidentkit.api.errors import (
        ConfigurationError as ConfigurationError,
    )
    from incidentkit.api.errors import (
        ConflictError as ConflictError,
    )
    from incidentkit.api.errors import (
        ErrorDetail as ErrorDetail,
    )
    from incidentkit.api.errors import (
        IncidentIOError as IncidentIOError,
    )
    from incidentkit.api.errors import (
        InternalServerError as InternalServerError,
    )
    from incidentkit.api.errors import (
        InvalidArgumentError as InvalidArgumentError,
    )
    from incidentkit.api.errors import (
        InvalidBaseURLError as InvalidBaseURLError,
    )
    from incidentkit.api.errors import (
        InvalidReferenceError as InvalidReferenceError,
    )
    from incidentkit.api.errors import (
        NotFoundError as NotFoundError,
    )
    from incidentkit.api.errors import (
        OrganisationMismatchError as OrganisationMismatchError,
    )
    from incidentkit.api.errors import (
        PermissionDeniedError as PermissionDeniedError,
    )
    from incidentkit.api.errors import (
        RateLimitError as RateLimitError,
    )
    from incidentkit.api.errors import (
        ReadOnlyError as ReadOnlyError,
    )
    from incidentkit.api.errors import (
        RequestTimeoutError as RequestTimeoutError,
    )
    from incidentkit.api.errors import (
        UnknownNameError as UnknownNameError,
    )
    from incidentkit.api.errors import (
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from incidentkit.api.intents import (
        IncidentChange as IncidentChange,
    )
    from incidentkit.api.models import (
        CustomField as CustomField,
    )
    from incidentkit.api.models import (
        FollowUp as FollowUp,
    )
    from incidentkit.api.models import (
        Identity as Identity,
    )
    from incidentkit.api.models import (
        Incident as Incident,
    )
    from incidentkit.api.models import (
        IncidentRole as IncidentRole,
    )
    from incidentkit.api.models import (
        IncidentStatus as IncidentStatus,
    )
    from incidentkit.api.models import (
        IncidentType as IncidentType,
    )
    from incidentkit.api.models import (
        IncidentUpdate as IncidentUpdate,
    )
    from incidentkit.api.models import (
        Severity as Severity,
    )
    from incidentkit.api.models import (
        TimelineItem as TimelineItem,
    )
    from incidentkit.api.models import (
        User as User,
    )
    from incidentkit.api.pagination import (
        AsyncPager as AsyncPager,
    )
    from incidentkit.api.pagination import (
        Page as Page,
    )
    from incidentkit.api.pagination import (
        SyncPager as SyncPager,
    )
    from incidentkit.api.ratelimit import (
        TokenBucket as TokenBucket,
    )
    from incidentkit.api.refs import (
        IncidentRef as IncidentRef,
    )
    from incidentkit.api.refs import (
        parse_incident_ref as parse_incident_ref,
    )
    from incidentkit.api.retry import (
        RetryPolicy as RetryPolicy,
    )
    from incidentkit.api.view import (
        IncidentView as IncidentView,
    )
    from incidentkit.api.view import (
        incident_view as incident_view,
    )

_MODULES = {
    "APIConnectionError": "errors",
    "APIResponseError": "errors",
    "APIStatusError": "errors",
    "AsyncClient": "client",
    "AsyncPager": "pagination",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "Client": "client",
    "ConfigurationError": "errors",
    "ConflictError": "errors",
    "CustomField": "models",
    "ErrorDetail": "errors",
    "FollowUp": "models",
    "Identity": "models",
    "Incident": "models",
    "IncidentChange": "intents",
    "IncidentIOError": "errors",
    "IncidentRef": "refs",
    "IncidentRole": "models",
    "IncidentStatus": "models",
    "IncidentType": "models",
    "IncidentUpdate": "models",
    "IncidentView": "view",
    "InternalServerError": "errors",
    "InvalidArgumentError": "errors",
    "InvalidBaseURLError": "errors",
    "InvalidReferenceError": "errors",
    "NotFoundError": "errors",
    "OrganisationMismatchError": "errors",
    "Page": "pagination",
    "PermissionDeniedError": "errors",
    "RateLimitError": "errors",
    "ReadOnlyError": "errors",
    "RequestTimeoutError": "errors",
    "RetryPolicy": "retry",
    "Severity": "models",
    "SyncPager": "pagination",
    "TimelineItem": "models",
    "TokenBucket": "ratelimit",
    "UnknownNameError": "errors",
    "UnprocessableEntityError": "errors",
    "User": "models",
    "incident_view": "view",
    "parse_incident_ref": "refs",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'incidentkit.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"incidentkit.api.{module}"), name)
    globals()[name] = value
    return value
