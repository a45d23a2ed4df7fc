/*
 * narrow_block_tmpl.h — the loss and gradient of a batch for small networks
 * (at most BLK_LAYERS layers of at most BLK_WIDTH units, such as seed 01's
 * 2-4-3-1 and seed 05's 2-3-3) in register blocks: BLK_U blocks of NV samples at a time, every
 * value of a block in a vector register. Included by narrow_tmpl.h, with
 * its macros (R, P, NV, CH, …) and the tags of vexp.h's vector types for
 * R and for the loss terms (double) in NV lanes: VR_TAG (d8, s16) and
 * VD_TAG (d8, d16). Below, from them:
 *
 *   VR, VRI      NV lanes of R, and of integers of R's width (masks)
 *   VD, VDI      NV lanes of double, and of int64
 *   VR_SEL, VD_SEL, VR_SPLAT, VD_SPLAT    the selects and splats
 *   VR_EXP       the exp on VR; VD_EXP, VD_LOG, VD_LOG1P on VD
 *
 * Why a path of its own: the chunk engine (narrow_tmpl.h) runs each stage
 * of a step — a layer's sums, its activation, the loss, the deltas, the
 * gradient sums — as its own loop over 128 samples, reading its operands
 * from the chunk scratch and writing its results back. For networks this
 * small a sample's step is one long chain of dependent operations (sum,
 * exp, divide, next layer's sum, exp, the loss's log, …: some 350 cycles
 * from its inputs to its gradient terms), so it pays to keep several
 * samples' chains in flight with nothing between the operations but
 * registers. Here the step of BLK_U blocks — forward, loss, backward — is
 * one pass of straight-line vector code (narrow_block_body.h): the network
 * is padded to BW units per layer (BW = 2, 3 or 4, one instance each), so
 * the unit loops have constant bounds and are unrolled; the innermost
 * loops run over the BLK_U independent blocks, whose chains interleave; the
 * layers are a loop (the values each layer keeps for the backward pass go
 * through the stack); the gradient sums stay in per-lane accumulators for
 * the whole batch, folded once at the end. The layers stay a loop: unrolled,
 * every layer's values stay live across the step and spill. Samples are
 * loaded into a block a vector at a time, never one by one (a vector load
 * after scalar stores waits for their forwarding). Padded units'
 * activations are skipped. Timings of these choices: (Benchmarks/README.md, "Kernel design measurements").
 *
 * The operations per unit are the chunk engine's (the same sums in the same
 * order, the same activation, loss and derivative formulas of
 * ops/formulas.h, instantiated on vector lanes; vexp.h's
 * vector functions give its scalar ones' bits lane by lane); only the
 * gradient and loss sums run in other lanes, so results agree with the
 * chunk engine's to rounding (the C harness holds both to bp_mlp_gradient
 * and every build to the default one) and depend on the batch size only.
 * Samples reach the blocks through the chunk scratch, labels as one-hot
 * targets; the spare lanes past the end of the batch hold zeros, and their
 * deltas and loss terms are zeroed at the output, so they add exactly
 * nothing.
 *
 * Covered: hidden units sigmoid, ReLU, leaky ReLU or identity; output
 * softmax with categorical cross-entropy, sigmoid with binary
 * cross-entropy (both fused, on the logits), or MSE on any of the hidden
 * activations. Other networks (tanh, unfused losses, wider) stay on the
 * chunk engine.
 */

#define BLK_PASTE2(a, b) a##b
#define BLK_PASTE(a, b) BLK_PASTE2(a, b)
#define VR BLK_PASTE(bp_v, VR_TAG)
#define VRI BLK_PASTE(VR, _i)
#define VR_SEL BLK_PASTE(VR, _sel)
#define VR_SPLAT BLK_PASTE(VR, _splat)
#define VR_EXP BLK_PASTE(bp_vexp_, VR_TAG)
#define VD BLK_PASTE(bp_v, VD_TAG)
#define VDI BLK_PASTE(VD, _i)
#define VD_SEL BLK_PASTE(VD, _sel)
#define VD_SPLAT BLK_PASTE(VD, _splat)
#define VD_EXP BLK_PASTE(bp_vexp_, VD_TAG)
#define VD_LOG BLK_PASTE(bp_vlog_, VD_TAG)
#define VD_LOG1P BLK_PASTE(bp_vlog1p_, VD_TAG)

#define BLK_LAYERS ((size_t)3)
#define BLK_WIDTH ((size_t)4)
/* BLK_U blocks in flight (N_BLOCKS, per ISA build): as many as the
 * registers hold without spilling — 4 in the AVX-512 build, 2 in the AVX2
 * one, 1 in the SSE2 one (Benchmarks/README.md, "Kernel design measurements") */
#define BLK_U ((size_t)N_BLOCKS)
#if defined(__clang__)
#define BLK_UNROLL _Pragma("clang loop unroll(full)")
#define BLK_ROLLED _Pragma("clang loop unroll(disable)")
#else
#define BLK_UNROLL _Pragma("GCC unroll 16")
#define BLK_ROLLED _Pragma("GCC unroll 1")
#endif
/* a group of blocks never straddles a chunk */
_Static_assert(BP_NARROW_CHUNK % (BLK_U * NV) == 0, "a chunk holds whole groups of blocks");

/* The width every layer is padded to: the widest layer's (at least 2). */
static size_t P(block_width)(const mlp_layout *y) {
    size_t w = 2;
    for (size_t l = 0; l < y->n_layers; l++) {
        if (y->layers[l].n_in > w) w = y->layers[l].n_in;
        if (y->layers[l].n_out > w) w = y->layers[l].n_out;
    }
    return w;
}

/* Whether the block path takes the network: at most BLK_LAYERS layers of
 * at most BLK_WIDTH units, with the activations and losses it covers. */
static int P(block_fits)(const mlp_layout *y) {
    const size_t L = y->n_layers;
    if (L > BLK_LAYERS) return 0;
    if (P(block_width)(y) > BLK_WIDTH) return 0;
    for (size_t l = 0; l < L; l++) {
        const bp_layer_spec *sp = &y->layers[l];
        const int hidden_kind = sp->act == BP_ACT_SIGMOID || sp->act == BP_ACT_RELU ||
                                sp->act == BP_ACT_LEAKY_RELU || sp->act == BP_ACT_IDENTITY;
        if (l + 1 < L && !hidden_kind) return 0;
        if (l + 1 == L) {
            const int ok = (y->loss == BP_LOSS_SOFTMAX_CCE && sp->act == BP_ACT_SOFTMAX) ||
                           (y->loss == BP_LOSS_BCE_LOGITS && sp->act == BP_ACT_SIGMOID) ||
                           (y->loss == BP_LOSS_MSE && hidden_kind);
            if (!ok) return 0;
        }
    }
    return 1;
}

/* a vector from n ≥ NV consecutive values (any alignment) */
static inline VR P(block_load)(const R *p) {
    VR v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* f(z) of a hidden-kind unit, by ops/formulas.h's formulas on the vector
 * lanes (VR_SEL, VR_SPLAT); e receives e^(−|z|) for sigmoid units (−|z|
 * as a select: the same value as −fabs but for the sign of a zero, which
 * exp ignores). */
static inline VR P(block_act)(bp_activation act, R param, VR z, VR *e) {
    switch (act) {
    case BP_ACT_SIGMOID: {
        const VR ee = VR_EXP(VR_SEL(z < (R)0, z, -z));
        *e = ee;
        return BP_SIGMOID_E(VR_SEL, VR_SPLAT, z, ee);
    }
    case BP_ACT_RELU: return BP_RELU(VR_SEL, VR_SPLAT, z);
    case BP_ACT_LEAKY_RELU: return BP_LEAKY_RELU(VR_SEL, VR_SPLAT, z, param);
    default: return z;
    }
}

/* d ⊙ f'(z) for a hidden-kind unit (formulas.h, as P(derive); e = e^(−|z|)
 * of a sigmoid unit). */
static inline VR P(block_derive)(bp_activation act, R param, VR z, VR e, VR d) {
    switch (act) {
    case BP_ACT_SIGMOID: return BP_SIGMOID_DERIV_E(VR_SPLAT, e, d);
    case BP_ACT_RELU: return BP_RELU_DERIV(VR_SEL, VR_SPLAT, z, d);
    case BP_ACT_LEAKY_RELU: return BP_LEAKY_RELU_DERIV(VR_SEL, VR_SPLAT, z, param, d);
    default: return d;
    }
}

/* Σ over the lanes of the loss sums, in a fixed pairwise order. */
static double P(block_fold_d)(VD acc) {
    double t[NV];
    memcpy(t, &acc, sizeof t);
    for (size_t w = NV / 2; w > 0; w /= 2)
        for (size_t v = 0; v < w; v++) t[v] += t[v + w];
    return t[0];
}

/* The same for the gradient sums (in double: exact for double; for float
 * one rounding at the end). */
static R P(block_fold)(VR acc) { return (R)P(block_fold_d)(__builtin_convertvector(acc, VD)); }

/* The loss terms of a block's samples whose probability under a nonzero
 * target underflowed (the lanes set in `under`), by log-sum-exp as
 * P(output) does; the other lanes of `term` returned as they are. Rare,
 * so on values copied out of the registers. */
static VD
P(block_underflow)(size_t k, R zs[BLK_WIDTH][NV], R ts[BLK_WIDTH][NV], VDI under, VD term) {
    int64_t us[NV];
    double tm[NV];
    memcpy(us, &under, sizeof us);
    memcpy(tm, &term, sizeof tm);
    for (size_t v = 0; v < NV; v++) {
        if (!us[v]) continue;
        double mx = zs[0][v], sum = 0.0, acc = 0.0;
        for (size_t j = 1; j < k; j++) mx = BP_SOFTMAX_MAX(BP_SEL, (double)zs[j][v], mx);
        for (size_t j = 0; j < k; j++) sum += exp((double)zs[j][v] - mx);
        const double lse = BP_LOG_SUM_EXP(log, mx, sum);
        for (size_t j = 0; j < k; j++)
            if (ts[j][v] != (R)0)
                acc += BP_SOFTMAX_CCE_TERM_LSE((double)ts[j][v], lse, (double)zs[j][v]);
        tm[v] = acc;
    }
    memcpy(&term, tm, sizeof term);
    return term;
}

/* The chunk's samples feature-major into In (n_in × CH) and its targets
 * into T (k × CH; labels as one-hot targets, exact 0 and 1), rows c0 …
 * c0 + cs − 1 of the batch. Rows in order in a dense X (the usual full
 * batch) take loops with constant strides, which the compilers vectorise
 * (interleaved loads); shuffled rows take P(gather), sample by sample. */
static void
P(block_gather)(size_t cs, size_t c0, const size_t *restrict indices, const R *restrict X,
                         size_t ldx, size_t n_in, const R *restrict Y,
                         const size_t *restrict labels, size_t k, R *restrict In, R *restrict T,
                         size_t *restrict lab) {
    if (indices || ldx != n_in) {
        P(gather)(cs, c0, indices, X, ldx, n_in, Y, labels, k, In, T, lab);
    } else {
        const R *restrict x = X + c0 * n_in;
        switch (n_in) { /* constant strides (BLK_WIDTH = 4) */
        case 1:
            for (size_t s = 0; s < cs; s++) In[s] = x[s];
            break;
        case 2:
            for (size_t s = 0; s < cs; s++) {
                In[s] = x[2 * s];
                In[CH + s] = x[2 * s + 1];
            }
            break;
        case 3:
            for (size_t s = 0; s < cs; s++)
                for (size_t i = 0; i < 3; i++) In[i * CH + s] = x[3 * s + i];
            break;
        default:
            for (size_t s = 0; s < cs; s++)
                for (size_t i = 0; i < 4; i++) In[i * CH + s] = x[4 * s + i];
            break;
        }
        if (labels) {
            for (size_t s = 0; s < cs; s++) lab[s] = labels[c0 + s];
        } else {
            const R *restrict yy = Y + c0 * k;
            for (size_t j = 0; j < k; j++)
                for (size_t s = 0; s < cs; s++) T[j * CH + s] = yy[s * k + j];
        }
    }
    if (labels)
        for (size_t j = 0; j < k; j++)
            for (size_t s = 0; s < cs; s++) T[j * CH + s] = lab[s] == j ? (R)1 : (R)0;
}

/* the lane numbers 0 … NV − 1 in R's integer lanes and in double's (made
 * through memory: a vector indexed by a variable would keep the compilers
 * from holding the blocks' vectors in registers) */
static void P(block_lanes)(VRI *lane_r, VDI *lane_d) {
    R lr[NV];
    double ld[NV];
    for (size_t v = 0; v < NV; v++) {
        lr[v] = (R)v;
        ld[v] = (double)v;
    }
    const VR lrv = P(block_load)(lr);
    VD ldv;
    memcpy(&ldv, ld, sizeof ldv);
    *lane_r = __builtin_convertvector(lrv, VRI);
    *lane_d = __builtin_convertvector(ldv, VDI);
}

/* whether any lane of a mask is set */
static inline int P(block_any)(VDI m) {
    int64_t w[NV];
    memcpy(w, &m, sizeof w);
    int some = 0;
    for (size_t v = 0; v < NV; v++) some |= w[v] != 0;
    return some;
}

#define BW ((size_t)2)
#define BLK_NAME P(block_grad2)
#include "narrow_block_body.h"
#undef BLK_NAME
#undef BW
#define BW ((size_t)3)
#define BLK_NAME P(block_grad3)
#include "narrow_block_body.h"
#undef BLK_NAME
#undef BW
#define BW ((size_t)4)
#define BLK_NAME P(block_grad4)
#include "narrow_block_body.h"
#undef BLK_NAME
#undef BW

/* N_ENTRY's work for a network that P(block_fits): the batch loss into
 * *loss, the gradient into grad (overwritten), through the instance of the
 * network's widest layer. Same arguments. */
static void P(block_grad)(const mlp_layout *y, const R *params, size_t rows, const R *X, size_t ldx,
                       const R *Y, const size_t *labels, const size_t *indices, R *scratch,
                       double *loss, R *grad) {
    const size_t w = P(block_width)(y);
    if (w == 2) P(block_grad2)(y, params, rows, X, ldx, Y, labels, indices, scratch, loss, grad);
    else if (w == 3)
        P(block_grad3)(y, params, rows, X, ldx, Y, labels, indices, scratch, loss, grad);
    else P(block_grad4)(y, params, rows, X, ldx, Y, labels, indices, scratch, loss, grad);
}

#undef BLK_ROLLED
#undef VR
#undef VRI
#undef VR_SEL
#undef VR_SPLAT
#undef VR_EXP
#undef VD
#undef VDI
#undef VD_SEL
#undef VD_SPLAT
#undef VD_EXP
#undef VD_LOG
#undef VD_LOG1P
#undef BLK_PASTE
#undef BLK_PASTE2
#undef BLK_UNROLL
#undef BLK_U
#undef BLK_WIDTH
#undef BLK_LAYERS
