/*
 * gsl_setup.c — keeps GSL from aborting the process.
 *
 * GSL's default error handler calls abort(). A library must never take the
 * host process down, so before the first GSL call we switch the handler off
 * (GSL functions then just return their error codes, which we map to
 * BP_ERR_GSL). pthread_once makes this safe when the first calls race.
 */
#include <pthread.h>
#include <gsl/gsl_errno.h>
#include "runtime/internal.h"

static void bp_gsl_handler_off(void) { gsl_set_error_handler_off(); }

void bp_gsl_prepare(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, bp_gsl_handler_off);
}
