/* trackmap.h - planar track map (x east, y north, metres).
 *
 * From GPS: local tangent-plane projection around the first valid sample,
 * using the WGS-84 meridional (north) and prime-vertical (east) radii of
 * curvature at that latitude. Samples with lat == 0 and lon == 0 are dummies:
 * they take the position of the previous valid sample (leading dummies take
 * the first valid one, i.e. the origin).
 *
 * From heading: yaw_rad is the heading counter-clockwise from east (iRacing
 * "Yaw"); the velocity (speed cos yaw, speed sin yaw) is integrated over
 * time_s with the trapezoidal rule, starting at the origin.
 */
#ifndef RC_TRACKMAP_H
#define RC_TRACKMAP_H

#include "rc_common.h"

#define RC_WGS84_A_M 6378137.0
#define RC_WGS84_E2 0.00669437999014

/* Argument order for rc_error.arg: 0 lat_deg, 1 lon_deg. RC_ERR_NO_DATA when
 * every sample is a 0/0 dummy; RC_ERR_RANGE for |lat| > 90 or |lon| > 180. */
int rc_track_map_latlon(const double *lat_deg, const double *lon_deg, size_t n,
                        double *x_m, double *y_m, size_t *n_valid,
                        rc_error *err);

/* Argument order for rc_error.arg: 0 yaw_rad, 1 speed_mps, 2 time_s
 * (time_s must not decrease). */
int rc_track_map_dead_reckoning(const double *yaw_rad, const double *speed_mps,
                                const double *time_s, size_t n, double *x_m,
                                double *y_m, rc_error *err);

#endif
