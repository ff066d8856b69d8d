/* delta.h - delta-time trace between two laps on a shared distance grid, and
 * its split into per-segment time loss.
 *
 * delta_s[i] = (time_b_s[i] - time_b_s[0]) - (time_a_s[i] - time_a_s[0]):
 * positive when lap b is behind lap a at grid point i; delta_s[0] == 0.
 *
 * Segments: with m boundaries b_0 < ... < b_{m-1} there are m + 1 segments,
 * [grid_m[0], b_0], [b_0, b_1], ..., [b_{m-1}, grid_m[n-1]]. The loss of a
 * segment is D(end) - D(start), D being delta_s linearly interpolated on
 * grid_m, so the losses telescope to delta_s[n-1] - delta_s[0].
 */
#ifndef RC_DELTA_H
#define RC_DELTA_H

#include "rc_common.h"

typedef struct {
    double start_m;
    double end_m;
    double time_loss_s;  /* positive: lap b lost time in this segment */
} rc_segment;

/* Argument order for rc_error.arg: 0 grid_m, 1 time_a_s, 2 time_b_s. */
int rc_delta_time(const double *grid_m, const double *time_a_s,
                  const double *time_b_s, size_t n, double *delta_s,
                  rc_error *err);

/* segments: m + 1 entries. Argument order for rc_error.arg: 0 grid_m,
 * 1 delta_s, 2 boundaries_m (RC_ERR_RANGE: outside the grid). */
int rc_segment_time_loss(const double *grid_m, const double *delta_s, size_t n,
                         const double *boundaries_m, size_t m,
                         rc_segment *segments, rc_error *err);

#endif
