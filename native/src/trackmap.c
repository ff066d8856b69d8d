/* trackmap.c - track map from GPS or from heading and speed. */
#include "trackmap.h"
#include "rc_internal.h"

static const double DEG = 3.14159265358979323846 / 180.0;

int rc_track_map_latlon(const double *lat_deg, const double *lon_deg, size_t n,
                        double *x_m, double *y_m, size_t *n_valid,
                        rc_error *err)
{
    *n_valid = 0;
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    int rc;
    if ((rc = rc_check_finite(lat_deg, n, 0, err)) != RC_OK)
        return rc;
    if ((rc = rc_check_finite(lon_deg, n, 1, err)) != RC_OK)
        return rc;
    size_t first = n, valid = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(lat_deg[i]) > 90.0)
            return rc_fail(err, RC_ERR_RANGE, 0, (int64_t)i);
        if (fabs(lon_deg[i]) > 180.0)
            return rc_fail(err, RC_ERR_RANGE, 1, (int64_t)i);
        if (lat_deg[i] != 0.0 || lon_deg[i] != 0.0) {
            if (first == n)
                first = i;
            valid++;
        }
    }
    if (valid == 0)
        return rc_fail(err, RC_ERR_NO_DATA, 0, -1);

    double lat0 = lat_deg[first] * DEG, lon0 = lon_deg[first];
    double s = sin(lat0);
    double w = 1.0 - RC_WGS84_E2 * s * s;
    double r_north = RC_WGS84_A_M * (1.0 - RC_WGS84_E2) / (w * sqrt(w));
    double r_east = RC_WGS84_A_M / sqrt(w) * cos(lat0);
    double x = 0.0, y = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (lat_deg[i] != 0.0 || lon_deg[i] != 0.0) {
            double dlon = lon_deg[i] - lon0;
            if (dlon > 180.0)
                dlon -= 360.0;
            else if (dlon < -180.0)
                dlon += 360.0;
            x = r_east * (dlon * DEG);
            y = r_north * ((lat_deg[i] - lat_deg[first]) * DEG);
        }
        x_m[i] = x;
        y_m[i] = y;
    }
    *n_valid = valid;
    return rc_ok(err);
}

int rc_track_map_dead_reckoning(const double *yaw_rad, const double *speed_mps,
                                const double *time_s, size_t n, double *x_m,
                                double *y_m, rc_error *err)
{
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    int rc;
    if ((rc = rc_check_finite(yaw_rad, n, 0, err)) != RC_OK)
        return rc;
    if ((rc = rc_check_finite(speed_mps, n, 1, err)) != RC_OK)
        return rc;
    if ((rc = rc_check_finite(time_s, n, 2, err)) != RC_OK)
        return rc;
    for (size_t i = 1; i < n; i++)
        if (time_s[i] < time_s[i - 1])
            return rc_fail(err, RC_ERR_NOT_INCREASING, 2, (int64_t)i);

    double vx_prev = speed_mps[0] * cos(yaw_rad[0]);
    double vy_prev = speed_mps[0] * sin(yaw_rad[0]);
    double x = 0.0, y = 0.0;
    x_m[0] = 0.0;
    y_m[0] = 0.0;
    for (size_t i = 1; i < n; i++) {
        double vx = speed_mps[i] * cos(yaw_rad[i]);
        double vy = speed_mps[i] * sin(yaw_rad[i]);
        double dt = time_s[i] - time_s[i - 1];
        x += 0.5 * (vx_prev + vx) * dt;
        y += 0.5 * (vy_prev + vy) * dt;
        x_m[i] = x;
        y_m[i] = y;
        vx_prev = vx;
        vy_prev = vy;
    }
    return rc_ok(err);
}
