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
static inline uint64_t bp_bits_d(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
static inline double bp_from_bits_d(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }
static inline uint32_t bp_bits_s(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static inline float bp_from_bits_s(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

/* The scalar functions: bp_vexp_d, bp_vlog_d, bp_vlog1p_d, bp_vexp_s. */
#define VX_SEL(m, a, b) ((m) ? (a) : (b))
#define VX_SELI(m, a, b) ((m) ? (a) : (b))
#define VX_SPLAT(c) (c)
#define VX_ISPLAT(c) (c)
#define VX_M int
#define VX_DOUBLE 1
#define VX_F double
#define VX_I int64_t
#define VX_U uint64_t
#define VX_BITS(x) bp_bits_d(x)
#define VX_FROM_BITS(u) bp_from_bits_d(u)
#define VX_EXP bp_vexp_d
#define VX_LOG bp_vlog_d
#define VX_LOG1P bp_vlog1p_d
#include "vexp_tmpl.h"
#undef VX_DOUBLE
#undef VX_F
#undef VX_I
#undef VX_U
#undef VX_BITS
#undef VX_FROM_BITS
#undef VX_EXP
#undef VX_LOG
#undef VX_LOG1P
#define VX_DOUBLE 0
#define VX_F float
#define VX_I int32_t
#define VX_U uint32_t
#define VX_BITS(x) bp_bits_s(x)
#define VX_FROM_BITS(u) bp_from_bits_s(u)
#define VX_EXP bp_vexp_s
#include "vexp_tmpl.h"
#undef VX_DOUBLE
#undef VX_F
#undef VX_I
#undef VX_U
#undef VX_BITS
#undef VX_FROM_BITS
#undef VX_EXP
#undef VX_SEL
#undef VX_SELI
#undef VX_SPLAT
#undef VX_ISPLAT
#undef VX_M

/*
 * The same functions on whole vectors (GCC and clang vector extensions:
 * plain C operators lane by lane, lowered to whatever vectors the target
 * has), for the register blocks of narrow_block_tmpl.h: 8 doubles
 * (bp_vexp_d8, bp_vlog_d8, bp_vlog1p_d8), 16 doubles (the loss of a block
 * of 16 floats: bp_vexp_d16, bp_vlog_d16, bp_vlog1p_d16) and 16 floats
 * (bp_vexp_s16). A comparison gives all-ones or zero lanes; a select is
 * then two ANDs and an OR (the compilers emit blends).
 */
/* GCC notes that returning a 64-byte vector from a function compiled
 * without AVX-512 would change the ABI: these are static inline, so
 * there is no ABI to change. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#define BP_VEC_TYPES(name, elem, bytes) typedef elem name __attribute__((vector_size(bytes)));
BP_VEC_TYPES(bp_vd8, double, 64)
BP_VEC_TYPES(bp_vi8, int64_t, 64)
BP_VEC_TYPES(bp_vu8, uint64_t, 64)
BP_VEC_TYPES(bp_vd16, double, 128)
BP_VEC_TYPES(bp_vi16, int64_t, 128)
BP_VEC_TYPES(bp_vu16, uint64_t, 128)
BP_VEC_TYPES(bp_vf16, float, 64)
BP_VEC_TYPES(bp_vk16, int32_t, 64)
BP_VEC_TYPES(bp_vw16, uint32_t, 64)
#undef BP_VEC_TYPES

/* select and splat for one vector type F with lane integers I */
#define BP_VEC_OPS(F, I, elem, ielem)                                                   \
    static inline F F##_sel(I m, F a, F b) { return (F)(((I)a & m) | ((I)b & ~m)); }    \
    static inline I F##_seli(I m, I a, I b) { return (a & m) | (b & ~m); }              \
    static inline F F##_splat(elem c) { return (F){ 0 } + c; }                          \
    static inline I F##_isplat(ielem c) { return (I){ 0 } + c; }
BP_VEC_OPS(bp_vd8, bp_vi8, double, int64_t)
BP_VEC_OPS(bp_vd16, bp_vi16, double, int64_t)
BP_VEC_OPS(bp_vf16, bp_vk16, float, int32_t)
#undef BP_VEC_OPS

#define VX_DOUBLE 1
#define VX_F bp_vd8
#define VX_I bp_vi8
#define VX_U bp_vu8
#define VX_M bp_vi8
#define VX_SEL bp_vd8_sel
#define VX_SELI bp_vd8_seli
#define VX_SPLAT bp_vd8_splat
#define VX_ISPLAT bp_vd8_isplat
#define VX_BITS(x) ((bp_vu8)(x))
#define VX_FROM_BITS(u) ((bp_vd8)(u))
#define VX_EXP bp_vexp_d8
#define VX_LOG bp_vlog_d8
#define VX_LOG1P bp_vlog1p_d8
#include "vexp_tmpl.h"
#undef VX_F
#undef VX_I
#undef VX_U
#undef VX_M
#undef VX_SEL
#undef VX_SELI
#undef VX_SPLAT
#undef VX_ISPLAT
#undef VX_BITS
#undef VX_FROM_BITS
#undef VX_EXP
#undef VX_LOG
#undef VX_LOG1P
#define VX_F bp_vd16
#define VX_I bp_vi16
#define VX_U bp_vu16
#define VX_M bp_vi16
#define VX_SEL bp_vd16_sel
#define VX_SELI bp_vd16_seli
#define VX_SPLAT bp_vd16_splat
#define VX_ISPLAT bp_vd16_isplat
#define VX_BITS(x) ((bp_vu16)(x))
#define VX_FROM_BITS(u) ((bp_vd16)(u))
#define VX_EXP bp_vexp_d16
#define VX_LOG bp_vlog_d16
#define VX_LOG1P bp_vlog1p_d16
#include "vexp_tmpl.h"
#undef VX_DOUBLE
#undef VX_F
#undef VX_I
#undef VX_U
#undef VX_M
#undef VX_SEL
#undef VX_SELI
#undef VX_SPLAT
#undef VX_ISPLAT
#undef VX_BITS
#undef VX_FROM_BITS
#undef VX_EXP
#undef VX_LOG
#undef VX_LOG1P
#define VX_DOUBLE 0
#define VX_F bp_vf16
#define VX_I bp_vk16
#define VX_U bp_vw16
#define VX_M bp_vk16
#define VX_SEL bp_vf16_sel
#define VX_SPLAT bp_vf16_splat
#define VX_BITS(x) ((bp_vw16)(x))
#define VX_FROM_BITS(u) ((bp_vf16)(u))
#define VX_EXP bp_vexp_s16
#include "vexp_tmpl.h"
#undef VX_DOUBLE
#undef VX_F
#undef VX_I
#undef VX_U
#undef VX_M
#undef VX_SEL
#undef VX_SPLAT
#undef VX_BITS
#undef VX_FROM_BITS
#undef VX_EXP
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif /* BP_VEXP_H */
