/* status.c — descriptions of bp_status codes. */
#include "bp_status.h"

const char *bp_status_string(bp_status status) {
    switch (status) {
    case BP_OK: return "ok";
    case BP_ERR_NULL_POINTER: return "null pointer for non-empty data";
    case BP_ERR_ZERO_SIZE: return "size must be at least 1";
    case BP_ERR_SIZE_OVERFLOW: return "size product overflows size_t";
    case BP_ERR_LEADING_DIMENSION: return "leading dimension smaller than the row length";
    case BP_ERR_BAD_ENUM: return "unknown enum value";
    case BP_ERR_BAD_VALUE: return "argument value out of its domain";
    case BP_ERR_LABEL_OUT_OF_RANGE: return "class label not smaller than the number of classes";
    case BP_ERR_NO_MEMORY: return "out of memory";
    case BP_ERR_GSL: return "GSL reported an error";
    case BP_ERR_NOT_FINITE: return "a computed loss or gradient is NaN or infinite";
    }
    return "unknown status";
}
