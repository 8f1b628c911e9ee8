"""What stands out in an investigation: findings, each with its claim, its evidence and a confidence.

The rules are plain so a person can check them.

Changes before the start (at most three are reported, closest first):

- **high**: a change to an affected service itself, at most 30 minutes before impact, that something
  corroborates: a signal of that service rose or fell around the start, similar past incidents were
  resolved by rolling back, or it is the only change in the window;
- **medium**: any other change to an affected service in the window, or a change to a service it
  depends on at most 30 minutes before impact;
- **low**: a change to a dependency further back, or any change in the window when the incident
  names no services.

Similar past incidents:

- how they were resolved (the theme most of them share, read from their closing summaries, last
  updates and follow-ups: rolling back, restarting, scaling up...): **high** when at least three
  matches scoring 0.5 or more share it, **medium** when two do or the best match scores 0.5 or
  more, **low** otherwise;
- the root cause the organisation's labels point to (the labelled neighbours' vote): **high** when
  at least three matches scoring 0.5 or more carry that label, **medium** when two matches do,
  **low** for one.

Evidence (a signal that rose or fell): **high** when it moved at least threefold (or from zero)
within 15 minutes of the start, **medium** otherwise. Steady signals are evidence, not findings.

A finding that names a cause (a change, or the labels' root cause) and is high-confidence is the
"root cause identified" of the write-back. The summary is the claims of the top three findings,
most confident first, in one sentence each joined by semicolons.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incidentkit.investigation.change_window import ChangeMatch, ChangesBefore
from incidentkit.investigation.evidence import Evidence
from incidentkit.investigation.similar import Match

__all__ = [
    "CAUSE_KINDS",
    "CONFIDENCES",
    "Finding",
    "findings_from",
    "in_words",
    "summary_of",
]

CONFIDENCES = ("high", "medium", "low")
"""The confidence levels, most confident first."""
CAUSE_KINDS = ("change", "root_cause")
"""The kinds of finding that name a cause (the others describe symptoms or remedies)."""

CLOSE = timedelta(minutes=30)
"""A change at most this long before impact is close to it."""
EVIDENCE_CLOSE = timedelta(minutes=15)
STRONG_MATCH = 0.5
STRONG_RATIO = 3.0
MAX_CHANGES = 3
MAX_SUMMARY = 3

# How a past incident was resolved, read from its text: (what we call it, the words that say it).
THEMES: list[tuple[str, re.Pattern[str]]] = [
    ("rolling back", re.compile(r"\broll(?:ed|ing)?[ -]?back\b|\brollbacks?\b|\brevert", re.I)),
    ("restarting", re.compile(r"\brestart", re.I)),
    ("scaling up", re.compile(r"\bscal(?:ed|ing|e) (?:up|out)\b|\badded (?:capacity|replicas|nodes)", re.I)),
    ("failing over", re.compile(r"\bfail(?:ed|ing)?[ -]?over\b", re.I)),
    ("renewing the certificate", re.compile(r"\brenew(?:ed|ing)?\b", re.I)),
    ("a hotfix", re.compile(r"\bhot[ -]?fix", re.I)),
]

_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]


@dataclass(frozen=True)
class Finding:
    """One thing that stands out.

    Attributes:
        kind: ``change``, ``resolution``, ``root_cause`` or ``evidence``.
        claim: what it says, in one sentence.
        evidence: what it rests on, one line each.
        confidence: ``high``, ``medium`` or ``low`` (see the module's rules).
        data: the facts behind it as JSON (the change, the matches' references...).
    """

    kind: str
    claim: str
    evidence: tuple[str, ...]
    confidence: str
    data: dict[str, Any]

    @property
    def names_cause(self) -> bool:
        """Whether it names a cause rather than a symptom or a remedy."""
        return self.kind in CAUSE_KINDS

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON."""
        return {
            "kind": self.kind,
            "claim": self.claim,
            "evidence": list(self.evidence),
            "confidence": self.confidence,
            "data": self.data,
        }


def in_words(count: int) -> str:
    """``12`` → ``twelve``; numbers above twenty stay digits."""
    return _WORDS[count] if 0 <= count < len(_WORDS) else str(count)


def gap_in_words(gap: timedelta) -> str:
    """``0:12:00`` → ``twelve minutes``; ``2:05:00`` → ``two hours five minutes``; under a minute, seconds."""
    seconds = max(int(gap.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if not hours and not minutes:
        return f"{in_words(seconds)} second{'s' if seconds != 1 else ''}"
    parts = []
    if hours:
        parts.append(f"{in_words(hours)} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{in_words(minutes)} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def _period(oldest: datetime, now: datetime) -> str:
    age = now - oldest
    for limit, words in (
        (timedelta(days=7), "in the last week"),
        (timedelta(days=31), "in the last month"),
        (timedelta(days=92), "in the last quarter"),
        (timedelta(days=366), "in the last year"),
    ):
        if age <= limit:
            return words
    return "in the history"


def theme_of(match: Match) -> str | None:
    """How a past incident was resolved, when its text says so in words the themes know."""
    resolution = match.resolution
    text = "\n".join((resolution.summary, *resolution.last_updates, *resolution.follow_ups))
    return next((name for name, pattern in THEMES if pattern.search(text)), None)


def _change_claim(match: ChangeMatch) -> str:
    change = match.change
    what = change.version or change.description or "a change"
    if change.kind == "deploy":
        claim = f"{change.service} deployed {what}"
    elif change.kind == "config":
        claim = f"{change.service} had a configuration change ({what})"
    else:
        claim = f"a feature flag changed on {change.service} ({what})"
    claim += f" {gap_in_words(match.before_start)} before impact"
    if match.via and match.service:
        claim += f" ({match.service} depends on it)"
    return claim


def _change_findings(found: ChangesBefore, evidence: Sequence[Evidence], rolled_back: bool) -> list[Finding]:
    moved = {e.service.lower() for e in evidence if e.direction in ("rose", "fell")}
    only = len(found.matches) == 1
    findings = []
    for match in found.matches[:MAX_CHANGES]:
        change = match.change
        close = match.before_start <= CLOSE
        proof = []
        if change.service.lower() in moved or (match.service or "").lower() in moved:
            proof.append(f"a signal of {match.service or change.service} moved around the start")
        if rolled_back:
            proof.append("similar past incidents were resolved by rolling back")
        if only:
            proof.append("it is the only change in the window")
        if match.service is None:
            confidence = "low"
        elif match.direct and close and proof:
            confidence = "high"
        elif match.direct or close:
            confidence = "medium"
        else:
            confidence = "low"
        lines = [
            f"{change.kind} of {change.service} at {change.at:%Y-%m-%d %H:%M} UTC"
            + (f" by {change.author}" if change.author else "")
            + f", {gap_in_words(match.before_start)} before the start",
            f"matched: {match.reason}",
            *proof,
        ]
        if change.link:
            lines.append(change.link)
        findings.append(Finding("change", _change_claim(match), tuple(lines), confidence, match.to_dict()))
    return findings


def _references(matches: Sequence[Match]) -> str:
    return ", ".join(f"{m.incident.reference} ({m.score:.2f})" for m in matches)


def _similar_findings(matches: Sequence[Match], now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    if not matches:
        return findings
    themed = [(m, theme_of(m)) for m in matches]
    counts = Counter(theme for _, theme in themed if theme)
    if counts:
        theme, _ = counts.most_common(1)[0]
        sharing = [m for m, t in themed if t == theme]
        strong = [m for m in sharing if m.score >= STRONG_MATCH]
        if len(strong) >= 3:
            confidence = "high"
        elif len(sharing) >= 2 or matches[0].score >= STRONG_MATCH:
            confidence = "medium"
        else:
            confidence = "low"
        count = len(sharing)
        noun = "incident was" if count == 1 else "incidents were"
        when = _period(min(m.incident.created_at for m in sharing), now)
        claim = f"{in_words(count)} similar {noun} resolved by {theme} {when}"
        evidence = tuple(
            f"{m.incident.reference} {m.incident.title!r} (score {m.score:.2f})"
            + (f": {m.resolution.summary}" if m.resolution.summary else "")
            for m in sharing
        )
        data = {"theme": theme, "references": [m.incident.reference for m in sharing]}
        findings.append(Finding("resolution", claim, evidence, confidence, data))
    likely = matches[0].likely_root_cause
    if likely:
        carrying = [m for m in matches if likely in {label.lower() for label in m.incident.root_causes}]
        if carrying:
            strong = [m for m in carrying if m.score >= STRONG_MATCH]
            confidence = "high" if len(strong) >= 3 else "medium" if len(carrying) >= 2 else "low"
            label = next(
                (label for label in carrying[0].incident.root_causes if label.lower() == likely), likely
            )
            count = len(carrying)
            claim = (
                f"the root cause of {in_words(count)} similar incident{'s' if count != 1 else ''} "
                f"was {label!r}"
            )
            findings.append(
                Finding(
                    "root_cause",
                    claim,
                    (f"labelled past incidents: {_references(carrying)}",),
                    confidence,
                    {"root_cause": label, "references": [m.incident.reference for m in carrying]},
                )
            )
    if not findings:
        best = matches[:3]
        findings.append(
            Finding(
                "resolution",
                f"{in_words(len(matches))} similar past incident{'s' if len(matches) != 1 else ''}, "
                f"the closest {best[0].incident.reference} {best[0].incident.title!r}",
                tuple(f"{m.incident.reference}: {'; '.join(m.reasons)}" for m in best),
                "medium" if best[0].score >= STRONG_MATCH else "low",
                {"references": [m.incident.reference for m in matches]},
            )
        )
    return findings


def _evidence_findings(evidence: Sequence[Evidence], started_at: datetime) -> list[Finding]:
    findings = []
    for item in evidence:
        if item.direction not in ("rose", "fell"):
            continue
        big = item.ratio is not None and (
            math.isinf(item.ratio) or max(item.ratio, 1 / item.ratio) >= STRONG_RATIO
        )
        near = item.changed_at is not None and abs(item.changed_at - started_at) <= EVIDENCE_CLOSE
        confidence = "high" if big and near else "medium"
        claim = f"{item.signal} of {item.service} {item.summary.split(' ', 1)[1]}"
        lines = (f"{item.source}: {item.query}", f"before {item.before_mean}, after {item.after_mean}")
        findings.append(Finding("evidence", claim, lines, confidence, item.to_dict()))
    return findings


def findings_from(
    *,
    changes: ChangesBefore | None,
    similar: Sequence[Match],
    evidence: Sequence[Evidence],
    started_at: datetime,
    now: datetime,
) -> list[Finding]:
    """Every finding by the module's rules, most confident first (changes, then similar, then evidence)."""
    similar_findings = _similar_findings(similar, now)
    rolled_back = any(f.data.get("theme") == "rolling back" for f in similar_findings)
    found = [
        *(_change_findings(changes, evidence, rolled_back) if changes is not None else []),
        *similar_findings,
        *_evidence_findings(evidence, started_at),
    ]
    found.sort(key=lambda finding: CONFIDENCES.index(finding.confidence))  # stable: kinds keep their order
    return found


def summary_of(findings: Sequence[Finding], *, services: Sequence[str], looked_at: Sequence[str]) -> str:
    """The plain summary: the top findings' claims, or what was looked at when nothing stands out."""
    if findings:
        # Not capitalised: a claim often starts with a service's name, which is written as it is.
        return "; ".join(finding.claim for finding in findings[:MAX_SUMMARY]) + "."
    where = ", ".join(services) if services else "the incident"
    checked = ", ".join(looked_at) if looked_at else "nothing (no store and no evidence source)"
    return f"Nothing stands out for {where} yet; looked at {checked}."
