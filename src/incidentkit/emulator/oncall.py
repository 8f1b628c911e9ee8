"""Who is on call: a schedule's entries in a window, computed from its rotations, with overrides applied.

Pure functions of the schedule record (``ScheduleV2`` as the API shows it), its overrides and a
window, so the answer for a given moment is always the same and tests can use fixed datetimes.

The rules, as the schema describes them:

- A rotation's first user comes on shift at ``handover_start_at``; each shift lasts the next
  ``handovers`` interval (several intervals apply in turn), and the next users take over, cycling
  through ``users``. Shifts before ``handover_start_at`` follow the same cycle backwards.
- Daily and weekly handovers keep the wall-clock time of the schedule's ``timezone`` (a 09:00
  handover stays at 09:00 across a daylight-saving change); hourly ones count in that wall time too.
- With several ``layers``, that many people are on call at once: each shift takes the next
  ``len(layers)`` users in order, the first layer the first of them.
- ``working_intervals`` (weekday, start and end time, in the schedule's time zone) restrict a
  rotation to those hours; a shift is cut to the parts inside them.
- A rotation may appear several times with the same ``id``: each version applies from its
  ``effective_from`` (the first has none) until the next version's.
- An override puts its user on one rotation's layer for its span, cutting whatever the rotation had
  scheduled there; of two overlapping overrides on one layer, the later-created wins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidentkit.emulator.ids import rfc3339
from incidentkit.emulator.state import Record
from incidentkit.timeutil import parse_iso

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INTERVAL_TYPES = {"hourly": "hours", "daily": "days", "weekly": "weeks"}


@dataclass(frozen=True)
class Shift:
    """One person on call for one layer of one rotation, from ``start`` until ``end``.

    Attributes:
        fingerprint: names the rotation's shift this came from; the pieces of a shift cut by
            working hours or overrides keep it.
        override_id: set for a shift an override made.
    """

    rotation_id: str
    layer_id: str
    user: Record
    start: datetime
    end: datetime
    fingerprint: str
    override_id: str | None = None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@cache
def zone(name: str) -> ZoneInfo:
    """The time zone ``name``.

    Raises:
        ValueError: not an IANA time zone name.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone (use an IANA name such as Europe/London)") from None


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:26].upper()


# --- one rotation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cadence:
    """When a rotation's shifts change hands: boundary ``k`` is the start of shift ``k``."""

    origin: datetime  # handover_start_at, as wall time of the schedule's zone (naive)
    offsets: tuple[timedelta, ...]  # the start of each shift of one cycle, from the cycle's start
    cycle: timedelta
    tz: ZoneInfo

    @classmethod
    def of(cls, rotation: Record, tz: ZoneInfo) -> _Cadence:
        origin = parse_iso(rotation["handover_start_at"]).astimezone(tz).replace(tzinfo=None)
        offsets: list[timedelta] = []
        total = timedelta()
        for handover in rotation["handovers"]:
            offsets.append(total)
            total += timedelta(**{INTERVAL_TYPES[handover["interval_type"]]: handover["interval"]})
        return cls(origin, tuple(offsets), total, tz)

    def boundary(self, index: int) -> datetime:
        cycles, within = divmod(index, len(self.offsets))
        wall = self.origin + cycles * self.cycle + self.offsets[within]
        return wall.replace(tzinfo=self.tz).astimezone(UTC)

    def index_at(self, moment: datetime) -> int:
        """The shift that ``moment`` falls in."""
        wall = moment.astimezone(self.tz).replace(tzinfo=None)
        index = ((wall - self.origin) // self.cycle) * len(self.offsets)
        while self.boundary(index) > moment:
            index -= 1
        while self.boundary(index + 1) <= moment:
            index += 1
        return index


def rotation_shifts(
    rotation: Record,
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    *,
    active_from: datetime | None = None,
    active_until: datetime | None = None,
) -> list[Shift]:
    """The shifts of one rotation (one version of it) that overlap ``[start, end)``.

    ``active_from`` and ``active_until`` bound the version: shifts are cut at them.
    """
    users = rotation["users"]
    layers = rotation["layers"] or [{"id": rotation["id"]}]
    if not users or not rotation["handovers"]:
        return []
    low = max(start, active_from) if active_from else start
    high = min(end, active_until) if active_until else end
    if low >= high:
        return []
    cadence = _Cadence.of(rotation, tz)
    shifts: list[Shift] = []
    index = cadence.index_at(low)
    while (begins := cadence.boundary(index)) < high:
        ends = cadence.boundary(index + 1)
        span_start = max(begins, active_from) if active_from else begins
        span_end = min(ends, active_until) if active_until else ends
        for position, layer in enumerate(layers):
            user = users[(index * len(layers) + position) % len(users)]
            fingerprint = _fingerprint(rotation["id"], layer["id"], user["id"], rfc3339(begins.timestamp()))
            shifts.append(Shift(rotation["id"], layer["id"], user, span_start, span_end, fingerprint))
        index += 1
    intervals = rotation.get("working_intervals") or []
    if intervals:
        shifts = [
            piece for shift in shifts for piece in _within_working_hours(shift, intervals, tz, low, high)
        ]
    return [shift for shift in shifts if shift.overlaps(start, end) and shift.start < shift.end]


def parse_clock(value: str) -> time | None:
    """``09:00`` as a time; ``24:00`` (the end of a day) as ``None``.

    Raises:
        ValueError: not ``HH:MM`` in 24-hour time.
    """
    if value == "24:00":
        return None
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day in 24-hour HH:MM form") from None


def _working_windows(
    intervals: Sequence[Record], tz: ZoneInfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The working-hour windows, as UTC spans, of every local day that touches ``[start, end)``."""
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        for interval in intervals:
            if interval["weekday"] != WEEKDAYS[day.weekday()]:
                continue
            opens = _local(day, parse_clock(interval["start_time"]) or time(0), tz)
            closes_at = parse_clock(interval["end_time"])
            closes = (
                _local(day + timedelta(days=1), time(0), tz)
                if closes_at is None
                else _local(day, closes_at, tz)
            )
            yield opens, closes
        day += timedelta(days=1)


def _local(day: date, moment: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, moment).replace(tzinfo=tz).astimezone(UTC)


def _within_working_hours(
    shift: Shift, intervals: Sequence[Record], tz: ZoneInfo, start: datetime, end: datetime
) -> Iterator[Shift]:
    # Only the days near the window matter: a piece outside it would be dropped anyway.
    low, high = max(shift.start, start - timedelta(days=1)), min(shift.end, end + timedelta(days=1))
    for opens, closes in _working_windows(intervals, tz, low, high):
        piece_start, piece_end = max(shift.start, opens), min(shift.end, closes)
        if piece_start < piece_end:
            yield replace(shift, start=piece_start, end=piece_end)


# --- a whole schedule ------------------------------------------------------------------------


def _versions(rotations: Sequence[Record]) -> dict[str, list[Record]]:
    """Each rotation's versions, oldest first (the one without ``effective_from`` first)."""
    by_id: dict[str, list[Record]] = {}
    for rotation in rotations:
        by_id.setdefault(rotation["id"], []).append(rotation)
    for versions in by_id.values():
        versions.sort(key=lambda r: parse_iso(r["effective_from"]) if r.get("effective_from") else _DAWN)
    return by_id


_DAWN = datetime(1970, 1, 1, tzinfo=UTC)


def scheduled_shifts(schedule: Record, start: datetime, end: datetime) -> list[Shift]:
    """What the schedule's rotation rules put on call in ``[start, end)``, before overrides."""
    tz = zone(schedule["timezone"])
    shifts: list[Shift] = []
    for versions in _versions((schedule.get("config") or {}).get("rotations", [])).values():
        for position, version in enumerate(versions):
            begins = parse_iso(version["effective_from"]) if version.get("effective_from") else None
            following = versions[position + 1] if position + 1 < len(versions) else None
            until = parse_iso(following["effective_from"]) if following else None
            shifts += rotation_shifts(version, tz, start, end, active_from=begins, active_until=until)
    return _ordered(shifts)


def override_shift(override: Record) -> Shift:
    """The shift an override (``ScheduleOverrideV2``) makes."""
    return Shift(
        override["rotation_id"],
        override["layer_id"],
        override.get("user", {}),
        parse_iso(override["start_at"]),
        parse_iso(override["end_at"]),
        _fingerprint("override", override["id"]),
        override_id=override["id"],
    )


def _cut(shift: Shift, start: datetime, end: datetime) -> list[Shift]:
    """``shift`` without ``[start, end)``: nothing, itself, or the pieces either side."""
    if not shift.overlaps(start, end):
        return [shift]
    pieces = []
    if shift.start < start:
        pieces.append(replace(shift, end=start))
    if end < shift.end:
        pieces.append(replace(shift, start=end))
    return pieces


def apply_overrides(scheduled: Iterable[Shift], overrides: Sequence[Record]) -> list[Shift]:
    """The final shifts: each override (in creation order) cuts its layer's shifts and takes the span."""
    final = list(scheduled)
    for override in sorted(overrides, key=lambda o: (o["created_at"], o["id"])):
        taken = override_shift(override)
        kept: list[Shift] = []
        for shift in final:
            same_layer = shift.rotation_id == taken.rotation_id and shift.layer_id == taken.layer_id
            kept += _cut(shift, taken.start, taken.end) if same_layer else [shift]
        final = [*kept, taken]
    return _ordered(final)


def _ordered(shifts: Iterable[Shift]) -> list[Shift]:
    return sorted(shifts, key=lambda s: (s.start, s.end, s.rotation_id, s.layer_id))


@dataclass(frozen=True)
class Entries:
    """A schedule's entries in a window: as scheduled, the overrides, and the final result."""

    scheduled: list[Shift]
    overrides: list[Shift]
    final: list[Shift]


def schedule_entries(
    schedule: Record, overrides: Sequence[Record], start: datetime, end: datetime
) -> Entries:
    """Every entry of ``schedule`` that overlaps ``[start, end)``, overrides applied in ``final``.

    Shifts keep their whole span (the API returns entries that overlap the window, uncut), so an
    override inside the window cuts a shift that began before it where it should.
    """
    relevant = [o for o in overrides if override_shift(o).overlaps(start, end)]
    scheduled = scheduled_shifts(schedule, start, end)
    final = apply_overrides(scheduled, relevant)
    return Entries(
        scheduled=scheduled,
        overrides=_ordered(override_shift(o) for o in relevant),
        final=[shift for shift in final if shift.overlaps(start, end)],
    )


def on_call_at(schedule: Record, overrides: Sequence[Record], moment: datetime) -> list[Shift]:
    """The final shifts that cover ``moment``: who is on call then, one per rotation layer."""
    window_end = moment + timedelta(microseconds=1)
    return [s for s in schedule_entries(schedule, overrides, moment, window_end).final if s.covers(moment)]


def next_changeover(schedule: Record, overrides: Sequence[Record], moment: datetime) -> datetime | None:
    """When who is on call next changes after ``moment`` (looking up to 90 days ahead), or ``None``."""
    horizon = moment + timedelta(days=90)
    final = schedule_entries(schedule, overrides, moment, horizon).final
    times = [s.end for s in final if s.covers(moment)] + [s.start for s in final if s.start > moment]
    later = [t for t in times if t > moment and t < horizon]
    return min(later) if later else None


def entry_record(shift: Shift) -> Record:
    """A ``ScheduleEntryV2`` for a shift."""
    entry_id = shift.override_id or _fingerprint(shift.fingerprint, rfc3339(shift.start.timestamp()))
    entry: Record = {
        "entry_id": entry_id,
        "fingerprint": shift.fingerprint,
        "rotation_id": shift.rotation_id,
        "start_at": rfc3339(shift.start.timestamp()),
        "end_at": rfc3339(shift.end.timestamp()),
    }
    if shift.user:
        entry["user"] = shift.user
    return entry
