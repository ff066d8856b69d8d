"""The lap model's contract: its input features, its output and the score defined from it.

The served model (``lap_score_v3.onnx``) is trained by ``racing-coach train`` (see
:mod:`racecoach.services.coaching.training`) on simulated laps with known mistakes. It maps a
lap's features to the **time within reach** (s): what the lap's mistakes cost against its
reference, the part the driver can find. The lap score is defined from that estimate::

    score = 100 * exp(-max(within_reach_s, 0) / SCORE_SCALE_S)

so a lap with nothing to find scores 100, 0.1 s within reach about 82, 0.3 s about 55,
1 s about 14. Without a reference the model sees zeros for every comparison and the score
reflects the lap's own technique and validity.

Features, in input order (:data:`FEATURE_NAMES`), computed by
:func:`racecoach.services.coaching.features.lap_features`:

==  =========================  ========  ==========================================================
 i  name                       unit      meaning
==  =========================  ========  ==========================================================
 0  rel_lap_delta              fraction  (lap time - reference lap time) / reference lap time
 1  corner_loss_fraction       fraction  sum of the positive per-segment time losses / lap time
 2  extra_braking_zones        count     braking zones beyond the reference's count
 3  trail_brake_fraction_mean  fraction  mean trail_brake_fraction of the lap's braking zones
 4  coasting_m_per_km          m/km      coasting metres summed over the corners per km of lap
 5  apex_deficit_fraction      fraction  matched corners whose apex speed is > 2 km/h below the reference's
 6  lap_valid                  0 or 1    1 when analysis marked the lap valid
 7  lap_delta_s                s         lap time - reference lap time
 8  loss_approach_s .. 13      s         positive time lost per phase, summed over the corners:
    loss_straight_s                      approach, braking, entry, apex, exit, straight
14  gain_s                     s         time gained (negative losses) over all phases, as a positive number
15  rules_within_reach_s       s         the time the rules' remarks account for (``rules.within_reach_s``)
==  =========================  ========  ==========================================================

This module imports neither ``onnx`` nor the training libraries.
"""

from __future__ import annotations

import math

MODEL_NAME = "lap_score"
MODEL_VERSION = "lap_score_v3"
MODEL_FILE = "lap_score_v3.onnx"
CARD_FILE = "lap_score_v3.card.json"
INPUT_NAME = "features"
OUTPUT_NAME = "within_reach_s"
SCORE_SCALE_S = 0.5

PHASE_NAMES: tuple[str, ...] = ("approach", "braking", "entry", "apex", "exit", "straight")
FEATURE_NAMES: tuple[str, ...] = (
    "rel_lap_delta",
    "corner_loss_fraction",
    "extra_braking_zones",
    "trail_brake_fraction_mean",
    "coasting_m_per_km",
    "apex_deficit_fraction",
    "lap_valid",
    "lap_delta_s",
    *(f"loss_{name}_s" for name in PHASE_NAMES),
    "gain_s",
    "rules_within_reach_s",
)


def score_from_reach(within_reach_s: float) -> float:
    """The lap score (0–100) of an estimated time within reach (s)."""
    return 100.0 * math.exp(-max(float(within_reach_s), 0.0) / SCORE_SCALE_S)
