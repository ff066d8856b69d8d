"""One error hierarchy for everything that can go wrong with an ``.ibt`` file.

Every message names the file and the problem in words a driver can act on, e.g.
``"sebring.ibt: header says 2,683 records of 1,099 bytes at offset 72,530 but the file
ends at byte 70,000 (truncated)"``.
"""

from __future__ import annotations

__all__ = ["IbtError", "IbtFormatError", "IbtMissingChannelError", "IbtTruncatedError"]


class IbtError(ValueError):
    """Base class: the file is not a usable iRacing ``.ibt`` telemetry file."""


class IbtFormatError(IbtError):
    """The bytes are not an iRacing ``.ibt`` file, or a header field is impossible."""


class IbtTruncatedError(IbtError):
    """The headers promise more bytes than the file holds (an interrupted copy or write)."""


class IbtMissingChannelError(IbtError, KeyError):
    """A channel the caller needs is not recorded in the file.

    Also a ``KeyError`` so ``f.channel("Nope")`` behaves like a mapping lookup.
    """

    def __init__(self, message: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing

    def __str__(self) -> str:  # KeyError would repr() the message; keep it readable.
        return str(self.args[0])
