"""Evaluation scenarios: a simulated driver whose mistakes are drawn from a seed.

The first :data:`CLEAN_LAPS` timed laps are clean, so the session's reference lap is a clean
one; every later lap has 1–3 mistakes of random kinds at distinct corners, with sizes drawn
from the ranges of :data:`AMOUNT_RANGES`. Kinds are dealt from a shuffled deck that is
refilled when empty, so a session with six or more mistakes has every kind. Braking kinds
(brake early, brake late, coasting) go only to corners whose ideal pass brakes; a mistake that
starts before the brake point (brake early, coasting) only where the car is on the throttle
that far before it, at least :data:`EARLY_MARGIN_M` past the previous corner's full-throttle
point (braking 38 m early for the second part of an S that the driver brakes for 46 m after the
first part's apex is no braking at all: the car only holds its speed); a lift goes to a point
on a straight. Everything follows from (track, seed, car, laps): the same
arguments give the same profile, hence the same ``.ibt`` and the same session id.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass

from racecoach.client.simulator import (
    DriverProfile,
    Mistake,
    MistakeKind,
    brake_early,
    brake_late,
    coasting,
    ideal_corners,
    late_throttle,
    lift,
    load_track,
    low_apex_speed,
)
from racecoach.client.simulator.corners import Corner

__all__ = ["AMOUNT_RANGES", "BRAKING_KINDS", "CLEAN_LAPS", "EARLY_MARGIN_M", "Scenario", "build_scenario", "early_room_m", "plan_mistakes", "straights"]

CLEAN_LAPS = 2
MISTAKES_PER_LAP = (1, 3)
# kind -> (low, high, rounding step) of its amount: metres, km/h or seconds
AMOUNT_RANGES: dict[MistakeKind, tuple[float, float, float]] = {
    MistakeKind.BRAKE_EARLY: (10.0, 40.0, 1.0),
    MistakeKind.BRAKE_LATE: (8.0, 30.0, 1.0),
    MistakeKind.LOW_APEX_SPEED: (4.0, 12.0, 0.5),
    MistakeKind.LATE_THROTTLE: (20.0, 80.0, 1.0),
    MistakeKind.COASTING: (20.0, 80.0, 1.0),
    MistakeKind.LIFT: (0.4, 1.2, 0.1),
}
BRAKING_KINDS = frozenset({MistakeKind.BRAKE_EARLY, MistakeKind.BRAKE_LATE, MistakeKind.COASTING})
EARLY_KINDS = frozenset({MistakeKind.BRAKE_EARLY, MistakeKind.COASTING})
EARLY_MARGIN_M = 15.0
MIN_STRAIGHT_M = 250.0
LIFT_SPAN = (0.15, 0.55)  # where on a straight a lift starts, as a fraction of its length


@dataclass(frozen=True)
class Scenario:
    """One evaluation session: where, which car, how many timed laps, and the driver."""

    track: str
    seed: int
    car: str
    laps: int
    profile: DriverProfile

    @property
    def name(self) -> str:
        return f"{self.track}/{self.car}/seed {self.seed}"


@dataclass(frozen=True)
class Straight:
    """The straight after corner ``after`` (its throttle point) up to the next corner's braking."""

    after: int
    before: int
    start_m: float
    length_m: float


def straights(*, corners: list[Corner], length_m: float, min_length_m: float = MIN_STRAIGHT_M) -> list[Straight]:
    """Straights of at least ``min_length_m`` between consecutive corners (wrapping at the line)."""
    found = []
    for i, corner in enumerate(corners):
        nxt = corners[(i + 1) % len(corners)]
        start = corner.ideal.throttle_point_m if corner.ideal.throttle_point_m is not None else corner.ideal.apex_m
        end = nxt.ideal.brake_point_m if nxt.ideal.brake_point_m is not None else nxt.ideal.apex_m
        length = (end - start) % length_m
        if length >= min_length_m:
            found.append(Straight(after=corner.number, before=nxt.number, start_m=start, length_m=length))
    return found


def early_room_m(*, corners: list[Corner], length_m: float) -> dict[int, float]:
    """Per braking corner, the metres before its ideal brake point that the car is on the throttle: from
    :data:`EARLY_MARGIN_M` past the previous corner's full-throttle point (its apex when taken flat)."""
    room: dict[int, float] = {}
    for i, corner in enumerate(corners):
        if corner.ideal.brake_point_m is None:
            continue
        before = corners[i - 1].ideal
        on = before.throttle_point_m if before.throttle_point_m is not None else before.apex_m
        ahead = (corner.ideal.brake_point_m - on + length_m / 2) % length_m - length_m / 2  # < 0: no throttle between
        room[corner.number] = ahead - EARLY_MARGIN_M
    return room


def _amount(rng: random.Random, kind: MistakeKind, *, room_m: float | None = None) -> float:
    low, high, step = AMOUNT_RANGES[kind]
    high = min(high, math.floor(room_m / step) * step) if room_m is not None else high  # rounded, still within
    return round(round(rng.uniform(low, high) / step) * step, 3)


def _mistake(kind: MistakeKind, *, corner: int, amount: float, lap: int) -> Mistake:
    laps = (lap,)
    if kind is MistakeKind.BRAKE_EARLY:
        return brake_early(corner=corner, metres=amount, laps=laps)
    if kind is MistakeKind.BRAKE_LATE:
        return brake_late(corner=corner, metres=amount, laps=laps)
    if kind is MistakeKind.COASTING:
        return coasting(corner=corner, metres=amount, laps=laps)
    if kind is MistakeKind.LATE_THROTTLE:
        return late_throttle(corner=corner, metres=amount, laps=laps)
    return low_apex_speed(corner=corner, kph=amount, laps=laps)


def _lift(rng: random.Random, *, options: list[Straight], busy: set[int], length_m: float, lap: int) -> Mistake:
    quiet = [s for s in options if s.after not in busy and s.before not in busy]
    straight = rng.choice(quiet or options)
    at = (straight.start_m + rng.uniform(*LIFT_SPAN) * straight.length_m) % length_m
    return lift(at_m=round(at, 1), seconds=_amount(rng, MistakeKind.LIFT), laps=(lap,))


def plan_mistakes(*, corners: list[Corner], length_m: float, laps: int, rng: random.Random) -> tuple[Mistake, ...]:
    """The mistakes of laps ``CLEAN_LAPS + 1 .. laps``, each on exactly one lap."""
    braking = [c.number for c in corners if c.ideal.brake_point_m is not None]
    room = early_room_m(corners=corners, length_m=length_m)
    options = straights(corners=corners, length_m=length_m)
    deck: list[MistakeKind] = []
    planned: list[Mistake] = []
    for lap in range(CLEAN_LAPS + 1, laps + 1):
        busy: set[int] = set()
        lifted = False
        for _ in range(rng.randint(*MISTAKES_PER_LAP)):
            kind = None
            for attempt in range(2 * len(MistakeKind)):
                if not deck:
                    deck = list(MistakeKind)
                    rng.shuffle(deck)
                candidate = deck.pop()
                free = [n for n in (braking if candidate in BRAKING_KINDS else [c.number for c in corners]) if n not in busy]
                if candidate in EARLY_KINDS:
                    free = [n for n in free if room[n] >= AMOUNT_RANGES[candidate][0]]
                if (candidate is MistakeKind.LIFT and options and not lifted) or (candidate is not MistakeKind.LIFT and free):
                    kind = candidate
                    break
                deck.insert(0, candidate)  # not possible on this lap: keep it for a later one
            if kind is None:
                continue
            if kind is MistakeKind.LIFT:
                planned.append(_lift(rng, options=options, busy=busy, length_m=length_m, lap=lap))
                lifted = True
                continue
            corner = rng.choice(free)
            busy.add(corner)
            amount = _amount(rng, kind, room_m=room[corner] if kind in EARLY_KINDS else None)
            planned.append(_mistake(kind, corner=corner, amount=amount, lap=lap))
    return tuple(planned)


def _variability():
    """``Variability.typical()`` where the simulator has driver variability, else ``None``."""
    if "variability" not in {f.name for f in dataclasses.fields(DriverProfile)}:
        return None
    try:
        from racecoach.client.simulator.variability import Variability  # type: ignore[import-not-found]
    except ImportError:
        return None
    typical = getattr(Variability, "typical", None)
    return typical() if typical is not None else None


def build_scenario(*, track: str, seed: int, car: str = "gt3", laps: int = 6, variability: bool = True) -> Scenario:
    """The scenario of ``track``/``car``/``seed`` with ``laps`` timed laps (deterministic)."""
    corners = ideal_corners(track=track, car=car)
    length_m = load_track(track).length_m
    rng = random.Random(f"racecoach-eval/{track}/{car}/{seed}/{laps}")
    mistakes = plan_mistakes(corners=corners, length_m=length_m, laps=laps, rng=rng)
    kwargs = {}
    varied = _variability() if variability else None
    if varied is not None:
        kwargs["variability"] = varied
    profile = DriverProfile(name=f"Eval Driver {seed}", mistakes=mistakes, **kwargs)
    return Scenario(track=track, seed=seed, car=car, laps=laps, profile=profile)
