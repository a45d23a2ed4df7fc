/*
 * narrow.c — the narrow-network engine (narrow_tmpl.h) in portable C: the
 * build every CPU can run, and the reference the SIMD builds
 * (narrow_avx2.c, narrow_avx512.c) are tested against.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "internal.h"
#include "mlp_internal.h"

#define N_SUFFIX portable
#include "narrow_instances.h"
