"""Argument types of the command line: each refuses a bad value with argparse's one-line error (exit 2)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path


def positive_float(text: str) -> float:
    """A finite number greater than 0 (``--speed``, ``--poll-hz``, ...)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number greater than 0, not {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1 (``--batch-ms``, ``--laps``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text!r}")
    return value


def token(text: str) -> str:
    """An API token: not empty (an empty ``--token`` would silently mean the device token)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a token, or leave --token out to use "
                                         "RACING_COACH_TOKEN or the device token of 'racing-coach up'")
    return text.strip()


def output_file(text: str) -> Path:
    """A file to write: not a folder, in a folder that exists."""
    path = Path(text)
    if not text or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name, e.g. {path / 'session.ibt'}")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {str(path.parent)!r} does not exist")
    return path
