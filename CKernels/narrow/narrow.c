/*
 * narrow.c — the narrow-network engine (narrow_tmpl.h) in portable C: the
 * build every CPU can run, and the reference the SIMD builds
 * (narrow_avx2.c, narrow_avx512.c) are tested against.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "runtime/internal.h"
#include "mlp/mlp_internal.h"

/* register blocks in flight at once (narrow_block_tmpl.h): 128-bit vectors: a block is 4 registers */
#define N_BLOCKS 1
#define N_SUFFIX portable
#include "narrow_instances.h"
