"""The [investigation] table of the configuration file."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentkit.investigation import load_investigation_config
from incidentkit.investigation.config import DEFAULT_WEIGHTS, InvestigationConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_the_defaults() -> None:
    config = load_investigation_config()
    assert dict(config.weights) == DEFAULT_WEIGHTS
    assert config.threshold == 0.15
    assert config.priorities["critical"] == "P0"


def test_weights_threshold_fields_and_priorities_are_read_over_the_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[investigation]
threshold = 0.3
root_cause_fields = ["Cause"]
label_neighbours = 4

[investigation.weights]
text = 1
root_cause = 0

[investigation.priorities]
Sev-Zero = "P0"
""",
    )
    config = load_investigation_config(path)
    assert config.threshold == 0.3
    assert config.root_cause_fields == ("Cause",)
    assert config.label_neighbours == 4
    assert config.weights["text"] == 1.0
    assert config.weights["root_cause"] == 0.0
    assert config.weights["services"] == DEFAULT_WEIGHTS["services"]
    assert config.priorities["sev-zero"] == "P0"
    assert config.priorities["major"] == "P1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[investigation]\nthreshold = 'high'\n", "threshold must be a number"),
        ("[investigation.weights]\nsmell = 1\n", "no part 'smell'"),
        ("[investigation.weights]\ntext = -1\n", "weights] text must be a number of at least 0"),
        ("[investigation]\ntreshold = 0.2\n", "no key 'treshold'"),
        ("[investigation]\nservice_fields = 'Service'\n", "service_fields must be a list of names"),
        ("[investigation.priorities]\nMajor = 1\n", "priorities] Major must be text"),
    ],
)
def test_bad_values_are_errors_naming_the_key_and_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvestigationConfigError, match=message) as caught:
        load_investigation_config(path)
    assert str(path) in str(caught.value)
