import pytest

from incidentkit.api.errors import InvalidReferenceError
from incidentkit.api.refs import IncidentRef, organisation_slug, parse_incident_ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01FDAG4SAP5TYPT98WGR2N7W91", IncidentRef(id="01FDAG4SAP5TYPT98WGR2N7W91")),
        ("01fdag4sap5typt98wgr2n7w91", IncidentRef(id="01FDAG4SAP5TYPT98WGR2N7W91")),
        ("INC-123", IncidentRef(number=123)),
        ("inc-7", IncidentRef(number=7)),
        ("123", IncidentRef(number=123)),
        ("  42 ", IncidentRef(number=42)),
        ("https://app.incident.io/acme/incidents/123", IncidentRef(number=123, organisation="acme")),
        ("https://app.incident.io/Acme/incidents/INC-9/", IncidentRef(number=9, organisation="acme")),
        (
            "https://app.incident.io/acme/incidents/01FDAG4SAP5TYPT98WGR2N7W91",
            IncidentRef(id="01FDAG4SAP5TYPT98WGR2N7W91", organisation="acme"),
        ),
    ],
)
def test_accepted_references(text: str, expected: IncidentRef) -> None:
    assert parse_incident_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://evilincident.io/acme/incidents/123",
        "https://app.incident.io.evil.com/acme/incidents/123",
        "http://app.incident.io/acme/incidents/123",
        "https://app.incident.io/acme/settings",
        "INC-",
        "INC-12a",
        "hello",
        "",
    ],
)
def test_refused_references(text: str) -> None:
    with pytest.raises(InvalidReferenceError) as excinfo:
        parse_incident_ref(text)
    assert repr(text) in str(excinfo.value)


def test_path_value_uses_the_ulid_or_the_number() -> None:
    assert parse_incident_ref("INC-5").path_value == "5"
    assert parse_incident_ref("01FDAG4SAP5TYPT98WGR2N7W91").path_value == "01FDAG4SAP5TYPT98WGR2N7W91"
    assert str(parse_incident_ref("5")) == "INC-5"


def test_the_organisation_slug_of_a_dashboard_url() -> None:
    assert organisation_slug("https://app.incident.io/my-org") == "my-org"
    assert organisation_slug("https://app.incident.io/My-Org/") == "my-org"
    assert organisation_slug("https://example.com/my-org") is None
    assert organisation_slug("https://app.incident.io/") is None
    assert organisation_slug(None) is None
