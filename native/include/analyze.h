/* analyze.h - one lap's whole analysis in one call: resample the analysis
 * channels onto the distance grid, braking zones, corners and, against a
 * reference lap's time on the same grid, the delta-time trace and the time
 * lost per segment (segments end at the corner exits).
 *
 * Equivalent to calling rc_resample_grid_size, rc_resample_lap,
 * rc_braking_zones, rc_corners, rc_delta_time and rc_segment_time_loss in
 * turn; it exists so a caller pays the crossing into C (and its checks) once.
 */
#ifndef RC_ANALYZE_H
#define RC_ANALYZE_H

#include "rc_common.h"
#include "zones.h"
#include "corners.h"
#include "delta.h"

/* Channel rows of rc_analyze_lap's channels[] and out[] (yaw and steering may be NULL). */
enum {
    RC_LAP_TIME = 0,
    RC_LAP_SPEED = 1,
    RC_LAP_BRAKE = 2,
    RC_LAP_THROTTLE = 3,
    RC_LAP_YAW_RATE = 4,
    RC_LAP_LAT_ACCEL = 5,
    RC_LAP_STEERING = 6,
    RC_LAP_CHANNELS = 7
};

typedef struct {
    size_t n_grid;      /* grid points written to grid_m and each out row */
    size_t n_kept;      /* input samples kept by the distance repair */
    size_t n_zones;
    size_t n_corners;
    size_t n_segments;  /* 0 without a reference */
    int32_t stage;      /* on error: 1 resample, 2 zones, 3 corners, 4 delta, 5 segments */
} rc_lap_counts;

/* grid_capacity: room in grid_m, in each out row (out is RC_LAP_CHANNELS rows of
 * grid_capacity) and in delta_s; work: 2 * grid_capacity + 1 doubles.
 * reference_time_s: NULL, or the reference lap's time at each grid point
 * (n_reference values; the comparison covers min(n_grid, n_reference) points).
 * segments: room for corner_capacity + 1. On error, err is the failing
 * kernel's and counts->stage says which. */
int rc_analyze_lap(const double *dist_m, const double *const *channels, size_t n,
                   double step_m, double lap_length_m,
                   const rc_brake_params *brake_params, const rc_corner_params *corner_params,
                   const double *reference_time_s, size_t n_reference,
                   double *grid_m, double *out, size_t grid_capacity, double *work,
                   rc_brake_zone *zones, size_t zone_capacity,
                   rc_corner *corners, size_t corner_capacity,
                   double *delta_s, rc_segment *segments, double *boundaries,
                   rc_lap_counts *counts, rc_error *err);

#endif
