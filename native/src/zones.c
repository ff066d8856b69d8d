/* zones.c - braking zones with hysteresis, bridging and trail-braking share. */
#include "zones.h"
#include "rc_internal.h"

typedef struct {
    const double *d, *brake, *speed, *time, *lat, *steer;
    const rc_brake_params *p;
} zone_input;

static int is_turning(const zone_input *in, size_t i)
{
    if (in->lat && fabs(in->lat[i]) > in->p->turn_lat_accel_mps2)
        return 1;
    if (in->steer && fabs(in->steer[i]) > in->p->turn_steering_rad)
        return 1;
    return 0;
}

static void fill_zone(const zone_input *in, size_t s, size_t e, rc_brake_zone *z)
{
    const double *d = in->d;
    double peak = in->brake[s], vmin = in->speed[s], trail = 0.0;
    size_t imin = s;
    for (size_t i = s; i <= e; i++) {
        if (in->brake[i] > peak)
            peak = in->brake[i];
        if (in->speed[i] < vmin) {
            vmin = in->speed[i];
            imin = i;
        }
        if (i < e && in->brake[i] >= in->p->off_threshold && is_turning(in, i))
            trail += d[i + 1] - d[i];
    }
    double length = d[e] - d[s];
    z->brake_point_m = d[s];
    z->end_m = d[e];
    z->entry_speed_mps = in->speed[s];
    z->peak_brake = peak;
    z->min_speed_mps = vmin;
    z->min_speed_dist_m = d[imin];
    z->duration_s = in->time[e] - in->time[s];
    z->trail_brake_dist_m = trail;
    z->trail_brake_fraction = length > 0.0 ? trail / length : 0.0;
}

static int check_params(const rc_brake_params *p, rc_error *err)
{
    if (!(isfinite(p->on_threshold)))
        return rc_fail(err, RC_ERR_PARAM, 6, -1);
    if (!(isfinite(p->off_threshold) && p->off_threshold <= p->on_threshold))
        return rc_fail(err, RC_ERR_PARAM, 7, -1);
    if (!(isfinite(p->bridge_m) && p->bridge_m >= 0.0))
        return rc_fail(err, RC_ERR_PARAM, 8, -1);
    if (!(isfinite(p->min_length_m) && p->min_length_m >= 0.0))
        return rc_fail(err, RC_ERR_PARAM, 9, -1);
    if (!(p->turn_lat_accel_mps2 >= 0.0))
        return rc_fail(err, RC_ERR_PARAM, 10, -1);
    if (!(p->turn_steering_rad >= 0.0))
        return rc_fail(err, RC_ERR_PARAM, 11, -1);
    return RC_OK;
}

int rc_braking_zones(const double *dist_m, const double *brake,
                     const double *speed_mps, const double *time_s,
                     const double *lat_accel_mps2, const double *steering_rad,
                     size_t n, const rc_brake_params *params,
                     rc_brake_zone *zones, size_t capacity, size_t *n_zones,
                     rc_error *err)
{
    *n_zones = 0;
    int rc = check_params(params, err);
    if (rc != RC_OK)
        return rc;
    if (n < 2)
        return rc_fail(err, RC_ERR_TOO_SHORT, 0, (int64_t)n);
    if ((rc = rc_check_increasing(dist_m, n, 0, err)) != RC_OK)
        return rc;
    const double *inputs[5] = {brake, speed_mps, time_s, lat_accel_mps2, steering_rad};
    for (int a = 0; a < 5; a++)
        if (inputs[a] && (rc = rc_check_finite(inputs[a], n, a + 1, err)) != RC_OK)
            return rc;

    return rc_braking_zones_core(dist_m, brake, speed_mps, time_s, lat_accel_mps2, steering_rad, n,
                                 params, zones, capacity, n_zones, err);
}

int rc_braking_zones_core(const double *dist_m, const double *brake,
                          const double *speed_mps, const double *time_s,
                          const double *lat_accel_mps2, const double *steering_rad,
                          size_t n, const rc_brake_params *params,
                          rc_brake_zone *zones, size_t capacity, size_t *n_zones,
                          rc_error *err)
{
    *n_zones = 0;
    zone_input in = {dist_m, brake, speed_mps, time_s, lat_accel_mps2, steering_rad, params};
    int on = 0, have = 0;
    size_t raw_s = 0, cur_s = 0, cur_e = 0, count = 0;
    for (size_t i = 0; i <= n; i++) {
        int was_on = on;
        if (i < n)
            on = on ? (brake[i] >= params->off_threshold) : (brake[i] >= params->on_threshold);
        else
            on = 0;
        if (on && !was_on)
            raw_s = i;
        if (!(was_on && !on))
            continue;
        size_t raw_e = i - 1;  /* a raw zone [raw_s, raw_e] just closed */
        if (have && dist_m[raw_s] - dist_m[cur_e] < params->bridge_m) {
            cur_e = raw_e;
            continue;
        }
        if (have && dist_m[cur_e] - dist_m[cur_s] >= params->min_length_m) {
            if (count >= capacity)
                return rc_fail(err, RC_ERR_CAPACITY, 0, (int64_t)count);
            fill_zone(&in, cur_s, cur_e, &zones[count++]);
        }
        cur_s = raw_s;
        cur_e = raw_e;
        have = 1;
    }
    if (have && dist_m[cur_e] - dist_m[cur_s] >= params->min_length_m) {
        if (count >= capacity)
            return rc_fail(err, RC_ERR_CAPACITY, 0, (int64_t)count);
        fill_zone(&in, cur_s, cur_e, &zones[count++]);
    }
    *n_zones = count;
    return rc_ok(err);
}
