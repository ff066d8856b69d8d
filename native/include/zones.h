/* zones.h - braking zones from the brake pedal trace.
 *
 * Hysteresis: the brake switches on at a sample with brake >= on_threshold
 * and off at a sample with brake < off_threshold. A raw zone runs from the
 * first "on" sample to the last "on" sample. Consecutive raw zones whose gap
 * (distance from the last "on" sample to the next first "on" sample) is
 * shorter than bridge_m are merged; merged zones shorter than min_length_m
 * are dropped.
 *
 * Trail braking: an interval [i, i+1] inside the zone counts as trail braking
 * when, at sample i, brake >= off_threshold and the car is cornering:
 * |lat_accel_mps2| > turn_lat_accel_mps2 or |steering_rad| > turn_steering_rad
 * (each test only where that channel is given).
 */
#ifndef RC_ZONES_H
#define RC_ZONES_H

#include "rc_common.h"

typedef struct {
    double brake_point_m;        /* distance of the first "on" sample */
    double end_m;                /* distance of the last "on" sample */
    double entry_speed_mps;      /* speed at the brake point */
    double peak_brake;           /* largest brake value in the zone, 0-1 */
    double min_speed_mps;        /* lowest speed in the zone */
    double min_speed_dist_m;     /* distance of the first lowest-speed sample */
    double duration_s;           /* time from brake point to end */
    double trail_brake_fraction; /* trail_brake_dist_m / (end_m - brake_point_m) */
    double trail_brake_dist_m;   /* distance braking while cornering */
} rc_brake_zone;

typedef struct {
    double on_threshold;
    double off_threshold;
    double bridge_m;
    double min_length_m;
    double turn_lat_accel_mps2;
    double turn_steering_rad;
} rc_brake_params;

/* Argument order for rc_error.arg: 0 dist_m, 1 brake, 2 speed_mps, 3 time_s,
 * 4 lat_accel_mps2, 5 steering_rad, then parameters 6 on_threshold,
 * 7 off_threshold, 8 bridge_m, 9 min_length_m, 10 turn_lat_accel_mps2,
 * 11 turn_steering_rad. lat_accel_mps2 and steering_rad may be NULL. */
int rc_braking_zones(const double *dist_m, const double *brake,
                     const double *speed_mps, const double *time_s,
                     const double *lat_accel_mps2, const double *steering_rad,
                     size_t n, const rc_brake_params *params,
                     rc_brake_zone *zones, size_t capacity, size_t *n_zones,
                     rc_error *err);

#endif
