"""Cursor pagination: iterate a list result and further pages are fetched as needed.

incident.io's list endpoints answer ``{"<items>": [...], "pagination_meta": {"after": ...}}``.
A :class:`ListSpec` knows how to ask for a page and read one (sans I/O); :class:`SyncPager`
and :class:`AsyncPager` drive it. Paging stops when ``after`` is absent, or a page comes
back short or empty, or the caller's ``limit`` is reached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from incidentkit.api.core import APIRequest, Op, Params

T = TypeVar("T")
JSONObject = dict[str, Any]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, the cursor of the next page, and the total if known."""

    items: list[T]
    after: str | None
    total: int | None = None

    @property
    def has_more(self) -> bool:
        """Whether another page follows."""
        return self.after is not None


@dataclass(frozen=True)
class ListSpec(Generic[T]):
    """How to list one kind of object.

    Args:
        path: the list endpoint.
        items_key: the key of the items in the response body.
        parse: turns one raw item into a model.
        params: the filters, as query pairs.
        page_size: the page size to ask for.
        limit: stop after this many items (``None``: all of them).
    """

    path: str
    items_key: str
    parse: Callable[[Any], T]
    params: Params = ()
    page_size: int = 25
    limit: int | None = None

    def request(self, after: str | None, fetched: int) -> APIRequest:
        """The request for the page after ``after``, having fetched ``fetched`` items."""
        size = self.page_size
        if self.limit is not None:
            size = max(1, min(size, self.limit - fetched))
        params = [*self.params, ("page_size", str(size))]
        if after:
            params.append(("after", after))
        return APIRequest("GET", self.path, params=tuple(params))

    def read(self, body: Any, request: APIRequest, fetched: int) -> Page[T]:
        """Read one page; its ``after`` is ``None`` when no further page should be fetched."""
        raw_items = body.get(self.items_key, []) if isinstance(body, dict) else []
        items = [self.parse(raw) for raw in raw_items]
        if self.limit is not None:
            items = items[: max(0, self.limit - fetched)]
        meta = body.get("pagination_meta") if isinstance(body, dict) else None
        after = meta.get("after") if isinstance(meta, dict) else None
        total = meta.get("total_record_count") if isinstance(meta, dict) else None
        asked = int(dict(request.params).get("page_size", self.page_size))
        done = (
            not after
            or not raw_items
            or len(raw_items) < asked
            or (self.limit is not None and fetched + len(items) >= self.limit)
        )
        return Page(items=items, after=None if done else str(after), total=total)


class SyncPager(Generic[T]):
    """A list result for the sync client: iterate it for every item, across pages."""

    def __init__(
        self, spec: Op[ListSpec[T]], run: Callable[[Op[Any]], Any], send: Callable[[APIRequest], Any]
    ):
        self._spec_op: Op[ListSpec[T]] | None = spec
        self._spec: ListSpec[T] | None = None
        self._run = run
        self._send = send

    def _resolve(self) -> ListSpec[T]:
        if self._spec is None:
            assert self._spec_op is not None
            self._spec = self._run(self._spec_op)
            self._spec_op = None
        return self._spec

    def pages(self) -> Iterator[Page[T]]:
        """Iterate page by page."""
        spec = self._resolve()
        after: str | None = None
        fetched = 0
        while True:
            request = spec.request(after, fetched)
            page = spec.read(self._send(request), request, fetched)
            fetched += len(page.items)
            yield page
            if page.after is None:
                return
            after = page.after

    def first_page(self) -> Page[T]:
        """Fetch only the first page."""
        return next(self.pages())

    def page(self, after: str | None = None) -> Page[T]:
        """Fetch one page: the first, or the one that follows the cursor ``after`` (a page's ``after``).

        For callers that hand the cursor to someone else and come back for the next page later
        (an agent's tool call), instead of iterating.
        """
        spec = self._resolve()
        request = spec.request(after, 0)
        return spec.read(self._send(request), request, 0)

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def to_list(self) -> list[T]:
        """Fetch every page and return all the items."""
        return list(self)

    def raw(self) -> SyncPager[JSONObject]:
        """The same listing as the API's JSON objects, not parsed into models.

        For programs that pass the JSON on (the CLI's ``--json``): nothing is validated, and
        neither pydantic nor the models are imported. Use it on a listing not yet iterated, in
        place of this pager.
        """
        return SyncPager(_raw_spec(self._spec_op, self._spec), self._run, self._send)


class AsyncPager(Generic[T]):
    """A list result for the async client: ``async for`` it for every item, across pages."""

    def __init__(
        self,
        spec: Op[ListSpec[T]],
        run: Callable[[Op[Any]], Awaitable[Any]],
        send: Callable[[APIRequest], Awaitable[Any]],
    ):
        self._spec_op: Op[ListSpec[T]] | None = spec
        self._spec: ListSpec[T] | None = None
        self._run = run
        self._send = send

    async def _resolve(self) -> ListSpec[T]:
        if self._spec is None:
            assert self._spec_op is not None
            self._spec = await self._run(self._spec_op)
            self._spec_op = None
        return self._spec

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Iterate page by page."""
        spec = await self._resolve()
        after: str | None = None
        fetched = 0
        while True:
            request = spec.request(after, fetched)
            page = spec.read(await self._send(request), request, fetched)
            fetched += len(page.items)
            yield page
            if page.after is None:
                return
            after = page.after

    async def first_page(self) -> Page[T]:
        """Fetch only the first page."""
        async for page in self.pages():
            return page
        raise AssertionError("pages() always yields at least one page")

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def to_list(self) -> list[T]:
        """Fetch every page and return all the items."""
        return [item async for item in self]

    def raw(self) -> AsyncPager[JSONObject]:
        """The same listing as the API's JSON objects, not parsed into models."""
        return AsyncPager(_raw_spec(self._spec_op, self._spec), self._run, self._send)


def _unparsed(item: Any) -> JSONObject:
    return dict(item) if isinstance(item, dict) else {"value": item}


def _raw_spec(spec_op: Op[ListSpec[T]] | None, spec: ListSpec[T] | None) -> Op[ListSpec[JSONObject]]:
    """The list spec of ``spec_op`` (or the already resolved ``spec``) with its items left as JSON."""
    if spec is None:
        assert spec_op is not None  # a pager holds one or the other
        spec = yield from spec_op
    return ListSpec(spec.path, spec.items_key, _unparsed, spec.params, spec.page_size, spec.limit)
