"""Similar-incident search quality: ours against a TF-IDF baseline, precision@5 and MRR.

    python bench/similar_eval.py FILE.jsonl
    python bench/similar_eval.py --from-danluu README.md

FILE.jsonl holds one labelled incident a line: ``title``, ``summary``, ``services`` (a list) and
``label`` (a string or a list; an empty list means unlabelled, kept as a distractor). Every incident is
loaded as history through the real store (a temporary SQLite file), the label as the organisation's
root-cause custom field, and each labelled one is queried against the rest through the same code path
as ``incidentkit similar`` with its own label hidden. A match is relevant when it shares a label.
``--from-danluu`` converts the public list of post-mortems (danluu/post-mortems, its README) on the
fly: the headings are the labels, "Uncategorized" entries are distractors.

Prints exactly two lines, ours then the baseline (TF-IDF cosine over title+summary, ``sublinear_tf``,
English stop words)::

    ours precision@5=0.xxx mrr=0.xxx
    tfidf precision@5=0.xxx mrr=0.xxx
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incidentkit.investigation import History, HistoryIncident, similar
from incidentkit.investigation.config import InvestigationConfig
from incidentkit.investigation.history import labels_of
from incidentkit.store import Store

K = 5
ROOT_CAUSE_FIELD = "Root cause"
# Sections of the post-mortem list that are labels; "Uncategorized" is kept unlabelled as distractors.
DANLUU_LABELS = ("Config Errors", "Hardware/Power Failures", "Conflicts", "Time", "Database")
DANLUU_DISTRACTORS = ("Uncategorized",)
_ENTRY = re.compile(r"^\[(?P<title>[^\]]+)\]\([^)]*\)\.?\s*(?P<summary>.*)$")


def from_danluu(text: str) -> list[dict[str, Any]]:
    """The post-mortem list's entries as labelled incidents (one per paragraph under a heading)."""
    records: list[dict[str, Any]] = []
    section: str | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if section not in DANLUU_LABELS and section not in DANLUU_DISTRACTORS:
            continue
        match = _ENTRY.match(line.strip())
        if match:
            label: list[str] = [section] if section in DANLUU_LABELS else []
            records.append(
                {"title": match["title"], "summary": match["summary"], "services": [], "label": label}
            )
    return records


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL file; a bad line is an error naming the line."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise SystemExit(f"{path}:{number}: not JSON: {error}") from None
        if not isinstance(record, dict) or not isinstance(record.get("title", ""), str):
            raise SystemExit(f"{path}:{number}: expected an object with title, summary, services, label")
        records.append(record)
    return records


def labels(record: dict[str, Any]) -> tuple[str, ...]:
    label = record.get("label") or []
    return (label,) if isinstance(label, str) else tuple(str(item) for item in label)


def as_history(records: Sequence[dict[str, Any]]) -> list[HistoryIncident]:
    """The records as history incidents, the label as the root-cause custom field."""
    when = datetime(2026, 1, 1, tzinfo=UTC)  # no dates in the data: time proximity is the same for all
    incidents = []
    for number, record in enumerate(records, start=1):
        found = labels(record)
        custom_fields = {ROOT_CAUSE_FIELD: found} if found else {}
        incidents.append(
            HistoryIncident(
                id=f"eval-{number:06d}",
                reference=f"INC-{number}",
                title=str(record.get("title") or ""),
                summary=str(record.get("summary") or ""),
                status_category="closed",
                created_at=when,
                updated_at=when,
                services=tuple(record.get("services") or ()),
                custom_fields=custom_fields,
                # Read from the custom field as the sync reads it.
                root_causes=labels_of(custom_fields, (ROOT_CAUSE_FIELD,)),
            )
        )
    return incidents


def score(rankings: Sequence[tuple[set[str], list[set[str]]]]) -> tuple[float, float]:
    """Mean precision@K and mean reciprocal rank of (query labels, ranked match labels) pairs."""
    precision = mrr = 0.0
    for wanted, ranked in rankings:
        hits = [bool(wanted & got) for got in ranked]
        precision += sum(hits[:K]) / K
        mrr += next((1.0 / rank for rank, hit in enumerate(hits, start=1) if hit), 0.0)
    return precision / len(rankings), mrr / len(rankings)


def ours(history: History, incidents: Sequence[HistoryIncident]) -> tuple[float, float]:
    config = InvestigationConfig(root_cause_fields=(ROOT_CAUSE_FIELD,))
    by_id = {incident.id: incident for incident in incidents}
    rankings = []
    for incident in incidents:
        if not incident.root_causes:
            continue
        # Through the store, exactly as `incidentkit similar INC-n` does (which hides the query's label).
        matches = similar(incident.reference, k=len(incidents), threshold=0.0, history=history, config=config)
        rankings.append((set(incident.root_causes), [set(by_id[m.incident.id].root_causes) for m in matches]))
    return score(rankings)


def baseline(incidents: Sequence[HistoryIncident]) -> tuple[float, float]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [f"{incident.title}\n{incident.summary}" for incident in incidents]
    )
    similarities = (matrix @ matrix.T).toarray()
    np.fill_diagonal(similarities, -1.0)
    rankings = []
    for position, incident in enumerate(incidents):
        if not incident.root_causes:
            continue
        order = np.argsort(-similarities[position], kind="stable")[: len(incidents) - 1]
        rankings.append((set(incident.root_causes), [set(incidents[i].root_causes) for i in order]))
    return score(rankings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", type=Path, help="labelled incidents, one JSON object a line")
    parser.add_argument("--from-danluu", type=Path, metavar="PATH", help="the post-mortem list's README.md")
    args = parser.parse_args(argv)
    if args.from_danluu:
        records = from_danluu(args.from_danluu.read_text(encoding="utf-8"))
    elif args.file:
        records = read_jsonl(args.file)
    else:
        print("similar_eval: no labelled incidents given (FILE.jsonl or --from-danluu PATH): skipped")
        return 0
    incidents = as_history(records)
    if not any(incident.root_causes for incident in incidents):
        raise SystemExit("no labelled incident to query")
    with tempfile.TemporaryDirectory() as directory, Store.open(f"sqlite:///{directory}/history.db") as store:
        history = History(store)
        history.upsert(incidents)
        ours_precision, ours_mrr = ours(history, incidents)
    base_precision, base_mrr = baseline(incidents)
    print(f"ours precision@{K}={ours_precision:.3f} mrr={ours_mrr:.3f}")
    print(f"tfidf precision@{K}={base_precision:.3f} mrr={base_mrr:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
