/* delta.c - delta-time trace and per-segment time loss. */
#include "delta.h"
#include "rc_internal.h"

int rc_delta_time(const double *grid_m, const double *time_a_s,
                  const double *time_b_s, size_t n, double *delta_s,
                  rc_error *err)
{
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    int rc;
    if ((rc = rc_check_increasing(grid_m, n, 0, err)) != RC_OK)
        return rc;
    if ((rc = rc_check_finite(time_a_s, n, 1, err)) != RC_OK)
        return rc;
    if ((rc = rc_check_finite(time_b_s, n, 2, err)) != RC_OK)
        return rc;
    double a0 = time_a_s[0], b0 = time_b_s[0];
    for (size_t i = 0; i < n; i++)
        delta_s[i] = (time_b_s[i] - b0) - (time_a_s[i] - a0);
    return rc_ok(err);
}

/* delta interpolated at x, grid_m[0] <= x <= grid_m[n-1]; *j is a search hint
 * that only moves forward (the boundaries are increasing). */
static double interp_at(const double *g, const double *y, size_t n, double x, size_t *j)
{
    if (x <= g[0])
        return y[0];
    if (x >= g[n - 1])
        return y[n - 1];
    /* the last a >= *j with g[a] <= x (g[0] < x < g[n - 1], so a + 1 < n): gallop, then bisect */
    size_t a = *j, step = 1;
    while (a + step < n - 1 && g[a + step] <= x) {
        a += step;
        step *= 2;
    }
    size_t b = a + step < n - 1 ? a + step : n - 1;  /* g[b] > x or b == n - 1 (g[n - 1] > x) */
    while (b - a > 1) {
        size_t m = a + (b - a) / 2;
        if (g[m] <= x)
            a = m;
        else
            b = m;
    }
    *j = a;
    double slope = (y[a + 1] - y[a]) / (g[a + 1] - g[a]);
    return slope * (x - g[a]) + y[a];
}

int rc_segment_time_loss(const double *grid_m, const double *delta_s, size_t n,
                         const double *boundaries_m, size_t m,
                         rc_segment *segments, rc_error *err)
{
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    int rc;
    if ((rc = rc_check_increasing(grid_m, n, 0, err)) != RC_OK)
        return rc;
    if ((rc = rc_check_finite(delta_s, n, 1, err)) != RC_OK)
        return rc;
    if ((rc = rc_check_increasing(boundaries_m, m, 2, err)) != RC_OK)
        return rc;
    for (size_t k = 0; k < m; k++)
        if (boundaries_m[k] < grid_m[0] || boundaries_m[k] > grid_m[n - 1])
            return rc_fail(err, RC_ERR_RANGE, 2, (int64_t)k);

    rc_segment_time_loss_core(grid_m, delta_s, n, boundaries_m, m, segments);
    return rc_ok(err);
}

void rc_segment_time_loss_core(const double *grid_m, const double *delta_s, size_t n,
                               const double *boundaries_m, size_t m, rc_segment *segments)
{
    size_t hint = 0;
    double start = grid_m[0], d_start = delta_s[0];
    for (size_t k = 0; k <= m; k++) {
        double end, d_end;
        if (k < m) {
            end = boundaries_m[k];
            d_end = interp_at(grid_m, delta_s, n, end, &hint);
        } else {
            end = grid_m[n - 1];
            d_end = delta_s[n - 1];
        }
        segments[k].start_m = start;
        segments[k].end_m = end;
        segments[k].time_loss_s = d_end - d_start;
        start = end;
        d_start = d_end;
    }
}
