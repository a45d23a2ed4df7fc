/* The GSL headers the kernels use; the system library target exists so that
 * SwiftPM finds GSL through pkg-config and links it. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_blas.h>
