/*
 * vexp.h — e^x (and log) written so that a compiler can vectorise loops
 * that call them.
 *
 * libm's exp is a function call with branches: a loop calling it runs one
 * element at a time. These versions are branch-free straight-line
 * arithmetic (selects instead of branches, bit casts through memcpy), so
 * `for (s …) a[s] = bp_vexp_d(z[s])` becomes SIMD code under whatever
 * target the including file is compiled for (narrow.c includes it under
 * AVX2 and AVX-512 targets as well as the portable one).
 *
 * Method (the classic one): e^x = 2^n · e^r with n = round(x / ln 2) and
 * r = x − n·ln 2 computed with ln 2 split in two (Cody–Waite), |r| ≤ ln2/2;
 * e^r by its Taylor polynomial (degree 13 in double, 7 in float: truncation
 * below 5e−18 and 6e−9 relative), evaluated by Horner; 2^n built from its
 * exponent bits in two halves, so that results in the subnormal range and
 * overflow to +inf come out of plain multiplications. Accuracy: within 2
 * units in the last place of the correctly rounded result over the whole
 * range (the C harness checks this against libm on a sweep of arguments);
 * +inf above ~709.78 (88.72 in float), 0 below ~−745.1 (−103.9), NaN for
 * NaN.
 *
 * bp_vlog_d and bp_vlog1p_d below do the same for the logarithms of the
 * loss values (computed in double whatever the network's precision).
 *
 * The functions are written once, over a lane type, in vexp_tmpl.h, and
 * instantiated here for plain doubles and floats and for the GCC/clang
 * vector types of the narrow engine's register blocks (bp_vexp_d8, …,
 * below): a vector's lanes hold exactly the scalar results.
 *
 * Included by narrow_instances.h.
 */
#ifndef BP_VEXP_H
#define BP_VEXP_H

#include <stdint.h>
#include <math.h>
#include <string.h>

/* Bit casts of scalars (memcpy: the compilers make them register moves). */
static inline uint64_t bp_bits_d(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static inline double bp_from_bits_d(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}
static inline uint32_t bp_bits_s(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static inline float bp_from_bits_s(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The scalar functions: bp_vexp_d, bp_vlog_d, bp_vlog1p_d, bp_vexp_s
 * (vexp_tmpl.h undefines its parameters after each instance). */
#define VX_DOUBLE 1
#define VX_F double
#define VX_I int64_t
#define VX_U uint64_t
#define VX_M int
#define VX_SEL(m, a, b) ((m) ? (a) : (b))
#define VX_SELI(m, a, b) ((m) ? (a) : (b))
#define VX_SPLAT(c) (c)
#define VX_ISPLAT(c) (c)
#define VX_BITS(x) bp_bits_d(x)
#define VX_FROM_BITS(u) bp_from_bits_d(u)
#define VX_EXP bp_vexp_d
#define VX_LOG bp_vlog_d
#define VX_LOG1P bp_vlog1p_d
#include "vexp_tmpl.h"
#define VX_DOUBLE 0
#define VX_F float
#define VX_I int32_t
#define VX_U uint32_t
#define VX_M int
#define VX_SEL(m, a, b) ((m) ? (a) : (b))
#define VX_SPLAT(c) (c)
#define VX_BITS(x) bp_bits_s(x)
#define VX_FROM_BITS(u) bp_from_bits_s(u)
#define VX_EXP bp_vexp_s
#include "vexp_tmpl.h"

/*
 * The same functions on whole vectors (GCC and clang vector extensions:
 * plain C operators lane by lane, lowered to whatever vectors the target
 * has; vexp_vec.h), for the register blocks of narrow_block_tmpl.h:
 * 8 doubles (bp_vd8: bp_vexp_d8, bp_vlog_d8, bp_vlog1p_d8), 16 doubles
 * (bp_vd16, the loss of a block of 16 floats) and 16 floats (bp_vs16:
 * bp_vexp_s16).
 */
/* GCC notes that returning a 64-byte vector from a function compiled
 * without AVX-512 would change the ABI: these are static inline, so
 * there is no ABI to change. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#define VX_TAG d8
#define VX_DOUBLE 1
#define VX_BYTES 64
#include "vexp_vec.h"
#undef VX_TAG
#undef VX_BYTES
#define VX_TAG d16
#define VX_DOUBLE 1
#define VX_BYTES 128
#include "vexp_vec.h"
#undef VX_TAG
#undef VX_BYTES
#define VX_TAG s16
#define VX_DOUBLE 0
#define VX_BYTES 64
#include "vexp_vec.h"
#undef VX_TAG
#undef VX_BYTES
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif /* BP_VEXP_H */
