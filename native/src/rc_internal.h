/* rc_internal.h - small helpers shared by the kernel sources (not part of the API). */
#ifndef RC_INTERNAL_H
#define RC_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include "rc_common.h"

static inline int rc_fail(rc_error *err, int code, int arg, int64_t index)
{
    if (err) {
        err->code = code;
        err->arg = arg;
        err->index = index;
    }
    return code;
}

static inline int rc_ok(rc_error *err)
{
    if (err) {
        err->code = RC_OK;
        err->arg = -1;
        err->index = -1;
    }
    return RC_OK;
}

/* Whether any of x[0..n) is NaN or infinite: x - x is 0 for finite x and NaN otherwise;
 * four independent sums keep the scan fast (it runs on every input of every kernel). */
static inline int rc_any_nonfinite(const double *x, size_t n)
{
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a0 += x[i] - x[i];
        a1 += x[i + 1] - x[i + 1];
        a2 += x[i + 2] - x[i + 2];
        a3 += x[i + 3] - x[i + 3];
    }
    for (; i < n; i++)
        a0 += x[i] - x[i];
    return isnan(a0 + a1 + a2 + a3);
}

/* Whether finite x[0..n) fails to increase strictly somewhere: the smallest step is not > 0
 * (for finite doubles x[i] > x[i-1] exactly when x[i] - x[i-1] > 0). */
static inline int rc_any_not_increasing(const double *x, size_t n)
{
    double m0 = 1.0, m1 = 1.0, m2 = 1.0, m3 = 1.0;
    size_t i = 1;
    for (; i + 4 <= n; i += 4) {
        double d0 = x[i] - x[i - 1], d1 = x[i + 1] - x[i], d2 = x[i + 2] - x[i + 1], d3 = x[i + 3] - x[i + 2];
        m0 = d0 < m0 ? d0 : m0;
        m1 = d1 < m1 ? d1 : m1;
        m2 = d2 < m2 ? d2 : m2;
        m3 = d3 < m3 ? d3 : m3;
    }
    for (; i < n; i++) {
        double d = x[i] - x[i - 1];
        m0 = d < m0 ? d : m0;
    }
    m0 = m1 < m0 ? m1 : m0;
    m2 = m3 < m2 ? m3 : m2;
    m0 = m2 < m0 ? m2 : m0;
    return !(m0 > 0.0);
}

/* RC_OK when every sample is finite, otherwise RC_ERR_NAN / RC_ERR_NONFINITE
 * for the first bad sample. */
static inline int rc_check_finite(const double *x, size_t n, int arg, rc_error *err)
{
    if (!rc_any_nonfinite(x, n))
        return RC_OK;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v))
            return rc_fail(err, isnan(v) ? RC_ERR_NAN : RC_ERR_NONFINITE, arg, (int64_t)i);
    }
    return RC_OK;
}

/* RC_OK when x is strictly increasing (and finite). */
static inline int rc_check_increasing(const double *x, size_t n, int arg, rc_error *err)
{
    int rc = rc_check_finite(x, n, arg, err);
    if (rc != RC_OK)
        return rc;
    if (!rc_any_not_increasing(x, n))
        return RC_OK;
    for (size_t i = 1; i < n; i++)
        if (!(x[i] > x[i - 1]))
            return rc_fail(err, RC_ERR_NOT_INCREASING, arg, (int64_t)i);
    return RC_OK;
}

/* Kernel bodies without their argument checks, for callers whose inputs are known good
 * (rc_analyze_lap: the resampled grid is strictly increasing and every value finite). */
#include "zones.h"
#include "corners.h"
#include "delta.h"
int rc_braking_zones_core(const double *dist_m, const double *brake,
                          const double *speed_mps, const double *time_s,
                          const double *lat_accel_mps2, const double *steering_rad,
                          size_t n, const rc_brake_params *params,
                          rc_brake_zone *zones, size_t capacity, size_t *n_zones,
                          rc_error *err);
int rc_corners_core(const double *dist_m, const double *speed_mps,
                    const double *yaw_rate_rps, const double *lat_accel_mps2,
                    const double *throttle, const double *brake, size_t n,
                    const rc_corner_params *params, double *work,
                    rc_corner *corners, size_t capacity, size_t *n_corners,
                    rc_error *err);
/* rc_resample_into with the number of kept samples (n_kept may be NULL); with kept_first,
 * too few kept samples is reported before non-finite channel values (rc_resample_grid_size's
 * order). One pass over the samples checks every input for finite values. */
int rc_resample_checked(const double *dist_m, const double *const *channels, size_t n,
                        size_t n_channels, double step_m, double *grid_m,
                        double *const *out_rows, size_t n_grid, size_t *n_kept,
                        int kept_first, rc_error *err);
/* The grid size for a lap length > 0 without a pass over the samples (rc_resample_checked
 * checks them); falls back to rc_resample_grid_size otherwise. */
int rc_resample_grid_only(const double *dist_m, size_t n, double step_m, double lap_length_m,
                          size_t *n_grid, rc_error *err);
void rc_segment_time_loss_core(const double *grid_m, const double *delta_s, size_t n,
                               const double *boundaries_m, size_t m, rc_segment *segments);

#endif
