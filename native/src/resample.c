/* resample.c - distance repair and linear resampling onto a uniform grid. */
#include "resample.h"
#include "rc_internal.h"

#include <stdlib.h>

/* Largest grid the kernel accepts (a 1 mm grid on a 100 km lap). */
#define RC_MAX_GRID ((size_t)100000000)

/* Index of the next kept sample after kept sample j (n when there is none). */
static size_t next_kept(const double *d, size_t n, size_t j)
{
    size_t i = j + 1;
    while (i < n && !(d[i] > d[j]))
        i++;
    return i;
}

/* Grid points k * step_m strictly below length (at least one). */
static int grid_count(double length, double step_m, size_t *n_grid, rc_error *err)
{
    double ratio = ceil(length / step_m);
    if (!(ratio < (double)RC_MAX_GRID))
        return rc_fail(err, RC_ERR_PARAM, 1, -1);
    size_t count = (size_t)ratio;
    while (count > 1 && (double)(count - 1) * step_m >= length)
        count--;
    while ((double)count * step_m < length)
        count++;
    if (count < 1)
        count = 1;
    *n_grid = count;
    return RC_OK;
}

int rc_resample_grid_size(const double *dist_m, size_t n, double step_m,
                          double lap_length_m, size_t *n_grid, size_t *n_kept,
                          rc_error *err)
{
    if (!(isfinite(step_m) && step_m > 0.0))
        return rc_fail(err, RC_ERR_PARAM, 1, -1);
    if (!isfinite(lap_length_m))
        return rc_fail(err, RC_ERR_PARAM, 2, -1);
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    int rc = rc_check_finite(dist_m, n, 0, err);
    if (rc != RC_OK)
        return rc;

    size_t kept = 1, j = 0;
    for (size_t i = next_kept(dist_m, n, 0); i < n; i = next_kept(dist_m, n, j)) {
        j = i;
        kept++;
    }
    if (kept < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)kept);

    double length = lap_length_m > 0.0 ? lap_length_m : dist_m[j];
    if (!(length > 0.0))
        return rc_fail(err, RC_ERR_PARAM, 2, -1);
    if ((rc = grid_count(length, step_m, n_grid, err)) != RC_OK)
        return rc;
    *n_kept = kept;
    return rc_ok(err);
}

/* Grid points from g on while there is a kept sample beyond them: x in [d_j, d_k) gets
 * v_j + (v_k - v_j) * ((x - d_j) / (d_k - d_j)). *j, *k: the kept samples around the current
 * point (k == n: none after j), *kept: kept samples up to j. Returns the first point left. */
static inline size_t interpolate(const double *dist_m, const double *const *channels,
                                 double *const *out_rows, size_t n, size_t n_channels,
                                 double step_m, double *grid_m, size_t g, size_t n_grid,
                                 size_t *j_io, size_t *k_io, size_t *kept_io)
{
    size_t j = *j_io, k = *k_io, kept = *kept_io;
    for (; g < n_grid; g++) {
        double x = (double)g * step_m;
        while (k < n && dist_m[k] <= x) {
            j = k;
            k = next_kept(dist_m, n, j);
            kept++;
        }
        if (k >= n)
            break;
        grid_m[g] = x;
        double t = (x - dist_m[j]) / (dist_m[k] - dist_m[j]);
        for (size_t c = 0; c < n_channels; c++) {
            const double *v = channels[c];
            out_rows[c][g] = v[j] + (v[k] - v[j]) * t;
        }
    }
    *j_io = j;
    *k_io = k;
    *kept_io = kept;
    return g;
}

int rc_resample_checked(const double *dist_m, const double *const *channels, size_t n,
                        size_t n_channels, double step_m, double *grid_m,
                        double *const *out_rows, size_t n_grid, size_t *n_kept,
                        int kept_first, rc_error *err)
{
    if (!(isfinite(step_m) && step_m > 0.0))
        return rc_fail(err, RC_ERR_PARAM, 1, -1);
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    int rc = rc_check_finite(dist_m, n, 0, err);
    if (rc != RC_OK)
        return rc;
    if (kept_first && next_kept(dist_m, n, 0) >= n)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, 1);
    for (size_t c = 0; c < n_channels; c++) {
        rc = rc_check_finite(channels[c], n, 2 + (int)c, err);
        if (rc != RC_OK)
            return rc;
    }
    if (next_kept(dist_m, n, 0) >= n)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, 1);

    /* One pass over the grid with a moving index into the repaired distance: each grid
     * point finds its two kept samples once and every channel is interpolated there. */
    size_t j = 0;                          /* current kept sample */
    size_t kept = 1;                       /* kept samples up to j */
    size_t k = next_kept(dist_m, n, 0);    /* next kept sample (n: none) */
    double d0 = dist_m[0];
    size_t g = 0;
    for (; g < n_grid && (double)g * step_m <= d0; g++) {  /* before the first sample: hold */
        grid_m[g] = (double)g * step_m;
        for (size_t c = 0; c < n_channels; c++)
            out_rows[c][g] = channels[c][0];
    }
    switch (n_channels) {  /* a constant channel count lets the compiler unroll the channels */
    case 1: g = interpolate(dist_m, channels, out_rows, n, 1, step_m, grid_m, g, n_grid, &j, &k, &kept); break;
    case 2: g = interpolate(dist_m, channels, out_rows, n, 2, step_m, grid_m, g, n_grid, &j, &k, &kept); break;
    case 3: g = interpolate(dist_m, channels, out_rows, n, 3, step_m, grid_m, g, n_grid, &j, &k, &kept); break;
    case 4: g = interpolate(dist_m, channels, out_rows, n, 4, step_m, grid_m, g, n_grid, &j, &k, &kept); break;
    case 5: g = interpolate(dist_m, channels, out_rows, n, 5, step_m, grid_m, g, n_grid, &j, &k, &kept); break;
    case 6: g = interpolate(dist_m, channels, out_rows, n, 6, step_m, grid_m, g, n_grid, &j, &k, &kept); break;
    case 7: g = interpolate(dist_m, channels, out_rows, n, 7, step_m, grid_m, g, n_grid, &j, &k, &kept); break;
    default:
        g = interpolate(dist_m, channels, out_rows, n, n_channels, step_m, grid_m, g, n_grid, &j, &k, &kept);
    }
    for (; g < n_grid; g++) {  /* after the last kept sample: hold */
        grid_m[g] = (double)g * step_m;
        for (size_t c = 0; c < n_channels; c++)
            out_rows[c][g] = channels[c][j];
    }
    if (n_kept) {  /* the kept samples beyond the grid's end */
        for (; k < n; k = next_kept(dist_m, n, k))
            kept++;
        *n_kept = kept;
    }
    return rc_ok(err);
}

int rc_resample_into(const double *dist_m, const double *const *channels, size_t n,
                     size_t n_channels, double step_m, double *grid_m,
                     double *const *out_rows, size_t n_grid, rc_error *err)
{
    return rc_resample_checked(dist_m, channels, n, n_channels, step_m, grid_m, out_rows, n_grid,
                               NULL, 0, err);
}

int rc_resample_grid_only(const double *dist_m, size_t n, double step_m, double lap_length_m,
                          size_t *n_grid, rc_error *err)
{
    if (!(isfinite(step_m) && step_m > 0.0))
        return rc_fail(err, RC_ERR_PARAM, 1, -1);
    if (!(isfinite(lap_length_m) && lap_length_m > 0.0)) {
        size_t kept = 0;  /* the length comes from the samples */
        return rc_resample_grid_size(dist_m, n, step_m, lap_length_m, n_grid, &kept, err);
    }
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    return grid_count(lap_length_m, step_m, n_grid, err);
}

int rc_resample_lap(const double *dist_m, const double *const *channels, size_t n,
                    size_t n_channels, double step_m, double *grid_m,
                    double *out, size_t n_grid, rc_error *err)
{
    double *rows_small[64];
    double **rows = n_channels <= 64 ? rows_small : malloc(n_channels * sizeof *rows);
    if (!rows)
        return rc_fail(err, RC_ERR_NO_MEMORY, 0, (int64_t)n_channels);
    for (size_t c = 0; c < n_channels; c++)
        rows[c] = out + c * n_grid;
    int rc = rc_resample_into(dist_m, channels, n, n_channels, step_m, grid_m, rows, n_grid, err);
    if (rows != rows_small)
        free(rows);
    return rc;
}
