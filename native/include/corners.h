/* corners.h - corner detection from path curvature.
 *
 * Curvature (1/m, positive = left turn / counter-clockwise):
 *   kappa = yaw_rate / speed          where yaw_rate is given, non-zero and
 *                                     speed >= min_speed_mps;
 *   kappa = lat_accel / max(speed, min_speed_mps)^2   otherwise.
 * It is smoothed with a centred moving average of smooth_samples samples
 * (truncated at the ends). A corner is a run of samples with
 * |smoothed kappa| > curvature_threshold_1pm; runs of the same direction
 * separated by less than merge_gap_m are merged, and corners shorter than
 * min_length_m are dropped.
 *
 * Curvature peaks (only with peak_window_m > 0): samples whose |smoothed
 * kappa| exceeds the threshold and is the largest within +-peak_window_m;
 * of two consecutive such samples at most peak_window_m apart only the first
 * counts. Then a corner holding no peak (its curvature is dominated by a
 * tighter neighbour within the window, e.g. the flick of a chicane) joins
 * the neighbouring corner nearest to it, keeping that one's direction, and a
 * corner holding k >= 2 peaks is split into k corners at the lowest
 * |curvature| between consecutive peaks. The apex is then the sample within
 * RC_APEX_HOLD_MPS of the lowest speed nearest the corner's curvature peak (a
 * held minimum is centred on the peak), or the curvature peak itself when that
 * sample is the corner's first or last (the speed does not dip).
 *
 * Apex with peak_window_m = 0: the first sample with the lowest speed inside
 * the corner (with peak_window_m > 0 it follows the curvature peak, above).
 * throttle_on_m: the first sample at or after the apex from which throttle
 * stays >= throttle_on_threshold up to the corner exit (NaN when the throttle
 * is below it at the exit). coasting_m: length of the intervals [i, i+1] in
 * the corner where, at sample i, throttle < coast_threshold and
 * brake < coast_threshold.
 */
#ifndef RC_CORNERS_H
#define RC_CORNERS_H

#include "rc_common.h"

#define RC_STANDARD_GRAVITY_MPS2 9.80665
#define RC_APEX_HOLD_MPS 0.01
#define RC_KAPPA_TIE_1PM 1e-9  /* curvatures closer than this are equal (peaks, cuts) */

typedef struct {
    double entry_m;          /* first sample above the curvature threshold */
    double apex_m;           /* distance of the apex (see above; the lowest speed only with peak_window_m = 0) */
    double exit_m;           /* last sample above the curvature threshold */
    double apex_speed_mps;   /* speed at the apex */
    double max_lat_g;        /* largest |lat_accel| in the corner, in g */
    double min_radius_m;     /* 1 / largest |smoothed curvature| */
    double throttle_on_m;    /* see above; NaN when there is none */
    double coasting_m;       /* distance with neither brake nor throttle */
    int32_t direction;       /* +1 left, -1 right */
} rc_corner;

typedef struct {
    double curvature_threshold_1pm;
    double min_speed_mps;
    double merge_gap_m;
    double min_length_m;
    double throttle_on_threshold;
    double coast_threshold;
    int32_t smooth_samples;  /* odd, >= 1 */
    double peak_window_m;    /* 0: off; else split/merge corners by curvature peaks (see above) */
} rc_corner_params;

/* work: caller scratch of 2 * n + 1 doubles.
 * Argument order for rc_error.arg: 0 dist_m, 1 speed_mps, 2 yaw_rate_rps,
 * 3 lat_accel_mps2, 4 throttle, 5 brake, then parameters
 * 6 curvature_threshold_1pm, 7 min_speed_mps, 8 merge_gap_m, 9 min_length_m,
 * 10 throttle_on_threshold, 11 coast_threshold, 12 smooth_samples,
 * 13 peak_window_m.
 * yaw_rate_rps may be NULL. */
int rc_corners(const double *dist_m, const double *speed_mps,
               const double *yaw_rate_rps, const double *lat_accel_mps2,
               const double *throttle, const double *brake, size_t n,
               const rc_corner_params *params, double *work,
               rc_corner *corners, size_t capacity, size_t *n_corners,
               rc_error *err);

#endif
