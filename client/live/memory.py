"""iRacing's telemetry memory behind one small interface, so that the sampler is the same on every OS.

:class:`IrsdkMemory` is pyirsdk: on Windows the simulator's shared memory
(``Local\\IRSDKMemMapFileName``) and its data-valid event, elsewhere a file laid out like it
(``--test-file``, ``--from-ibt``: :mod:`racecoach.client.live.memfile`). Tests drive the sampler
with a fake that has the same members (see ``tests/client/test_sampler_fake_memory.py``); only
this class and pyirsdk itself touch Windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Variable:
    """One telemetry variable: its pyirsdk type code (0 char … 5 double), offset in a buffer, element count."""

    type: int
    offset: int
    count: int


class TelemetryMemory(Protocol):
    """What the sampler reads; a connection lasts from ``startup()`` returning True to ``shutdown()``."""

    def startup(self) -> bool:
        """Connect; False while the simulator is not running (or the file is not there)."""

    def shutdown(self) -> None: ...

    @property
    def is_connected(self) -> bool: ...

    @property
    def variables(self) -> dict[str, Variable]: ...

    @property
    def buffer_length(self) -> int: ...

    @property
    def tick_rate_hz(self) -> float: ...

    @property
    def session_info_update(self) -> int: ...

    @property
    def waits_for_data(self) -> bool:
        """True when ``latest()`` waits for the simulator's next tick (the sampler need not pace itself)."""

    def latest(self) -> bytes | memoryview:
        """A frozen copy of the newest variable buffer (waiting up to a tick for it where ``waits_for_data``)."""

    def session_info(self, section: str) -> Any:
        """A top-level section of the session-info YAML (``WeekendInfo``, ``DriverInfo``, ``SessionInfo``) or None."""


class IrsdkMemory:
    """pyirsdk's ``IRSDK`` over the simulator's shared memory, or over ``test_file``."""

    def __init__(self, *, test_file: Path | None = None) -> None:
        import irsdk

        self.test_file = test_file
        self._ir = irsdk.IRSDK()

    def startup(self) -> bool:
        ir = self._ir
        try:
            ok = ir.startup(test_file=str(self.test_file)) if self.test_file else ir.startup()
        except (OSError, ValueError):
            ok = False
        if ok and ir.is_initialized and ir.is_connected:
            return True
        ir.shutdown()
        return False

    def shutdown(self) -> None:
        self._ir.shutdown()

    @property
    def is_connected(self) -> bool:
        return bool(self._ir.is_connected)

    @property
    def variables(self) -> dict[str, Variable]:
        return {name: Variable(h.type, h.offset, h.count) for name, h in self._ir._var_headers_dict.items()}  # noqa: SLF001

    @property
    def buffer_length(self) -> int:
        return int(self._ir._header.buf_len)  # noqa: SLF001

    @property
    def tick_rate_hz(self) -> float:
        return float(self._ir._header.tick_rate or 60)  # noqa: SLF001

    @property
    def session_info_update(self) -> int:
        return int(self._ir.session_info_update)

    @property
    def waits_for_data(self) -> bool:
        return self.test_file is None and self._ir._data_valid_event is not None  # noqa: SLF001 (Windows only)

    def latest(self) -> bytes | memoryview:
        self._ir.freeze_var_buffer_latest()
        return self._ir._var_buffer_latest.get_memory()  # noqa: SLF001 the frozen copy of the newest buffer

    def session_info(self, section: str) -> Any:
        return self._ir[section]
