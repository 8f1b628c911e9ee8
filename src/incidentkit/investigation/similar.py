"""Similar past incidents: a documented, weighted, explainable score over the incident history.

The score of a past incident ``d`` for a query incident ``q`` is a weighted mean of parts, each in
[0, 1], with the weights of ``[investigation.weights]`` (see :mod:`incidentkit.investigation.config`):

``text``
    TF-IDF cosine (scikit-learn; sub-linear term frequency, English stop words, single words)
    of title, summary, updates and timeline items, the title counted twice: it is the densest line
    of an incident.
``services``
    Jaccard overlap of the affected services, where a service shared *through a dependency* counts
    too, for less. When the history has the catalog (``incidentkit sync`` copies it), names and
    aliases mean the same service, and each of ``d``'s services that is one dependency away from
    one of the query's (it depends on it, or the other way round) and is not itself shared counts
    ``dependency_share`` (0.5 by default) of a shared one: ``(shared + dependency_share * linked) /
    |union|``. One hop only: further away, most of an organisation is related. Counts only when
    the query has services.
``alert_sources``
    Jaccard overlap of the alert sources. Counts only when the query has alert sources.
``time``
    ``0.5 ** (days apart / time_half_life_days)``: recent neighbours are likelier the same problem.
``root_cause``
    The organisation's own labels as evidence. The ``label_neighbours`` labelled incidents nearest to
    the query by text vote, weighted by their text similarity, on the query's likely root cause; ``d``
    scores the share of the vote its own root-cause label received. The query's own label is never
    read (the query is left out of the vote), so this only learns from *past* decisions. Counts only
    when some history is labelled.

``score = sum(weight * part) / sum(weight of the parts that count)``, so the threshold means the same
whether or not an organisation records services or root causes. Measured on public post-mortems with
coarse root-cause labels, the vote is what lifts precision@5 over text alone (``bench/similar_eval.py``).

Text similarity is lexical and offline: embedding models shipped by packages did no better on real
incidents and were a hundred times slower, and no model may download at run time. scikit-learn is
imported only when an index is built, so importing :mod:`incidentkit.investigation` stays light.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.config import InvestigationConfig, load_investigation_config
from incidentkit.investigation.errors import InvestigationError
from incidentkit.investigation.history import History, HistoryIncident
from incidentkit.investigation.service_catalog import KnownService
from incidentkit.investigation.service_links import ServiceLinks
from incidentkit.investigation.similar_match import Match, Resolution

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["HistoryNotFoundError", "Match", "Resolution", "SimilarityIndex", "similar"]

PARTS = ("text", "services", "alert_sources", "time", "root_cause")
_SECONDS_PER_DAY = 86_400.0
_LAST_UPDATES = 3
_SHARED_TERMS = 8


class HistoryNotFoundError(InvestigationError, LookupError, ValueError):
    """The incident asked about is not in the history (it has not been synced)."""


def incident_text(incident: HistoryIncident) -> str:
    """The text compared: the title twice, the summary, the updates and the timeline items."""
    return "\n".join(
        part for part in (incident.title, incident.title, incident.summary, incident.updates_text) if part
    )


@dataclass
class SimilarityIndex:
    """The history prepared for search: a TF-IDF matrix and arrays of services, sources, labels, times.

    Build it once with :meth:`build` and query it many times; :func:`similar` keeps one per store and
    rebuilds it when the history (or the catalog the sync copied) changes.
    """

    incidents: list[HistoryIncident]
    config: InvestigationConfig
    _vectorizer: Any = field(repr=False)
    _matrix: Any = field(repr=False)
    _created: NDArray[np.float64] = field(repr=False)
    _position: dict[str, int] = field(repr=False)
    _labels: dict[str, NDArray[np.intp]] = field(repr=False)
    _labelled: NDArray[np.bool_] = field(repr=False)
    _services: dict[str, NDArray[np.intp]] = field(repr=False)
    _service_counts: NDArray[np.float64] = field(repr=False)
    _sources: dict[str, NDArray[np.intp]] = field(repr=False)
    _source_counts: NDArray[np.float64] = field(repr=False)
    _columns: Any = field(default=None, repr=False)
    _terms: Any = field(default=None, repr=False)
    _catalog: ServiceLinks = field(default_factory=lambda: ServiceLinks.of(()), repr=False)

    @classmethod
    def build(
        cls,
        incidents: Sequence[HistoryIncident],
        config: InvestigationConfig,
        *,
        catalog: Sequence[KnownService] = (),
    ) -> SimilarityIndex:
        """Index ``incidents`` (the whole history, or what ``since`` keeps of it).

        ``catalog``: the known services, whose aliases and one-hop dependencies the ``services``
        part reads; none: services match by name only, and nothing counts through a dependency.
        """
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

        incidents = list(incidents)
        vectorizer = TfidfVectorizer(
            sublinear_tf=True,
            stop_words="english",
            ngram_range=(1, 1),
            dtype=np.float32,
        )
        texts = [incident_text(incident) for incident in incidents]
        if any(text.strip() for text in texts):
            try:
                matrix = vectorizer.fit_transform(texts).tocsr()
            except ValueError:  # only stop words: nothing to compare on
                matrix = None
        else:
            matrix = None

        def postings(
            values: Sequence[Sequence[str]],
        ) -> tuple[dict[str, NDArray[np.intp]], NDArray[np.float64]]:
            lists: dict[str, list[int]] = {}
            for position, names in enumerate(values):
                for name in set(names):
                    lists.setdefault(name.lower(), []).append(position)
            counts = np.array([len({n.lower() for n in names}) for names in values], dtype=np.float64)
            return {name: np.array(items, dtype=np.intp) for name, items in lists.items()}, counts

        labels, _ = postings([incident.root_causes for incident in incidents])
        services, service_counts = postings([incident.services for incident in incidents])
        sources, source_counts = postings([incident.alert_sources for incident in incidents])
        return cls(
            incidents=incidents,
            config=config,
            _vectorizer=vectorizer,
            _matrix=matrix,
            _created=np.array([incident.created_at.timestamp() for incident in incidents], dtype=np.float64),
            _position={incident.id: position for position, incident in enumerate(incidents)},
            _labels=labels,
            _labelled=np.array([bool(incident.root_causes) for incident in incidents], dtype=bool),
            _services=services,
            _service_counts=service_counts,
            _sources=sources,
            _source_counts=source_counts,
            _columns=None if matrix is None else matrix.tocsc(),
            _catalog=ServiceLinks.of(catalog),
        )

    def query(
        self,
        incident: HistoryIncident,
        k: int = 5,
        *,
        since: datetime | None = None,
        threshold: float | None = None,
    ) -> list[Match]:
        """The ``k`` past incidents most similar to ``incident``, best first, scoring at least ``threshold``.

        ``incident`` itself (by id) is never a match, and its own root-cause label is never read.
        """
        import numpy as np

        n = len(self.incidents)
        if n == 0 or k <= 0:
            return []
        threshold = self.config.threshold if threshold is None else threshold
        weights = self.config.weights
        eligible = np.ones(n, dtype=bool)
        own = self._position.get(incident.id)
        if own is not None:
            eligible[own] = False
        if since is not None:
            eligible &= self._created >= since.timestamp()

        query_vector = None
        text = np.zeros(n, dtype=np.float64)
        if self._matrix is not None:
            query_vector = self._vectorizer.transform([incident_text(incident)]).tocsr()
            # Only the query's few terms matter: multiply their columns, not the whole matrix.
            columns = self._columns[:, query_vector.indices]
            text = np.asarray(columns @ query_vector.data.astype(np.float64)).ravel()
        parts: dict[str, NDArray[np.float64]] = {"text": text}

        mine, linked = self._catalog.around(incident.services)
        if mine and weights.get("services", 0) > 0:
            parts["services"] = self._service_overlap(mine, linked)
        if incident.alert_sources and weights.get("alert_sources", 0) > 0:
            parts["alert_sources"] = self._jaccard(incident.alert_sources, self._sources, self._source_counts)
        days = np.abs(self._created - incident.created_at.timestamp()) / _SECONDS_PER_DAY
        parts["time"] = np.power(0.5, days / self.config.time_half_life_days)

        vote = self._vote(text, own)
        if vote and weights.get("root_cause", 0) > 0:
            share = np.zeros(n, dtype=np.float64)
            for label, fraction in vote.items():
                rows = self._labels[label]
                share[rows] = np.maximum(share[rows], fraction)
            parts["root_cause"] = share
        likely = max(vote, key=lambda label: vote[label]) if vote else None

        counted = {name: weights.get(name, 0.0) for name in parts if weights.get(name, 0.0) > 0}
        total = sum(counted.values()) or 1.0
        score = sum((weight * parts[name] for name, weight in counted.items()), np.zeros(n)) / total
        score = np.where(eligible & (score >= threshold), score, -1.0)
        top = np.argpartition(-score, k)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-score[top], kind="stable")]
        return [
            self._match(
                incident,
                int(position),
                float(score[position]),
                parts,
                counted,
                query_vector,
                likely,
                (mine, linked),
            )
            for position in top
            if score[position] >= 0
        ]

    def _rows(self, terms: Iterable[str]) -> NDArray[np.intp]:
        """The incidents that name any of ``terms`` (lower case), each once."""
        import numpy as np

        found = [rows for term in terms if (rows := self._services.get(term)) is not None]
        if not found:
            return np.zeros(0, dtype=np.intp)
        return found[0] if len(found) == 1 else np.unique(np.concatenate(found))

    def _service_overlap(
        self, mine: Mapping[str, frozenset[str]], linked: Mapping[str, str]
    ) -> NDArray[np.float64]:
        """``(shared + dependency_share * linked) / |union|`` for every incident (see the module doc)."""
        import numpy as np

        n = len(self.incidents)
        shared = np.zeros(n, dtype=np.float64)
        for terms in mine.values():
            shared[self._rows(terms)] += 1.0
        union = self._service_counts + len(mine) - shared
        overlap = shared
        if linked and self.config.dependency_share > 0:
            near = np.zeros(n, dtype=np.float64)
            for key in linked:
                near[self._rows(self._catalog.terms[key])] += 1.0
            # A service named twice (by name and by alias) is still one service of the incident's.
            near = np.minimum(near, np.maximum(self._service_counts - shared, 0.0))
            overlap = shared + self.config.dependency_share * near
        return np.minimum(np.divide(overlap, union, out=np.zeros_like(overlap), where=union > 0), 1.0)

    def _jaccard(
        self, names: Sequence[str], postings: Mapping[str, NDArray[np.intp]], counts: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        import numpy as np

        wanted = {name.lower() for name in names}
        shared = np.zeros(len(self.incidents), dtype=np.float64)
        for name in wanted:
            rows = postings.get(name)
            if rows is not None:
                shared[rows] += 1.0
        union = counts + len(wanted) - shared
        return np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)

    def _vote(self, text: NDArray[np.float64], own: int | None) -> dict[str, float]:
        """Root-cause label → its share of the vote of the nearest labelled incidents (never the query)."""
        import numpy as np

        candidates = np.where(self._labelled, text, 0.0)
        if own is not None:
            candidates[own] = 0.0
        neighbours = self.config.label_neighbours
        if not candidates.any():
            return {}
        if neighbours < len(candidates):
            nearest = np.argpartition(-candidates, neighbours)[:neighbours]
        else:
            nearest = np.arange(len(candidates))
        votes: dict[str, float] = {}
        for position in nearest:
            weight = float(candidates[position])
            if weight <= 0:
                continue
            for label in {label.lower() for label in self.incidents[position].root_causes}:
                votes[label] = votes.get(label, 0.0) + weight
        total = sum(votes.values())
        return {label: weight / total for label, weight in votes.items()} if total else {}

    def _match(
        self,
        query: HistoryIncident,
        position: int,
        score: float,
        parts: Mapping[str, NDArray[np.float64]],
        counted: Mapping[str, float],
        query_vector: Any,
        likely: str | None,
        services: tuple[Mapping[str, frozenset[str]], Mapping[str, str]],
    ) -> Match:
        past = self.incidents[position]
        mine, linked = services
        shared = [name for name in past.services if self._catalog.key(name) in mine]
        related = {
            key: (name, linked[key])
            for name in past.services
            if (key := self._catalog.key(name)) in linked and key not in mine
        }
        sources = {name.lower() for name in query.alert_sources}
        likely_label = next((label for label in past.root_causes if label.lower() == likely), likely)
        return Match(
            incident=past,
            score=score,
            parts={name: float(parts[name][position]) for name in counted},
            weights=dict(counted),
            shared_terms=self._shared_terms(query_vector, position),
            shared_services=tuple(shared),
            shared_alert_sources=tuple(name for name in past.alert_sources if name.lower() in sources),
            likely_root_cause=likely_label,
            resolution=Resolution(
                summary=past.summary,
                last_updates=tuple(u.message for u in past.updates if u.message)[-_LAST_UPDATES:],
                root_causes=past.root_causes,
                follow_ups=past.follow_ups,
                resolved_at=past.resolved_at,
            ),
            related_services=tuple(related.values()),
        )

    def _shared_terms(self, query_vector: Any, position: int) -> tuple[str, ...]:
        if query_vector is None or self._matrix is None:
            return ()
        import numpy as np

        row = self._matrix[position]
        shared, in_row, in_query = np.intersect1d(
            row.indices, query_vector.indices, assume_unique=True, return_indices=True
        )
        if len(shared) == 0:
            return ()
        if self._terms is None:
            self._terms = self._vectorizer.get_feature_names_out()
        weight = row.data[in_row] * query_vector.data[in_query]
        order = sorted(zip(weight, shared, strict=True), key=lambda pair: -pair[0])
        return tuple(str(self._terms[column]) for _, column in order[:_SHARED_TERMS])


_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[Any, ...], SimilarityIndex]] = {}


def index_for(history: History, config: InvestigationConfig) -> SimilarityIndex:
    """The index of a store's history and catalog, rebuilt only when either (or the configuration) changed."""
    from incidentkit.investigation.service_directory import ServiceDirectory

    directory = ServiceDirectory(history.store)
    key = (history.fingerprint(), directory.fingerprint(), config)
    url = history.store.url
    with _cache_lock:
        cached = _cache.get(url)
        if cached is not None and cached[0] == key:
            return cached[1]
    index = SimilarityIndex.build(list(history.all()), config, catalog=directory.all())
    with _cache_lock:
        _cache[url] = (key, index)
    return index


def similar(
    ref_or_incident: str | HistoryIncident,
    k: int = 5,
    since: datetime | None = None,
    threshold: float | None = None,
    *,
    history: History,
    config: InvestigationConfig | None = None,
) -> list[Match]:
    """The past incidents most similar to an incident, best first, each explained.

    Args:
        ref_or_incident: an incident of the history by ULID, ``INC-123`` or ``123``; or an incident as
            plain data (for example one not synced yet, flattened from the API).
        k: how many matches at most.
        since: only past incidents declared at or after this time.
        threshold: the lowest score returned; the configuration's ``threshold`` when None.
        history: the incident history to search.
        config: weights and fields; the configuration file's ``[investigation]`` table when None.

    Raises:
        HistoryNotFoundError: a reference that is not in the history.
    """
    config = config or load_investigation_config()
    if isinstance(ref_or_incident, HistoryIncident):
        query = ref_or_incident
    else:
        found = history.get(ref_or_incident)
        if found is None:
            raise HistoryNotFoundError(
                f"incident {ref_or_incident!r} is not in the incident history: run `incidentkit sync` first"
            )
        query = found
    # The query's own label is evidence about the answer, never about the question.
    query = replace(query, root_causes=())
    return index_for(history, config).query(query, k, since=since, threshold=threshold)
