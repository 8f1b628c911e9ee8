"""The package's public names, and that verifying does not import pydantic."""

from __future__ import annotations

import inspect
import subprocess
import sys

import incidentkit.webhooks as package
from incidentkit.webhooks import config, events, lifecycle, verify


def test_every_exported_name_resolves_to_its_module() -> None:
    modules = {"config": config, "events": events, "lifecycle": lifecycle, "verify": verify}
    for name in package.__all__:
        module = modules[package._MODULES[name]]
        assert getattr(package, name) is getattr(module, name)
        assert name in module.__all__


def test_verify_lists_exactly_its_public_classes_functions_and_tolerance() -> None:
    defined = {
        name
        for name, value in vars(verify).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == verify.__name__
    }
    # secret_fingerprint is the package's one fingerprint (incidentkit.wire), offered here too.
    assert defined | {"DEFAULT_TOLERANCE", "secret_fingerprint"} == set(verify.__all__)


def test_verifying_does_not_import_pydantic() -> None:
    code = "import sys, incidentkit.webhooks.verify; print('pydantic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
