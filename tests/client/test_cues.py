"""Cues: printed at once, spoken by a voice in its own thread (a fake voice here, behind the same interface as
pyttsx3 and espeak-ng), never blocking the caller, a newer cue replacing a waiting one, a cue the car would hear
only after its corner dropped, muting and choosing the voice, and the fallback to the espeak-ng program."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest
from racecoach.client.cues import CarPosition, CueSpeaker, speech_seconds, too_late
from racecoach.client.voice import EspeakVoice, SystemVoice, VoiceError, open_voice


class FakeVoice:
    """Says nothing, takes ``seconds`` per cue, remembers what it was given and in which thread."""

    name = "fake"

    def __init__(self, seconds: float = 0.0, gate: threading.Event | None = None) -> None:
        self.seconds, self.gate = seconds, gate
        self.said: list[str] = []
        self.threads: set[str] = set()
        self.closed = False

    def speak(self, text: str) -> None:
        self.threads.add(threading.current_thread().name)
        if self.gate is not None:
            self.gate.wait(5)
        time.sleep(self.seconds)
        self.said.append(text)

    def close(self) -> None:
        self.closed = True


def cue(text: str = "Turn 3: brake 15 m later", target_m: float = 0.0):
    return SimpleNamespace(text=text, target_distance_m=target_m)


def _wait_for(predicate, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_speaking_never_blocks_and_a_newer_cue_replaces_a_waiting_one():
    gate = threading.Event()
    voice, out = FakeVoice(gate=gate), io.StringIO()
    speaker = CueSpeaker(out=out, open=lambda: voice)
    assert speaker.speaks and speaker.voice_name == "fake"
    began = time.monotonic()
    speaker(cue("first"))
    _wait_for(lambda: voice.threads)  # the worker is saying "first" (held at the gate)
    speaker(cue("second"))
    speaker(cue("third"))  # "second" was still waiting: it goes
    assert time.monotonic() - began < 0.2, "the caller never waits for speech"
    gate.set()
    speaker.close()
    assert voice.said == ["first", "third"] and speaker.replaced == 1 and speaker.spoken == 2
    assert voice.threads == {"cue-voice"} and voice.closed
    assert out.getvalue().splitlines() == ["  ▶ first", "  ▶ second", "  ▶ third"]  # every cue is printed


def test_a_cue_the_car_would_hear_after_its_corner_is_dropped():
    now = 1000.0
    six_words = cue("Turn 3: brake 15 m later", target_m=1200.0)
    said_s = speech_seconds(six_words.text)
    assert said_s == pytest.approx(6 * 60 / 190)
    at_60 = CarPosition(lap_dist_m=1200.0 - 60.0 * said_s - 20.0, speed_mps=60.0, track_length_m=4000.0, at=now)
    assert not too_late(six_words, at_60, now=now)  # said 20 m before the brake point
    assert too_late(six_words, at_60, now=now + 0.5)  # half a second later it would end 10 m past it
    assert too_late(six_words, at_60, now=now, playback=2.0)  # a replay at twice the speed: the car is there sooner
    assert too_late(six_words, CarPosition(1250.0, 40.0, 4000.0, now), now=now)  # passed it already
    across_the_line = cue("Turn 1: brake later", target_m=80.0)
    assert not too_late(across_the_line, CarPosition(3800.0, 50.0, 4000.0, now), now=now)  # 280 m ahead
    assert not too_late(six_words, None, now=now)  # no position yet: speak


def test_the_worker_drops_late_cues_and_speaks_timely_ones():
    voice = FakeVoice()
    where = {"position": CarPosition(lap_dist_m=1000.0, speed_mps=60.0, track_length_m=4000.0, at=time.monotonic())}
    speaker = CueSpeaker(out=io.StringIO(), open=lambda: voice, position=lambda: where["position"])
    speaker(cue("Turn 5: brake 10 m later", target_m=1030.0))  # 30 m at 60 m/s: half a second, too late
    _wait_for(lambda: speaker.late == 1)
    where["position"] = CarPosition(lap_dist_m=1000.0, speed_mps=60.0, track_length_m=4000.0, at=time.monotonic())
    speaker(cue("Turn 6: carry more speed", target_m=1300.0))  # 300 m: 5 s ahead
    speaker.close()
    assert voice.said == ["Turn 6: carry more speed"] and speaker.late == 1 and speaker.spoken == 1


@pytest.mark.parametrize("options", [{"speak": False}, {"voice": "off"}])
def test_muted_cues_are_printed_only(options):
    opened = []
    out = io.StringIO()
    speaker = CueSpeaker(out=out, open=lambda: opened.append(1) or FakeVoice(), **options)
    speaker(cue("Brake at the 100 board"))
    speaker.close()
    assert not speaker.speaks and opened == [] and "Brake at the 100 board" in out.getvalue()


def test_without_any_voice_cues_are_printed_only():
    speaker = CueSpeaker(out=io.StringIO(), open=lambda: None)
    speaker(cue())
    speaker.close()
    assert not speaker.speaks and speaker.spoken == 0


class FakeEngine:
    """pyttsx3's Engine as SystemVoice uses it."""

    def __init__(self) -> None:
        self.properties = {"voices": [SimpleNamespace(id="HKLM\\Voices\\David", name="Microsoft David Desktop"),
                                      SimpleNamespace(id="HKLM\\Voices\\Zira", name="Microsoft Zira Desktop")]}
        self.said: list[str] = []
        self.runs = 0

    def setProperty(self, name, value):  # noqa: N802 pyttsx3's names
        self.properties[name] = value

    def getProperty(self, name):  # noqa: N802
        return self.properties[name]

    def say(self, text):
        self.said.append(text)

    def runAndWait(self):  # noqa: N802
        self.runs += 1

    def stop(self):
        pass


def test_the_system_voice_sets_rate_and_voice_and_speaks_to_the_end():
    engine = FakeEngine()
    voice = SystemVoice(choice="zira", words_per_minute=170, engine=engine)
    voice.speak("Turn 2: brake later")
    assert engine.properties["rate"] == 170 and engine.properties["voice"] == "HKLM\\Voices\\Zira"
    assert voice.name == "Microsoft Zira Desktop" and engine.said == ["Turn 2: brake later"] and engine.runs == 1
    assert SystemVoice(choice="HKLM\\Voices\\David", engine=FakeEngine()).name == "Microsoft David Desktop"
    with pytest.raises(VoiceError, match="no voice 'Hazel'.*Microsoft David Desktop, Microsoft Zira Desktop"):
        SystemVoice(choice="Hazel", engine=FakeEngine())


def _fake_espeak(tmp_path):
    log = tmp_path / "spoken.txt"
    fake = tmp_path / "espeak-ng"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake, log


def _no_engine(**_):
    raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")


def test_espeak_ng_speaks_where_pyttsx3_has_no_engine(tmp_path):
    fake, log = _fake_espeak(tmp_path)
    voice = open_voice("auto", espeak_binary=str(fake), system=_no_engine)
    assert isinstance(voice, EspeakVoice)
    voice.speak("Turn 4: brake later")
    assert log.read_text() == "-s 190 -- Turn 4: brake later\n"
    open_voice("en-gb", espeak_binary=str(fake), system=_no_engine).speak("lift")
    assert log.read_text().splitlines()[1] == "-s 190 -v en-gb -- lift"
    speaker = CueSpeaker(out=io.StringIO(), open=lambda: open_voice("auto", espeak_binary=str(fake), system=_no_engine))
    speaker(cue("Turn 9: throttle earlier"))
    speaker.close()
    assert speaker.voice_name == "espeak-ng" and log.read_text().splitlines()[2].endswith("-- Turn 9: throttle earlier")


def test_nothing_to_speak_with(tmp_path):
    assert open_voice("auto", espeak_binary=str(tmp_path / "none"), system=_no_engine) is None
    assert open_voice("off", system=lambda **_: pytest.fail("off opens nothing")) is None
    with pytest.raises(VoiceError, match="no speech engine on this machine for the voice 'Zira'"):
        open_voice("Zira", espeak_binary=str(tmp_path / "none"), system=_no_engine)
    with pytest.raises(VoiceError):
        CueSpeaker(open=lambda: open_voice("Zira", espeak_binary=str(tmp_path / "none"), system=_no_engine))


def test_collect_names_a_voice_it_cannot_have_in_one_line(tmp_path):
    pytest.importorskip("irsdk")
    env = {**os.environ, "RACING_COACH_DATA_DIR": str(tmp_path), "PATH": os.path.dirname(sys.executable),
           "RACING_COACH_VOICE": "NoSuchVoice"}
    result = subprocess.run([sys.executable, "-m", "racecoach.client.cli", "collect", "--token", "rc_x", "--plain"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ") and "NoSuchVoice" in result.stderr

