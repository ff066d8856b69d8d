"""Car models for the quasi-steady-state simulator (SI units throughout).

Forces: drive ``min(P/v, traction)``, aerodynamic drag ``c_drag·v²``, downforce
``c_downforce·v²`` (adds grip), rolling resistance, engine braking when off throttle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CARS", "Car", "G", "get_car"]

G = 9.81  # m/s²


@dataclass(frozen=True, slots=True)
class Car:
    """A car: identity as iRacing's ``DriverInfo`` shows it, plus the physics the QSS needs."""

    key: str
    screen_name: str
    car_path: str
    car_id: int
    mass_kg: float
    power_w: float
    mu: float                      # tyre friction coefficient (lateral and braking)
    drive_share: float             # fraction of the grip usable for driving (driven axle)
    c_drag: float                  # N/(m/s)², ½·ρ·Cd·A
    c_downforce: float             # N/(m/s)², ½·ρ·Cl·A
    rolling_n: float               # N
    engine_brake_n: float          # N, off throttle, in gear
    top_speed_mps: float
    gear_ratios: tuple[float, ...]  # engine revolutions per wheel revolution, gear 1..n
    wheel_radius_m: float
    idle_rpm: float
    shift_rpm: float
    wheelbase_m: float
    steering_ratio: float
    brake_line_max_bar: float      # front line pressure at full pedal
    rear_brake_share: float        # rear line pressure / front line pressure
    fuel_capacity_l: float
    fuel_l_per_s_full: float       # consumption at full throttle, l/s

    # -- accelerations (m/s²) at speed v (m/s), vectorised over numpy arrays --------------
    def grip(self, v):
        """Tyre-limited acceleration magnitude: mu·(g + downforce/m)."""
        return self.mu * (G + self.c_downforce * v * v / self.mass_kg)

    def resistance(self, v):
        """Deceleration from drag and rolling resistance."""
        return (self.c_drag * v * v + self.rolling_n) / self.mass_kg

    def drive(self, v):
        """Maximum acceleration the engine and the driven tyres can give (before resistance)."""
        power_limited = self.power_w / (self.mass_kg * np.maximum(v, 1.0))
        return np.minimum(power_limited, self.drive_share * self.grip(v))

    def coast(self, v):
        """Deceleration with both pedals released."""
        return self.resistance(v) + self.engine_brake_n / self.mass_kg

    def corner_speed(self, kappa):
        """Highest steady speed on curvature ``kappa`` (1/m), capped at top speed."""
        k = np.abs(kappa)
        denom = k - self.mu * self.c_downforce / self.mass_kg
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.sqrt(self.mu * G / denom)
        return np.where(denom > 0, np.minimum(v, self.top_speed_mps), self.top_speed_mps)


CARS: dict[str, Car] = {
    "gt3": Car(
        key="gt3", screen_name="Mercedes-AMG GT3 2020", car_path="mercedesamgevogt3", car_id=9101,
        mass_kg=1330.0, power_w=400e3, mu=1.45, drive_share=0.55, c_drag=0.62, c_downforce=1.6,
        rolling_n=200.0, engine_brake_n=900.0, top_speed_mps=76.0,
        gear_ratios=(9.0, 6.9, 5.6, 4.7, 4.0, 3.35), wheel_radius_m=0.34, idle_rpm=1500.0,
        shift_rpm=7200.0, wheelbase_m=2.63, steering_ratio=13.0, brake_line_max_bar=115.0,
        rear_brake_share=0.78, fuel_capacity_l=106.0, fuel_l_per_s_full=0.045,
    ),
    "gt4": Car(
        key="gt4", screen_name="Mercedes-AMG GT4", car_path="mercedesamggt4", car_id=9102,
        mass_kg=1450.0, power_w=330e3, mu=1.30, drive_share=0.55, c_drag=0.60, c_downforce=0.6,
        rolling_n=220.0, engine_brake_n=900.0, top_speed_mps=70.0,
        gear_ratios=(10.5, 7.6, 6.0, 4.9, 4.1, 3.6, 3.2), wheel_radius_m=0.34, idle_rpm=1100.0,
        shift_rpm=6500.0, wheelbase_m=2.63, steering_ratio=14.0, brake_line_max_bar=115.9,
        rear_brake_share=0.75, fuel_capacity_l=120.0, fuel_l_per_s_full=0.038,
    ),
}


def get_car(key: str) -> Car:
    """The car called ``key`` (one of :data:`CARS`), with a clear error otherwise."""
    try:
        return CARS[key]
    except KeyError:
        raise ValueError(f"unknown car {key!r}; available: {', '.join(sorted(CARS))}") from None
