/* rc_internal.h - small helpers shared by the kernel sources (not part of the API). */
#ifndef RC_INTERNAL_H
#define RC_INTERNAL_H

#include <math.h>
#include "rc_common.h"

static inline int rc_fail(rc_error *err, int code, int arg, int64_t index)
{
    if (err) {
        err->code = code;
        err->arg = arg;
        err->index = index;
    }
    return code;
}

static inline int rc_ok(rc_error *err)
{
    if (err) {
        err->code = RC_OK;
        err->arg = -1;
        err->index = -1;
    }
    return RC_OK;
}

/* RC_OK when every sample is finite, otherwise RC_ERR_NAN / RC_ERR_NONFINITE
 * for the first bad sample. */
static inline int rc_check_finite(const double *x, size_t n, int arg, rc_error *err)
{
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v))
            return rc_fail(err, isnan(v) ? RC_ERR_NAN : RC_ERR_NONFINITE, arg, (int64_t)i);
    }
    return RC_OK;
}

/* RC_OK when x is strictly increasing (and finite). */
static inline int rc_check_increasing(const double *x, size_t n, int arg, rc_error *err)
{
    int rc = rc_check_finite(x, n, arg, err);
    if (rc != RC_OK)
        return rc;
    for (size_t i = 1; i < n; i++)
        if (!(x[i] > x[i - 1]))
            return rc_fail(err, RC_ERR_NOT_INCREASING, arg, (int64_t)i);
    return RC_OK;
}

#endif
