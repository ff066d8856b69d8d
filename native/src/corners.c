/* corners.c - curvature, corner regions, apex, throttle application, coasting. */
#include "corners.h"
#include "rc_internal.h"

#include <stdlib.h>

/* the work buffer's doubles are reused as indices */
typedef char rc_size_t_fits_in_double[sizeof(size_t) <= sizeof(double) ? 1 : -1];

typedef struct {
    const double *d, *speed, *lat, *throttle, *brake, *kappa;
    const rc_corner_params *p;
} corner_input;

/* Curvature: yaw_rate / speed where the yaw rate is given, non-zero and the speed at least
 * vmin, otherwise lat / max(speed, vmin)^2. */
static inline double raw_curvature(const double *speed, const double *yaw, const double *lat,
                                   size_t i, double vmin)
{
    double v = speed[i];
    if (yaw && yaw[i] != 0.0 && v >= vmin)
        return yaw[i] / v;
    double ve = v > vmin ? v : vmin;
    return lat[i] / (ve * ve);
}

/* Smoothed curvature: the centred moving average of width w (odd), truncated at the ends, of
 * the raw curvature, via prefix sums (prefix holds n + 1 doubles; the raw curvature is summed
 * as it is computed and never stored). */
static void smoothed_curvature(const double *speed, const double *yaw, const double *lat, size_t n,
                               double vmin, size_t w, double *prefix, double *out)
{
    double sum = 0.0;
    prefix[0] = 0.0;
    if (yaw) {
        for (size_t i = 0; i < n; i++) {
            sum += raw_curvature(speed, yaw, lat, i, vmin);
            prefix[i + 1] = sum;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            double v = speed[i], ve = v > vmin ? v : vmin;
            sum += lat[i] / (ve * ve);
            prefix[i + 1] = sum;
        }
    }
    size_t h = w / 2;
    if (n <= 2 * h) {  /* every window truncated */
        for (size_t i = 0; i < n; i++) {
            size_t lo = i >= h ? i - h : 0;
            size_t hi = i + h + 1 < n ? i + h + 1 : n;
            out[i] = (prefix[hi] - prefix[lo]) / (double)(hi - lo);
        }
        return;
    }
    for (size_t i = 0; i < h; i++)  /* truncated on the left: [0, i + h] */
        out[i] = (prefix[i + h + 1] - prefix[0]) / (double)(i + h + 1);
    const double wd = (double)w;
    const double *restrict hi_p = prefix + w;
    const double *restrict lo_p = prefix;
    double *restrict o = out + h;
    for (size_t i = 0, m = n - 2 * h; i < m; i++)  /* full windows [i - h, i + h] */
        o[i] = (hi_p[i] - lo_p[i]) / wd;
    for (size_t i = n - h; i < n; i++)  /* truncated on the right: [i - h, n - 1] */
        out[i] = (prefix[n] - prefix[i - h]) / (double)(n - (i - h));
}

static int region_direction(const double *kappa, size_t s, size_t e)
{
    double sum = 0.0;
    for (size_t i = s; i <= e; i++)
        sum += kappa[i];
    return sum > 0.0 ? 1 : -1;
}

static size_t argmax_abs(const double *kappa, size_t s, size_t e);

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
    if (p->peak_window_m > 0.0) {
        size_t peak = argmax_abs(in->kappa, s, e);
        /* a held minimum: the sample within RC_APEX_HOLD_MPS of it nearest the curvature peak */
        double hold = vmin + RC_APEX_HOLD_MPS;
        size_t best = apex;
        for (size_t i = s; i <= e; i++)
            if (in->speed[i] <= hold) {
                if (i < best ? fabs(d[i] - d[peak]) <= fabs(d[best] - d[peak])
                             : fabs(d[i] - d[peak]) < fabs(d[best] - d[peak]))
                    best = i;
            }
        apex = best;
        if (e > s && (apex == s || apex == e))
            apex = peak;  /* the speed does not dip in this corner */
        vmin = in->speed[apex];
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
    if (!(isfinite(p->peak_window_m) && p->peak_window_m >= 0.0))
        return rc_fail(err, RC_ERR_PARAM, 13, -1);
    return RC_OK;
}

/* Curvature peaks of the whole lap, in order: samples whose |kappa| is above thr and within
 * RC_KAPPA_TIE_1PM of the largest |kappa| in the window [d - w, d + w] (a sliding-window
 * maximum with a monotonic deque, O(n)); of two consecutive candidates at most w apart only
 * the first counts. Only samples above thr enter the deque: a sample is tested only when it
 * is above thr itself, and then the window's largest |kappa| is above thr too; runs below thr
 * are skipped with a plain scan. queue: n scratch indices. Returns the number of peaks
 * written to pk. */
static size_t find_peaks(const double *d, const double *kappa, size_t n, double thr, double w,
                         size_t *queue, size_t **pk_io, size_t *pk_cap)
{
    size_t head = 0, tail = 0;  /* queue[head..tail): indices with decreasing |kappa| */
    size_t hi = 0, np = 0, last = 0;
    int have_last = 0;
    for (size_t i = 0; i < n; i++) {
        while (i < n && !(fabs(kappa[i]) > thr))  /* straights: nothing to test or to push */
            i++;
        if (i >= n)
            break;
        /* every sample above thr before i was tested, and pushed before that: hi > it */
        if (hi < i)
            hi = i;
        double lo_d = d[i] - w, hi_d = d[i] + w;
        while (hi < n && d[hi] <= hi_d) {
            double a = fabs(kappa[hi]);
            if (a > thr) {
                while (tail > head && fabs(kappa[queue[tail - 1]]) <= a)
                    tail--;
                queue[tail++] = hi;
            }
            hi++;
        }
        double a = fabs(kappa[i]);
        while (d[queue[head]] < lo_d)  /* sample i itself is in the window */
            head++;
        if (a < fabs(kappa[queue[head]]) - RC_KAPPA_TIE_1PM)
            continue;
        if (!have_last || d[i] - d[last] > w) {
            if (np == *pk_cap) {
                size_t grown = 2 * *pk_cap + 16;
                size_t *more = realloc(*pk_io, grown * sizeof *more);
                if (!more)
                    return (size_t)-1;
                *pk_io = more;
                *pk_cap = grown;
            }
            (*pk_io)[np++] = i;
        }
        last = i;
        have_last = 1;
    }
    return np;
}

/* First sample of [s, e] within RC_KAPPA_TIE_1PM of the largest |kappa| there. */
static size_t argmax_abs(const double *kappa, size_t s, size_t e)
{
    double m = 0.0;
    for (size_t i = s; i <= e; i++)
        if (fabs(kappa[i]) > m)
            m = fabs(kappa[i]);
    for (size_t i = s; i < e; i++)
        if (fabs(kappa[i]) >= m - RC_KAPPA_TIE_1PM)
            return i;
    return e;
}

/* First sample of [s, e] within RC_KAPPA_TIE_1PM of the smallest |kappa| there. */
static size_t argmin_abs(const double *kappa, size_t s, size_t e)
{
    double m = fabs(kappa[s]);
    for (size_t i = s; i <= e; i++)
        if (fabs(kappa[i]) < m)
            m = fabs(kappa[i]);
    for (size_t i = s; i < e; i++)
        if (fabs(kappa[i]) <= m + RC_KAPPA_TIE_1PM)
            return i;
    return e;
}

/* Merge peakless regions into their neighbour and split multi-peak regions (see corners.h).
 * *reg_io holds nr triples (start, end, direction as 1 left / 0 right); it is replaced by a
 * new array with the result. queue: n scratch indices. Returns the new count, or
 * (size_t)-1 when out of memory. */
static size_t split_by_peaks(const double *d, const double *kappa, size_t n, double thr, double w,
                             size_t *queue, size_t **reg_io, size_t nr)
{
    size_t *reg = *reg_io;
    size_t pk_cap = 64;
    size_t *pk = malloc(pk_cap * sizeof *pk);
    size_t *lo = malloc((nr + 1) * sizeof *lo), *hi = malloc((nr + 1) * sizeof *hi);
    if (!pk || !lo || !hi) {
        free(pk); free(lo); free(hi);
        return (size_t)-1;
    }
    size_t all = find_peaks(d, kappa, n, thr, w, queue, &pk, &pk_cap);
    if (all == (size_t)-1) {
        free(pk); free(lo); free(hi);
        return (size_t)-1;
    }
    /* keep the peaks inside the regions, each region's as one contiguous range */
    size_t np = 0, q = 0;
    for (size_t r = 0; r < nr; r++) {
        while (q < all && pk[q] < reg[3 * r])
            q++;
        lo[r] = np;
        while (q < all && pk[q] <= reg[3 * r + 1])
            pk[np++] = pk[q++];
        hi[r] = np;
    }
    size_t *out = malloc(3 * (nr + np + 1) * sizeof *out);  /* each result holds a peak or is a region */
    if (!out) {
        free(pk); free(lo); free(hi);
        return (size_t)-1;
    }
    size_t r = 0;
    while (np > 0 && r < nr) {
        if (hi[r] > lo[r]) {
            r++;
            continue;
        }
        size_t s = reg[3 * r], e = reg[3 * r + 1], m = argmax_abs(kappa, s, e), best = 0;
        for (size_t q = 1; q < np; q++)
            if (fabs(d[pk[q]] - d[m]) < fabs(d[pk[best]] - d[m]))
                best = q;
        size_t t;
        if (pk[best] < s && r > 0)
            t = r - 1;
        else if (pk[best] > e && r + 1 < nr)
            t = r + 1;
        else {
            r++;
            continue;
        }
        size_t keep = t < r ? t : r;  /* the merged region takes the lower slot */
        size_t ms = reg[3 * t] < s ? reg[3 * t] : s, me = reg[3 * t + 1] > e ? reg[3 * t + 1] : e;
        size_t mdir = reg[3 * t + 2], mlo = lo[t], mhi = hi[t];
        reg[3 * keep] = ms;
        reg[3 * keep + 1] = me;
        reg[3 * keep + 2] = mdir;
        lo[keep] = mlo;
        hi[keep] = mhi;
        for (size_t k = keep + 1; k + 1 < nr; k++) {
            reg[3 * k] = reg[3 * (k + 1)];
            reg[3 * k + 1] = reg[3 * (k + 1) + 1];
            reg[3 * k + 2] = reg[3 * (k + 1) + 2];
            lo[k] = lo[k + 1];
            hi[k] = hi[k + 1];
        }
        nr--;
        r = 0;
    }
    size_t no = 0;
    for (r = 0; r < nr; r++) {
        size_t s = reg[3 * r], e = reg[3 * r + 1];
        if (hi[r] - lo[r] < 2) {
            out[3 * no] = s;
            out[3 * no + 1] = e;
            out[3 * no + 2] = reg[3 * r + 2];
            no++;
            continue;
        }
        size_t start = s;
        for (size_t q = lo[r]; q + 1 < hi[r]; q++) {
            size_t b = argmin_abs(kappa, pk[q], pk[q + 1]);
            out[3 * no] = start;
            out[3 * no + 1] = b;
            out[3 * no + 2] = region_direction(kappa, start, b) > 0;
            no++;
            start = b + 1;
        }
        out[3 * no] = start;
        out[3 * no + 1] = e;
        out[3 * no + 2] = region_direction(kappa, start, e) > 0;
        no++;
    }
    free(reg);
    *reg_io = out;
    free(pk); free(lo); free(hi);
    return no;
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

    return rc_corners_core(dist_m, speed_mps, yaw_rate_rps, lat_accel_mps2, throttle, brake, n,
                           params, work, corners, capacity, n_corners, err);
}

int rc_corners_core(const double *dist_m, const double *speed_mps,
                    const double *yaw_rate_rps, const double *lat_accel_mps2,
                    const double *throttle, const double *brake, size_t n,
                    const rc_corner_params *params, double *work,
                    rc_corner *corners, size_t capacity, size_t *n_corners,
                    rc_error *err)
{
    *n_corners = 0;
    double *kappa = work;          /* n smoothed curvature values */
    /* after smoothing, the prefix sums' room (n + 1 doubles) serves as n indices */
    size_t *queue = (size_t *)(void *)(work + n);
    double *prefix = work + n;     /* n + 1 prefix sums */
    smoothed_curvature(speed_mps, yaw_rate_rps, lat_accel_mps2, n, params->min_speed_mps,
                       (size_t)params->smooth_samples, prefix, kappa);

    corner_input in = {dist_m, speed_mps, lat_accel_mps2, throttle, brake, kappa, params};
    double thr = params->curvature_threshold_1pm;
    /* regions[3 * r] = start, end, direction; grown as needed */
    size_t cap = 64;
    size_t *regions = malloc(3 * cap * sizeof *regions);
    if (!regions)
        return rc_fail(err, RC_ERR_NO_MEMORY, 0, (int64_t)n);
    int have = 0, cur_dir = 0;
    size_t cur_s = 0, cur_e = 0, nr = 0, i = 0;
    for (;;) {
        int closing = i >= n;
        size_t s = 0, e = 0;
        int dir = 0;
        if (!closing) {
            if (!(fabs(kappa[i]) > thr)) {
                i++;
                continue;
            }
            s = i;
            while (i + 1 < n && fabs(kappa[i + 1]) > thr)
                i++;
            e = i++;
            dir = region_direction(kappa, s, e);
            if (have && dir == cur_dir && dist_m[s] - dist_m[cur_e] < params->merge_gap_m) {
                cur_e = e;
                continue;
            }
        }
        if (have && dist_m[cur_e] - dist_m[cur_s] >= params->min_length_m) {
            if (nr == cap) {
                size_t *more = realloc(regions, 3 * 2 * cap * sizeof *more);
                if (!more) {
                    free(regions);
                    return rc_fail(err, RC_ERR_NO_MEMORY, 0, (int64_t)n);
                }
                regions = more;
                cap *= 2;
            }
            regions[3 * nr] = cur_s;
            regions[3 * nr + 1] = cur_e;
            regions[3 * nr + 2] = cur_dir > 0 ? 1 : 0;
            nr++;
        }
        if (closing)
            break;
        cur_s = s;
        cur_e = e;
        cur_dir = dir;
        have = 1;
    }
    if (params->peak_window_m > 0.0 && nr > 0)
        nr = split_by_peaks(dist_m, kappa, n, thr, params->peak_window_m, queue, &regions, nr);
    if (nr == (size_t)-1) {
        free(regions);
        return rc_fail(err, RC_ERR_NO_MEMORY, 0, (int64_t)n);
    }
    size_t count = 0;
    for (size_t r = 0; r < nr; r++) {
        if (count >= capacity) {
            free(regions);
            return rc_fail(err, RC_ERR_CAPACITY, 0, (int64_t)count);
        }
        fill_corner(&in, regions[3 * r], regions[3 * r + 1], regions[3 * r + 2] ? 1 : -1, &corners[count++]);
    }
    free(regions);
    *n_corners = count;
    return rc_ok(err);
}
