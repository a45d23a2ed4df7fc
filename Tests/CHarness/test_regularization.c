/*
 * test_regularization.c — dropout, the training objective and the argument
 * checks of bp_regularization.h. (The L2 penalty and clipping are checked
 * against PyTorch by the optimizers group, on every engine.)
 *
 * The masks are recomputed here from bp_regularization.h's definition,
 * written again below (mask_uniform), not taken from the library: their
 * values, their statistics, their independence of engine, threads and
 * width, and a training step against a plain-C step that applies them
 * explicitly. Then the objective's gradient against its central
 * differences with the masks fixed; dropout off (every rate 0) being the
 * step without dropout bit for bit; forward and gradient calls never
 * dropping; the mask counter's resumption; no allocation per step; and
 * every bad value refused with nothing changed.
 */
#include "harness.h"
#include "mlp_support.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bp_regularization.h"

/* ---- the documented mask generator, written again ---------------------------- */

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double mask_uniform(uint64_t seed, uint64_t step, size_t layer, size_t row, size_t unit) {
    uint64_t h = mix64(seed + 0x9e3779b97f4a7c15u);
    h = mix64(h ^ step);
    h = mix64(h ^ (uint64_t)layer);
    h = mix64(h ^ (uint64_t)row);
    h = mix64(h ^ (uint64_t)unit);
    return (double)(h >> 11) * 0x1p-53;
}

/* S_l[i, j] of the definition: 1/(1 − p) if u ≥ p, else 0. */
static double mask_scale(uint64_t seed, uint64_t step, size_t layer, size_t row, size_t unit,
                         double p) {
    return mask_uniform(seed, step, layer, row, unit) >= p ? 1.0 / (1.0 - p) : 0.0;
}

/* ---- networks and data ---------------------------------------------------------- */

/* A dense network (widths past the narrow engine's 8) and a narrow one,
 * both tanh/relu hidden layers and an identity output under MSE. */
static const bp_layer_spec DENSE[3] = { { 6, 40, BP_ACT_TANH, 0.0 },
                                        { 40, 30, BP_ACT_RELU, 0.0 },
                                        { 30, 3, BP_ACT_IDENTITY, 0.0 } };
static const bp_layer_spec NARROW[3] = { { 3, 5, BP_ACT_TANH, 0.0 },
                                         { 5, 4, BP_ACT_TANH, 0.0 },
                                         { 4, 2, BP_ACT_IDENTITY, 0.0 } };

static size_t n_params_of(const bp_layer_spec *ls, size_t nl) {
    size_t n = 0;
    for (size_t l = 0; l < nl; l++) n += ls[l].n_in * ls[l].n_out + ls[l].n_out;
    return n;
}

typedef struct data {
    size_t rows, n_in, k, np;
    double *X, *Y, *p0;
} data;

static data make_data(uint64_t seed, const bp_layer_spec *ls, size_t nl, size_t rows) {
    h_rng r;
    h_seed(&r, seed);
    data d = { rows, ls[0].n_in, ls[nl - 1].n_out, n_params_of(ls, nl), NULL, NULL, NULL };
    d.X = h_alloc(rows * d.n_in);
    d.Y = h_alloc(rows * d.k);
    d.p0 = h_alloc(d.np);
    h_fill(&r, d.X, rows * d.n_in, -1.0, 1.0);
    h_fill(&r, d.Y, rows * d.k, -1.0, 1.0);
    size_t o = 0;
    for (size_t l = 0; l < nl; l++) {
        const double bound = 1.5 / sqrt((double)ls[l].n_in);
        h_fill(&r, d.p0 + o, ls[l].n_in * ls[l].n_out, -bound, bound);
        o += ls[l].n_in * ls[l].n_out;
        h_fill(&r, d.p0 + o, ls[l].n_out, -0.2, 0.2);
        o += ls[l].n_out;
    }
    return d;
}

static void free_data(data *d) {
    free(d->X);
    free(d->Y);
    free(d->p0);
}

/* A double network with an optional context (threads 0: none). */
static bp_mlp *open_d(const bp_layer_spec *ls, size_t nl, size_t max_rows, unsigned flags,
                      size_t threads, bp_exec **ex) {
    bp_mlp *m;
    *ex = NULL;
    if (threads > 0) H_OK(bp_exec_create_with(threads, flags, ex));
    H_OK(bp_mlp_create(nl, ls, BP_LOSS_MSE, max_rows, &m));
    H_OK(bp_mlp_set_exec(m, *ex));
    return m;
}

/* ---- the plain-C step ----------------------------------------------------------- */

/*
 * One SGD step of a tanh/relu/identity network under MSE on rows × n_in
 * inputs, in plain loops, with the masks of (seed, step) applied explicitly
 * (D_l = A_l ⊙ S_l feeding layer l + 1; dL/dA_l = dL/dD_l ⊙ S_l) and the
 * L2 penalty α: p ← p − η·g. Returns the penalised loss.
 */
static double plain_step(const bp_layer_spec *ls, size_t nl, const double *rates, uint64_t seed,
                         uint64_t step, double alpha, double *p, size_t rows, const double *X,
                         const double *Y, double eta, double *g_out) {
    double *Z[3], *A[3], *D[3], *dA[3];
    size_t w[3], b[3], o = 0;
    for (size_t l = 0; l < nl; l++) {
        w[l] = o;
        o += ls[l].n_in * ls[l].n_out;
        b[l] = o;
        o += ls[l].n_out;
        Z[l] = h_alloc(rows * ls[l].n_out);
        A[l] = h_alloc(rows * ls[l].n_out);
        D[l] = h_alloc(rows * ls[l].n_out);
        dA[l] = h_alloc(rows * ls[l].n_out);
    }
    const size_t np = o, k = ls[nl - 1].n_out;
    double *g = h_alloc_fill(np, 0.0);
    for (size_t l = 0; l < nl; l++) {
        const size_t ni = ls[l].n_in, no = ls[l].n_out;
        const double *in = l == 0 ? X : D[l - 1];
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < no; j++) {
                double z = p[b[l] + j];
                for (size_t q = 0; q < ni; q++) z += in[i * ni + q] * p[w[l] + q * no + j];
                Z[l][i * no + j] = z;
                const double a = ls[l].act == BP_ACT_TANH   ? tanh(z)
                                 : ls[l].act == BP_ACT_RELU ? (z > 0 ? z : 0.0)
                                                            : z;
                A[l][i * no + j] = a;
                const double s = l + 1 < nl ? mask_scale(seed, step, l, i, j, rates[l]) : 1.0;
                D[l][i * no + j] = rates && l + 1 < nl && rates[l] > 0 ? a * s : a;
            }
    }
    double loss = 0.0;
    for (size_t i = 0; i < rows * k; i++) {
        const double e = A[nl - 1][i] - Y[i];
        loss += e * e;
        dA[nl - 1][i] = 2.0 * e / (double)(rows * k);
    }
    loss /= (double)(rows * k);
    for (size_t l = nl; l-- > 0;) {
        const size_t ni = ls[l].n_in, no = ls[l].n_out;
        const double *in = l == 0 ? X : D[l - 1];
        for (size_t i = 0; i < rows * no; i++) {
            const double a = A[l][i];
            const double d = ls[l].act == BP_ACT_TANH   ? 1.0 - a * a
                             : ls[l].act == BP_ACT_RELU ? (Z[l][i] > 0 ? 1.0 : 0.0)
                                                        : 1.0;
            dA[l][i] *= d; /* now dZ_l */
        }
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < no; j++) {
                const double dz = dA[l][i * no + j];
                g[b[l] + j] += dz;
                for (size_t q = 0; q < ni; q++) g[w[l] + q * no + j] += in[i * ni + q] * dz;
            }
        if (l == 0) continue;
        for (size_t i = 0; i < rows; i++)
            for (size_t q = 0; q < ni; q++) {
                double s = 0.0;
                for (size_t j = 0; j < no; j++) s += dA[l][i * no + j] * p[w[l] + q * no + j];
                const double m = rates && rates[l - 1] > 0
                                     ? mask_scale(seed, step, l - 1, i, q, rates[l - 1])
                                     : 1.0;
                dA[l - 1][i * ni + q] = s * m;
            }
    }
    for (size_t l = 0; l < nl; l++)
        for (size_t i = w[l]; i < b[l]; i++) {
            loss += alpha / (2.0 * (double)rows) * p[i] * p[i];
            g[i] += alpha / (double)rows * p[i];
        }
    for (size_t i = 0; i < np; i++) p[i] -= eta * g[i];
    if (g_out) memcpy(g_out, g, np * sizeof *g);
    for (size_t l = 0; l < nl; l++) {
        free(Z[l]);
        free(A[l]);
        free(D[l]);
        free(dA[l]);
    }
    free(g);
    return loss;
}

/* ---- the masks ------------------------------------------------------------------- */

/* The library's generator is the definition; a step's masks are its
 * values, 0 or 1/(1 − p); on a layer of 400 units × 64 rows the fraction
 * kept is within 5 binomial standard deviations of 1 − p; a float
 * network's masks are the same, rounded. */
static void test_masks_follow_the_definition(void **state) {
    (void)state;
    for (uint64_t s = 0; s < 50; s++) {
        const uint64_t seed = s * 0x1234567u + 3, step = s * 7;
        H_EXPECT(bp_dropout_uniform(seed, step, s % 3, s, 2 * s) ==
                     mask_uniform(seed, step, s % 3, s, 2 * s),
                 "bp_dropout_uniform differs from the definition at %llu", (unsigned long long)s);
    }
    const bp_layer_spec ls[2] = { { 5, 400, BP_ACT_TANH, 0.0 }, { 400, 2, BP_ACT_IDENTITY, 0.0 } };
    const size_t rows = 64;
    data d = make_data(301, ls, 2, rows);
    const double p = 0.3, rates[1] = { p };
    for (int f32 = 0; f32 <= 1; f32++) {
        bp_mlp *m = NULL;
        bp_mlp_f32 *mf = NULL;
        float *pf = to_float(d.p0, d.np), *Xf = to_float(d.X, rows * d.n_in),
              *Yf = to_float(d.Y, rows * d.k);
        double *pd = h_copy(d.p0, d.np), loss;
        int diverged;
        for (uint64_t k = 0; k < 3; k++) {
            if (f32) {
                if (!mf) {
                    H_OK(bp_mlp_create_f32(2, ls, BP_LOSS_MSE, rows, &mf));
                    H_OK(bp_mlp_set_dropout_f32(mf, rates, 1, 99));
                }
                H_OK(bp_mlp_train_step_f32(mf, pf, Xf, d.n_in, Yf, NULL, NULL, 0, rows, 0.01, &loss,
                                           &diverged));
            } else {
                if (!m) {
                    H_OK(bp_mlp_create(2, ls, BP_LOSS_MSE, rows, &m));
                    H_OK(bp_mlp_set_dropout(m, rates, 1, 99));
                }
                H_OK(bp_mlp_train_step(m, pd, d.X, d.n_in, d.Y, NULL, NULL, 0, rows, 0.01, &loss,
                                       &diverged));
            }
            const double *S = NULL;
            const float *Sf = NULL;
            size_t got_rows = 0, kept = 0, wrong = 0;
            if (f32) H_OK(bp_mlp_dropout_mask_f32(mf, 0, &Sf, &got_rows));
            else H_OK(bp_mlp_dropout_mask(m, 0, &S, &got_rows));
            H_EXPECT(got_rows == rows && (f32 ? Sf != NULL : S != NULL), "no mask");
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < 400; j++) {
                    const double want = mask_scale(99, k, 0, i, j, p);
                    const double got = f32 ? (double)Sf[i * 400 + j] : S[i * 400 + j];
                    wrong += f32 ? got != (double)(float)want : got != want;
                    kept += want != 0.0;
                }
            H_EXPECT(wrong == 0, "%s step %llu: %zu mask values differ from the definition",
                     f32 ? "float" : "double", (unsigned long long)k, wrong);
            const double n = (double)(rows * 400), sd = sqrt(n * p * (1 - p));
            H_EXPECT(fabs((double)kept - n * (1 - p)) <= 5 * sd, "kept %zu of %.0f", kept, n);
            uint64_t counter = 0;
            if (f32) H_OK(bp_mlp_get_dropout_step_f32(mf, &counter));
            else H_OK(bp_mlp_get_dropout_step(m, &counter));
            H_EXPECT(counter == k + 1, "counter %llu after %llu steps", (unsigned long long)counter,
                     (unsigned long long)(k + 1));
        }
        bp_mlp_free(m);
        bp_mlp_free_f32(mf);
        free(pf);
        free(Xf);
        free(Yf);
        free(pd);
    }
    free_data(&d);
}

/* The same seed and counter give the same masks whatever the engine (no
 * context, portable, AVX2 with two threads, the reference engine) and the
 * width (the narrow network's 5 units are the first 5 of a 40-unit
 * layer); another seed other masks. */
static void test_masks_same_on_every_path(void **state) {
    (void)state;
    static const struct {
        unsigned flags;
        size_t threads;
    } PATHS[] = {
        { 0, 0 }, { BP_EXEC_PORTABLE, 1 }, { BP_EXEC_AVX2, 2 }, { BP_EXEC_REFERENCE, 1 }
    };
    const size_t rows = 24;
    const double rates[2] = { 0.4, 0.25 };
    data dd = make_data(311, DENSE, 3, rows), dn = make_data(312, NARROW, 3, rows);
    double *first = h_alloc(rows * 40);
    for (size_t path = 0; path < 4; path++)
        for (int narrow = 0; narrow <= 1; narrow++)
            for (uint64_t seed = 5; seed <= 6; seed++) {
                const data *d = narrow ? &dn : &dd;
                bp_exec *ex;
                bp_mlp *m = open_d(narrow ? NARROW : DENSE, 3, rows, PATHS[path].flags,
                                   PATHS[path].threads, &ex);
                H_OK(bp_mlp_set_dropout(m, rates, 2, seed));
                double *p = h_copy(d->p0, d->np), loss;
                int diverged;
                H_OK(bp_mlp_train_step(m, p, d->X, d->n_in, d->Y, NULL, NULL, 0, rows, 0.05, &loss,
                                       &diverged));
                const double *S;
                size_t got_rows;
                H_OK(bp_mlp_dropout_mask(m, 0, &S, &got_rows));
                const size_t width = narrow ? 5 : 40;
                if (path == 0 && !narrow && seed == 5) memcpy(first, S, rows * 40 * sizeof *S);
                size_t differ = 0;
                for (size_t i = 0; i < rows; i++)
                    for (size_t j = 0; j < width; j++)
                        differ += S[i * width + j] != first[i * 40 + j];
                if (seed == 5)
                    H_EXPECT(differ == 0, "path %zu, %s: %zu mask values differ", path,
                             narrow ? "narrow" : "dense", differ);
                else
                    H_EXPECT(differ > rows * width / 10, "path %zu: seed 6's masks are seed 5's",
                             path);
                bp_mlp_free(m);
                bp_exec_free(ex);
                free(p);
            }
    free(first);
    free_data(&dd);
    free_data(&dn);
}

/* ---- steps against the plain-C step ------------------------------------------------- */

/* Six SGD steps with dropout (and the L2 penalty) on both networks, every
 * path, against plain_step: batches of 8 rows (the general path), single
 * rows (which a narrow network without dropout would take one sample at a
 * time in registers) and, through bp_mlp_train_epoch, an epoch of 4
 * batches; to 1e-12 of the largest parameter. */
static void test_steps_match_plain_reference(void **state) {
    (void)state;
    static const struct {
        unsigned flags;
        size_t threads;
    } PATHS[] = { { 0, 0 }, { BP_EXEC_AVX2, 2 }, { BP_EXEC_REFERENCE, 1 } };
    const double rates[2] = { 0.3, 0.5 }, eta = 0.05, alpha = 0.01;
    const size_t n = 32;
    for (int narrow = 0; narrow <= 1; narrow++) {
        const bp_layer_spec *ls = narrow ? NARROW : DENSE;
        data d = make_data(321 + (uint64_t)narrow, ls, 3, n);
        for (size_t path = 0; path < 3; path++)
            for (size_t batch = 1; batch <= 8; batch += 7)
                for (int epoch = 0; epoch <= 1; epoch++) {
                    bp_exec *ex;
                    bp_mlp *m = open_d(ls, 3, 8, PATHS[path].flags, PATHS[path].threads, &ex);
                    H_OK(bp_mlp_set_dropout(m, rates, 2, 77));
                    const bp_regularization reg = { alpha, 0.0 };
                    H_OK(bp_mlp_set_regularization(m, &reg));
                    double *p = h_copy(d.p0, d.np), *q = h_copy(d.p0, d.np), loss;
                    int diverged;
                    const size_t steps = epoch ? n / batch : 6;
                    if (epoch)
                        H_OK(bp_mlp_train_epoch(m, p, d.X, d.n_in, d.Y, NULL, NULL, n, batch, eta,
                                                &loss, &diverged));
                    double want_total = 0.0;
                    for (size_t s = 0; s < steps; s++) {
                        const size_t start = (s * batch) % n;
                        const double want =
                            plain_step(ls, 3, rates, 77, s, alpha, q, batch, d.X + start * d.n_in,
                                       d.Y + start * d.k, eta, NULL);
                        want_total += want * (double)batch;
                        if (epoch) continue;
                        H_OK(bp_mlp_train_step(m, p, d.X, d.n_in, d.Y, NULL, NULL, start, batch,
                                               eta, &loss, &diverged));
                        H_EXPECT(diverged == 0 && fabs(loss - want) <= 1e-12 * fabs(want),
                                 "loss %.17g, plain %.17g", loss, want);
                    }
                    if (epoch)
                        H_EXPECT(fabs(loss - want_total / (double)n) <= 1e-12 * loss,
                                 "epoch loss %.17g, plain %.17g", loss, want_total / (double)n);
                    const double err = rel_err(p, q, d.np);
                    H_EXPECT(err <= 1e-12, "%s, path %zu, batch %zu%s: %.3g from the plain step",
                             narrow ? "narrow" : "dense", path, batch, epoch ? ", epoch" : "", err);
                    uint64_t counter;
                    H_OK(bp_mlp_get_dropout_step(m, &counter));
                    H_EXPECT(counter == steps, "counter %llu after %zu steps",
                             (unsigned long long)counter, steps);
                    bp_mlp_free(m);
                    bp_exec_free(ex);
                    free(p);
                    free(q);
                }
        free_data(&d);
    }
}

/* ---- the objective ------------------------------------------------------------------- */

/* bp_mlp_training_gradient with dropout and the penalty: its gradient
 * against central differences of its loss (the masks fixed: the counter
 * does not move), in double on both networks and on the reference engine;
 * and the next training step is exactly p − η·(that gradient). */
static void test_training_gradient(void **state) {
    (void)state;
    const double rates[2] = { 0.3, 0.5 };
    const size_t rows = 8;
    for (int narrow = 0; narrow <= 1; narrow++)
        for (int reference = 0; reference <= 1; reference++) {
            const bp_layer_spec *ls = narrow ? NARROW : DENSE;
            const bp_layer_spec tanh_ls[3] = { { ls[0].n_in, ls[0].n_out, BP_ACT_TANH, 0 },
                                               { ls[1].n_in, ls[1].n_out, BP_ACT_TANH, 0 },
                                               ls[2] }; /* smooth: no kinks */
            data d = make_data(331 + (uint64_t)(2 * narrow + reference), tanh_ls, 3, rows);
            bp_exec *ex;
            bp_mlp *m =
                open_d(tanh_ls, 3, rows, reference ? BP_EXEC_REFERENCE : 0, reference ? 1 : 0, &ex);
            H_OK(bp_mlp_set_dropout(m, rates, 2, 4242));
            H_OK(bp_mlp_set_dropout_step(m, 17));
            const bp_regularization reg = { 0.2, 0.0 };
            H_OK(bp_mlp_set_regularization(m, &reg));
            double *g = h_alloc(d.np), *p = h_copy(d.p0, d.np), loss, lp, lm;
            H_OK(bp_mlp_training_gradient(m, p, rows, d.X, d.n_in, d.Y, NULL, &loss, g));
            double worst = 0.0, scale = 0.0;
            for (size_t i = 0; i < d.np; i++) {
                const double h = 1e-6, keep = p[i];
                p[i] = keep + h;
                H_OK(bp_mlp_training_gradient(m, p, rows, d.X, d.n_in, d.Y, NULL, &lp, NULL));
                p[i] = keep - h;
                H_OK(bp_mlp_training_gradient(m, p, rows, d.X, d.n_in, d.Y, NULL, &lm, NULL));
                p[i] = keep;
                const double fd = (lp - lm) / (2 * h);
                worst = fabs(fd - g[i]) > worst ? fabs(fd - g[i]) : worst;
                scale = fabs(g[i]) > scale ? fabs(g[i]) : scale;
            }
            H_EXPECT(worst <= 1e-7 * scale, "%s%s: central differences %.3g from the gradient",
                     narrow ? "narrow" : "dense", reference ? ", reference" : "", worst / scale);
            /* the plain step of the same masks (counter 17) agrees */
            double *q = h_copy(d.p0, d.np), *gq = h_alloc(d.np);
            const double want =
                plain_step(tanh_ls, 3, rates, 4242, 17, 0.2, q, rows, d.X, d.Y, 0.1, gq);
            H_EXPECT(fabs(loss - want) <= 1e-12 * want && rel_err(g, gq, d.np) <= 1e-12,
                     "objective differs from the plain step's");
            uint64_t counter;
            H_OK(bp_mlp_get_dropout_step(m, &counter));
            H_EXPECT(counter == 17, "the objective moved the counter to %llu",
                     (unsigned long long)counter);
            double step_loss;
            int diverged;
            H_OK(bp_mlp_train_step(m, p, d.X, d.n_in, d.Y, NULL, NULL, 0, rows, 0.1, &step_loss,
                                   &diverged));
            for (size_t i = 0; i < d.np; i++) q[i] = d.p0[i] - 0.1 * g[i];
            H_EXPECT(step_loss == loss && rel_err(p, q, d.np) <= 1e-15,
                     "the step is not p − η·(objective's gradient): loss %.17g vs %.17g", step_loss,
                     loss);
            bp_mlp_free(m);
            bp_exec_free(ex);
            free(g);
            free(p);
            free(q);
            free(gq);
            free_data(&d);
        }
}

/* ---- off means off ---------------------------------------------------------------------- */

/* Dropout set with every rate 0, an L2 penalty and clipping of 0: the same
 * bits as a network never given them, over steps of 8 rows and of one row
 * on both networks with a two-thread context (the fused paths), double and
 * float. And dropout never changes bp_mlp_forward or bp_mlp_gradient. */
static void test_off_is_bit_identical_and_forward_unchanged(void **state) {
    (void)state;
    const double zeros[2] = { 0.0, 0.0 }, rates[2] = { 0.5, 0.5 };
    const bp_regularization none = { 0.0, 0.0 };
    for (int narrow = 0; narrow <= 1; narrow++) {
        const bp_layer_spec *ls = narrow ? NARROW : DENSE;
        data d = make_data(341 + (uint64_t)narrow, ls, 3, 32);
        bp_exec *ex[3];
        bp_mlp *m[3];
        double *p[3];
        for (size_t t = 0; t < 3; t++) {
            m[t] = open_d(ls, 3, 8, BP_EXEC_AVX2, 2, &ex[t]);
            p[t] = h_copy(d.p0, d.np);
        }
        H_OK(bp_mlp_set_dropout(m[1], zeros, 2, 1));
        H_OK(bp_mlp_set_regularization(m[1], &none));
        H_OK(bp_mlp_set_dropout(m[2], rates, 2, 1));
        for (size_t s = 0; s < 12; s++) {
            const size_t rows = s % 2 ? 1 : 8, start = (s * 8) % 32;
            for (size_t t = 0; t < 3; t++) {
                double loss;
                int diverged;
                H_OK(bp_mlp_train_step(m[t], p[t], d.X, d.n_in, d.Y, NULL, NULL, start, rows, 0.05,
                                       &loss, &diverged));
            }
        }
        H_EXPECT(h_same_bits(p[0], p[1], d.np), "%s: rates 0 differ from no dropout",
                 narrow ? "narrow" : "dense");
        H_EXPECT(!h_same_bits(p[0], p[2], d.np), "dropout 0.5 changed nothing");
        /* forward and gradient of the dropping network: those of the plain one */
        double *o0 = h_alloc(8 * d.k), *o2 = h_alloc(8 * d.k), *g0 = h_alloc(d.np),
               *g2 = h_alloc(d.np), l0, l2;
        H_OK(bp_mlp_forward(m[0], p[2], 8, d.X, d.n_in, o0));
        H_OK(bp_mlp_forward(m[2], p[2], 8, d.X, d.n_in, o2));
        H_OK(bp_mlp_gradient(m[0], p[2], 8, d.X, d.n_in, d.Y, NULL, &l0, g0, NULL));
        H_OK(bp_mlp_gradient(m[2], p[2], 8, d.X, d.n_in, d.Y, NULL, &l2, g2, NULL));
        H_EXPECT(h_same_bits(o0, o2, 8 * d.k) && h_same_bits(g0, g2, d.np) && l0 == l2,
                 "dropout changed a forward or gradient call");
        for (size_t t = 0; t < 3; t++) {
            bp_mlp_free(m[t]);
            bp_exec_free(ex[t]);
            free(p[t]);
        }
        free(o0);
        free(o2);
        free(g0);
        free(g2);
        free_data(&d);
    }
    /* float: rates 0 the same bits */
    data d = make_data(343, DENSE, 3, 16);
    float *Xf = to_float(d.X, 16 * d.n_in), *Yf = to_float(d.Y, 16 * d.k);
    float *pf[2] = { to_float(d.p0, d.np), to_float(d.p0, d.np) };
    bp_mlp_f32 *mf[2];
    for (size_t t = 0; t < 2; t++) H_OK(bp_mlp_create_f32(3, DENSE, BP_LOSS_MSE, 8, &mf[t]));
    H_OK(bp_mlp_set_dropout_f32(mf[1], zeros, 2, 1));
    for (size_t s = 0; s < 4; s++)
        for (size_t t = 0; t < 2; t++) {
            double loss;
            int diverged;
            H_OK(bp_mlp_train_step_f32(mf[t], pf[t], Xf, d.n_in, Yf, NULL, NULL, 8 * (s % 2), 8,
                                       0.05, &loss, &diverged));
        }
    H_EXPECT(memcmp(pf[0], pf[1], d.np * sizeof(float)) == 0, "float: rates 0 differ");
    for (size_t t = 0; t < 2; t++) {
        bp_mlp_free_f32(mf[t]);
        free(pf[t]);
    }
    free(Xf);
    free(Yf);
    free_data(&d);
}

/* ---- the counter ---------------------------------------------------------------------------- */

/* Three steps, then the counter carried to a new network with the same
 * dropout: its next steps are the first network's, bit for bit. No step
 * allocates. */
static void test_counter_resumes_and_steps_allocate_nothing(void **state) {
    (void)state;
    const double rates[2] = { 0.2, 0.4 };
    data d = make_data(351, DENSE, 3, 32);
    bp_exec *ea, *eb;
    bp_mlp *a = open_d(DENSE, 3, 8, BP_EXEC_AVX2, 2, &ea), *b = open_d(DENSE, 3, 8, 0, 0, &eb);
    const bp_regularization reg = { 0.01, 0.5 };
    H_OK(bp_mlp_set_dropout(a, rates, 2, 11));
    H_OK(bp_mlp_set_regularization(a, &reg));
    double *p = h_copy(d.p0, d.np), loss;
    int diverged;
    unsigned long before = h_allocations();
    for (size_t s = 0; s < 3; s++)
        H_OK(bp_mlp_train_step(a, p, d.X, d.n_in, d.Y, NULL, NULL, 8 * s, 8, 0.05, &loss,
                               &diverged));
    double losses[2];
    size_t completed;
    H_OK(bp_mlp_train_epochs(a, p, d.X, d.n_in, d.Y, NULL, NULL, 32, 8, 2, 0.05, losses, NULL,
                             &completed, &diverged));
    H_EXPECT(h_allocations() == before, "%lu allocations while training", h_allocations() - before);
    uint64_t k;
    H_OK(bp_mlp_get_dropout_step(a, &k));
    H_EXPECT(k == 11, "counter %llu after 11 steps", (unsigned long long)k);
    double *q = h_copy(p, d.np);
    H_OK(bp_mlp_set_dropout(b, rates, 2, 11));
    H_OK(bp_mlp_set_regularization(b, &reg));
    H_OK(bp_mlp_set_dropout_step(b, k));
    for (size_t s = 0; s < 3; s++) {
        H_OK(bp_mlp_train_step(a, p, d.X, d.n_in, d.Y, NULL, NULL, 8 * s, 8, 0.05, &loss,
                               &diverged));
        H_OK(bp_mlp_train_step(b, q, d.X, d.n_in, d.Y, NULL, NULL, 8 * s, 8, 0.05, &loss,
                               &diverged));
    }
    H_EXPECT(rel_err(p, q, d.np) <= 1e-15, "resumed training differs: %.3g", rel_err(p, q, d.np));
    bp_mlp_free(a);
    bp_mlp_free(b);
    bp_exec_free(ea);
    bp_exec_free(eb);
    free(p);
    free(q);
    free_data(&d);
}

/* ---- bad values ------------------------------------------------------------------------------ */

static void test_bad_values_change_nothing(void **state) {
    (void)state;
    bp_mlp *m;
    bp_mlp_f32 *mf;
    H_OK(bp_mlp_create(3, DENSE, BP_LOSS_MSE, 8, &m));
    H_OK(bp_mlp_create_f32(3, DENSE, BP_LOSS_MSE, 8, &mf));
    const bp_regularization good = { 0.1, 2.0 };
    H_OK(bp_mlp_set_regularization(m, &good));
    H_OK(bp_mlp_set_regularization_f32(mf, &good));
    const bp_regularization bad[] = { { -0.1, 0 }, { NAN, 0 },      { INFINITY, 0 }, { 0, -1.0 },
                                      { 0, NAN },  { 0, INFINITY }, { 0, -1e-300 } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_regularization(m, &bad[i]));
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_regularization_f32(mf, &bad[i]));
    }
    const bp_regularization float_overflow = { 1e300, 0 };
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_regularization_f32(mf, &float_overflow));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_set_regularization(NULL, &good));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_set_regularization(m, NULL));
    bp_regularization got;
    H_OK(bp_mlp_get_regularization(m, &got));
    H_EXPECT(got.l2 == 0.1 && got.max_grad_norm == 2.0, "regularisation changed");
    H_OK(bp_mlp_get_regularization_f32(mf, &got));
    H_EXPECT(got.l2 == 0.1 && got.max_grad_norm == 2.0, "float regularisation changed");

    const double rates[2] = { 0.25, 0.5 };
    H_OK(bp_mlp_set_dropout(m, rates, 2, 123));
    H_OK(bp_mlp_set_dropout_step(m, 9));
    const double bad_rates[][2] = { { 1.0, 0 }, { -0.1, 0 }, { 0, NAN }, { 0, INFINITY } };
    for (size_t i = 0; i < 4; i++) {
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_dropout(m, bad_rates[i], 2, 1));
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_dropout_f32(mf, bad_rates[i], 2, 1));
    }
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_dropout(m, rates, 3, 1));
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_dropout(m, rates, 1, 1));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_set_dropout(NULL, rates, 2, 1));
    double got_rates[2];
    uint64_t seed, k;
    H_OK(bp_mlp_get_dropout(m, got_rates, 2, &seed));
    H_OK(bp_mlp_get_dropout_step(m, &k));
    H_EXPECT(got_rates[0] == 0.25 && got_rates[1] == 0.5 && seed == 123 && k == 9,
             "dropout changed by a refused call");
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_get_dropout(m, got_rates, 1, &seed));
    const double *S;
    size_t rows;
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_dropout_mask(m, 2, &S, &rows));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_dropout_mask(m, 0, NULL, &rows));
    H_OK(bp_mlp_dropout_mask(m, 0, &S, &rows));
    H_EXPECT(S == NULL && rows == 0, "a mask before any step");
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_get_dropout_step(m, NULL));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_set_dropout_step(NULL, 1));

    /* the objective's arguments: bp_mlp_gradient's checks */
    data d = make_data(361, DENSE, 3, 8);
    double loss, *g = h_alloc(d.np);
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_mlp_training_gradient(NULL, d.p0, 8, d.X, d.n_in, d.Y, NULL, &loss, g));
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_mlp_training_gradient(m, NULL, 8, d.X, d.n_in, d.Y, NULL, &loss, g));
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_mlp_training_gradient(m, d.p0, 8, d.X, d.n_in, d.Y, NULL, NULL, g));
    H_STATUS(BP_ERR_BAD_VALUE,
             bp_mlp_training_gradient(m, d.p0, 9, d.X, d.n_in, d.Y, NULL, &loss, g));
    H_STATUS(BP_ERR_ZERO_SIZE,
             bp_mlp_training_gradient(m, d.p0, 0, d.X, d.n_in, d.Y, NULL, &loss, g));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             bp_mlp_training_gradient(m, d.p0, 8, d.X, d.n_in - 1, d.Y, NULL, &loss, g));
    H_OK(bp_mlp_get_dropout_step(m, &k));
    H_EXPECT(k == 9, "a refused objective moved the counter");
    /* dropout off again */
    H_OK(bp_mlp_set_dropout(m, NULL, 0, 5));
    H_OK(bp_mlp_get_dropout(m, got_rates, 2, &seed));
    H_EXPECT(got_rates[0] == 0 && got_rates[1] == 0 && seed == 5, "dropout not off");
    free(g);
    free_data(&d);
    bp_mlp_free(m);
    bp_mlp_free_f32(mf);
}

int run_regularization_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masks_follow_the_definition),
        cmocka_unit_test(test_masks_same_on_every_path),
        cmocka_unit_test(test_steps_match_plain_reference),
        cmocka_unit_test(test_training_gradient),
        cmocka_unit_test(test_off_is_bit_identical_and_forward_unchanged),
        cmocka_unit_test(test_counter_resumes_and_steps_allocate_nothing),
        cmocka_unit_test(test_bad_values_change_nothing),
    };
    return cmocka_run_group_tests_name("regularization", tests, NULL, NULL);
}
