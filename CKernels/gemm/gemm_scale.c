/* gemm_scale.c — C ← beta·C, the step of a GEMM whose product vanishes (k = 0
 * or alpha = 0), in both precisions. */
#include "runtime/internal.h"

/* C ← beta·C, one definition for both precisions. */
#define BP_DEFINE_SCALE_C(NAME, R)                                                                 \
    void NAME(size_t m, size_t n, R beta, R *C, size_t ldc) {                                      \
        if (beta == (R)1) return;                                                                  \
        for (size_t i = 0; i < m; i++) {                                                           \
            R *row = C + i * ldc;                                                                  \
            if (beta == (R)0) {                                                                    \
                for (size_t j = 0; j < n; j++) row[j] = (R)0;                                      \
            } else {                                                                               \
                for (size_t j = 0; j < n; j++) row[j] *= beta;                                     \
            }                                                                                      \
        }                                                                                          \
    }

BP_DEFINE_SCALE_C(bp_gemm_scale_c, double)
BP_DEFINE_SCALE_C(bp_gemm_scale_c_f, float)
