/*
 * bp_status.h — status codes returned by every public CKernels function.
 *
 * Every function in the C API validates its arguments before touching memory
 * and returns one of these codes. BP_OK is zero, so `if (status) { ... }`
 * reads as "if it failed". Arguments are checked in a fixed order (enum
 * values, leading dimensions, size overflow, null pointers), so a call with
 * several faults reports the first in that order. Outputs are left untouched when a function returns
 * an argument error (everything except BP_ERR_NO_MEMORY, BP_ERR_GSL and
 * BP_ERR_NOT_FINITE, which can only happen after validation succeeded).
 */
#ifndef BP_STATUS_H
#define BP_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bp_status {
    /** Success. */
    BP_OK = 0,
    /** A pointer was NULL although the data it should point to is non-empty. */
    BP_ERR_NULL_POINTER = 1,
    /** A size was zero where at least one element is required (for example the
     *  number of samples of a loss that is averaged over the batch). */
    BP_ERR_ZERO_SIZE = 2,
    /** A product of sizes (rows · columns, or that times sizeof(double))
     *  does not fit in size_t. */
    BP_ERR_SIZE_OVERFLOW = 3,
    /** A leading dimension is smaller than the row length it must hold. */
    BP_ERR_LEADING_DIMENSION = 4,
    /** An enum argument (transpose flag, activation, loss, initializer) has
     *  a value that is not one of its documented constants. */
    BP_ERR_BAD_ENUM = 5,
    /** A scalar argument is outside its documented domain (for example a
     *  non-finite learning rate, a standard deviation < 0, uniform bounds
     *  with a > b). */
    BP_ERR_BAD_VALUE = 6,
    /** A class label is not smaller than the number of classes. */
    BP_ERR_LABEL_OUT_OF_RANGE = 7,
    /** Memory for an internal workspace could not be allocated. */
    BP_ERR_NO_MEMORY = 8,
    /** GSL reported an error (GSL's abort-on-error handler is switched off
     *  by this library; see bp_random.h). */
    BP_ERR_GSL = 9,
    /** A computed value that must be finite is NaN or infinite although
     *  the arguments were valid: a loss or gradient that overflows during
     *  a minimisation (bp_minimize.h). */
    BP_ERR_NOT_FINITE = 10
} bp_status;

/**
 * A short, static, human-readable description of a status code, e.g.
 * "null pointer for non-empty data". Never returns NULL; unknown codes give
 * "unknown status".
 */
const char *bp_status_string(bp_status status);

#ifdef __cplusplus
}
#endif

#endif /* BP_STATUS_H */
