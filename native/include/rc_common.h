/* rc_common.h - return codes and error detail shared by every kernel family.
 *
 * Every kernel returns an int: RC_OK (0) on success, otherwise one of the
 * rc_code values below. When err is not NULL the kernel also fills it with
 * the code, the zero-based position of the offending argument in the
 * kernel's documented argument order ("arg") and, where it applies, the
 * sample index that triggered the error ("index", -1 when not applicable).
 */
#ifndef RC_COMMON_H
#define RC_COMMON_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RC_OK = 0,
    RC_ERR_NAN = 1,            /* an input sample is NaN */
    RC_ERR_NONFINITE = 2,      /* an input sample is +/-inf */
    RC_ERR_TOO_SHORT = 3,      /* fewer samples than the kernel needs */
    RC_ERR_NOT_INCREASING = 4, /* a coordinate that must increase does not */
    RC_ERR_PARAM = 5,          /* a scalar parameter is out of range */
    RC_ERR_CAPACITY = 6,       /* the caller's output buffer is too small */
    RC_ERR_NO_DATA = 7,        /* no usable sample at all (e.g. all 0/0 lat/lon) */
    RC_ERR_RANGE = 8,          /* a sample is outside its physical range */
    RC_ERR_NO_MEMORY = 9       /* a work buffer could not be allocated */
} rc_code;

typedef struct {
    int32_t code;
    int32_t arg;
    int64_t index;
} rc_error;

#endif
