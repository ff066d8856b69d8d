"""Circuit shapes: race lines resampled to ~1 m, smoothed, with signed curvature.

The CSV race lines (TUMFTM/racetrack-database, see ``tracks/README.md``) are closed loops of
points ~5 m apart in a local metric frame (x east, y north). :func:`load_track` resamples
the loop to uniform arc length, smooths it with a periodic Gaussian low-pass (done in the
Fourier domain, which is exact for a closed curve), and takes heading and curvature from
the spectral derivatives. Distance ``s = 0`` is the first CSV point: the start/finish line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["TRACK_DIR", "Track", "TrackMeta", "available_tracks", "load_track"]

TRACK_DIR = Path(__file__).resolve().parent / "tracks"
SMOOTHING_SIGMA_M = 5.0
TARGET_SPACING_M = 1.0


@dataclass(frozen=True, slots=True)
class TrackMeta:
    """What iRacing's ``WeekendInfo`` says about a track; ``lat/lon`` place the local frame."""

    display_name: str
    config_name: str
    track_id: int
    lat_deg: float
    lon_deg: float
    alt_m: float
    city: str
    country: str


# Track ids are this simulator's own (9001+), not iRacing's; positions are the real circuits.
_META = {
    "BrandsHatch": TrackMeta("Brands Hatch Circuit", "Grand Prix", 9001, 51.3569, 0.2631, 160.0, "West Kingsdown", "UK"),
    "Monza": TrackMeta("Autodromo Nazionale Monza", "Grand Prix", 9002, 45.6156, 9.2811, 162.0, "Monza", "Italy"),
    "Norisring": TrackMeta("Norisring", "Street Circuit", 9003, 49.4300, 11.1262, 320.0, "Nuremberg", "Germany"),
    "Silverstone": TrackMeta("Silverstone Circuit", "Grand Prix", 9004, 52.0786, -1.0169, 150.0, "Silverstone", "UK"),
    "Spa": TrackMeta("Circuit de Spa-Francorchamps", "Grand Prix", 9005, 50.4372, 5.9714, 400.0, "Stavelot", "Belgium"),
    "Spielberg": TrackMeta("Red Bull Ring", "Grand Prix", 9006, 47.2197, 14.7647, 677.0, "Spielberg", "Austria"),
    "Suzuka": TrackMeta("Suzuka International Racing Course", "Grand Prix", 9007, 34.8431, 136.5410, 45.0, "Suzuka", "Japan"),
    "Zandvoort": TrackMeta("Circuit Zandvoort", "Grand Prix", 9008, 52.3888, 4.5409, 5.0, "Zandvoort", "Netherlands"),
}


@dataclass(frozen=True, eq=False)
class Track:
    """A closed race line sampled every ``ds_m`` (≈1 m) of arc length.

    Arrays have one entry per node ``s_m = i * ds_m``: position ``x_m``/``y_m`` (m),
    ``heading_rad`` (counter-clockwise from +x, i.e. from east) and signed curvature
    ``kappa_per_m`` (1/m, positive turning left).
    """

    name: str
    meta: TrackMeta
    length_m: float
    ds_m: float
    s_m: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    heading_rad: np.ndarray
    kappa_per_m: np.ndarray

    @property
    def n(self) -> int:
        """Number of nodes on one lap."""
        return len(self.s_m)


def available_tracks() -> list[str]:
    """Names accepted by :func:`load_track` (e.g. ``"Spielberg"``), sorted."""
    return sorted(p.name.removesuffix("_raceline.csv") for p in TRACK_DIR.glob("*_raceline.csv"))


def _resample_closed(x: np.ndarray, y: np.ndarray, spacing_m: float) -> tuple[np.ndarray, np.ndarray, float]:
    px, py = np.append(x, x[0]), np.append(y, y[0])
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))])
    length = float(s[-1])
    n = max(round(length / spacing_m), 16)
    su = np.arange(n) * (length / n)
    return np.interp(su, s, px), np.interp(su, s, py), length


def _spectral(x: np.ndarray, y: np.ndarray, length: float, sigma_m: float):
    n = len(x)
    k = 2 * np.pi * np.fft.fftfreq(n, d=length / n)
    gain = np.exp(-0.5 * (k * sigma_m) ** 2)
    fx, fy = np.fft.fft(x) * gain, np.fft.fft(y) * gain
    xs, ys = np.fft.ifft(fx).real, np.fft.ifft(fy).real
    dx, dy = np.fft.ifft(1j * k * fx).real, np.fft.ifft(1j * k * fy).real
    ddx, ddy = np.fft.ifft(-k * k * fx).real, np.fft.ifft(-k * k * fy).real
    return xs, ys, dx, dy, ddx, ddy


@lru_cache(maxsize=16)
def load_track(name: str) -> Track:
    """Load, resample (≈1 m) and smooth the race line of ``name`` (see :func:`available_tracks`)."""
    path = TRACK_DIR / f"{name}_raceline.csv"
    if not path.is_file():
        raise ValueError(f"unknown track {name!r}; available: {', '.join(available_tracks())}")
    pts = np.loadtxt(path, delimiter=",", comments="#", usecols=(0, 1))
    x, y, length = _resample_closed(pts[:, 0], pts[:, 1], TARGET_SPACING_M)
    for _ in range(2):  # smoothing shifts points along the curve; re-space to uniform arc length
        xs, ys, *_ = _spectral(x, y, length, SMOOTHING_SIGMA_M)
        x, y, length = _resample_closed(xs, ys, TARGET_SPACING_M)
    # derivatives of the final, uniformly spaced loop (light smoothing only)
    xs, ys, dx, dy, ddx, ddy = _spectral(x, y, length, 1.0)
    speed2 = dx * dx + dy * dy
    kappa = (dx * ddy - dy * ddx) / speed2**1.5
    n = len(x)
    ds = length / n
    meta = _META.get(name, TrackMeta(name, "", 9000, 0.0, 0.0, 0.0, "", ""))
    ro = lambda a: np.ascontiguousarray(a).copy()
    arrays = [ro(np.arange(n) * ds), ro(xs), ro(ys), ro(np.arctan2(dy, dx)), ro(kappa)]
    for a in arrays:
        a.flags.writeable = False
    return Track(name, meta, length, ds, *arrays)
