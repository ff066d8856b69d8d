"""Cues are printed, spoken through espeak-ng when present (without waiting), and never fail without it."""

from __future__ import annotations

import io
import os
import stat
import time
from types import SimpleNamespace

from racecoach.client.cues import CueSpeaker


def test_without_espeak_cues_are_printed_only(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    out = io.StringIO()
    speaker = CueSpeaker(out=out)
    assert not speaker.speaks
    speaker(SimpleNamespace(text="Brake at the 100 board"))
    speaker.close()
    assert "Brake at the 100 board" in out.getvalue() and speaker.spoken == 0


def test_espeak_runs_in_the_background_and_a_new_cue_replaces_the_old(tmp_path, monkeypatch):
    log = tmp_path / "spoken.txt"
    fake = tmp_path / "espeak-ng"
    fake.write_text(f'#!/bin/sh\nshift 2\n[ "$1" = "--" ] && shift\necho "$1" >> {log}\nsleep 2\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out = io.StringIO()
    speaker = CueSpeaker(out=out)
    assert speaker.speaks
    began = time.monotonic()
    speaker(SimpleNamespace(text="first cue"))
    time.sleep(0.2)
    speaker(SimpleNamespace(text="second cue"))
    assert time.monotonic() - began < 1.0, "speaking must not block the caller"
    time.sleep(0.2)
    assert log.read_text().split("\n")[:2] == ["first cue", "second cue"]
    first_replaced = speaker._process is not None and speaker._process.poll() is None
    speaker.close()
    assert first_replaced and speaker.spoken == 2
