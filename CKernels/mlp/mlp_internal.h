/*
 * mlp_internal.h — the precision-free description of a network that the
 * network engine (mlp.c) and the narrow-network engine (narrow.c and its
 * SIMD builds) share. Not part of the API.
 */
#ifndef BP_MLP_INTERNAL_H
#define BP_MLP_INTERNAL_H

#include <stddef.h>
#include "bp_mlp.h"
#include "ops/update_stage.h"

/* Networks whose every width is at most BP_NARROW_WIDTH are "narrow":
 * their training steps run through the narrow engine (narrow_tmpl.h),
 * BP_NARROW_CHUNK samples at a time; their forward and gradient calls on
 * batches of at most BP_TINY_ROWS rows run as plain loops (mlp_tmpl.h). */
/* A chunk of 128 samples: its Z, A and E take at most 3 × 8 × 128 doubles
 * (24 KiB) per layer, within L1; fewer, larger chunks mean fewer per-chunk
 * reductions and calls, and 256 gains nothing over 128
 * (Benchmarks/README.md, "Kernel design measurements"). */
enum { BP_NARROW_WIDTH = 8, BP_NARROW_CHUNK = 128, BP_TINY_ROWS = 16 };
/* Narrow batches of fewer rows than this go through the engine one sample
 * at a time (scalar loops over units instead of loops across samples). */
enum { BP_NARROW_ONLINE_ROWS = 4 };

/* Alignment of every workspace buffer of a network (bytes: a cache line, a
 * 512-bit vector; mlp_tmpl.h). */
enum { BP_MLP_ALIGN = 64 };

typedef struct mlp_layout {
    size_t n_layers;
    bp_layer_spec *layers;
    bp_loss loss;
    int on_logits; /* the loss reads Z_L (fused) rather than A_L */
    int narrow;    /* every width ≤ BP_NARROW_WIDTH */
    size_t max_rows;
    size_t n_params;
    size_t *w_off, *b_off; /* offsets of W_l and b_l in the parameter vector */
    /* Narrow networks only: offsets, in elements of the narrow engine's
     * scratch, of layer l's chunk of Z (then A and E right after it), and
     * the scratch's total size (0 for other networks). */
    size_t *chunk_off;
    size_t narrow_elems;
} mlp_layout;

/*
 * The narrow engine: the mean loss of a batch and its gradient with respect
 * to every parameter, for a narrow network, computed BP_NARROW_CHUNK
 * samples at a time in feature-major order (one contiguous run of samples
 * per unit) so that every loop runs across samples, in SIMD registers.
 *
 * Batch row r is row `indices ? indices[r] : r` of X (leading dimension
 * ldx), of Y (k columns) or of labels (exactly one of Y and labels is
 * given). `scratch` holds y->narrow_elems elements. grad is overwritten
 * (params layout); *loss receives the batch loss in double. Unchecked: the
 * caller (bp_mlp_train_step) has validated everything.
 */
typedef void (*bp_narrow_d_fn)(const mlp_layout *y, const double *params, size_t rows,
                               const double *X, size_t ldx, const double *Y, const size_t *labels,
                               const size_t *indices, double *scratch, double *loss, double *grad);
typedef void (*bp_narrow_s_fn)(const mlp_layout *y, const float *params, size_t rows,
                               const float *X, size_t ldx, const float *Y, const size_t *labels,
                               const size_t *indices, float *scratch, double *loss, float *grad);

/*
 * The narrow engine's online path (narrow_online_tmpl.h): n SGD steps of
 * one sample each, on batch rows 0 .. n (row r is row `indices ? indices[r]
 * : r` of X, Y or labels, as above): per step forward, loss, backward,
 * params ← params + alpha·grad by the update stage's SGD element rule
 * (alpha = −η). Only for a stage that bp_update_stage_fusable accepts (it
 * gives alpha): the update runs inside the path's loops. Stops at the first step whose loss or gradient
 * is not finite (*diverged = 1, that step not applied) or whose update made
 * a parameter non-finite (*diverged = 2, applied and counted); otherwise
 * *diverged = 0. *loss_sum receives the sum of the losses (each before its
 * update) of the steps taken, the diverging one included; *steps the number
 * of steps applied. grad is scratch
 * (n_params elements). Unchecked, like the engine.
 *
 * With run != NULL, run->epochs such epochs in a row (bp_mlp_train_epochs):
 * epoch e on the rows run->orders[e·n ..] (run->orders NULL: the rows given
 * by `indices`, every epoch), the parameters copied to run->snapshot (when
 * not NULL) before each epoch, epoch e's mean loss (*loss_sum / n) into
 * run->losses[e], run->completed counting the epochs finished; a divergence
 * ends the run, *loss_sum and *steps then those of the diverging epoch.
 * One call for all of them: a tiny network's register path keeps its
 * weights in registers across the epochs.
 */
typedef struct narrow_epochs {
    size_t epochs;
    const size_t *orders;
    double *losses;
    void *snapshot; /* double * or float *, n_params elements */
    size_t completed;
} narrow_epochs;

typedef void (*bp_narrow_online_d_fn)(const mlp_layout *y, double *params, size_t n,
                                      const double *X, size_t ldx, const double *Y,
                                      const size_t *labels, const size_t *indices, double alpha,
                                      double *scratch, double *grad, narrow_epochs *run,
                                      double *loss_sum, size_t *steps, int *diverged);
typedef void (*bp_narrow_online_s_fn)(const mlp_layout *y, float *params, size_t n, const float *X,
                                      size_t ldx, const float *Y, const size_t *labels,
                                      const size_t *indices, float alpha, float *scratch,
                                      float *grad, narrow_epochs *run, double *loss_sum,
                                      size_t *steps, int *diverged);

/* The portable builds (narrow.c) and the x86-64 SIMD builds
 * (narrow_avx2.c, narrow_avx512.c; call only where the CPU has the
 * features: the dispatch table picks them). */
void bp_narrow_d_portable(const mlp_layout *, const double *, size_t, const double *, size_t,
                          const double *, const size_t *, const size_t *, double *, double *,
                          double *);
void bp_narrow_s_portable(const mlp_layout *, const float *, size_t, const float *, size_t,
                          const float *, const size_t *, const size_t *, float *, double *,
                          float *);
void bp_narrow_d_avx2(const mlp_layout *, const double *, size_t, const double *, size_t,
                      const double *, const size_t *, const size_t *, double *, double *, double *);
void bp_narrow_s_avx2(const mlp_layout *, const float *, size_t, const float *, size_t,
                      const float *, const size_t *, const size_t *, float *, double *, float *);
void bp_narrow_d_avx512(const mlp_layout *, const double *, size_t, const double *, size_t,
                        const double *, const size_t *, const size_t *, double *, double *,
                        double *);
void bp_narrow_s_avx512(const mlp_layout *, const float *, size_t, const float *, size_t,
                        const float *, const size_t *, const size_t *, float *, double *, float *);

void bp_narrow_online_d_portable(const mlp_layout *, double *, size_t, const double *, size_t,
                                 const double *, const size_t *, const size_t *, double, double *,
                                 double *, narrow_epochs *, double *, size_t *, int *);
void bp_narrow_online_s_portable(const mlp_layout *, float *, size_t, const float *, size_t,
                                 const float *, const size_t *, const size_t *, float, float *,
                                 float *, narrow_epochs *, double *, size_t *, int *);
void bp_narrow_online_d_avx2(const mlp_layout *, double *, size_t, const double *, size_t,
                             const double *, const size_t *, const size_t *, double, double *,
                             double *, narrow_epochs *, double *, size_t *, int *);
void bp_narrow_online_s_avx2(const mlp_layout *, float *, size_t, const float *, size_t,
                             const float *, const size_t *, const size_t *, float, float *, float *,
                             narrow_epochs *, double *, size_t *, int *);
void bp_narrow_online_d_avx512(const mlp_layout *, double *, size_t, const double *, size_t,
                               const double *, const size_t *, const size_t *, double, double *,
                               double *, narrow_epochs *, double *, size_t *, int *);
void bp_narrow_online_s_avx512(const mlp_layout *, float *, size_t, const float *, size_t,
                               const float *, const size_t *, const size_t *, float, float *,
                               float *, narrow_epochs *, double *, size_t *, int *);

/*
 * The passes over a parameter vector that end a training step
 * (vector_tmpl.h), built per ISA with the engine: the index of the first
 * non-finite value (or n), the update stage's SGD pass p ← p + alpha·g
 * (alpha = −η) returning 1 if every new value is finite, the pass of
 * every other optimiser over parameters [lo, hi) of n (the step's scalars
 * k, the state's slots of n values; 1 if every new value is finite), and
 * max |x| (+infinity if a value is not finite).
 */
typedef size_t (*bp_vec_nonfinite_d_fn)(size_t n, const double *x);
typedef size_t (*bp_vec_nonfinite_s_fn)(size_t n, const float *x);
typedef int (*bp_vec_sgd_d_fn)(size_t n, double alpha, const double *g, double *p);
typedef int (*bp_vec_sgd_s_fn)(size_t n, float alpha, const float *g, float *p);
typedef int (*bp_vec_step_d_fn)(const bp_update_coeffs_d *k, size_t n, size_t lo, size_t hi,
                                double *p, const double *g, double *state);
typedef int (*bp_vec_step_s_fn)(const bp_update_coeffs_s *k, size_t n, size_t lo, size_t hi,
                                float *p, const float *g, float *state);
typedef double (*bp_vec_maxabs_d_fn)(size_t n, const double *x);
typedef float (*bp_vec_maxabs_s_fn)(size_t n, const float *x);
size_t bp_vec_nonfinite_d_portable(size_t n, const double *x);
size_t bp_vec_nonfinite_s_portable(size_t n, const float *x);
int bp_vec_sgd_d_portable(size_t n, double alpha, const double *g, double *p);
int bp_vec_sgd_s_portable(size_t n, float alpha, const float *g, float *p);
int bp_vec_step_d_portable(const bp_update_coeffs_d *, size_t, size_t, size_t, double *,
                           const double *, double *);
int bp_vec_step_s_portable(const bp_update_coeffs_s *, size_t, size_t, size_t, float *,
                           const float *, float *);
double bp_vec_maxabs_d_portable(size_t n, const double *x);
float bp_vec_maxabs_s_portable(size_t n, const float *x);
size_t bp_vec_nonfinite_d_avx2(size_t n, const double *x);
size_t bp_vec_nonfinite_s_avx2(size_t n, const float *x);
int bp_vec_sgd_d_avx2(size_t n, double alpha, const double *g, double *p);
int bp_vec_sgd_s_avx2(size_t n, float alpha, const float *g, float *p);
int bp_vec_step_d_avx2(const bp_update_coeffs_d *, size_t, size_t, size_t, double *, const double *,
                       double *);
int bp_vec_step_s_avx2(const bp_update_coeffs_s *, size_t, size_t, size_t, float *, const float *,
                       float *);
double bp_vec_maxabs_d_avx2(size_t n, const double *x);
float bp_vec_maxabs_s_avx2(size_t n, const float *x);
size_t bp_vec_nonfinite_d_avx512(size_t n, const double *x);
size_t bp_vec_nonfinite_s_avx512(size_t n, const float *x);
int bp_vec_sgd_d_avx512(size_t n, double alpha, const double *g, double *p);
int bp_vec_sgd_s_avx512(size_t n, float alpha, const float *g, float *p);
int bp_vec_step_d_avx512(const bp_update_coeffs_d *, size_t, size_t, size_t, double *,
                         const double *, double *);
int bp_vec_step_s_avx512(const bp_update_coeffs_s *, size_t, size_t, size_t, float *, const float *,
                         float *);
double bp_vec_maxabs_d_avx512(size_t n, const double *x);
float bp_vec_maxabs_s_avx512(size_t n, const float *x);

/*
 * The update stage a network's training steps run through (update_stage.h):
 * created with the network (plain SGD, no hook), its learning rate set by
 * each training call, its optimiser by bp_mlp_set_optimizer (or
 * bp_update_stage_configure on it), a hook by bp_update_stage_set_hook.
 */
bp_update_stage *bp_mlp_update_stage_d(bp_mlp *mlp);
bp_update_stage *bp_mlp_update_stage_s(bp_mlp_f32 *mlp);

/* A network's shapes, loss, batch capacity and parameter offsets, read by
 * the code that drives whole-network computations from outside the engine
 * (minimize/minimize.c). */
const mlp_layout *bp_mlp_layout_d(const bp_mlp *mlp);
const mlp_layout *bp_mlp_layout_s(const bp_mlp_f32 *mlp);

/*
 * The dense layers' element-wise passes (dense_passes_tmpl.h), built per
 * ISA with the engine: C += b row by row, A = ReLU(Z), dZ = ReLU'(Z)·dA,
 * db += column sums of dZ. (The first two are the GEMM epilogue's, typed
 * in gemm/gemm_internal.h.)
 */
#define BP_DENSE_PASSES(R, S, ISA)                                                                 \
    void bp_bias_rows_##S##_##ISA(size_t rows, size_t cols, R *C, size_t ldc, const R *b);         \
    void bp_relu_rows_##S##_##ISA(size_t rows, size_t cols, const R *Z, size_t ldz, R *A,          \
                                  size_t lda);                                                     \
    void bp_relu_backward_##S##_##ISA(size_t count, const R *Z, const R *dA, R *dZ);               \
    void bp_col_sums_##S##_##ISA(size_t rows, size_t cols, const R *dZ, R *db);
BP_DENSE_PASSES(double, d, portable)
BP_DENSE_PASSES(float, s, portable)
BP_DENSE_PASSES(double, d, avx2)
BP_DENSE_PASSES(float, s, avx2)
BP_DENSE_PASSES(double, d, avx512)
BP_DENSE_PASSES(float, s, avx512)
#undef BP_DENSE_PASSES
typedef void (*bp_relu_backward_d_fn)(size_t, const double *, const double *, double *);
typedef void (*bp_relu_backward_s_fn)(size_t, const float *, const float *, float *);
typedef void (*bp_col_sums_d_fn)(size_t, size_t, const double *, double *);
typedef void (*bp_col_sums_s_fn)(size_t, size_t, const float *, float *);

#endif /* BP_MLP_INTERNAL_H */
