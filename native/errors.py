"""Errors raised by the analysis kernels (C and numpy reference alike).

Every error is a :class:`KernelError`, itself a :class:`ValueError`. Input
problems are :class:`KernelInputError` subclasses whose message names the
argument, the sample index where it applies, and what to do about it.
"""

from __future__ import annotations

import math


class KernelError(ValueError):
    """Base class of every analysis-kernel error."""


class KernelInputError(KernelError):
    """An input array or parameter is unusable."""


class InputDtypeError(KernelInputError, TypeError):
    """An array has the wrong element type (a float32/float64 array is needed)."""


class InputShapeError(KernelInputError):
    """An array has the wrong number of dimensions."""


class LengthMismatchError(InputShapeError):
    """Arrays that describe the same samples have different lengths."""


class NonFiniteInputError(KernelInputError):
    """An input sample is NaN or infinite."""


class TooFewSamplesError(KernelInputError):
    """There are not enough (usable) samples."""


class NotIncreasingError(KernelInputError):
    """A coordinate that must increase (distance, time, boundaries) does not."""


class ParameterError(KernelInputError):
    """A scalar parameter is out of its valid range."""


class OutOfRangeError(KernelInputError):
    """A sample is outside its physical range (latitude, boundary past the lap end)."""


class NoUsableDataError(KernelInputError):
    """No sample carries information (e.g. every lat/lon is a 0/0 dummy)."""


class KernelInternalError(KernelError, RuntimeError):
    """The kernel failed for a reason that is not the caller's input (a bug)."""


def non_finite(func: str, name: str, index: int, value: float) -> NonFiniteInputError:
    kind = "NaN" if math.isnan(value) else f"{value!r} (not finite)"
    return NonFiniteInputError(
        f"{func}: {name}[{index}] is {kind}; drop or interpolate missing samples before the call"
    )


def too_few(func: str, name: str, got: int, need: int = 2, what: str = "samples") -> TooFewSamplesError:
    return TooFewSamplesError(f"{func}: {name} needs at least {need} {what}, got {got}")


def not_increasing(func: str, name: str, index: int, prev: float, value: float,
                   strict: bool = True) -> NotIncreasingError:
    rule = "strictly increasing" if strict else "non-decreasing"
    return NotIncreasingError(
        f"{func}: {name} must be {rule}, but {name}[{index}] = {value!r} follows "
        f"{name}[{index - 1}] = {prev!r}"
    )


def bad_parameter(func: str, name: str, value: object, rule: str) -> ParameterError:
    return ParameterError(f"{func}: {name} = {value!r} is invalid; it must be {rule}")


def out_of_range(func: str, name: str, index: int, value: float, rule: str) -> OutOfRangeError:
    return OutOfRangeError(f"{func}: {name}[{index}] = {value!r} is out of range; it must be {rule}")


def no_gps(func: str) -> NoUsableDataError:
    return NoUsableDataError(
        f"{func}: every lat_deg/lon_deg sample is a 0/0 dummy; pass yaw_rad, speed_mps and time_s "
        "to build the map from heading and speed"
    )
