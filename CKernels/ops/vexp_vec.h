/*
 * vexp_vec.h — one vector type of vexp.h and its functions: the type
 * bp_v<TAG> of VX_BYTES bytes of VX_ELEM (GCC/clang vector extension), its
 * integer lanes bp_v<TAG>_i and bp_v<TAG>_u, its select and splat
 * (bp_v<TAG>_sel, _seli, _splat, _isplat) and vexp_tmpl.h's functions
 * bp_vexp_<TAG> (and, in double, bp_vlog_<TAG>, bp_vlog1p_<TAG>). No
 * include guard on purpose: vexp.h includes it once per type, after
 * defining
 *
 *   VX_TAG     d8, d16, s16 (the names' suffix)
 *   VX_DOUBLE  1 for double lanes, 0 for float
 *   VX_BYTES   the vector's size
 *
 * A comparison of two vectors gives all-ones or zero integer lanes; a
 * select is then two ANDs and an OR (the compilers emit blends).
 */
#define VX_PASTE2(a, b) a##b
#define VX_PASTE(a, b) VX_PASTE2(a, b)
#define VX_F VX_PASTE(bp_v, VX_TAG)
#define VX_I VX_PASTE(VX_F, _i)
#define VX_U VX_PASTE(VX_F, _u)
#define VX_M VX_I
#if VX_DOUBLE
#define VX_ELEM double
#define VX_IELEM int64_t
#define VX_UELEM uint64_t
#else
#define VX_ELEM float
#define VX_IELEM int32_t
#define VX_UELEM uint32_t
#endif

typedef VX_ELEM VX_F __attribute__((vector_size(VX_BYTES)));
typedef VX_IELEM VX_I __attribute__((vector_size(VX_BYTES)));
typedef VX_UELEM VX_U __attribute__((vector_size(VX_BYTES)));

#define VX_SEL VX_PASTE(VX_F, _sel)
#define VX_SELI VX_PASTE(VX_F, _seli)
#define VX_SPLAT VX_PASTE(VX_F, _splat)
#define VX_ISPLAT VX_PASTE(VX_F, _isplat)
static inline VX_F VX_SEL(VX_I m, VX_F a, VX_F b) { return (VX_F)(((VX_I)a & m) | ((VX_I)b & ~m)); }
static inline VX_I VX_SELI(VX_I m, VX_I a, VX_I b) { return (a & m) | (b & ~m); }
static inline VX_F VX_SPLAT(VX_ELEM c) { return (VX_F){ 0 } + c; }
static inline VX_I VX_ISPLAT(VX_IELEM c) { return (VX_I){ 0 } + c; }

#define VX_BITS(x) ((VX_U)(x))
#define VX_FROM_BITS(u) ((VX_F)(u))
#define VX_EXP VX_PASTE(bp_vexp_, VX_TAG)
#define VX_LOG VX_PASTE(bp_vlog_, VX_TAG)
#define VX_LOG1P VX_PASTE(bp_vlog1p_, VX_TAG)
#include "vexp_tmpl.h" /* undefines VX_F … VX_LOG1P and VX_DOUBLE */

#undef VX_ELEM
#undef VX_IELEM
#undef VX_UELEM
#undef VX_PASTE
#undef VX_PASTE2
