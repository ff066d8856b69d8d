"""The cause model's contract: one row of features per corner, one probability per cause.

The served file (``causes_v1.onnx``) is trained by ``racing-coach train`` beside the lap model
(see :mod:`racecoach.services.coaching.training`): one gradient-boosted classifier per cause over
the corner rows of simulated laps with known mistakes, each giving the probability that the
cause is really at the corner. The service asks it about every remark the rules make for a cause
it decides (:data:`SERVED_KEY` in the file's metadata, the causes where the rules and the model
together beat the rules alone on held-out circuits) and keeps the remark only when the
probability is at least :data:`CONFIRM_PROBABILITY` or the remark costs at least :data:`KEEP_FROM_S`
(the model drops small remarks it does not believe; it never hides a big loss); the other causes stay
with the rules.

Features, in input order (:data:`FEATURE_NAMES`), computed by
:func:`racecoach.services.coaching.corner_features.corner_features` (this lap's corner against
the reference's same-numbered corner; a distance either lap lacks is 0):

===========================  ======  =========================================================
name                         unit    meaning
===========================  ======  =========================================================
d_brake_onset_m              m       brake onset, this lap minus the reference (along the lap)
d_final_brake_onset_m        m       the onset of the last braking stage, likewise
d_peak_brake                 0–1     peak brake pressure, this lap minus the reference
d_entry_speed_kmh            km/h    entry speed difference
d_min_speed_kmh              km/h    minimum (apex) speed difference
d_exit_speed_kmh             km/h    exit speed difference
d_full_throttle_m            m       full-throttle point difference
d_approach_coasting_m        m       coasting before the brake onset, difference
d_coasting_m                 m       coasting in the corner, difference
d_lift_m                     m       partial throttle on the straight after, difference
braked, ref_braked           0 or 1  whether this lap and the reference braked for the corner
corner_loss_s                s       the corner's time loss (its segment of the delta trace)
loss_<phase>_s               s       time lost in each phase: approach, braking, entry, apex,
                                     exit, straight
max_lat_g                    g       the reference's peak lateral acceleration in the corner
ref_entry_speed_kmh          km/h    the reference's entry speed
ref_min_speed_kmh            km/h    the reference's minimum speed
===========================  ======  =========================================================

This module imports neither ``onnx`` nor the training libraries.
"""

from __future__ import annotations

from racecoach.services.coaching.model import spec

MODEL_NAME = "corner_causes"
MODEL_VERSION = "causes_v1"
MODEL_FILE = "causes_v1.onnx"
INPUT_NAME = "corner_features"
OUTPUT_NAME = "cause_probability"
CAUSES_KEY = "causes"  # metadata: the output's columns, comma-separated cause names
SERVED_KEY = "served_causes"  # metadata: the causes the service lets the model decide
CONFIRM_PROBABILITY = 0.5
CONTRIBUTIONS = 4  # the measures a remark names as the model's reasons, at most
MIN_CONTRIBUTION = 0.01  # a measure that moves the probability less is not a reason
KEEP_FROM_S = 0.25  # a remark that costs this much is shown whatever the model says: a big loss is never hidden

PHASE_NAMES = spec.PHASE_NAMES  # the phases, in order, as the lap model names them
FEATURE_NAMES: tuple[str, ...] = (
    "d_brake_onset_m", "d_final_brake_onset_m", "d_peak_brake", "d_entry_speed_kmh", "d_min_speed_kmh",
    "d_exit_speed_kmh", "d_full_throttle_m", "d_approach_coasting_m", "d_coasting_m", "d_lift_m",
    "braked", "ref_braked", "corner_loss_s",
    *(f"loss_{name}_s" for name in PHASE_NAMES),
    "max_lat_g", "ref_entry_speed_kmh", "ref_min_speed_kmh",
)

# The unit of each feature's value; the features a remark's reasons are drawn from are the lap's own measures
# against the reference (d_*, losses), not the corner's context (whether either lap braked, the reference's speeds).
UNITS: dict[str, str] = {
    **{name: "m" for name in FEATURE_NAMES if name.endswith("_m")},
    **{name: "km/h" for name in FEATURE_NAMES if name.endswith("_kmh")},
    **{name: "s" for name in FEATURE_NAMES if name.endswith("_s")},
    "d_peak_brake": "", "braked": "", "ref_braked": "", "max_lat_g": "g",
}
REASONS: tuple[str, ...] = tuple(n for n in FEATURE_NAMES if n.startswith(("d_", "loss_")) or n == "corner_loss_s")
