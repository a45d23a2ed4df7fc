/*
 * narrow_avx2.c — the narrow-network engine (narrow_tmpl.h) compiled for
 * AVX2 and FMA (x86-64 only; empty elsewhere).
 *
 * No -m flag (the package must stay embeddable): a pragma gives every
 * function defined below the target attribute, so the compiler vectorises
 * the engine's loops for these registers. The functions are reached only
 * through the dispatch table (gemm_dispatch.c) after
 * __builtin_cpu_supports said the CPU has the features. System and
 * library headers are included before the pragma: only the engine (and
 * vexp.h's inline exp, which it must inline) is compiled for the target.
 */
#if defined(__x86_64__)

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "internal.h"
#include "mlp_internal.h"

#if defined(__clang__)
#pragma clang attribute push (__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#define N_SUFFIX avx2
#include "narrow_instances.h"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int bp_narrow_avx2_unused;
#endif
