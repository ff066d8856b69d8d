/* analyze.c - the whole lap analysis in one call (see analyze.h). */
#include "analyze.h"
#include "resample.h"
#include "rc_internal.h"

int rc_analyze_lap(const double *dist_m, const double *const *channels, size_t n,
                   double step_m, double lap_length_m,
                   const rc_brake_params *brake_params, const rc_corner_params *corner_params,
                   const double *reference_time_s, size_t n_reference,
                   double *grid_m, double *out, size_t grid_capacity, double *work,
                   rc_brake_zone *zones, size_t zone_capacity,
                   rc_corner *corners, size_t corner_capacity,
                   double *delta_s, rc_segment *segments, double *boundaries,
                   rc_lap_counts *counts, rc_error *err)
{
    counts->n_grid = counts->n_kept = counts->n_zones = counts->n_corners = counts->n_segments = 0;
    counts->stage = 1;
    size_t n_grid = 0, n_kept = 0;
    int rc = rc_resample_grid_only(dist_m, n, step_m, lap_length_m, &n_grid, err);
    if (rc != RC_OK)
        return rc;
    if (n_grid > grid_capacity)
        return rc_fail(err, RC_ERR_CAPACITY, 0, (int64_t)n_grid);
    /* Resample the channels given, packed; rows of absent channels stay unused. */
    const double *given[RC_LAP_CHANNELS];
    double *rows[RC_LAP_CHANNELS];
    size_t m = 0;
    for (size_t c = 0; c < RC_LAP_CHANNELS; c++) {
        rows[c] = NULL;
        if (channels[c]) {
            given[m] = channels[c];
            rows[c] = out + c * grid_capacity;
            m++;
        }
    }
    if (!channels[RC_LAP_TIME] || !channels[RC_LAP_SPEED] || !channels[RC_LAP_BRAKE] ||
        !channels[RC_LAP_THROTTLE] || !channels[RC_LAP_LAT_ACCEL])
        return rc_fail(err, RC_ERR_PARAM, 2, -1);
    double *packed[RC_LAP_CHANNELS];
    for (size_t c = 0, p = 0; c < RC_LAP_CHANNELS; c++)
        if (rows[c])
            packed[p++] = rows[c];
    rc = rc_resample_checked(dist_m, given, n, m, step_m, grid_m, packed, n_grid, &n_kept, 1, err);
    if (rc != RC_OK)
        return rc;
    counts->n_grid = n_grid;
    counts->n_kept = n_kept;

    counts->stage = 2;
    /* The grid is strictly increasing and interpolated values of finite samples are finite:
     * the kernels' argument checks are skipped. */
    rc = rc_braking_zones_core(grid_m, rows[RC_LAP_BRAKE], rows[RC_LAP_SPEED], rows[RC_LAP_TIME],
                               rows[RC_LAP_LAT_ACCEL], rows[RC_LAP_STEERING], n_grid, brake_params,
                               zones, zone_capacity, &counts->n_zones, err);
    if (rc != RC_OK)
        return rc;

    counts->stage = 3;
    rc = rc_corners_core(grid_m, rows[RC_LAP_SPEED], rows[RC_LAP_YAW_RATE], rows[RC_LAP_LAT_ACCEL],
                         rows[RC_LAP_THROTTLE], rows[RC_LAP_BRAKE], n_grid, corner_params, work,
                         corners, corner_capacity, &counts->n_corners, err);
    if (rc != RC_OK)
        return rc;

    if (reference_time_s) {
        size_t g = n_grid < n_reference ? n_grid : n_reference;
        counts->stage = 4;
        if (g < 2)
            return rc_fail(err, RC_ERR_TOO_SHORT, 1, (int64_t)g);
        rc = rc_check_finite(reference_time_s, g, 1, err);
        if (rc != RC_OK)
            return rc;
        const double *t = rows[RC_LAP_TIME];
        double a0 = reference_time_s[0], b0 = t[0];
        for (size_t i = 0; i < g; i++)
            delta_s[i] = (t[i] - b0) - (reference_time_s[i] - a0);
        /* segment ends: the corner exits strictly inside the compared grid */
        size_t nb = 0;
        for (size_t k = 0; k < counts->n_corners; k++) {
            double x = corners[k].exit_m;
            if (x > grid_m[0] && x < grid_m[g - 1] && (nb == 0 || x > boundaries[nb - 1]))
                boundaries[nb++] = x;
        }
        counts->stage = 5;
        rc_segment_time_loss_core(grid_m, delta_s, g, boundaries, nb, segments);
        counts->n_segments = nb + 1;
    }
    counts->stage = 0;
    return rc_ok(err);
}
