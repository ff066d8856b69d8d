"""Driver mistakes the simulator can inject, and the CLI syntax that names them.

CLI strings (``racing-coach simulate --mistake ...``)::

    brake-early:corner=3:metres=15          brake 15 m before the ideal brake point
    brake-late:corner=3:metres=10           brake 10 m after it, overshoot, slow exit
    low-apex-speed:corner=2:kph=8           8 km/h under the ideal minimum speed
    low-apex-speed:corner=2:fraction=0.1    10 % under it
    late-throttle:corner=5:metres=30        full throttle 30 m later than ideal
    coasting:corner=1:metres=40             off throttle 40 m before braking
    lift:at_m=1200:seconds=0.8              lift off for 0.8 s at 1,200 m

Every kind accepts ``laps=2,3`` (timed laps it happens on; default: every timed lap).
Corners are numbered from the start/finish line (see ``SimulatedSession.corners``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "Mistake",
    "MistakeKind",
    "MistakeParseError",
    "brake_early",
    "brake_late",
    "coasting",
    "late_throttle",
    "lift",
    "low_apex_speed",
    "parse_mistake",
]


class MistakeParseError(ValueError):
    """A ``--mistake`` string or mistake arguments that cannot be understood."""


class MistakeKind(str, Enum):
    BRAKE_EARLY = "brake_early"
    BRAKE_LATE = "brake_late"
    LOW_APEX_SPEED = "low_apex_speed"
    LATE_THROTTLE = "late_throttle"
    COASTING = "coasting"
    LIFT = "lift"

    @property
    def cli_name(self) -> str:
        return self.value.replace("_", "-")


# kind -> (required parameters, optional parameters, limits)
_USAGE = {
    MistakeKind.BRAKE_EARLY: "brake-early:corner=K:metres=N",
    MistakeKind.BRAKE_LATE: "brake-late:corner=K:metres=N",
    MistakeKind.LOW_APEX_SPEED: "low-apex-speed:corner=K:kph=N (or fraction=F)",
    MistakeKind.LATE_THROTTLE: "late-throttle:corner=K:metres=N",
    MistakeKind.COASTING: "coasting:corner=K:metres=N",
    MistakeKind.LIFT: "lift:at_m=D:seconds=S",
}
_PARAMS = {
    MistakeKind.BRAKE_EARLY: {"corner", "metres"},
    MistakeKind.BRAKE_LATE: {"corner", "metres"},
    MistakeKind.LOW_APEX_SPEED: {"corner", "kph", "fraction"},
    MistakeKind.LATE_THROTTLE: {"corner", "metres"},
    MistakeKind.COASTING: {"corner", "metres"},
    MistakeKind.LIFT: {"at_m", "seconds"},
}
_ALIASES = {"meters": "metres", "m": "metres", "lap": "laps", "at": "at_m", "s": "seconds",
            "sec": "seconds", "frac": "fraction"}
_MAX_METRES = {MistakeKind.BRAKE_EARLY: 200.0, MistakeKind.BRAKE_LATE: 60.0,
               MistakeKind.LATE_THROTTLE: 300.0, MistakeKind.COASTING: 300.0}


@dataclass(frozen=True, slots=True)
class Mistake:
    """One mistake: ``kind`` plus its amount; ``laps=None`` means every timed lap."""

    kind: MistakeKind
    corner: int | None = None
    metres: float | None = None
    kph: float | None = None
    fraction: float | None = None
    at_m: float | None = None
    seconds: float | None = None
    laps: tuple[int, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        usage = f"expected {_USAGE[self.kind]}[:laps=L1,L2]"
        name = self.kind.cli_name
        if self.kind is MistakeKind.LIFT:
            if self.at_m is None or self.seconds is None:
                raise MistakeParseError(f"{name} needs at_m= and seconds=; {usage}")
            if self.at_m < 0:
                raise MistakeParseError(f"{name}: at_m must be >= 0 m, got {self.at_m:g}")
            if not 0 < self.seconds <= 10:
                raise MistakeParseError(f"{name}: seconds must be in (0, 10], got {self.seconds:g}")
        else:
            if self.corner is None:
                raise MistakeParseError(f"{name} needs corner=; {usage}")
            if self.corner < 1:
                raise MistakeParseError(f"{name}: corners are numbered from 1, got {self.corner}")
        if self.kind is MistakeKind.LOW_APEX_SPEED:
            if (self.kph is None) == (self.fraction is None):
                raise MistakeParseError(f"{name} needs exactly one of kph= or fraction=; {usage}")
            if self.kph is not None and not 0 < self.kph <= 100:
                raise MistakeParseError(f"{name}: kph must be in (0, 100], got {self.kph:g}")
            if self.fraction is not None and not 0 < self.fraction < 0.8:
                raise MistakeParseError(f"{name}: fraction must be in (0, 0.8), got {self.fraction:g}")
        if self.kind in _MAX_METRES:
            top = _MAX_METRES[self.kind]
            if self.metres is None:
                raise MistakeParseError(f"{name} needs metres=; {usage}")
            if not 0 < self.metres <= top:
                raise MistakeParseError(f"{name}: metres must be in (0, {top:g}], got {self.metres:g}")
        if self.laps is not None and (not self.laps or min(self.laps) < 1):
            raise MistakeParseError(f"{name}: laps are numbered from 1, got {self.laps}")

    def applies_to(self, lap: int) -> bool:
        return self.laps is None or lap in self.laps

    @property
    def amount(self) -> tuple[float, str]:
        """The size of the mistake and its unit."""
        if self.kind is MistakeKind.LIFT:
            return float(self.seconds), "s"  # type: ignore[arg-type]
        if self.kind is MistakeKind.LOW_APEX_SPEED:
            return (float(self.kph), "kph") if self.kph is not None else (float(self.fraction), "fraction")  # type: ignore[arg-type]
        return float(self.metres), "m"  # type: ignore[arg-type]

    def describe(self) -> str:
        """The CLI spelling of this mistake (``parse_mistake(m.describe()) == m``)."""
        parts = [self.kind.cli_name]
        for key in ("corner", "metres", "kph", "fraction", "at_m", "seconds"):
            value = getattr(self, key)
            if value is not None:
                parts.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
        if self.laps is not None:
            parts.append("laps=" + ",".join(str(x) for x in self.laps))
        return ":".join(parts)


def brake_early(*, corner: int, metres: float, laps: tuple[int, ...] | None = None) -> Mistake:
    """Start braking ``metres`` before the ideal brake point; reach the apex speed early."""
    return Mistake(MistakeKind.BRAKE_EARLY, corner=corner, metres=float(metres), laps=laps)


def brake_late(*, corner: int, metres: float, laps: tuple[int, ...] | None = None) -> Mistake:
    """Start braking ``metres`` after the ideal point: overshoot the apex, slower exit."""
    return Mistake(MistakeKind.BRAKE_LATE, corner=corner, metres=float(metres), laps=laps)


def low_apex_speed(*, corner: int, kph: float | None = None, fraction: float | None = None,
                   laps: tuple[int, ...] | None = None) -> Mistake:
    """Take the corner ``kph`` km/h (or ``fraction``) slower than the ideal minimum speed."""
    return Mistake(MistakeKind.LOW_APEX_SPEED, corner=corner,
                   kph=None if kph is None else float(kph),
                   fraction=None if fraction is None else float(fraction), laps=laps)


def late_throttle(*, corner: int, metres: float, laps: tuple[int, ...] | None = None) -> Mistake:
    """Hold the apex speed ``metres`` past the ideal full-throttle point."""
    return Mistake(MistakeKind.LATE_THROTTLE, corner=corner, metres=float(metres), laps=laps)


def coasting(*, corner: int, metres: float, laps: tuple[int, ...] | None = None) -> Mistake:
    """Release the throttle ``metres`` before the ideal brake point and coast."""
    return Mistake(MistakeKind.COASTING, corner=corner, metres=float(metres), laps=laps)


def lift(*, at_m: float, seconds: float, laps: tuple[int, ...] | None = None) -> Mistake:
    """Lift off the throttle for ``seconds`` at lap distance ``at_m``."""
    return Mistake(MistakeKind.LIFT, at_m=float(at_m), seconds=float(seconds), laps=laps)


def parse_mistake(text: str) -> Mistake:
    """Parse ``kind:key=value:...`` (see the module docstring) into a :class:`Mistake`."""
    parts = [p.strip() for p in text.strip().split(":")]
    kind_name = parts[0].lower().replace("-", "_")
    try:
        kind = MistakeKind(kind_name)
    except ValueError:
        known = ", ".join(k.cli_name for k in MistakeKind)
        raise MistakeParseError(f"unknown mistake {parts[0]!r} in {text!r}; known: {known}") from None
    allowed = _PARAMS[kind] | {"laps"}
    values: dict[str, object] = {}
    for part in parts[1:]:
        key, sep, raw = part.partition("=")
        key = _ALIASES.get(key.strip().lower(), key.strip().lower())
        if not sep or not raw.strip():
            raise MistakeParseError(f"{text!r}: {part!r} is not key=value; expected {_USAGE[kind]}")
        if key not in allowed:
            raise MistakeParseError(
                f"{text!r}: unknown parameter {key!r} for {kind.cli_name}; expected {', '.join(sorted(allowed))}")
        if key in values:
            raise MistakeParseError(f"{text!r}: {key} given twice")
        try:
            if key == "laps":
                values[key] = tuple(int(x) for x in raw.replace("+", ",").split(",") if x.strip())
            elif key == "corner":
                values[key] = int(raw)
            else:
                values[key] = float(raw)
        except ValueError:
            raise MistakeParseError(f"{text!r}: {key}={raw!r} is not a number") from None
    return Mistake(kind, **values)  # type: ignore[arg-type]
