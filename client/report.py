"""Lap reports and cues as text for the terminal."""

from __future__ import annotations

from racecoach.analysis.v1 import analysis_pb2


def lap_time_text(seconds: float) -> str:
    """``m:ss.mmm``, rounded to the millisecond first (59.9999 s is 1:00.000, never 0:60.000)."""
    minutes, millis = divmod(round(seconds * 1000), 60_000)
    return f"{minutes}:{millis / 1000:06.3f}"


def format_lap(completed) -> str:
    lap = completed.lap
    seconds = lap.lap_time.ToNanoseconds() / 1e9
    flags = ", ".join(analysis_pb2.LapFlag.Name(f).removeprefix("LAP_FLAG_").lower().replace("_", " ") for f in lap.flags)
    lines = [f"Lap {lap.lap_number:>3}  {lap_time_text(seconds)}" + (f"  ({flags})" if flags else "")]
    if completed.HasField("report"):
        report = completed.report
        lines.append(f"         score {report.score:.0f}/100 — {report.summary}")
        for item in list(report.feedback)[:3]:
            lines.append(f"         • {item.description}")
    return "\n".join(lines)


def format_own_lap(lap, *, delta_s: float | None, backlog: int) -> str:
    """The collector's own lap (a :class:`racecoach.common.laps.Lap`) as a plain line, for when no panel shows it."""
    from racecoach.common.laps import flag_names

    delta = f"  {delta_s:+.3f} s to the best" if delta_s is not None else ""
    invalid = f"  invalid: {', '.join(flag_names(lap.flags))}" if lap.flags else ""
    return f"lap {lap.lap_number} done: {lap_time_text(lap.lap_time_s)}{delta}{invalid}; spool {backlog} waiting"


def format_cue(cue) -> str:
    return f"  ▶ {cue.text}"
