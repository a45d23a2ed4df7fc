/*
 * narrow_instances.h — instantiates the narrow-network engine
 * (narrow_tmpl.h) in double and single precision under the name suffix
 * N_SUFFIX (portable, avx2, avx512). Included once by each of narrow.c,
 * narrow_avx2.c and narrow_avx512.c, after they have switched on their
 * target features, so that vexp.h's inline exp is compiled for the same
 * vectors as the loops that call it.
 */
#include "vexp.h"

#define N_CAT2(a, b) a##b
#define N_CAT(a, b) N_CAT2(a, b)

#define R double
#define P(name) name##_d
#define N_ENTRY N_CAT(bp_narrow_d_, N_SUFFIX)
#define VEXP bp_vexp_d
#define TANH tanh
#define ABS fabs
#define NV 8
#include "narrow_tmpl.h"
#undef R
#undef P
#undef N_ENTRY
#undef VEXP
#undef TANH
#undef ABS
#undef NV

#define R float
#define P(name) name##_s
#define N_ENTRY N_CAT(bp_narrow_s_, N_SUFFIX)
#define VEXP bp_vexp_s
#define TANH tanhf
#define ABS fabsf
#define NV 16
#include "narrow_tmpl.h"
#undef R
#undef P
#undef N_ENTRY
#undef VEXP
#undef TANH
#undef ABS
#undef NV
