"""The operating system's voice behind one small interface: ``speak(text)`` (blocking until said) and ``close()``.

* :class:`SystemVoice` – pyttsx3: SAPI 5 on Windows, NSSpeechSynthesizer on macOS, libespeak-ng on Linux;
* :class:`EspeakVoice` – the ``espeak-ng`` program, where pyttsx3 finds no engine (Linux without the library);
* anything else with ``speak``/``close`` (tests pass a fake).

:func:`open_voice` picks one from a choice: ``"auto"`` (the system's default voice, else
``espeak-ng``, else none), ``"off"`` (none), or a voice — a pyttsx3 voice id or part of its name
(``"Zira"``, ``"english"``), or an ``espeak-ng -v`` voice when only the program is there. A voice
is opened, used and closed in one thread (SAPI's COM objects belong to the thread that made them).
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Protocol

DEFAULT_WORDS_PER_MINUTE = 190


class VoiceError(Exception):
    """The chosen voice cannot be had (unknown name, no speech engine on this machine)."""


class Voice(Protocol):
    name: str

    def speak(self, text: str) -> None: ...

    def close(self) -> None: ...


class SystemVoice:
    """pyttsx3's engine for this operating system, optionally with one of its voices."""

    def __init__(self, *, choice: str | None = None, words_per_minute: int = DEFAULT_WORDS_PER_MINUTE, engine=None) -> None:
        if engine is None:
            import pyttsx3

            engine = pyttsx3.init()  # RuntimeError/OSError/ImportError where this OS has no engine
        self.engine = engine
        self.engine.setProperty("rate", words_per_minute)
        self.name = "system default"
        if choice:
            voice = find_voice([(v.id, v.name) for v in self.engine.getProperty("voices")], choice)
            self.engine.setProperty("voice", voice[0])
            self.name = voice[1]

    def speak(self, text: str) -> None:
        self.engine.say(text)
        self.engine.runAndWait()

    def close(self) -> None:
        try:
            self.engine.stop()
        except Exception:  # noqa: BLE001 a driver that fails to stop has nothing left to say
            pass


class EspeakVoice:
    """The ``espeak-ng`` program, one process per cue."""

    def __init__(self, *, binary: str, choice: str | None = None, words_per_minute: int = DEFAULT_WORDS_PER_MINUTE) -> None:
        self.command = [binary, "-s", str(words_per_minute), *(["-v", choice] if choice else [])]
        self.name = f"espeak-ng{' ' + choice if choice else ''}"

    def speak(self, text: str) -> None:
        subprocess.run([*self.command, "--", text], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)

    def close(self) -> None:
        pass


def find_voice(voices: list[tuple[str, str]], choice: str) -> tuple[str, str]:
    """The (id, name) whose id is ``choice``, else the first whose name contains it (any case)."""
    for voice in voices:
        if voice[0] == choice:
            return voice
    wanted = choice.casefold()
    for voice in voices:
        if wanted in (voice[1] or "").casefold():
            return voice
    names = ", ".join(sorted({v[1] for v in voices if v[1]})) or "none"
    raise VoiceError(f"no voice {choice!r}; this machine has: {names}")


def system_voices() -> list[tuple[str, str]]:
    """(id, name) of every voice pyttsx3 finds; empty where it finds no engine."""
    try:
        import pyttsx3

        engine = pyttsx3.init()
        return [(v.id, v.name) for v in engine.getProperty("voices")]
    except Exception:  # noqa: BLE001 no engine on this machine
        return []


def open_voice(choice: str = "auto", *, words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
               espeak_binary: str = "espeak-ng", system=SystemVoice) -> Voice | None:
    """The voice for ``choice`` (see the module docstring); None for "off" or when nothing can speak.
    A named voice that no engine has raises :class:`VoiceError`."""
    if choice == "off":
        return None
    named = None if choice == "auto" else choice
    try:
        return system(choice=named, words_per_minute=words_per_minute)
    except VoiceError:
        raise
    except Exception:  # noqa: BLE001 pyttsx3 missing, or no engine (no libespeak-ng): try the program
        pass
    binary = shutil.which(espeak_binary)
    if binary is not None:
        return EspeakVoice(binary=binary, choice=named, words_per_minute=words_per_minute)
    if named is not None:
        raise VoiceError(f"no speech engine on this machine for the voice {choice!r} (pyttsx3 found none, no espeak-ng)")
    return None
