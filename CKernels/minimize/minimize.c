/*
 * minimize.c — full-batch minimisation of a network's loss by GSL's
 * multidimensional minimisers (bp_minimize.h).
 *
 * GSL asks for J(θ) and ∇J(θ) at points of its choosing through three
 * callbacks (f, df, fdf); each is one pass over the data set by
 * bp_mlp_gradient, in chunks of at most the network's max_rows rows, plus
 * the L2 term. A callback cannot return an error, so the first failure (a
 * NaN or infinite J or ∇J, or a status of the engine) is recorded in the
 * context; later callbacks then return NaN at once without evaluating, and
 * the driver checks the record after every call into GSL.
 *
 * One implementation serves both precisions: the context holds either a
 * double or a float network, and only the chunk evaluation branches on it
 * (a float network is evaluated at the point rounded to float, its
 * gradient widened to double).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>
#include "bp_minimize.h"
#include "runtime/internal.h"
#include "mlp/mlp_internal.h"

/* What the callbacks need: the network (one of md, ms), its layout, the
 * data, and scratch for the chunked, and float, evaluations. */
typedef struct objective {
    bp_mlp *md;
    bp_mlp_f32 *ms;
    const mlp_layout *y;
    const void *X, *Y;
    const size_t *labels;
    size_t ldx, n, np;
    double l2;
    double *chunk_grad;      /* np: a chunk's gradient (n > max_rows) */
    float *point_f, *grad_f; /* np each: the point and a gradient in float */
    double *point, *grad;    /* np each: contiguous copies when GSL's vectors are strided */
    size_t loss_evaluations, gradient_evaluations;
    bp_status failure; /* the first failure, BP_OK while there is none */
} objective;

/* Mean loss of rows [start, start + rows) at p (double network: p itself;
 * float network: c->point_f, already rounded), and its gradient into g
 * (double, np values) when g is not NULL. */
static bp_status chunk_eval(objective *c, const double *p, size_t start, size_t rows, double *loss,
                            double *g) {
    const size_t k = c->y->layers[c->y->n_layers - 1].n_out;
    const size_t *lab = c->labels ? c->labels + start : NULL;
    if (c->md) {
        const double *X = (const double *)c->X + start * c->ldx;
        const double *Y = c->Y ? (const double *)c->Y + start * k : NULL;
        return bp_mlp_gradient(c->md, p, rows, X, c->ldx, Y, lab, loss, g, NULL);
    }
    const float *X = (const float *)c->X + start * c->ldx;
    const float *Y = c->Y ? (const float *)c->Y + start * k : NULL;
    BP_TRY(bp_mlp_gradient_f32(c->ms, c->point_f, rows, X, c->ldx, Y, lab, loss,
                               g ? c->grad_f : NULL, NULL));
    if (g)
        for (size_t i = 0; i < c->np; i++) g[i] = c->grad_f[i];
    return BP_OK;
}

/* The L2 term's parameters: the weights W_l, the biases excluded. */
static double l2_penalty(const objective *c, const double *p) {
    double sum = 0;
    for (size_t l = 0; l < c->y->n_layers; l++) {
        const double *W = p + c->y->w_off[l];
        size_t count = c->y->layers[l].n_in * c->y->layers[l].n_out;
        for (size_t i = 0; i < count; i++) sum += W[i] * W[i];
    }
    return c->l2 / (2.0 * (double)c->n) * sum;
}

/* J at p and, when g is not NULL, ∇J into g (np values); NaN after a
 * failure, which is recorded in c->failure. For a float network p is the
 * point in double; it is rounded to float first, and the penalty taken
 * at the rounded point, so that J is the float network's objective. */
static double evaluate(objective *c, const double *p, double *g) {
    if (c->failure != BP_OK) return NAN;
    if (g) c->gradient_evaluations++;
    else c->loss_evaluations++;
    const double *at = p;
    if (c->ms) {
        for (size_t i = 0; i < c->np; i++) c->point_f[i] = (float)p[i];
        for (size_t i = 0; i < c->np; i++) c->point[i] = c->point_f[i];
        at = c->point;
    }
    const size_t max_rows = c->y->max_rows;
    double loss = 0;
    bp_status s = BP_OK;
    if (c->n <= max_rows) {
        s = chunk_eval(c, at, 0, c->n, &loss, g);
    } else {
        double total = 0;
        if (g) memset(g, 0, c->np * sizeof *g);
        for (size_t start = 0; start < c->n && s == BP_OK; start += max_rows) {
            size_t rows = c->n - start < max_rows ? c->n - start : max_rows;
            double mean = 0;
            s = chunk_eval(c, at, start, rows, &mean, g ? c->chunk_grad : NULL);
            total += mean * (double)rows;
            if (g && s == BP_OK) {
                double w = (double)rows / (double)c->n;
                for (size_t i = 0; i < c->np; i++) g[i] += w * c->chunk_grad[i];
            }
        }
        loss = total / (double)c->n;
    }
    if (s != BP_OK) {
        c->failure = s;
        return NAN;
    }
    if (c->l2 > 0) {
        loss += l2_penalty(c, at);
        if (g) {
            double scale = c->l2 / (double)c->n;
            for (size_t l = 0; l < c->y->n_layers; l++) {
                size_t off = c->y->w_off[l];
                size_t count = c->y->layers[l].n_in * c->y->layers[l].n_out;
                for (size_t i = 0; i < count; i++) g[off + i] += scale * at[off + i];
            }
        }
    }
    int finite = isfinite(loss);
    if (g)
        for (size_t i = 0; i < c->np; i++) finite &= isfinite(g[i]) != 0;
    if (!finite) {
        c->failure = BP_ERR_NOT_FINITE;
        return NAN;
    }
    return loss;
}

/* GSL's vectors as contiguous arrays: the vector's own data when its
 * stride is 1 (every vector the minimisers allocate), else a copy. */
static const double *point_of(objective *c, const gsl_vector *x) {
    if (x->stride == 1) return x->data;
    for (size_t i = 0; i < c->np; i++) c->point[i] = gsl_vector_get(x, i);
    return c->point;
}

static double *gradient_of(objective *c, gsl_vector *g) {
    return g->stride == 1 ? g->data : c->grad;
}

static void gradient_done(objective *c, gsl_vector *g) {
    if (g->stride != 1)
        for (size_t i = 0; i < c->np; i++) gsl_vector_set(g, i, c->grad[i]);
}

static double gsl_f(const gsl_vector *x, void *ctx) {
    objective *c = ctx;
    return evaluate(c, point_of(c, x), NULL);
}

static void gsl_fdf(const gsl_vector *x, void *ctx, double *f, gsl_vector *g) {
    objective *c = ctx;
    *f = evaluate(c, point_of(c, x), gradient_of(c, g));
    gradient_done(c, g);
}

static void gsl_df(const gsl_vector *x, void *ctx, gsl_vector *g) {
    double f;
    gsl_fdf(x, ctx, &f, g);
}

/* ---- validation ----------------------------------------------------------------- */

static int valid_method(bp_minimize_method m) {
    return m >= BP_MINIMIZE_BFGS2 && m <= BP_MINIMIZE_STEEPEST_DESCENT;
}

/* Every check of bp_mlp_minimize, in bp_status.h's order, before anything
 * is allocated or written. */
static bp_status check_arguments(const mlp_layout *y, const void *params, const void *X, size_t ldx,
                                 const void *Y, const size_t *labels, size_t n,
                                 const bp_minimize_options *o, const bp_minimize_report *report,
                                 size_t elem_size) {
    if (!valid_method(o->method)) return BP_ERR_BAD_ENUM;
    if (labels && y->loss != BP_LOSS_CCE && y->loss != BP_LOSS_SOFTMAX_CCE) return BP_ERR_BAD_ENUM;
    if (n == 0) return BP_ERR_ZERO_SIZE;
    if (o->max_iterations == 0 || !isfinite(o->gradient_tolerance) ||
        !(o->gradient_tolerance > 0) || !isfinite(o->initial_step_size) ||
        !(o->initial_step_size > 0) || !(o->line_search_tolerance > 0) ||
        !(o->line_search_tolerance < 1) || !isfinite(o->l2) || !(o->l2 >= 0))
        return BP_ERR_BAD_VALUE;
    const size_t n_in = y->layers[0].n_in, k = y->layers[y->n_layers - 1].n_out;
    BP_TRY(bp_check_matrix_elem(n, n_in, X, ldx, elem_size));
    if (Y) BP_TRY(bp_check_matrix_elem(n, k, Y, k, elem_size));
    if (labels) BP_TRY(bp_check_array(n, sizeof *labels, labels));
    if ((Y == NULL) == (labels == NULL) || params == NULL || report == NULL)
        return BP_ERR_NULL_POINTER;
    if (labels) {
        int bad = 0;
        for (size_t i = 0; i < n; i++) bad |= labels[i] >= k;
        if (bad) return BP_ERR_LABEL_OUT_OF_RANGE;
    }
    return BP_OK;
}

static const gsl_multimin_fdfminimizer_type *gsl_type(bp_minimize_method m) {
    switch (m) {
    case BP_MINIMIZE_CONJUGATE_FR: return gsl_multimin_fdfminimizer_conjugate_fr;
    case BP_MINIMIZE_CONJUGATE_PR: return gsl_multimin_fdfminimizer_conjugate_pr;
    case BP_MINIMIZE_STEEPEST_DESCENT: return gsl_multimin_fdfminimizer_steepest_descent;
    case BP_MINIMIZE_BFGS2: break;
    }
    return gsl_multimin_fdfminimizer_vector_bfgs2;
}

/* ---- the driver ------------------------------------------------------------------- */

/* The minimisation itself, arguments checked: c describes the network and
 * data, x0 the start point (np values, in double). On BP_OK, x0 receives
 * the final point. */
static bp_status run(objective *c, double *x0, const bp_minimize_options *o,
                     bp_minimize_report *report) {
    bp_gsl_prepare();
    const size_t np = c->np;
    /* Scratch: a chunk's gradient, contiguous copies of a point and a
     * gradient, and the float point and gradient (float networks). */
    size_t doubles = 3 * np, floats = c->ms ? 2 * np : 0;
    double *scratch = malloc(doubles * sizeof(double) + floats * sizeof(float));
    gsl_vector *x = gsl_vector_alloc(np);
    gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(gsl_type(o->method), np);
    bp_status status = BP_OK;
    if (scratch == NULL || x == NULL || s == NULL) {
        status = BP_ERR_NO_MEMORY;
        goto done;
    }
    c->chunk_grad = scratch;
    c->point = scratch + np;
    c->grad = scratch + 2 * np;
    if (c->ms) {
        c->point_f = (float *)(scratch + 3 * np);
        c->grad_f = c->point_f + np;
    }
    memcpy(x->data, x0, np * sizeof(double));

    gsl_multimin_function_fdf fn = {
        .f = gsl_f, .df = gsl_df, .fdf = gsl_fdf, .n = np, .params = c
    };
    int gsl_status =
        gsl_multimin_fdfminimizer_set(s, &fn, x, o->initial_step_size, o->line_search_tolerance);
    size_t iterations = 0;
    bp_minimize_outcome outcome = BP_MINIMIZE_ITERATION_LIMIT;
    if (c->failure == BP_OK && gsl_status == GSL_SUCCESS) {
        if (gsl_multimin_test_gradient(gsl_multimin_fdfminimizer_gradient(s),
                                       o->gradient_tolerance) == GSL_SUCCESS)
            outcome = BP_MINIMIZE_CONVERGED;
        while (outcome == BP_MINIMIZE_ITERATION_LIMIT && iterations < o->max_iterations) {
            gsl_status = gsl_multimin_fdfminimizer_iterate(s);
            if (c->failure != BP_OK) break;
            if (gsl_status == GSL_ENOPROG) {
                gsl_status = GSL_SUCCESS;
                outcome = BP_MINIMIZE_NO_PROGRESS;
                break;
            }
            if (gsl_status != GSL_SUCCESS) break;
            iterations++;
            if (gsl_multimin_test_gradient(gsl_multimin_fdfminimizer_gradient(s),
                                           o->gradient_tolerance) == GSL_SUCCESS)
                outcome = BP_MINIMIZE_CONVERGED;
        }
    }
    bp_minimize_report r = { .outcome = outcome,
                             .iterations = iterations,
                             .loss_evaluations = c->loss_evaluations,
                             .gradient_evaluations = c->gradient_evaluations,
                             .loss = NAN,
                             .gradient_norm = NAN,
                             .gsl_status = 0 };
    if (c->failure != BP_OK) {
        status = c->failure;
    } else if (gsl_status != GSL_SUCCESS) {
        status = BP_ERR_GSL;
        r.gsl_status = gsl_status;
    } else {
        r.loss = gsl_multimin_fdfminimizer_minimum(s);
        r.gradient_norm = gsl_blas_dnrm2(gsl_multimin_fdfminimizer_gradient(s));
        memcpy(x0, gsl_multimin_fdfminimizer_x(s)->data, np * sizeof(double));
    }
    if (status == BP_ERR_NOT_FINITE || status == BP_ERR_GSL) r.outcome = BP_MINIMIZE_FAILED;
    if (status == BP_OK || status == BP_ERR_NOT_FINITE || status == BP_ERR_GSL) *report = r;
done:
    gsl_multimin_fdfminimizer_free(s);
    gsl_vector_free(x);
    free(scratch);
    return status;
}

/* ---- the public functions (bp_minimize.h) ------------------------------------------------ */

bp_status bp_minimize_options_default(bp_minimize_method method, bp_minimize_options *out) {
    if (!valid_method(method)) return BP_ERR_BAD_ENUM;
    if (out == NULL) return BP_ERR_NULL_POINTER;
    *out = (bp_minimize_options){ .method = method,
                                  .max_iterations = 200,
                                  .gradient_tolerance = 1e-5,
                                  .initial_step_size = 0.01,
                                  .line_search_tolerance = 0.1,
                                  .l2 = 0 };
    return BP_OK;
}

/* Both precisions: c names the network (md or ms) and its layout; the
 * arguments are checked, then the minimiser runs on a double copy of the
 * parameters (params changes only on success). */
static bp_status minimize_network(objective *c, void *params, const void *X, size_t ldx,
                                  const void *Y, const size_t *labels, size_t n,
                                  const bp_minimize_options *options, bp_minimize_report *report) {
    const size_t elem = c->ms ? sizeof(float) : sizeof(double), np = c->y->n_params;
    BP_TRY(check_arguments(c->y, params, X, ldx, Y, labels, n, options, report, elem));
    c->X = X;
    c->Y = Y;
    c->labels = labels;
    c->ldx = ldx;
    c->n = n;
    c->np = np;
    c->l2 = options->l2;
    double *x0 = malloc(np * sizeof(double));
    if (x0 == NULL) return BP_ERR_NO_MEMORY;
    for (size_t i = 0; i < np; i++) x0[i] = c->ms ? ((float *)params)[i] : ((double *)params)[i];
    bp_status s = run(c, x0, options, report);
    if (s == BP_OK)
        for (size_t i = 0; i < np; i++) {
            if (c->ms) ((float *)params)[i] = (float)x0[i];
            else ((double *)params)[i] = x0[i];
        }
    free(x0);
    return s;
}

bp_status bp_mlp_minimize(bp_mlp *mlp, double *params, const double *X, size_t ldx, const double *Y,
                          const size_t *labels, size_t n, const bp_minimize_options *options,
                          bp_minimize_report *report) {
    if (mlp == NULL || options == NULL) return BP_ERR_NULL_POINTER;
    objective c = { .md = mlp, .y = bp_mlp_layout_d(mlp) };
    return minimize_network(&c, params, X, ldx, Y, labels, n, options, report);
}

bp_status bp_mlp_minimize_f32(bp_mlp_f32 *mlp, float *params, const float *X, size_t ldx,
                              const float *Y, const size_t *labels, size_t n,
                              const bp_minimize_options *options, bp_minimize_report *report) {
    if (mlp == NULL || options == NULL) return BP_ERR_NULL_POINTER;
    objective c = { .ms = mlp, .y = bp_mlp_layout_s(mlp) };
    return minimize_network(&c, params, X, ldx, Y, labels, n, options, report);
}
