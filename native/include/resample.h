/* resample.h - resample one lap's channels onto a uniform distance grid.
 *
 * Distance repair: sample 0 is kept; sample i is kept when its distance is
 * strictly greater than the distance of the last kept sample. Samples that
 * repeat or go backwards (pit-stall jitter, resets) are dropped.
 *
 * Grid: 0, step, 2*step, ... strictly below the lap length. Values are linearly
 * interpolated between kept samples and held constant outside them.
 */
#ifndef RC_RESAMPLE_H
#define RC_RESAMPLE_H

#include "rc_common.h"

/* Argument order for rc_error.arg: 0 dist_m, 1 step_m, 2 lap_length_m.
 * lap_length_m <= 0 means "the largest distance in dist_m".
 * Writes the grid size to *n_grid and the number of kept samples to *n_kept. */
int rc_resample_grid_size(const double *dist_m, size_t n, double step_m,
                          double lap_length_m, size_t *n_grid, size_t *n_kept,
                          rc_error *err);

/* channels: n_channels pointers to n samples each. out: n_channels rows of
 * n_grid values (row-major). grid_m receives k * step_m.
 * Argument order for rc_error.arg: 0 dist_m, 1 step_m, 2 + c channel c. */
int rc_resample_lap(const double *dist_m, const double *const *channels, size_t n,
                    size_t n_channels, double step_m, double *grid_m,
                    double *out, size_t n_grid, rc_error *err);

/* The same, writing channel c to out_rows[c] (n_grid values each). */
int rc_resample_into(const double *dist_m, const double *const *channels, size_t n,
                     size_t n_channels, double step_m, double *grid_m,
                     double *const *out_rows, size_t n_grid, rc_error *err);

#endif
