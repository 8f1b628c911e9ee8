"""find_incident_refs: incident.io references inside alert payloads and text, lookalikes refused."""

from __future__ import annotations

import json

from incidentkit.api.refs import IncidentRef
from incidentkit.investigation import find_incident_refs


def refs(value: object) -> list[str]:
    return [str(found.ref) for found in find_incident_refs(value)]


def test_refs_and_dashboard_urls_are_found_deep_in_a_nested_payload_with_where() -> None:
    payload = {
        "alert": {
            "annotations": {"runbook": "see https://app.incident.io/acme/incidents/42."},
            "labels": [{"note": "duplicate of inc-7"}],
        },
        "status": "firing",
    }
    found = find_incident_refs(payload)
    assert [(str(f.ref), f.where) for f in found] == [
        ("INC-42", "$.alert.annotations.runbook"),
        ("INC-7", "$.alert.labels[0].note"),
    ]
    assert found[0].text == "https://app.incident.io/acme/incidents/42"


def test_lookalike_hosts_are_refused_and_their_refs_not_taken() -> None:
    text = (
        "https://app.incident.io.evil.example/acme/incidents/INC-5 "
        "https://evilincident.io/acme/incidents/6 http://app.incident.io/acme/incidents/8 "
        "https://app.incident.io@evil.example/acme/incidents/9"
    )
    assert refs(text) == []


def test_free_text_finds_each_incident_once_in_order() -> None:
    assert refs("INC-12 is like INC-3; see INC-12 and https://app.incident.io/o/incidents/INC-3") == [
        "INC-12",
        "INC-3",
    ]


def test_words_that_merely_contain_inc_are_not_refs() -> None:
    assert refs("PRINC-12 INC-12a XINC-4 INC-") == []


def test_a_ulid_counts_only_under_a_key_naming_an_incident() -> None:
    ulid = "01FDAG4SAP5TYPT98WGR2N7W91"
    found = find_incident_refs({"incident_id": ulid.lower(), "trace_id": "01FDAG4SAP5TYPT98WGR2N7W92"})
    assert [f.ref for f in found] == [IncidentRef(id=ulid)]
    assert find_incident_refs({"incident_id": ulid})[0].ref == IncidentRef(id=ulid)


def test_a_json_document_given_as_text_or_bytes_is_walked_as_json() -> None:
    document = json.dumps({"links": ["https://app.incident.io/acme/incidents/01FDAG4SAP5TYPT98WGR2N7W91"]})
    assert refs(document) == ["01FDAG4SAP5TYPT98WGR2N7W91"]
    assert refs(document.encode()) == ["01FDAG4SAP5TYPT98WGR2N7W91"]
    assert find_incident_refs(document)[0].where == "$.links[0]"


def test_text_that_only_looks_like_json_is_read_as_text() -> None:
    assert refs("{not json} INC-9") == ["INC-9"]
