"""The lap-score model's formula: features, weights and bias, in one place.

The model is a fixed-weight logistic layer, scaled to 0–100::

    z     = BIAS + sum_i WEIGHTS[i] * x[i]
    score = 100 * sigmoid(z) = 100 / (1 + exp(-z))

Features, in input order (:data:`FEATURE_NAMES`), computed by
:func:`racecoach.services.coaching.features.lap_features`:

==  =========================  ===========  ========  =====================================================
 i  name                       unit         weight    meaning
==  =========================  ===========  ========  =====================================================
 0  rel_lap_delta              fraction     -400.0    (lap time - reference lap time) / reference lap time;
                                                      negative when faster; 0 without a reference
 1  corner_loss_fraction       fraction     -250.0    sum of the positive per-segment time losses / lap time;
                                                      0 without a reference
 2  extra_braking_zones        count          -0.5    braking zones beyond the reference's count (never
                                                      negative); 0 without a reference
 3  trail_brake_fraction_mean  fraction       +1.0    mean trail_brake_fraction of the lap's braking zones
                                                      (0 when the lap has none)
 4  coasting_m_per_km          m/km           -0.05   coasting metres summed over the corners per km of lap
 5  apex_deficit_fraction      fraction       -1.5    fraction of the matched corners whose apex speed is
                                                      more than 2 km/h below the reference's; 0 without one
 6  lap_valid                  0 or 1         +2.0    1 when analysis marked the lap valid, else 0
==  =========================  ===========  ========  =====================================================

BIAS is +2.5, so a clean valid lap as fast as its reference with no coasting and 30 %
trail braking scores 100·sigmoid(4.8) ≈ 99.2. The lap delta weighs enough for the score to
spread over the range real laps cover: 0.5 % slower than the reference (0.4 s on an 80 s lap,
its corner losses the same) scores about 82, 1 % slower about 15, 2 % slower near 0. Without a
reference the score reflects only the lap's own technique (trail braking, coasting) and validity.

This module must not import ``onnx`` (a development-only dependency): the runtime and
the tests read the formula from here.
"""

from __future__ import annotations

MODEL_NAME = "lap_score"
MODEL_VERSION = "lap_score_v2"
MODEL_FILE = "lap_score_v2.onnx"
INPUT_NAME = "features"
OUTPUT_NAME = "score"

FEATURE_NAMES: tuple[str, ...] = (
    "rel_lap_delta",
    "corner_loss_fraction",
    "extra_braking_zones",
    "trail_brake_fraction_mean",
    "coasting_m_per_km",
    "apex_deficit_fraction",
    "lap_valid",
)
WEIGHTS: tuple[float, ...] = (-400.0, -250.0, -0.5, 1.0, -0.05, -1.5, 2.0)
BIAS: float = 2.5
SCALE: float = 100.0

assert len(FEATURE_NAMES) == len(WEIGHTS)
