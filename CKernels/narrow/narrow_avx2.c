/*
 * narrow_avx2.c — the narrow-network engine (narrow_tmpl.h) compiled for
 * AVX2 and FMA (x86-64 only; empty elsewhere).
 *
 * No -m flag (the package must stay embeddable): with N_TARGET set,
 * narrow_instances.h gives every function it defines the target attribute,
 * so the compiler vectorises the engine's loops for these registers. The
 * functions are reached only through the dispatch table (runtime/dispatch.c)
 * after __builtin_cpu_supports said the CPU has the features. System and
 * library headers are included first: only the engine (and vexp.h's inline
 * exp, which it must inline) is compiled for the target.
 */
#if defined(__x86_64__)

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "runtime/internal.h"
#include "mlp/mlp_internal.h"

/* register blocks in flight at once (narrow_block_tmpl.h): 256-bit vectors: a block is 2 registers */
#define N_BLOCKS 2
#define N_SUFFIX avx2
#define N_TARGET "avx2,fma"
#include "narrow_instances.h"

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int bp_narrow_avx2_unused;
#endif
