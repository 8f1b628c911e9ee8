"""SEV-n and Pn in workflows against each organisation's own severities."""

from __future__ import annotations

import pytest

from incidentkit.api.models import Severity
from incidentkit.workflows.severity import (
    SeverityMapError,
    SeverityScale,
    UnknownSeverityError,
    severity_map_from_config,
)

NAMED = [
    Severity(id="01MIN", name="Minor", rank=1),
    Severity(id="01CRIT", name="Critical", rank=3),
    Severity(id="01MAJ", name="Major", rank=2),
]
SEV_NAMED = [Severity(id=f"01S{n}", name=f"SEV-{n}", rank=10 - n) for n in range(1, 4)]


def names(scale: SeverityScale, *labels: str) -> list[str | None]:
    return [found.name if (found := scale.resolve(label)) else None for label in labels]


def test_by_rank_when_no_severity_has_the_name() -> None:
    scale = SeverityScale(NAMED)
    assert names(scale, "SEV-1", "SEV-2", "SEV-3", "SEV-4") == ["Critical", "Major", "Minor", None]
    assert names(scale, "P0", "P1", "P2", "P3") == ["Critical", "Major", "Minor", None]
    assert names(scale, "critical", "01MAJ") == ["Critical", "Major"]


def test_an_exact_name_wins_over_rank() -> None:
    odd = [Severity(id="a", name="SEV-2", rank=9), Severity(id="b", name="Other", rank=5)]
    scale = SeverityScale(odd)
    assert names(scale, "SEV-1", "SEV-2") == ["SEV-2", "SEV-2"]  # SEV-1 by rank is the highest: named SEV-2
    assert SeverityScale(SEV_NAMED).label(SEV_NAMED[0]) == "SEV-1"


def test_the_configured_map_overrides_both() -> None:
    scale = SeverityScale(NAMED, {"SEV-1": "Major", "P0": "01MAJ"})
    assert names(scale, "SEV-1", "sev-1", "P0", "SEV-2") == ["Major", "Major", "Major", "Major"]


def test_labels_for_trigger_data_make_documented_comparisons_work() -> None:
    scale = SeverityScale(NAMED)
    critical = NAMED[1]
    assert scale.trigger_fields(critical) == {
        "severity": "SEV-1",
        "severity_name": "Critical",
        "severity_rank": 3,
        "priority": "P0",
    }
    unlabelled = Severity(id="x", name="Cosmetic", rank=0)
    assert scale.trigger_fields(unlabelled)["severity"] == "Cosmetic"
    assert scale.trigger_fields(None)["severity"] is None


def test_unknown_values_list_what_would_match() -> None:
    with pytest.raises(UnknownSeverityError) as caught:
        SeverityScale(NAMED).require("SEV-9")
    assert "Minor, Critical, Major, SEV-1, SEV-2, SEV-3, P0, P1, P2" in str(caught.value)


def test_a_map_naming_nothing_is_refused_at_once() -> None:
    with pytest.raises(SeverityMapError, match=r"'SEV-1' to 'Catastrophic'.*Minor, Critical, Major"):
        SeverityScale(NAMED, {"SEV-1": "Catastrophic"})


def test_the_map_from_a_config_file() -> None:
    assert severity_map_from_config({"severity_map": {"SEV-1": "Critical", "P3": "Minor"}}) == {
        "SEV-1": "Critical",
        "P3": "Minor",
    }
    assert severity_map_from_config({}) == {}
    with pytest.raises(SeverityMapError, match="key 'SEV-9'"):
        severity_map_from_config({"severity_map": {"SEV-9": "Critical"}})
    with pytest.raises(SeverityMapError, match="must be a severity name"):
        severity_map_from_config({"severity_map": {"SEV-1": 3}})
    with pytest.raises(SeverityMapError, match="must be a table"):
        severity_map_from_config({"severity_map": ["SEV-1"]})


def test_steps_and_triggers_share_one_mapping_and_a_mapped_sev_n_carries_its_priority() -> None:
    from incidentkit.workflows.severity import severity_for_api

    mapping = {"SEV-1": "Major"}
    scale = SeverityScale(NAMED, mapping)
    assert names(scale, "SEV-1", "P0", "p0") == ["Major", "Major", "Major"]
    assert [severity_for_api(label, mapping) for label in ("SEV-1", "P0", "P1", "Critical")] == [
        "Major",
        "Major",
        "P1",
        "Critical",
    ]
    # What the API is asked for resolves, through the client's matching, to what the scale says.
    for label in ("SEV-1", "P0", "P1", "SEV-3", "Minor"):
        resolved = scale.resolve(label)
        assert resolved is not None
        assert scale.resolve(severity_for_api(label, mapping)) == resolved
