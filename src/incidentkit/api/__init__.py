"""The incident.io client library.

>>> from incidentkit.api import Client
>>> client = Client()  # INCIDENT_IO_API_KEY from the environment  # doctest: +SKIP
>>> client.incidents.acknowledge("INC-123", message="Looking into it")  # doctest: +SKIP
"""

from incidentkit.api.client import AsyncClient, Client
from incidentkit.api.errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ErrorDetail,
    IncidentIOError,
    InternalServerError,
    InvalidReferenceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ReadOnlyError,
    RequestTimeoutError,
    UnknownNameError,
    ValidationError,
)
from incidentkit.api.models import (
    CustomField,
    Identity,
    Incident,
    IncidentRole,
    IncidentStatus,
    IncidentType,
    IncidentUpdate,
    Severity,
    TimelineItem,
    User,
)
from incidentkit.api.operations import IncidentChange
from incidentkit.api.pagination import AsyncPager, Page, SyncPager
from incidentkit.api.ratelimit import TokenBucket
from incidentkit.api.refs import IncidentRef, parse_incident_ref
from incidentkit.api.retry import RetryPolicy

__all__ = [
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "AsyncClient",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "CustomField",
    "ErrorDetail",
    "Identity",
    "Incident",
    "IncidentChange",
    "IncidentIOError",
    "IncidentRef",
    "IncidentRole",
    "IncidentStatus",
    "IncidentType",
    "IncidentUpdate",
    "InternalServerError",
    "InvalidReferenceError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "ReadOnlyError",
    "RequestTimeoutError",
    "RetryPolicy",
    "Severity",
    "SyncPager",
    "TimelineItem",
    "TokenBucket",
    "UnknownNameError",
    "User",
    "ValidationError",
    "parse_incident_ref",
]
