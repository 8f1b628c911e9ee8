"""The client package's public names: exactly the documented ones, each where the map says, no clashes."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pydantic
import pytest

import incidentkit.api as package
from incidentkit.api import models, resources

PUBLIC = {
    # the clients and what they hand back
    "Client",
    "AsyncClient",
    "SyncPager",
    "AsyncPager",
    "Page",
    "IncidentChange",
    "RetryPolicy",
    "TokenBucket",
    "IncidentRef",
    "parse_incident_ref",
    "IncidentView",
    "incident_view",
    # the models
    "CustomField",
    "FollowUp",
    "Identity",
    "Incident",
    "IncidentRole",
    "IncidentStatus",
    "IncidentType",
    "IncidentUpdate",
    "Severity",
    "TimelineItem",
    "User",
    # the errors
    "IncidentIOError",
    "ConfigurationError",
    "InvalidArgumentError",
    "InvalidBaseURLError",
    "InvalidReferenceError",
    "OrganisationMismatchError",
    "UnknownNameError",
    "ReadOnlyError",
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "ErrorDetail",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "RequestTimeoutError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(package.__all__) == PUBLIC
    assert package.__all__ == sorted(package.__all__)


def test_every_public_name_resolves_to_the_module_the_map_names() -> None:
    for name in package.__all__:
        module = importlib.import_module(f"incidentkit.api.{package._MODULES[name]}")
        assert getattr(package, name) is getattr(module, name)


def test_the_type_checkers_view_is_the_same_list() -> None:
    tree = ast.parse(Path(package.__file__).read_text())
    seen: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("incidentkit.api."):
            for alias in node.names:
                assert alias.asname == alias.name, "re-exported as itself, so type checkers export it"
                seen[alias.name] = (node.module or "").removeprefix("incidentkit.api.")
    assert seen == package._MODULES


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = package.ValidationError  # renamed UnprocessableEntityError: pydantic has a ValidationError


def test_no_public_name_clashes_with_pydantics_or_a_models() -> None:
    assert set(package.__all__) & set(pydantic.__all__) == set()
    resource_classes = {
        name
        for name, value in vars(resources).items()
        if inspect.isclass(value) and value.__module__ == resources.__name__
    }
    model_classes = {
        name
        for name, value in vars(models).items()
        if inspect.isclass(value) and value.__module__ == models.__name__
    }
    assert "IdentityResource" in resource_classes
    assert resource_classes & model_classes == set()
