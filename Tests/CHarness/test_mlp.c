/*
 * test_mlp.c — the network engine of bp_mlp.h (CKernels/mlp/): creating a
 * network, its workspace and parameter count, and the passes that do not
 * train, against references that never call bp_mlp:
 *
 *  - forward: the layer-by-layer composition of the individual kernels
 *    (bp_dgemm, bp_bias_add, bp_activation_forward), for networks whose
 *    layers take both paths of mlp.c (≤ 256 weights: a direct loop; more: the
 *    GEMM kernels), every activation, a padded X whose padding is NaN;
 *  - bp_mlp_preactivations: the Z of that composition, for the most recent
 *    forward pass;
 *  - bp_mlp_gradient: every parameter and input gradient against central
 *    finite differences of the loss (the loss bp_mlp_gradient returns with
 *    grad = NULL), for every loss kind, and against the manual backward
 *    composition of the kernels (bp_loss_compute*, bp_activation_backward,
 *    bp_weight_gradient, bp_bias_gradient, bp_input_gradient);
 *  - bp_mlp_backward with the MSE gradient as dA_out against
 *    bp_mlp_gradient with BP_LOSS_MSE;
 *  - bp_mlp_parameter_count and bp_mlp_workspace_bytes against the layout
 *    and buffers bp_mlp.h describes;
 *  - every documented argument error of create, forward, gradient and
 *    backward, with the outputs left untouched, and the order in which
 *    bp_status.h says several faults are reported.
 *
 * These passes are the yardstick of the other two files of the engine:
 * test_training.c holds the training loop (bp_mlp_train_step, _epoch,
 * _epochs) to bp_mlp_gradient, and test_narrow.c the narrow engine's steps.
 * What the three share is in mlp_support.h.
 */
#include "mlp_support.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the reference network: the individual kernels, layer by layer ------------------------ */

static int is_fused(bp_loss loss) {
    return loss == BP_LOSS_BCE_LOGITS || loss == BP_LOSS_SOFTMAX_CCE;
}

#define R_TRY(call)                                                                                \
    do {                                                                                           \
        bp_status r_s_ = (call);                                                                   \
        if (r_s_ != BP_OK) return r_s_;                                                            \
    } while (0)

/* Z_l = A_{l−1}·W_l + b_l, A_l = f_l(Z_l). */
static bp_status ref_forward(ref *r, const double *p, size_t rows, const double *X, size_t ldx) {
    const net_cfg *c = r->c;
    for (size_t l = 0; l < c->nl; l++) {
        const bp_layer_spec *s = &c->ls[l];
        const double *in = l == 0 ? X : r->A[l - 1];
        size_t ld = l == 0 ? ldx : s->n_in;
        R_TRY(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, rows, s->n_out, s->n_in, 1.0, in, ld,
                       p + r->lay.w[l], s->n_out, 0.0, r->Z[l], s->n_out));
        R_TRY(bp_bias_add(rows, s->n_out, p + r->lay.b[l], r->Z[l], s->n_out));
        R_TRY(bp_activation_forward(s->act, s->param, rows, s->n_out, r->Z[l], r->A[l]));
    }
    return BP_OK;
}

/* Loss and backpropagation composed from the kernels. The fused losses read
 * the logits Z_L and give dZ_L directly; the others read A_L and go through
 * the output activation's backward pass (bp_mlp.h). */
static bp_status ref_gradient(ref *r, const double *p, size_t rows, const double *X, size_t ldx,
                              const double *Y, const size_t *lab, double *loss, double *grad,
                              double *dX) {
    const net_cfg *c = r->c;
    size_t L = c->nl - 1, k = c->ls[L].n_out;
    R_TRY(ref_forward(r, p, rows, X, ldx));
    int fused = is_fused(c->loss);
    const double *pred = fused ? r->Z[L] : r->A[L];
    double *g = fused ? r->dZ[L] : r->dA[L];
    if (lab) R_TRY(bp_loss_compute_labels(c->loss, rows, k, pred, lab, loss, g));
    else R_TRY(bp_loss_compute(c->loss, rows, k, pred, Y, loss, g));
    if (!fused)
        R_TRY(bp_activation_backward(c->ls[L].act, c->ls[L].param, rows, k, r->Z[L], r->A[L],
                                     r->dA[L], r->dZ[L]));
    for (size_t l = L + 1; l-- > 0;) {
        const bp_layer_spec *s = &c->ls[l];
        const double *in = l == 0 ? X : r->A[l - 1];
        size_t ld = l == 0 ? ldx : s->n_in;
        const double *W = p + r->lay.w[l];
        R_TRY(bp_weight_gradient(rows, s->n_in, s->n_out, 1.0, in, ld, r->dZ[l], s->n_out, 0.0,
                                 grad + r->lay.w[l], s->n_out));
        R_TRY(bp_bias_gradient(rows, s->n_out, 1.0, r->dZ[l], s->n_out, 0.0, grad + r->lay.b[l]));
        if (l == 0) {
            if (dX)
                R_TRY(bp_input_gradient(rows, s->n_in, s->n_out, r->dZ[0], s->n_out, W, s->n_out,
                                        dX, s->n_in));
        } else {
            const bp_layer_spec *below = &c->ls[l - 1];
            R_TRY(bp_input_gradient(rows, s->n_in, s->n_out, r->dZ[l], s->n_out, W, s->n_out,
                                    r->dA[l - 1], s->n_in));
            R_TRY(bp_activation_backward(below->act, below->param, rows, below->n_out, r->Z[l - 1],
                                         r->A[l - 1], r->dA[l - 1], r->dZ[l - 1]));
        }
    }
    return BP_OK;
}

/* Distance of the nearest ReLU / leaky-ReLU pre-activation from the kink,
 * after ref_forward (+inf when the network has none). */
static double kink_distance(const ref *r, size_t rows) {
    double d = INFINITY;
    for (size_t l = 0; l < r->c->nl; l++) {
        bp_activation a = r->c->ls[l].act;
        if (a != BP_ACT_RELU && a != BP_ACT_LEAKY_RELU) continue;
        for (size_t i = 0; i < rows * r->c->ls[l].n_out; i++) d = fmin(d, fabs(r->Z[l][i]));
    }
    return d;
}

/* Parameters drawn until every ReLU-type pre-activation of the batch is more
 * than 1e-3 from the kink: a finite-difference step of 1e-6 moves a
 * pre-activation by at most ~1e-5 here, so no step crosses a kink. */
static void draw_params(h_rng *r, const net_cfg *c, ref *rf, double *p, const batch *b) {
    for (int attempt = 0; attempt < 100; attempt++) {
        fill_params(r, c, &rf->lay, p);
        H_OK(ref_forward(rf, p, b->rows, b->X, b->ldx));
        if (kink_distance(rf, b->rows) > 1e-3) return;
    }
    H_EXPECT(0, "%s: no parameters in 100 draws keep ReLU inputs 1e-3 from 0", c->name);
}

/* ---- forward and pre-activations ----------------------------------------------------- */

/*
 * Tolerance 1e-13, norm-wise per matrix. mlp.c and the reference differ only
 * in the order of the sums (the direct path starts from b_j and adds x_k·w_kj
 * in increasing k; bp_dgemm may block, use FMA, and adds b last), so each
 * Z_ij differs by at most ~2·γ_{n_in+1}·(Σ_k |x_k·w_kj| + |b_j|)
 * ≈ 2·31·1.1e-16 ≈ 7e-15 of a scale that is within a small factor of max|Z|
 * for our data; activations are 1-Lipschitz (softmax too) and three layers
 * of weights of norm ~2 carry it to the output, below 1e-13.
 */
#define FWD_TOL 1e-13

static const net_cfg FWD_NETS[] = {
    /* every layer ≤ 256 weights: the direct loop path */
    { "3-5-2 relu/softmax",
      2,
      { L_(3, 5, BP_ACT_RELU), L_(5, 2, BP_ACT_SOFTMAX) },
      BP_LOSS_MSE,
      0 },
    { "3-5-2 leaky/sigmoid", 2, { LEAKY_(3, 5), L_(5, 2, BP_ACT_SIGMOID) }, BP_LOSS_MSE, 0 },
    { "3-5-4-2 tanh/identity/sigmoid",
      3,
      { L_(3, 5, BP_ACT_TANH), L_(5, 4, BP_ACT_IDENTITY), L_(4, 2, BP_ACT_SIGMOID) },
      BP_LOSS_MSE,
      0 },
    /* 600 and 320 weights: the GEMM path, then 64 direct */
    { "30-20-16-4 relu/tanh/softmax",
      3,
      { L_(30, 20, BP_ACT_RELU), L_(20, 16, BP_ACT_TANH), L_(16, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_MSE,
      0 },
    { "30-20-16-4 leaky/sigmoid/identity",
      3,
      { LEAKY_(30, 20), L_(20, 16, BP_ACT_SIGMOID), L_(16, 4, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      0 },
    { "30-20-16-4 softmax/identity/tanh",
      3,
      { L_(30, 20, BP_ACT_SOFTMAX), L_(20, 16, BP_ACT_IDENTITY), L_(16, 4, BP_ACT_TANH) },
      BP_LOSS_MSE,
      0 },
    /* 30-20-10-4: 600 weights on GEMM, 200 and 40 direct */
    { "30-20-10-4 tanh/relu/leaky",
      3,
      { L_(30, 20, BP_ACT_TANH), L_(20, 10, BP_ACT_RELU), LEAKY_(10, 4) },
      BP_LOSS_MSE,
      0 },
    /* the threshold itself: 16·16 = 256 direct, 16·17 = 272 GEMM */
    { "16-16-17-3 sigmoid/leaky/softmax",
      3,
      { L_(16, 16, BP_ACT_SIGMOID), LEAKY_(16, 17), L_(17, 3, BP_ACT_SOFTMAX) },
      BP_LOSS_MSE,
      0 },
};

/* bp_mlp_forward on one batch against the reference; every layer's Z
 * through bp_mlp_preactivations, the output copied to `out` and nothing
 * beyond rows × k written. */
static void check_forward(const net_cfg *c, bp_mlp *m, ref *rf, const double *p, const batch *b) {
    size_t k = n_out_last(c), rows = b->rows;
    double *out = h_alloc_fill(rows * k + 8, H_OUT_PAD);
    double *Xcopy = h_copy(b->X, rows * b->ldx);
    H_OK(bp_mlp_forward(m, p, rows, b->X, b->ldx, out));
    H_OK(ref_forward(rf, p, rows, b->X, b->ldx));
    double e = rel_err(out, rf->A[c->nl - 1], rows * k);
    H_EXPECT(e <= FWD_TOL,
             "%s, %zu rows: output differs from the kernel composition by "
             "%.3g (norm-wise relative)",
             c->name, rows, e);
    for (size_t l = 0; l < c->nl; l++) {
        const double *Z = NULL;
        H_OK(bp_mlp_preactivations(m, l, &Z));
        H_EXPECT(Z != NULL, "%s: no Z for layer %zu", c->name, l);
        /* every workspace buffer starts on a 64-byte line (mlp_tmpl.h) */
        H_EXPECT((uintptr_t)Z % 64 == 0, "%s: Z of layer %zu not 64-byte aligned", c->name, l);
        e = rel_err(Z, rf->Z[l], rows * c->ls[l].n_out);
        H_EXPECT(e <= FWD_TOL, "%s, %zu rows: Z of layer %zu differs by %.3g", c->name, rows, l, e);
    }
    H_EXPECT(h_padding_intact(out, 1, rows * k, rows * k + 8, H_OUT_PAD),
             "%s: bp_mlp_forward wrote beyond rows × k outputs", c->name);
    H_EXPECT(h_same_bits(Xcopy, b->X, rows * b->ldx), "%s: X was modified", c->name);
    free(out);
    free(Xcopy);
}

static void test_forward_matches_kernel_composition(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 9001);
    for (size_t t = 0; t < sizeof FWD_NETS / sizeof FWD_NETS[0]; t++) {
        const net_cfg *c = &FWD_NETS[t];
        const size_t max_rows = 13;
        ref rf;
        ref_init(&rf, c, max_rows);
        bp_mlp *m = create(c, max_rows);
        layout o = make_layout(c);
        double *p = h_alloc(o.total);
        fill_params(&r, c, &o, p);
        double *pcopy = h_copy(p, o.total);
        /* ldx = n_in + 3 with NaN padding: any read of it poisons the output. */
        batch b1, b2, b3;
        make_batch(&r, c, 11, n_in0(c) + 3, &b1);
        make_batch(&r, c, 4, n_in0(c) + 1, &b2);
        make_batch(&r, c, max_rows, n_in0(c), &b3);
        check_forward(c, m, &rf, p, &b1);
        check_forward(c, m, &rf, p, &b2); /* fewer rows, on a used workspace */
        check_forward(c, m, &rf, p, &b3); /* rows == max_rows, ldx == n_in */
        H_EXPECT(h_same_bits(p, pcopy, o.total), "%s: params were modified", c->name);
        /* out == NULL is allowed and still runs the pass */
        H_OK(bp_mlp_forward(m, p, b1.rows, b1.X, b1.ldx, NULL));
        const double *Z = NULL;
        H_OK(bp_mlp_preactivations(m, 0, &Z));
        H_OK(ref_forward(&rf, p, b1.rows, b1.X, b1.ldx));
        H_EXPECT(rel_err(Z, rf.Z[0], b1.rows * c->ls[0].n_out) <= FWD_TOL,
                 "%s: forward with out == NULL did not run the pass", c->name);
        free_batch(&b1);
        free_batch(&b2);
        free_batch(&b3);
        free(p);
        free(pcopy);
        bp_mlp_free(m);
        ref_free(&rf);
    }
}

static void test_parameter_count(void **state) {
    (void)state;
    for (size_t t = 0; t < sizeof FWD_NETS / sizeof FWD_NETS[0]; t++) {
        const net_cfg *c = &FWD_NETS[t];
        size_t want = 0;
        for (size_t l = 0; l < c->nl; l++) want += c->ls[l].n_in * c->ls[l].n_out + c->ls[l].n_out;
        bp_mlp *m = create(c, 1);
        size_t got = 0;
        H_OK(bp_mlp_parameter_count(m, &got));
        H_EXPECT(got == want, "%s: %zu parameters, expected %zu", c->name, got, want);
        bp_mlp_free(m);
    }
}

/* bp_mlp_preactivations follows the most recent forward pass, whichever call
 * ran it (bp_mlp_gradient, bp_mlp_backward, bp_mlp_train_step). */
static void test_preactivations_follow_last_forward(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 9002);
    const net_cfg c = { "30-12-3 tanh/identity",
                        2,
                        { L_(30, 12, BP_ACT_TANH), L_(12, 3, BP_ACT_IDENTITY) },
                        BP_LOSS_MSE,
                        0 };
    ref rf;
    ref_init(&rf, &c, 8);
    bp_mlp *m = create(&c, 8);
    layout o = make_layout(&c);
    double *p = h_alloc(o.total), *grad = h_alloc(o.total);
    fill_params(&r, &c, &o, p);
    batch a, b;
    make_batch(&r, &c, 8, 31, &a);
    make_batch(&r, &c, 3, 30, &b);
    double loss = 0.0;
    const double *Z = NULL;
    H_OK(bp_mlp_forward(m, p, a.rows, a.X, a.ldx, NULL));
    H_OK(bp_mlp_gradient(m, p, b.rows, b.X, b.ldx, b.Y, NULL, &loss, grad, NULL));
    H_OK(ref_forward(&rf, p, b.rows, b.X, b.ldx));
    for (size_t l = 0; l < c.nl; l++) {
        H_OK(bp_mlp_preactivations(m, l, &Z));
        H_EXPECT(rel_err(Z, rf.Z[l], b.rows * c.ls[l].n_out) <= FWD_TOL,
                 "after bp_mlp_gradient: Z of layer %zu is not that of its batch", l);
    }
    H_OK(bp_mlp_backward(m, p, a.rows, a.X, a.ldx, a.Y, grad, NULL));
    H_OK(ref_forward(&rf, p, a.rows, a.X, a.ldx));
    H_OK(bp_mlp_preactivations(m, 1, &Z));
    H_EXPECT(rel_err(Z, rf.Z[1], a.rows * 3) <= FWD_TOL,
             "after bp_mlp_backward: Z of layer 1 is not that of its batch");
    /* train_step: the forward pass ran with the parameters before the update */
    double *p0 = h_copy(p, o.total);
    int diverged = -1;
    H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, b.rows, 0.1, &loss, &diverged));
    H_EXPECT(diverged == 0, "train step diverged (%d)", diverged);
    H_OK(ref_forward(&rf, p0, b.rows, b.X, b.ldx));
    H_OK(bp_mlp_preactivations(m, 0, &Z));
    H_EXPECT(rel_err(Z, rf.Z[0], b.rows * 12) <= FWD_TOL,
             "after bp_mlp_train_step: Z of layer 0 is not that of the step's forward pass");
    /* a layer that does not exist; Z is left alone */
    const double sentinel = 0.0;
    Z = &sentinel;
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_preactivations(m, c.nl, &Z));
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_preactivations(m, SIZE_MAX, &Z));
    H_EXPECT(Z == &sentinel, "bp_mlp_preactivations wrote Z on an error");
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_preactivations(NULL, 0, &Z));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_preactivations(m, 0, NULL));
    free_batch(&a);
    free_batch(&b);
    free(p);
    free(p0);
    free(grad);
    bp_mlp_free(m);
    ref_free(&rf);
}

/* ---- gradients against finite differences and the kernel composition -------------------- */

/*
 * Finite differences: g ≈ (L(θ + ε) − L(θ − ε)) / ((θ + ε) − (θ − ε)),
 * ε = 1e-6, dividing by the step actually taken. L is the loss of
 * bp_mlp_gradient with grad = dX = NULL. Truncation error is O(ε²·L''') ≈
 * 1e-12; rounding error is about 2u·|L±|/(2ε) per difference, so
 * the analytic and numerical values are compared relative to
 *     max(|a|, |n|, 4u·max(|L±|, 1)/ε / 1e-6)
 * (u = 2^-53): below that floor (≈ 4.4e-4 for an O(1) loss) finite
 * differences cannot resolve 1e-6 relative, and such entries are held to
 * ~4.4e-10 absolute instead. The error must stay below 1e-6, and every block
 * (each W_l, each b_l, dX) must have an entry above the floor, so no check
 * passes vacuously on zero gradients.
 *
 * The manual composition uses the same kernels as mlp.c's GEMM path, with
 * different summation orders on its direct path: results agree to a few
 * ulps of each block's scale; 1e-12 norm-wise leaves a wide margin.
 */
#define FD_EPS 1e-6
#define FD_TOL 1e-6
#define U_ROUND 0x1.0p-53
#define COMPOSE_TOL 1e-12

static double mlp_loss(bp_mlp *m, const net_cfg *c, const double *p, const batch *b) {
    double L = h_nan();
    bp_status s = bp_mlp_gradient(m, p, b->rows, b->X, b->ldx, targets_Y(c, b), targets_lab(c, b),
                                  &L, NULL, NULL);
    return s == BP_OK ? L : h_nan();
}

typedef struct fd_stats {
    double worst, max_an, max_fd, floor_min;
    size_t at;
    double an_at, fd_at;
} fd_stats;

/* Compares an[i] with the central difference of the loss along x[stride·i]
 * (x points into p or b->X) for i < count. */
static fd_stats fd_block(bp_mlp *m, const net_cfg *c, double *p, const batch *b, double *x,
                         size_t count, size_t row_len, size_t stride, const double *an) {
    fd_stats s = { 0.0, 0.0, 0.0, INFINITY, 0, 0.0, 0.0 };
    for (size_t i = 0; i < count; i++) {
        /* element i of a row_len-wide block stored with leading dimension stride */
        double *xi = &x[(i / row_len) * stride + i % row_len];
        const double x0 = *xi;
        volatile double xp = x0 + FD_EPS, xm = x0 - FD_EPS;
        *xi = xp;
        double Lp = mlp_loss(m, c, p, b);
        *xi = xm;
        double Lm = mlp_loss(m, c, p, b);
        *xi = x0;
        double fd = (Lp - Lm) / (xp - xm);
        double floor = 4.0 * U_ROUND * fmax(fmax(fabs(Lp), fabs(Lm)), 1.0) / FD_EPS / FD_TOL;
        double e = fabs(an[i] - fd) / fmax(fmax(fabs(an[i]), fabs(fd)), floor);
        if (isnan(e)) e = INFINITY;
        if (e > s.worst || i == 0) {
            s.worst = e;
            s.at = i;
            s.an_at = an[i];
            s.fd_at = fd;
        }
        s.max_an = fmax(s.max_an, fabs(an[i]));
        s.max_fd = fmax(s.max_fd, fabs(fd));
        s.floor_min = fmin(s.floor_min, floor);
    }
    return s;
}

static void expect_fd(const net_cfg *c, const char *what, size_t layer, fd_stats s) {
    H_EXPECT(s.worst < FD_TOL,
             "%s: %s of layer %zu, entry %zu: analytic %.12g, finite "
             "difference %.12g (error %.3g)",
             c->name, what, layer, s.at, s.an_at, s.fd_at, s.worst);
    H_EXPECT(s.max_an > s.floor_min && s.max_fd > s.floor_min,
             "%s: %s of layer %zu is below the noise floor %.3g everywhere (max |analytic| "
             "%.3g, max |fd| %.3g): the check would be vacuous",
             c->name, what, layer, s.floor_min, s.max_an, s.max_fd);
}

static const net_cfg GRAD_NETS[] = {
    /* MSE on an identity output; a softmax hidden layer (its Jacobian in the
     * middle of the network); 360 weights on the GEMM path */
    { "MSE identity 30-12-5-3",
      3,
      { L_(30, 12, BP_ACT_RELU), L_(12, 5, BP_ACT_SOFTMAX), L_(5, 3, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      0 },
    { "MSE tanh 3-5-2", 2, { LEAKY_(3, 5), L_(5, 2, BP_ACT_TANH) }, BP_LOSS_MSE, 0 },
    { "BCE sigmoid 30-12-4",
      2,
      { L_(30, 12, BP_ACT_TANH), L_(12, 4, BP_ACT_SIGMOID) },
      BP_LOSS_BCE,
      0 },
    { "BCE_LOGITS sigmoid 24-12-3",
      2,
      { L_(24, 12, BP_ACT_RELU), L_(12, 3, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      0 },
    { "CCE softmax 20-14-4",
      2,
      { L_(20, 14, BP_ACT_SIGMOID), L_(14, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_CCE,
      0 },
    { "CCE softmax labels 3-5-4",
      2,
      { L_(3, 5, BP_ACT_IDENTITY), L_(5, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_CCE,
      1 },
    { "SOFTMAX_CCE one-hot 30-10-5-4",
      3,
      { LEAKY_(30, 10), L_(10, 5, BP_ACT_TANH), L_(5, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      0 },
    { "SOFTMAX_CCE labels 30-10-5-4",
      3,
      { LEAKY_(30, 10), L_(10, 5, BP_ACT_TANH), L_(5, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      1 },
};

static void check_gradient(const net_cfg *c, uint64_t seed) {
    h_rng r;
    h_seed(&r, seed);
    const size_t rows = 6, max_rows = 8, ni = n_in0(c);
    ref rf;
    ref_init(&rf, c, max_rows);
    bp_mlp *m = create(c, max_rows);
    layout o = rf.lay;
    batch b;
    make_batch(&r, c, rows, ni + 2, &b);
    double *p = h_alloc(o.total);
    draw_params(&r, c, &rf, p, &b);

    double *grad = h_alloc_fill(o.total, H_OUT_PAD), *dX = h_alloc_fill(rows * ni, H_OUT_PAD);
    double *rgrad = h_alloc(o.total), *rdX = h_alloc(rows * ni);
    double L = h_nan(), rL = h_nan();
    H_OK(bp_mlp_gradient(m, p, rows, b.X, b.ldx, targets_Y(c, &b), targets_lab(c, &b), &L, grad,
                         dX));
    H_OK(ref_gradient(&rf, p, rows, b.X, b.ldx, targets_Y(c, &b), targets_lab(c, &b), &rL, rgrad,
                      rdX));
    H_EXPECT(isfinite(L) && fabs(L - rL) <= COMPOSE_TOL * fabs(rL),
             "%s: loss %.17g, kernel composition %.17g", c->name, L, rL);

    /* against the kernel composition */
    for (size_t l = 0; l < c->nl; l++) {
        size_t nw = c->ls[l].n_in * c->ls[l].n_out, nb = c->ls[l].n_out;
        double ew = rel_err(grad + o.w[l], rgrad + o.w[l], nw);
        double eb = rel_err(grad + o.b[l], rgrad + o.b[l], nb);
        H_EXPECT(ew <= COMPOSE_TOL,
                 "%s: dW of layer %zu differs from the kernel "
                 "composition by %.3g",
                 c->name, l, ew);
        H_EXPECT(eb <= COMPOSE_TOL,
                 "%s: db of layer %zu differs from the kernel "
                 "composition by %.3g",
                 c->name, l, eb);
    }
    double ex = rel_err(dX, rdX, rows * ni);
    H_EXPECT(ex <= COMPOSE_TOL, "%s: dX differs from the kernel composition by %.3g", c->name, ex);

    /* against finite differences of the loss, every entry */
    for (size_t l = 0; l < c->nl; l++) {
        size_t nw = c->ls[l].n_in * c->ls[l].n_out, nb = c->ls[l].n_out;
        expect_fd(c, "dW", l, fd_block(m, c, p, &b, p + o.w[l], nw, nw, nw, grad + o.w[l]));
        expect_fd(c, "db", l, fd_block(m, c, p, &b, p + o.b[l], nb, nb, nb, grad + o.b[l]));
    }
    expect_fd(c, "dX", 0, fd_block(m, c, p, &b, b.X, rows * ni, ni, b.ldx, dX));
    H_EXPECT(h_padding_intact(b.X, rows, ni, b.ldx, h_nan()), "%s: X padding changed", c->name);

    /* dX alone (grad == NULL) is the same dX; grad alone the same grad */
    double *dX2 = h_alloc_fill(rows * ni, H_OUT_PAD), *grad2 = h_alloc_fill(o.total, H_OUT_PAD);
    double L2 = h_nan();
    H_OK(bp_mlp_gradient(m, p, rows, b.X, b.ldx, targets_Y(c, &b), targets_lab(c, &b), &L2, NULL,
                         dX2));
    H_EXPECT(h_same_bits(dX, dX2, rows * ni) && L2 == L,
             "%s: dX (or the loss) with grad == NULL differs from the full call", c->name);
    H_OK(bp_mlp_gradient(m, p, rows, b.X, b.ldx, targets_Y(c, &b), targets_lab(c, &b), &L2, grad2,
                         NULL));
    H_EXPECT(h_same_bits(grad, grad2, o.total) && L2 == L,
             "%s: grad with dX == NULL differs from the full call", c->name);

    free(dX2);
    free(grad2);
    free(grad);
    free(dX);
    free(rgrad);
    free(rdX);
    free(p);
    free_batch(&b);
    bp_mlp_free(m);
    ref_free(&rf);
}

static void test_gradient_mse(void **state) {
    (void)state;
    check_gradient(&GRAD_NETS[0], 9101);
    check_gradient(&GRAD_NETS[1], 9102);
}

static void test_gradient_bce(void **state) {
    (void)state;
    check_gradient(&GRAD_NETS[2], 9103);
    check_gradient(&GRAD_NETS[3], 9104);
}

static void test_gradient_cce(void **state) {
    (void)state;
    check_gradient(&GRAD_NETS[4], 9105);
    check_gradient(&GRAD_NETS[5], 9106);
}

static void test_gradient_softmax_cce(void **state) {
    (void)state;
    check_gradient(&GRAD_NETS[6], 9107);
    check_gradient(&GRAD_NETS[7], 9108);
}

/* ---- bp_mlp_backward ----------------------------------------------------------------------- */

/*
 * dA_out = 2(A − Y)/(n·k), the MSE gradient, computed here from the
 * reference forward pass; bp_mlp_gradient with BP_LOSS_MSE computes the
 * same from its own A. The two differ by the rounding of A (≤ 1e-13 above)
 * and of the scaling, so grad and dX agree to 1e-13 norm-wise.
 */
#define BACKWARD_TOL 1e-13

static void test_backward_equals_mse_gradient(void **state) {
    (void)state;
    static const net_cfg nets[] = {
        { "30-12-3 relu/identity",
          2,
          { L_(30, 12, BP_ACT_RELU), L_(12, 3, BP_ACT_IDENTITY) },
          BP_LOSS_MSE,
          0 },
        { "3-5-2 tanh/tanh", 2, { L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_TANH) }, BP_LOSS_MSE, 0 },
        { "20-14-4 sigmoid/softmax",
          2,
          { L_(20, 14, BP_ACT_SIGMOID), L_(14, 4, BP_ACT_SOFTMAX) },
          BP_LOSS_MSE,
          0 },
    };
    h_rng r;
    h_seed(&r, 9201);
    for (size_t t = 0; t < sizeof nets / sizeof nets[0]; t++) {
        const net_cfg *c = &nets[t];
        const size_t rows = 7, ni = n_in0(c), k = n_out_last(c);
        ref rf;
        ref_init(&rf, c, rows);
        bp_mlp *m = create(c, rows);
        layout o = rf.lay;
        batch b;
        make_batch(&r, c, rows, ni + 1, &b);
        double *p = h_alloc(o.total);
        draw_params(&r, c, &rf, p, &b);
        H_OK(ref_forward(&rf, p, rows, b.X, b.ldx));
        double *dA = h_alloc(rows * k);
        for (size_t i = 0; i < rows * k; i++)
            dA[i] = 2.0 * (rf.A[c->nl - 1][i] - b.Y[i]) / (double)(rows * k);
        double *dAcopy = h_copy(dA, rows * k);
        double *g1 = h_alloc(o.total), *g2 = h_alloc(o.total), *g3 = h_alloc(o.total);
        double *x1 = h_alloc(rows * ni), *x2 = h_alloc(rows * ni);
        double L = 0.0;
        H_OK(bp_mlp_backward(m, p, rows, b.X, b.ldx, dA, g1, x1));
        H_OK(bp_mlp_gradient(m, p, rows, b.X, b.ldx, b.Y, NULL, &L, g2, x2));
        double eg = rel_err(g1, g2, o.total), ex = rel_err(x1, x2, rows * ni);
        H_EXPECT(eg <= BACKWARD_TOL, "%s: backward grad differs from the MSE gradient by %.3g",
                 c->name, eg);
        H_EXPECT(ex <= BACKWARD_TOL, "%s: backward dX differs from the MSE gradient by %.3g",
                 c->name, ex);
        H_EXPECT(h_max_abs(g2, o.total) > 1e-3, "%s: gradient (nearly) zero", c->name);
        /* dX == NULL: the same grad */
        H_OK(bp_mlp_backward(m, p, rows, b.X, b.ldx, dA, g3, NULL));
        H_EXPECT(h_same_bits(g1, g3, o.total), "%s: backward grad depends on dX == NULL", c->name);
        H_EXPECT(h_same_bits(dA, dAcopy, rows * k), "%s: dA_out was modified", c->name);
        free(dA);
        free(dAcopy);
        free(g1);
        free(g2);
        free(g3);
        free(x1);
        free(x2);
        free(p);
        free_batch(&b);
        bp_mlp_free(m);
        ref_free(&rf);
    }
}

/* ---- bp_mlp_workspace_bytes ----------------------------------------------------------------- */

/* bp_mlp_workspace_bytes covers at least the buffers bp_mlp_create lays
 * out (Z, A, dZ, dA of every layer for max_rows rows, and a gradient),
 * grows with the rows by at least those buffers, and refuses what create
 * refuses, without allocating. */
static void test_workspace_bytes(void **state) {
    (void)state;
    for (size_t t = 0; t < sizeof FWD_NETS / sizeof FWD_NETS[0]; t++) {
        const net_cfg *c = &FWD_NETS[t];
        size_t widths = 0, params = 0;
        for (size_t l = 0; l < c->nl; l++) {
            widths += c->ls[l].n_out;
            params += c->ls[l].n_in * c->ls[l].n_out + c->ls[l].n_out;
        }
        for (size_t rows = 1; rows <= 256; rows *= 16) {
            size_t d = 0, f = 0, d2 = 0;
            H_OK(bp_mlp_workspace_bytes(c->nl, c->ls, c->loss, rows, &d));
            H_OK(bp_mlp_workspace_bytes_f32(c->nl, c->ls, c->loss, rows, &f));
            H_OK(bp_mlp_workspace_bytes(c->nl, c->ls, c->loss, 2 * rows, &d2));
            size_t floor = (4 * rows * widths + params) * sizeof(double);
            H_EXPECT(d >= floor, "%s, %zu rows: %zu bytes, buffers alone take %zu", c->name, rows,
                     d, floor);
            H_EXPECT(f >= floor / 2 && f < d, "%s, %zu rows: float %zu bytes, double %zu", c->name,
                     rows, f, d);
            H_EXPECT(d2 - d >= 4 * rows * widths * sizeof(double),
                     "%s: %zu → %zu bytes for twice the rows", c->name, d, d2);
            bp_mlp *m = create(c, rows);
            bp_mlp_free(m);
        }
    }
    const net_cfg *c = &FWD_NETS[0];
    size_t bytes = 0;
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_workspace_bytes(c->nl, c->ls, c->loss, 4, NULL));
    H_STATUS(BP_ERR_ZERO_SIZE, bp_mlp_workspace_bytes(c->nl, c->ls, c->loss, 0, &bytes));
    bp_layer_spec huge[2] = { { (size_t)1 << 40, (size_t)1 << 30, BP_ACT_RELU, 0.0 },
                              { (size_t)1 << 30, 1, BP_ACT_IDENTITY, 0.0 } };
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_mlp_workspace_bytes(2, huge, BP_LOSS_MSE, 4, &bytes));
}

/* ---- argument errors ------------------------------------------------------------------------- */

#define BAD_ACT ((bp_activation)99)
#define BAD_LOSS ((bp_loss)99)

/* Each call has exactly one thing wrong; every output starts as a sentinel
 * and must still hold it afterwards. */
static void test_create_errors(void **state) {
    (void)state;
    static max_align_t dummy;
    bp_mlp *const untouched = (bp_mlp *)(void *)&dummy;
    bp_mlp *m = untouched;
    const bp_layer_spec ok[2] = { L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_SOFTMAX) };
    bp_layer_spec bad[3];

#define CREATE_ERR(status, nl, layers, loss, max_rows)                                             \
    do {                                                                                           \
        m = untouched;                                                                             \
        H_STATUS(status, bp_mlp_create(nl, layers, loss, max_rows, &m));                           \
        H_EXPECT(m == untouched, "bp_mlp_create wrote *out on an error");                          \
    } while (0)

    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_create(2, ok, BP_LOSS_MSE, 4, NULL));
    CREATE_ERR(BP_ERR_NULL_POINTER, 2, NULL, BP_LOSS_MSE, 4);
    /* no layers, a zero width, no rows */
    CREATE_ERR(BP_ERR_ZERO_SIZE, 0, ok, BP_LOSS_MSE, 4);
    CREATE_ERR(BP_ERR_ZERO_SIZE, 0, NULL, BP_LOSS_MSE, 4);
    CREATE_ERR(BP_ERR_ZERO_SIZE, 2, ok, BP_LOSS_MSE, 0);
    memcpy(bad, ok, sizeof ok);
    bad[0].n_in = 0;
    CREATE_ERR(BP_ERR_ZERO_SIZE, 2, bad, BP_LOSS_MSE, 4);
    memcpy(bad, ok, sizeof ok);
    bad[1].n_out = 0;
    CREATE_ERR(BP_ERR_ZERO_SIZE, 2, bad, BP_LOSS_MSE, 4);
    memcpy(bad, ok, sizeof ok);
    bad[0].n_out = 0; /* a zero-width hidden layer, connected */
    bad[1].n_in = 0;
    CREATE_ERR(BP_ERR_ZERO_SIZE, 2, bad, BP_LOSS_MSE, 4);
    /* layers that do not connect */
    memcpy(bad, ok, sizeof ok);
    bad[1].n_in = 4;
    CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_MSE, 4);
    memcpy(bad, ok, sizeof ok);
    bad[2] = (bp_layer_spec)L_(3, 2, BP_ACT_IDENTITY); /* 2 ≠ 3 */
    CREATE_ERR(BP_ERR_BAD_VALUE, 3, bad, BP_LOSS_MSE, 4);
    /* unknown enum values */
    CREATE_ERR(BP_ERR_BAD_ENUM, 2, ok, BAD_LOSS, 4);
    CREATE_ERR(BP_ERR_BAD_ENUM, 2, ok, (bp_loss)-1, 4);
    memcpy(bad, ok, sizeof ok);
    bad[1].act = BAD_ACT;
    CREATE_ERR(BP_ERR_BAD_ENUM, 2, bad, BP_LOSS_MSE, 4);
    memcpy(bad, ok, sizeof ok);
    bad[0].act = (bp_activation)-1;
    CREATE_ERR(BP_ERR_BAD_ENUM, 2, bad, BP_LOSS_MSE, 4);
    /* a non-finite leaky-ReLU slope (bp_activation.h: param must be finite) */
    const double nonfinite[3] = { NAN, INFINITY, -INFINITY };
    for (int i = 0; i < 3; i++) {
        memcpy(bad, ok, sizeof ok);
        bad[0].act = BP_ACT_LEAKY_RELU;
        bad[0].param = nonfinite[i];
        CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_MSE, 4);
    }
    /* ... finite in double but not in float: a float network refuses it at
     * create (its layers would get an infinite slope and fail every call),
     * a double one takes it */
    memcpy(bad, ok, sizeof ok);
    bad[0].act = BP_ACT_LEAKY_RELU;
    for (int sign = -1; sign <= 1; sign += 2) {
        bad[0].param = sign * 1e39;
        bp_mlp_f32 *const untouched_f = (bp_mlp_f32 *)(void *)&dummy;
        bp_mlp_f32 *mf = untouched_f;
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_create_f32(2, bad, BP_LOSS_MSE, 4, &mf));
        H_EXPECT(mf == untouched_f, "bp_mlp_create_f32 wrote *out on an error");
        H_OK(bp_mlp_create(2, bad, BP_LOSS_MSE, 4, &m));
        bp_mlp_free(m);
    }
    /* fused losses need their output activation */
    const bp_activation not_sigmoid[4] = { BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_TANH,
                                           BP_ACT_SOFTMAX };
    const bp_activation not_softmax[4] = { BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_TANH,
                                           BP_ACT_SIGMOID };
    for (int i = 0; i < 4; i++) {
        memcpy(bad, ok, sizeof ok);
        bad[1].act = not_sigmoid[i];
        CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_BCE_LOGITS, 4);
        bad[1].act = not_softmax[i];
        CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_SOFTMAX_CCE, 4);
    }
    /* ... and only the output layer's activation counts */
    memcpy(bad, ok, sizeof ok);
    bad[0].act = BP_ACT_SOFTMAX;
    bad[1].act = BP_ACT_SIGMOID;
    CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_SOFTMAX_CCE, 4);
    /* sizes whose products overflow: they must be rejected before any
     * allocation (an attempt would fail with BP_ERR_NO_MEMORY instead, or
     * be reported by AddressSanitizer) */
    const size_t big = SIZE_MAX / 2;
    bp_layer_spec huge[2] = { L_(big, 3, BP_ACT_TANH), L_(3, 2, BP_ACT_IDENTITY) };
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 2, huge, BP_LOSS_MSE, 1); /* n_in·n_out */
    huge[0] = (bp_layer_spec)L_(3, big, BP_ACT_TANH);
    huge[1] = (bp_layer_spec)L_(big, 2, BP_ACT_IDENTITY);
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 2, huge, BP_LOSS_MSE, 1);
    huge[0] = (bp_layer_spec)L_(1, SIZE_MAX / 16, BP_ACT_TANH); /* fits; bytes do not */
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 1, huge, BP_LOSS_MSE, 1);
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 1, huge, BP_LOSS_MSE, SIZE_MAX);    /* rows · width */
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 2, ok, BP_LOSS_MSE, SIZE_MAX / 4);  /* rows · 5 */
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 2, ok, BP_LOSS_MSE, SIZE_MAX / 64); /* bytes */
    huge[0] = (bp_layer_spec)L_(SIZE_MAX / 16, 1, BP_ACT_TANH);          /* max_rows·n_in bytes */
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 1, huge, BP_LOSS_MSE, 4);
#undef CREATE_ERR

    /* the valid combinations are accepted; bp_mlp_free(NULL) is a no-op */
    bp_layer_spec good[2];
    memcpy(good, ok, sizeof ok);
    const bp_loss losses[5] = { BP_LOSS_MSE, BP_LOSS_BCE, BP_LOSS_BCE_LOGITS, BP_LOSS_CCE,
                                BP_LOSS_SOFTMAX_CCE };
    for (int i = 0; i < 5; i++) {
        good[1].act = losses[i] == BP_LOSS_BCE_LOGITS ? BP_ACT_SIGMOID : BP_ACT_SOFTMAX;
        m = NULL;
        H_OK(bp_mlp_create(2, good, losses[i], 1, &m));
        H_EXPECT(m != NULL, "loss %d: no workspace", i);
        bp_mlp_free(m);
    }
    bp_mlp_free(NULL);
    size_t count = 7;
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_parameter_count(NULL, &count));
    H_EXPECT(count == 7, "parameter_count wrote on an error");
    m = NULL;
    H_OK(bp_mlp_create(2, ok, BP_LOSS_MSE, 1, &m));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_parameter_count(m, NULL));
    bp_mlp_free(m);
}

static void test_forward_backward_errors(void **state) {
    (void)state;
    err_env env, *e = &env;
    env_open(e, 4);
    bp_mlp *m = e->m;
    double *P = e->params, *X = e->X, *O = e->out;

    /* the valid calls succeed */
    env_reset(e);
    H_OK(bp_mlp_forward(m, P, 4, X, 4, O));
    H_OK(bp_mlp_gradient(m, P, 4, X, 4, e->Y, NULL, &e->loss, e->grad, e->dX));
    H_OK(bp_mlp_gradient(m, P, 4, X, 4, NULL, e->lab, &e->loss, e->grad, e->dX));
    H_OK(bp_mlp_backward(m, P, 4, X, 4, e->dA, e->grad, e->dX));

    /* forward */
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_forward(NULL, P, 4, X, 4, O));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_forward(m, NULL, 4, X, 4, O));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_forward(m, P, 4, NULL, 4, O));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_forward(m, P, 0, X, 4, O));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_forward(m, P, 5, X, 3, O));
    ENV_ERR(BP_ERR_LEADING_DIMENSION, bp_mlp_forward(m, P, 4, X, 2, O));
    ENV_ERR(BP_ERR_LEADING_DIMENSION, bp_mlp_forward(m, P, 1, X, 2, O));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW, bp_mlp_forward(m, P, 2, X, SIZE_MAX / 4, O));

    /* gradient */
    const double *Y = e->Y;
    const size_t *lab = e->lab;
    double *G = e->grad, *DX = e->dX;
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(NULL, P, 4, X, 4, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, NULL, 4, X, 4, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, P, 4, NULL, 4, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, P, 4, X, 4, Y, NULL, NULL, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, P, 4, X, 4, Y, lab, &e->loss, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, P, 4, X, 4, NULL, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_gradient(m, P, 0, X, 4, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_gradient(m, P, 5, X, 3, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_LEADING_DIMENSION, bp_mlp_gradient(m, P, 4, X, 2, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_gradient(m, P, 2, X, SIZE_MAX / 4, Y, NULL, &e->loss, G, DX));
    /* labels with a non-categorical loss */
    ENV_ERR(BP_ERR_BAD_ENUM, bp_mlp_gradient(e->mse, P, 4, X, 4, NULL, lab, &e->loss, G, DX));
    /* a label ≥ k, in the last row only, and a huge one */
    size_t bad_last[4] = { 0, 1, 0, 2 }, bad_huge[4] = { SIZE_MAX, 0, 1, 0 };
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_gradient(m, P, 4, X, 4, NULL, bad_last, &e->loss, G, DX));
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_gradient(m, P, 4, X, 4, NULL, bad_huge, &e->loss, NULL, NULL));
    bp_mlp *cce = NULL;
    const bp_layer_spec ls_cce[2] = { L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_SOFTMAX) };
    H_OK(bp_mlp_create(2, ls_cce, BP_LOSS_CCE, 4, &cce));
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_gradient(cce, P, 4, X, 4, NULL, bad_last, &e->loss, G, DX));

    /* backward */
    const double *dA = e->dA;
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(NULL, P, 4, X, 4, dA, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(m, NULL, 4, X, 4, dA, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(m, P, 4, NULL, 4, dA, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(m, P, 4, X, 4, NULL, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(m, P, 4, X, 4, dA, NULL, DX));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_backward(m, P, 0, X, 4, dA, G, DX));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_backward(m, P, 5, X, 3, dA, G, DX));
    ENV_ERR(BP_ERR_LEADING_DIMENSION, bp_mlp_backward(m, P, 4, X, 2, dA, G, DX));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW, bp_mlp_backward(m, P, 2, X, SIZE_MAX / 4, dA, G, DX));

    bp_mlp_free(cce);
    env_close(e);
}

/*
 * bp_status.h: "Arguments are checked in a fixed order (enum values, leading
 * dimensions, size overflow, null pointers), so a call with several faults
 * reports the first in that order." Each call below has two faults, a NULL
 * pointer and one that comes earlier in that order. Every mismatch is
 * printed before the test fails.
 */
static void test_fault_order_of_bp_status_h(void **state) {
    (void)state;
    const bp_layer_spec ls[2] = { L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_SOFTMAX) };
    const bp_layer_spec bad_act[2] = { L_(3, 5, BAD_ACT), L_(5, 2, BP_ACT_SOFTMAX) };
    const bp_layer_spec huge[2] = { L_(SIZE_MAX / 2, 3, BP_ACT_TANH), L_(3, 2, BP_ACT_SOFTMAX) };
    bp_mlp *m = NULL;
    H_OK(bp_mlp_create(2, ls, BP_LOSS_SOFTMAX_CCE, 4, &m));
    double P[32] = { 0 }, X[16] = { 0 }, Y[8] = { 0 }, out[8], loss = SENT;
    int diverged = -7;
    struct {
        const char *call;
        bp_status want, got;
    } cases[] = {
        { "bp_mlp_create(bad activation, out = NULL)", BP_ERR_BAD_ENUM,
          bp_mlp_create(2, bad_act, BP_LOSS_MSE, 4, NULL) },
        { "bp_mlp_create(overflowing widths, out = NULL)", BP_ERR_SIZE_OVERFLOW,
          bp_mlp_create(2, huge, BP_LOSS_MSE, 1, NULL) },
        { "bp_mlp_forward(params = NULL, ldx < n_in)", BP_ERR_LEADING_DIMENSION,
          bp_mlp_forward(m, NULL, 4, X, 2, out) },
        { "bp_mlp_backward(params = NULL, ldx < n_in)", BP_ERR_LEADING_DIMENSION,
          bp_mlp_backward(m, NULL, 4, X, 2, Y, P, NULL) },
        { "bp_mlp_gradient(X = NULL, ldx < n_in)", BP_ERR_LEADING_DIMENSION,
          bp_mlp_gradient(m, P, 4, NULL, 2, Y, NULL, &loss, NULL, NULL) },
        { "bp_mlp_train_step(loss = NULL, ldx < n_in)", BP_ERR_LEADING_DIMENSION,
          bp_mlp_train_step(m, P, X, 2, Y, NULL, NULL, 0, 4, 0.1, NULL, &diverged) },
    };
    int wrong = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (cases[i].got != cases[i].want) {
            print_error("  %s: returned %d (%s), bp_status.h's order gives %d (%s)\n",
                        cases[i].call, (int)cases[i].got, bp_status_string(cases[i].got),
                        (int)cases[i].want, bp_status_string(cases[i].want));
            wrong++;
        }
    bp_mlp_free(m);
    H_EXPECT(wrong == 0, "%d of %zu two-fault calls report the later fault", wrong,
             sizeof cases / sizeof cases[0]);
    H_EXPECT(loss == SENT && diverged == -7, "outputs written on an argument error");
}

int run_mlp_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_matches_kernel_composition),
        cmocka_unit_test(test_parameter_count),
        cmocka_unit_test(test_workspace_bytes),
        cmocka_unit_test(test_preactivations_follow_last_forward),
        cmocka_unit_test(test_gradient_mse),
        cmocka_unit_test(test_gradient_bce),
        cmocka_unit_test(test_gradient_cce),
        cmocka_unit_test(test_gradient_softmax_cce),
        cmocka_unit_test(test_backward_equals_mse_gradient),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_forward_backward_errors),
        cmocka_unit_test(test_fault_order_of_bp_status_h),
    };
    return cmocka_run_group_tests_name("mlp", tests, NULL, NULL);
}
