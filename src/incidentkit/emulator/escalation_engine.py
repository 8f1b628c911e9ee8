"""How an escalation moves through its path: who each level pages, and when it moves on.

At creation the path is flattened into steps (levels, channel notifications, delays, repeats;
branches and hand-offs to other paths inlined), kept in the escalation's progress. The emulator
has no background timer: an escalation is brought up to date, at the emulator's clock, whenever a
request reads or changes it (:func:`catch_up`). A level whose ``time_to_ack_seconds`` passed
without an acknowledgement moves on to the next step; after the last, the escalation expires.

The limits, which the emulator does not try to imitate: branch conditions are not evaluated (a
branch with conditions is taken as not met, one without as met), working-hour windows and round
robin are ignored, and the path's ``repeat_config`` is kept but never repeats the path.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

from incidentkit.emulator.errors import invalid
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.oncall import next_changeover, on_call_at
from incidentkit.emulator.records import embedded_user
from incidentkit.emulator.state import OrgState, Record

MAX_INLINED_PATHS = 5  # paths handing over to paths: deeper than this is a loop
PAGING_STATUSES = ("triggered", "snoozed", "pending", "delayed", "pending_repeat")

Emit = Callable[[str, Record], None]


def flatten(state: OrgState, nodes: list[Record]) -> list[Record]:
    """A path's nodes as a list of steps to walk; a repeat step holds the index it jumps back to."""
    steps: list[Record] = []
    _flatten_into(state, nodes, steps, {}, 0)
    return steps


def _flatten_into(
    state: OrgState, nodes: list[Record], steps: list[Record], starts: dict[str, int], depth: int
) -> None:
    # One list and one map of where each node starts, shared by the branches, so a repeat
    # inside a branch can jump back to a node outside it.
    for node in nodes:
        starts[node["id"]] = len(steps)
        kind = node["type"]
        if kind == "level":
            level = node["level"]
            steps.append(
                {"type": "level", "targets": level["targets"], "wait": level.get("time_to_ack_seconds")}
            )
        elif kind == "notify_channel":
            notify = node["notify_channel"]
            steps.append(
                {"type": "channels", "targets": notify["targets"], "wait": notify.get("time_to_ack_seconds")}
            )
        elif kind == "delay":
            steps.append({"type": "delay", "wait": node["delay"].get("delay_seconds", 0)})
        elif kind == "repeat" and node["repeat"]["to_node"] in starts:
            repeat = node["repeat"]
            steps.append({"type": "repeat", "to": starts[repeat["to_node"]], "times": repeat["repeat_times"]})
        elif kind == "if_else":
            branch = node["if_else"]
            chosen = branch["else_path"] if branch["conditions"] else branch["then_path"]
            _flatten_into(state, chosen, steps, starts, depth)
        elif kind == "escalation_path" and depth < MAX_INLINED_PATHS:
            other = state.find(state.escalation_paths, node["escalation_path"]["escalation_path_id"])
            if other is not None:
                # The other path's node ids are its own: they get a map of their own.
                _flatten_into(state, other["path"], steps, {}, depth + 1)


def _schedule_users(state: OrgState, schedule: Record, target: Record, when: datetime) -> list[Record]:
    overrides = [o for o in state.schedule_overrides if o["schedule_id"] == schedule["id"]]
    mode = target.get("schedule_mode") or "currently_on_call"
    rota = target.get("selected_rota_id") if mode.endswith("_for_rota") else None
    rotations = [
        r for r in (schedule.get("config") or {}).get("rotations", []) if rota is None or r["id"] == rota
    ]
    if mode.startswith("all_users"):
        return [user for rotation in rotations for user in rotation["users"]]
    if mode.startswith("next_on_call"):
        change = next_changeover(schedule, overrides, when)
        when = change if change is not None else when
    shifts = on_call_at(schedule, overrides, when)
    return [shift.user for shift in shifts if shift.user and (rota is None or shift.rotation_id == rota)]


def resolve_targets(
    state: OrgState, targets: list[Record], when: datetime
) -> tuple[list[Record], list[Record]]:
    """The users (``UserV2``, each once) and channels (``ChatChannelSlimV2``) targets page at ``when``."""
    users: dict[str, Record] = {}
    channels: list[Record] = []
    for target in targets:
        if target["type"] == "user":
            user = state.find(state.users, target["id"])
            found = [embedded_user(user)] if user is not None else []
        elif target["type"] == "schedule":
            schedule = state.find(state.schedules, target["id"])
            found = _schedule_users(state, schedule, target, when) if schedule is not None else []
        else:
            key = "slack_channel_id" if target["type"] == "slack_channel" else "microsoft_teams_channel_id"
            channels.append({key: target["id"]})
            found = []
        for user in found:
            users.setdefault(user["id"], user)
    return list(users.values()), channels


def new_event(escalation: Record, event: str, at: float, rng_id: str, **extra: object) -> None:
    escalation["events"].append({"id": rng_id, "event": event, "occurred_at": rfc3339(at), **extra})


class Walker:
    """Moves one escalation along its steps, recording events and status changes as they happen."""

    def __init__(self, state: OrgState, escalation: Record, progress: Record, new_id: Callable[[float], str]):
        self.state = state
        self.escalation = escalation
        self.progress = progress
        self.new_id = new_id
        self.changes: list[tuple[str, str]] = []  # (previous status, new status)

    def event(self, kind: str, at: float, **extra: object) -> None:
        new_event(self.escalation, kind, at, self.new_id(at), **extra)
        self.escalation["updated_at"] = rfc3339(at)

    def set_status(self, status: str, at: float) -> None:
        previous = self.escalation["status"]
        if previous != status:
            self.escalation["status"] = status
            self.escalation["updated_at"] = rfc3339(at)
            self.changes.append((previous, status))

    def enter(self, index: int, at: float) -> None:
        """Start step ``index`` at ``at``: page its targets, or wait, or jump back."""
        steps = self.progress["steps"]
        while True:
            self.progress["step"], self.progress["since"] = index, at
            if index >= len(steps):
                self.set_status("expired", at)
                self.event("expired", at)
                return
            step = steps[index]
            if step["type"] == "repeat":
                done = self.progress.setdefault("repeated", {}).get(str(index), 0)
                if done < step["times"]:
                    self.progress["repeated"][str(index)] = done + 1
                    index = step["to"]
                else:
                    index += 1
                continue
            if step["type"] in ("level", "channels"):
                self.page(step, at)
            return

    def page(self, step: Record, at: float) -> None:
        users, channels = resolve_targets(self.state, step["targets"], datetime.fromtimestamp(at, UTC))
        if users:
            urgency = next(
                (t["urgency"] for t in step["targets"] if t["type"] in ("user", "schedule")), "high"
            )
            self.event("notified_users", at, users=users, urgency=urgency)
        if channels:
            self.event("notified_channels", at, channels=channels)

    def catch_up(self, now: float) -> None:
        """Play every step whose wait ran out by ``now``."""
        if self.escalation["status"] == "snoozed":
            until = self.progress.get("snooze_until")
            if until is None or until > now:
                return
            self.set_status("triggered", until)
            self.progress.pop("snooze_until", None)
            self.enter(self.progress["step"], until)
        while self.escalation["status"] == "triggered":
            step_index = self.progress["step"]
            step = self.progress["steps"][step_index]
            wait = step.get("wait")
            if wait is None:
                return  # a level without a time to acknowledge pages until someone answers
            due = self.progress["since"] + wait
            if due > now:
                return
            self.enter(step_index + 1, due)


def start(
    state: OrgState, escalation: Record, progress: Record, now: float, new_id: Callable[[float], str]
) -> None:
    """Trigger a new escalation: it enters its first step now."""
    walker = Walker(state, escalation, progress, new_id)
    walker.event("triggered", now)
    walker.enter(0, now)


def catch_up(
    state: OrgState, escalation: Record, now: float, new_id: Callable[[float], str]
) -> list[tuple[str, str]]:
    """Bring an escalation up to ``now``; the status changes that made, in order."""
    progress = state.escalation_progress.get(escalation["id"])
    if progress is None:
        return []
    walker = Walker(state, escalation, progress, new_id)
    walker.catch_up(now)
    return walker.changes


def respond(
    state: OrgState,
    escalation: Record,
    response: str,
    now: float,
    new_id: Callable[[float], str],
    snooze_until: float | None = None,
) -> list[tuple[str, str]]:
    """Acknowledge or snooze; the status changes made. ``nack`` is refused by the caller."""
    progress = state.escalation_progress[escalation["id"]]
    walker = Walker(state, escalation, progress, new_id)
    status = escalation["status"]
    if response == "ack":
        if status == "acked":
            return []
        if status not in PAGING_STATUSES:
            raise invalid("response", f"The escalation is {status}, so it can no longer be acknowledged")
        walker.set_status("acked", now)
        walker.event("acked", now)
    else:
        if status not in PAGING_STATUSES:
            raise invalid("response", f"The escalation is {status}, so it cannot be snoozed")
        assert snooze_until is not None
        progress["snooze_until"] = snooze_until
        walker.set_status("snoozed", now)
    return walker.changes


def cancel(
    state: OrgState, escalation: Record, now: float, new_id: Callable[[float], str]
) -> list[tuple[str, str]]:
    """Stop paging: an escalation still paging (or snoozed, or acked) becomes cancelled."""
    status = escalation["status"]
    if status == "cancelled":
        return []
    if status in ("resolved", "expired"):
        raise invalid("id", f"The escalation has {status}, so it cannot be cancelled", code="invalid_state")
    walker = Walker(state, escalation, state.escalation_progress[escalation["id"]], new_id)
    walker.set_status("cancelled", now)
    walker.event("cancelled", now)
    return walker.changes


def event_ids(rng: random.Random) -> Callable[[float], str]:
    """Ids for escalation events, from the emulator's random stream (so seeded runs repeat)."""
    return lambda at: new_ulid(at, rng)
