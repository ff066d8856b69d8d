"""Live cues for the driver: printed at once, spoken by the operating system's voice in a thread of its own.

The stream never waits for speech: ``__call__`` prints the cue and leaves it in a one-cue slot
that a worker thread speaks from (:mod:`racecoach.client.voice` opens the voice in that thread).
A cue that arrives while another waits replaces it: a cue is about the next corner, an old one is
worse than none. Right before speaking, the worker asks where the car is now (``position``): a
cue whose target (the brake point, the apex) the car would reach before the cue is said to its
end is dropped, not spoken late.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from racecoach.client.report import format_cue
from racecoach.client.voice import DEFAULT_WORDS_PER_MINUTE, Voice, VoiceError, open_voice


@dataclass(frozen=True)
class CarPosition:
    """Where the car was at ``at`` (time.monotonic()): metres from the line, speed, the lap's length (0: unknown)."""

    lap_dist_m: float
    speed_mps: float
    track_length_m: float = 0.0
    at: float = 0.0


def speech_seconds(text: str, *, words_per_minute: int = DEFAULT_WORDS_PER_MINUTE) -> float:
    """How long saying ``text`` takes, about: its words at the voice's rate."""
    return len(text.split()) * 60.0 / words_per_minute


def too_late(cue, position: CarPosition | None, *, now: float, words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
             playback: float = 1.0) -> bool:
    """True when the car, at its speed from ``position`` on, reaches the cue's target before the cue is said.

    Distances run forward along the lap (a target past the line is ahead); a target up to half a lap
    behind the car was passed. ``playback`` is the replay factor of ``collect --from-ibt --speed``."""
    if position is None or not cue.target_distance_m:
        return False
    ahead = cue.target_distance_m - position.lap_dist_m
    length = position.track_length_m
    if length > 0:
        ahead %= length
        if ahead > length / 2:
            ahead -= length
    speed = max(position.speed_mps, 0.0) * playback
    ahead -= speed * max(now - position.at, 0.0)  # the car went on since that sample
    return ahead < speed * speech_seconds(cue.text, words_per_minute=words_per_minute)


class CueSpeaker:
    """Prints cues to ``out`` (None: sys.stdout) and speaks them; see the module docstring.

    ``voice``: "auto", "off" or a voice name (:func:`~racecoach.client.voice.open_voice`); ``speak=False`` is
    "off". ``open``: makes the voice in the worker thread (tests pass a fake). ``position``: the car's last
    known position, or None.
    """

    def __init__(self, *, out: TextIO | None = None, speak: bool = True, voice: str = "auto",
                 words_per_minute: int = DEFAULT_WORDS_PER_MINUTE, position: Callable[[], CarPosition | None] | None = None,
                 playback: float = 1.0, open: Callable[[], Voice | None] | None = None, open_timeout_s: float = 10.0) -> None:
        self.out = out
        self.words_per_minute = words_per_minute
        self.position = position or (lambda: None)
        self.playback = playback
        self.spoken = 0
        self.replaced = 0
        self.late = 0
        self.voice_name: str | None = None
        self.error: str | None = None
        self._open = open or (lambda: open_voice(voice, words_per_minute=words_per_minute))
        self._slot = None
        self._closing = False
        self._ready = threading.Event()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        if speak and voice != "off":
            self._thread = threading.Thread(target=self._run, name="cue-voice", daemon=True)
            self._thread.start()
            self._ready.wait(open_timeout_s)
            if self.error is not None and self.error.startswith("voice:"):
                raise VoiceError(self.error.removeprefix("voice: "))

    @property
    def speaks(self) -> bool:
        return self.voice_name is not None

    def __call__(self, cue) -> None:
        print(format_cue(cue), file=self.out or sys.stdout, flush=True)
        if self.speaks and cue.text:
            with self._wake:
                if self._slot is not None:
                    self.replaced += 1
                self._slot = cue
                self._wake.notify()

    def _run(self) -> None:
        try:
            voice = self._open()
        except VoiceError as exc:
            self.error = f"voice: {exc}"
            self._ready.set()
            return
        except Exception as exc:  # noqa: BLE001 no voice: cues are printed only
            voice, self.error = None, f"no voice: {exc}"
        if voice is None:
            self._ready.set()
            return
        self.voice_name = voice.name
        self._ready.set()
        try:
            while True:
                with self._wake:
                    self._wake.wait_for(lambda: self._slot is not None or self._closing)
                    cue, self._slot = self._slot, None
                if cue is None:
                    return
                if too_late(cue, self.position(), now=time.monotonic(), words_per_minute=self.words_per_minute,
                            playback=self.playback):
                    self.late += 1
                    continue
                try:
                    voice.speak(cue.text)
                    self.spoken += 1
                except Exception as exc:  # noqa: BLE001 the engine failed: stop speaking, keep printing
                    self.error, self.voice_name = f"voice failed: {exc}", None
                    return
        finally:
            voice.close()

    def close(self, timeout_s: float = 5.0) -> None:
        """Say the cue that waits, if any and still in time (at most ``timeout_s``), then stop the worker."""
        if self._thread is None:
            return
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join(timeout_s)
