/* corners.c - curvature, corner regions, apex, throttle application, coasting. */
#include "corners.h"
#include "rc_internal.h"

typedef struct {
    const double *d, *speed, *lat, *throttle, *brake, *kappa;
    const rc_corner_params *p;
} corner_input;

static void raw_curvature(const double *speed, const double *yaw, const double *lat,
                          size_t n, double vmin, double *kappa)
{
    for (size_t i = 0; i < n; i++) {
        double v = speed[i];
        if (yaw && yaw[i] != 0.0 && v >= vmin) {
            kappa[i] = yaw[i] / v;
        } else {
            double ve = v > vmin ? v : vmin;
            kappa[i] = lat[i] / (ve * ve);
        }
    }
}

/* Centred moving average of width w (odd), truncated at the ends, via prefix
 * sums (prefix holds n + 1 doubles). out may alias raw: every prefix sum is
 * computed before the first output is written. */
static void smooth(const double *raw, size_t n, size_t w, double *prefix, double *out)
{
    size_t h = w / 2;
    prefix[0] = 0.0;
    for (size_t i = 0; i < n; i++)
        prefix[i + 1] = prefix[i] + raw[i];
    for (size_t i = 0; i < n; i++) {
        size_t lo = i >= h ? i - h : 0;
        size_t hi = i + h + 1 < n ? i + h + 1 : n;
        out[i] = (prefix[hi] - prefix[lo]) / (double)(hi - lo);
    }
}

static int region_direction(const double *kappa, size_t s, size_t e)
{
    double sum = 0.0;
    for (size_t i = s; i <= e; i++)
        sum += kappa[i];
    return sum > 0.0 ? 1 : -1;
}

static void fill_corner(const corner_input *in, size_t s, size_t e, int dir, rc_corner *c)
{
    const double *d = in->d;
    const rc_corner_params *p = in->p;
    size_t apex = s;
    double vmin = in->speed[s], lat_max = 0.0, kmax = 0.0, coast = 0.0;
    for (size_t i = s; i <= e; i++) {
        if (in->speed[i] < vmin) {
            vmin = in->speed[i];
            apex = i;
        }
        double a = fabs(in->lat[i]);
        if (a > lat_max)
            lat_max = a;
        double k = fabs(in->kappa[i]);
        if (k > kmax)
            kmax = k;
        if (i < e && in->throttle[i] < p->coast_threshold && in->brake[i] < p->coast_threshold)
            coast += d[i + 1] - d[i];
    }
    double throttle_on = NAN;
    if (in->throttle[e] >= p->throttle_on_threshold) {
        size_t i = e;
        while (i > apex && in->throttle[i - 1] >= p->throttle_on_threshold)
            i--;
        throttle_on = d[i];
    }
    c->entry_m = d[s];
    c->apex_m = d[apex];
    c->exit_m = d[e];
    c->apex_speed_mps = vmin;
    c->max_lat_g = lat_max / RC_STANDARD_GRAVITY_MPS2;
    c->min_radius_m = 1.0 / kmax;
    c->throttle_on_m = throttle_on;
    c->coasting_m = coast;
    c->direction = dir;
}

static int check_params(const rc_corner_params *p, rc_error *err)
{
    if (!(isfinite(p->curvature_threshold_1pm) && p->curvature_threshold_1pm > 0.0))
        return rc_fail(err, RC_ERR_PARAM, 6, -1);
    if (!(isfinite(p->min_speed_mps) && p->min_speed_mps > 0.0))
        return rc_fail(err, RC_ERR_PARAM, 7, -1);
    if (!(isfinite(p->merge_gap_m) && p->merge_gap_m >= 0.0))
        return rc_fail(err, RC_ERR_PARAM, 8, -1);
    if (!(isfinite(p->min_length_m) && p->min_length_m >= 0.0))
        return rc_fail(err, RC_ERR_PARAM, 9, -1);
    if (!isfinite(p->throttle_on_threshold))
        return rc_fail(err, RC_ERR_PARAM, 10, -1);
    if (!isfinite(p->coast_threshold))
        return rc_fail(err, RC_ERR_PARAM, 11, -1);
    if (p->smooth_samples < 1 || p->smooth_samples % 2 == 0)
        return rc_fail(err, RC_ERR_PARAM, 12, -1);
    return RC_OK;
}

int rc_corners(const double *dist_m, const double *speed_mps,
               const double *yaw_rate_rps, const double *lat_accel_mps2,
               const double *throttle, const double *brake, size_t n,
               const rc_corner_params *params, double *work,
               rc_corner *corners, size_t capacity, size_t *n_corners,
               rc_error *err)
{
    *n_corners = 0;
    int rc = check_params(params, err);
    if (rc != RC_OK)
        return rc;
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    if ((rc = rc_check_increasing(dist_m, n, 0, err)) != RC_OK)
        return rc;
    const double *inputs[5] = {speed_mps, yaw_rate_rps, lat_accel_mps2, throttle, brake};
    for (int a = 0; a < 5; a++)
        if (inputs[a] && (rc = rc_check_finite(inputs[a], n, a + 1, err)) != RC_OK)
            return rc;

    double *kappa = work;          /* n smoothed curvature values */
    double *prefix = work + n;     /* n + 1 prefix sums */
    raw_curvature(speed_mps, yaw_rate_rps, lat_accel_mps2, n, params->min_speed_mps, kappa);
    smooth(kappa, n, (size_t)params->smooth_samples, prefix, kappa);

    corner_input in = {dist_m, speed_mps, lat_accel_mps2, throttle, brake, kappa, params};
    double thr = params->curvature_threshold_1pm;
    int have = 0, cur_dir = 0;
    size_t cur_s = 0, cur_e = 0, count = 0, i = 0;
    while (i < n) {
        if (!(fabs(kappa[i]) > thr)) {
            i++;
            continue;
        }
        size_t s = i;
        while (i + 1 < n && fabs(kappa[i + 1]) > thr)
            i++;
        size_t e = i++;
        int dir = region_direction(kappa, s, e);
        if (have && dir == cur_dir && dist_m[s] - dist_m[cur_e] < params->merge_gap_m) {
            cur_e = e;
            continue;
        }
        if (have && dist_m[cur_e] - dist_m[cur_s] >= params->min_length_m) {
            if (count >= capacity)
                return rc_fail(err, RC_ERR_CAPACITY, 0, (int64_t)count);
            fill_corner(&in, cur_s, cur_e, cur_dir, &corners[count++]);
        }
        cur_s = s;
        cur_e = e;
        cur_dir = dir;
        have = 1;
    }
    if (have && dist_m[cur_e] - dist_m[cur_s] >= params->min_length_m) {
        if (count >= capacity)
            return rc_fail(err, RC_ERR_CAPACITY, 0, (int64_t)count);
        fill_corner(&in, cur_s, cur_e, cur_dir, &corners[count++]);
    }
    *n_corners = count;
    return rc_ok(err);
}
