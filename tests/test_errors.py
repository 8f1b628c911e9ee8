"""Every exception incidentkit raises on purpose is under its area's root, and all under one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import incidentkit
from incidentkit.errors import IncidentKitError

# Signals and wire-level errors that never reach a caller of the library.
NOT_ERRORS = {"BodyTooLarge", "BodyNotJSON", "APIError", "PostgresUnavailable"}


def test_every_exception_class_is_under_the_package_root() -> None:
    outside = []
    for info in pkgutil.walk_packages(incidentkit.__path__, "incidentkit."):
        if (
            info.name.endswith(("__main__", ".cli.reference"))
            or ".cli" in info.name
            or ".testing" in info.name
        ):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and value.__module__ == module.__name__
                and name not in NOT_ERRORS
                and not issubclass(value, IncidentKitError)
            ):
                outside.append(f"{module.__name__}.{name}")
    assert outside == []


def test_the_named_ones_are_under_their_areas_root() -> None:
    from incidentkit.config_file import ConfigFileError
    from incidentkit.credentials import CredentialStoreError
    from incidentkit.webhooks.errors import WebhookError
    from incidentkit.webhooks.events import EventParseError
    from incidentkit.webhooks.verify import InvalidSecretError
    from incidentkit.workflows.errors import WorkflowError
    from incidentkit.workflows.nodes import AgentAnswerError, StepError

    assert issubclass(StepError, WorkflowError) and issubclass(AgentAnswerError, WorkflowError)
    assert issubclass(InvalidSecretError, WebhookError) and issubclass(EventParseError, WebhookError)
    assert issubclass(CredentialStoreError, IncidentKitError) and issubclass(
        ConfigFileError, IncidentKitError
    )
    # Still the built-in kinds callers may catch today.
    assert issubclass(InvalidSecretError, ValueError) and issubclass(EventParseError, ValueError)
