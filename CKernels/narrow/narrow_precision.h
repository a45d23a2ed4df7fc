/*
 * narrow_precision.h — one precision's instances for narrow_instances.h,
 * which includes it twice (no include guard on purpose): after defining
 * R, P, the engine's names (N_ENTRY, N_ONLINE, VEXP, EXP1, TANH, ABS, NV,
 * VR_TAG, VD_TAG) and the passes' (V_*) for double, then for float. The
 * templates are included here and every one of those names undefined
 * after them, so the two precisions cannot leak into each other.
 */
#include "narrow_tmpl.h"
#include "ops/vector_tmpl.h"
#include "dense/dense_passes_tmpl.h"
#undef V_MAX
#undef V_SCAN
#undef V_SGD
#undef V_STEP
#undef V_COEFFS
#undef V_MAXABS
#undef V_INT
#undef V_INT_MAX
#undef V_BIAS_ROWS
#undef V_RELU_ROWS
#undef V_RELU_BACKWARD
#undef V_COL_SUMS
#undef R
#undef P
#undef N_ENTRY
#undef N_ONLINE
#undef VEXP
#undef EXP1
#undef TANH
#undef ABS
#undef NV
#undef VR_TAG
#undef VD_TAG
