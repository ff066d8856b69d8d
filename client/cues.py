"""Live cues for the driver: printed, and spoken through ``espeak-ng`` where it is installed.

Speech runs in a child process started with ``subprocess.Popen`` (never waited for), so it
never delays streaming. A cue that arrives while the previous one is still being spoken
replaces it: a cue is about the next corner, an old one is worse than none.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from typing import TextIO

from racecoach.client.report import format_cue


class CueSpeaker:
    """Prints cues to ``out`` and speaks them with ``espeak-ng`` (``speak=False`` or no binary: print only)."""

    def __init__(self, *, out: TextIO | None = None, speak: bool = True, words_per_minute: int = 190,
                 binary: str = "espeak-ng") -> None:
        self.out = out  # None: sys.stdout at the time of the cue
        self.words_per_minute = words_per_minute
        self.command = shutil.which(binary) if speak else None
        self.spoken = 0
        self._process: subprocess.Popen | None = None

    @property
    def speaks(self) -> bool:
        return self.command is not None

    def __call__(self, cue) -> None:
        print(format_cue(cue), file=self.out or sys.stdout, flush=True)
        self.say(cue.text)

    def say(self, text: str) -> None:
        """Start speaking ``text`` (returns at once; stops a cue still being spoken)."""
        if self.command is None or not text:
            return
        self._reap(stop=True)
        try:
            self._process = subprocess.Popen(
                [self.command, "-s", str(self.words_per_minute), "--", text],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            self.spoken += 1
        except OSError:
            self.command = None  # the binary went away: keep printing, stop trying to speak

    def _reap(self, *, stop: bool) -> None:
        process = self._process
        if process is not None and process.poll() is None and stop:
            process.terminate()
        if process is not None:
            try:
                process.wait(timeout=0.5 if stop else None)
            except subprocess.TimeoutExpired:
                process.kill()
            self._process = None

    def close(self) -> None:
        """Let the last cue finish (at most a few seconds), then reap it."""
        process = self._process
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self._process = None
