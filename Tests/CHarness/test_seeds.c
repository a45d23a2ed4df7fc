/*
 * test_seeds.c — seed 02 (02-backprop-single-neuron-and-layer.ipynb) run
 * through the kernels: the single ReLU neuron and the layer of three ReLU
 * neurons, 200 SGD steps each.
 *
 * Three kinds of reference, for three different questions:
 *
 *  1. Exact arithmetic (does the kernel pipeline compute the right thing?).
 *     The neuron has a closed form: z = x·w + b starts at 6 and every step
 *     multiplies it by exactly 1 − 2·lr·(‖x‖² + 1) = 1 − 0.002·15 = 0.97, so
 *     loss_i = 36·0.97^(2(i−1)) and, summing the steps,
 *     w = w0 − 0.4·(1 − 0.97^200)·x, b = 1 − 0.4·(1 − 0.97^200).
 *     The layer is computed by a plain scalar loop in long double written
 *     here (no kernels). Checked at 1e-12.
 *
 *  2. The notebook's printed figures, where they carry double precision.
 *     Checked at the requested precision: 1e-7 relative for losses, 2e-8
 *     absolute for parameters (the printed parameters have 8 decimals).
 *
 *  3. The notebook's printed figures that do NOT carry double precision.
 *     The notebook calls nnfs.init(), which replaces np.dot by a version
 *     that rounds its result to float32. The neuron cell (cell 4, counting
 *     cells from 0) and the first layer cell (cell 6) evidently ran with
 *     that patch (a model of it reproduces them bit for bit, see below): their losses differ
 *     from exact arithmetic by up to 3.2e-6 relative (neuron, iteration 197;
 *     e.g. step 200: exact 1.9563778573e-4, printed 1.9563773612e-4) and
 *     1.3e-5 (layer, iteration 160), far beyond 1e-7. The second layer cell
 *     (cell 9) agrees with exact arithmetic to 6e-12, which is why the two
 *     layer runs differ in the 8th digit. Rather than loosen a tolerance,
 *     we reproduce those figures: the same kernel pipeline with the dot
 *     product rounded to float (as the patched np.dot does) matches every
 *     printed loss to 1e-12 — a far stronger check than 1e-7. (A Python
 *     model of the notebook with that patch reproduces all 210 printed
 *     losses bit for bit.) Compile with -DSEED02_LITERAL_PRINTED_CHECK to
 *     also compare those float32-era figures with the float64 run at 1e-7;
 *     that check fails on 74 neuron losses and 6 layer losses, as above.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>

#define STEPS 200
#define LR 0.001

/* ---- the notebook's printed figures (copied verbatim from its outputs) ---------- */

/* Cell 4 (0-based) output: "Iteration 1, Loss: ..." to "Iteration 200", verbatim. */
static const double NB_NEURON_LOSS[200] = {
    36.0,
    33.872397424621624,
    31.87054345809546,
    29.98699091998773,
    28.214761511794592,
    26.54726775906168,
    24.978326552541866,
    23.5021050739742,
    22.11313179151597,
    20.806246424284897,
    19.576596334671486,
    18.41961908608719,
    17.33101994032309,
    16.306757070164853,
    15.343027506224132,
    14.436253786815284,
    13.583071280700132,
    12.780312744165439,
    12.024995767388878,
    11.314319082257104,
    10.64564263994962,
    10.016485041642266,
    9.424510031713222,
    8.867521365009814,
    8.34345204094211,
    7.850353118483743,
    7.386397874602818,
    6.94986173712617,
    6.539124434950737,
    6.1526621719118015,
    5.789039869058961,
    5.446907999417336,
    5.124995576577539,
    4.822108497170647,
    4.537121521071987,
    4.268978030723312,
    4.01668121563854,
    3.7792956126389763,
    3.5559389510643094,
    3.345782865003274,
    3.1480471758404285,
    2.961997679823884,
    2.78694359065541,
    2.622235303237792,
    2.467261121418954,
    2.321446092335641,
    2.184248486806066,
    2.0551593804914616,
    1.9336995852420789,
    1.8194178573235094,
    1.7118903069357754,
    1.6107175940030252,
    1.5155241897377694,
    1.4259567411109748,
    1.3416826255281136,
    1.262389208248047,
    1.1877819791340551,
    1.1175840765571434,
    1.0515348500680068,
    0.9893891461492582,
    0.930916260625565,
    0.875899078709395,
    0.8241334819517507,
    0.7754271861095672,
    0.7295994320679934,
    0.6864801042040583,
    0.6459091389617334,
    0.6077358933180028,
    0.5718187120029812,
    0.5380242202642829,
    0.5062269967452033,
    0.4763089781884024,
    0.4481591180173807,
    0.42167291418136477,
    0.3967520449790852,
    0.3733039992368791,
    0.3512417316144445,
    0.33048334753976116,
    0.31095177724411444,
    0.2925745286179104,
    0.2752833763568879,
    0.25901412505149535,
    0.2437063914735247,
    0.22930333977371198,
    0.21575151284725816,
    0.2030006012946216,
    0.19100326852350488,
    0.17971497196649536,
    0.1690938194815031,
    0.1591003719214838,
    0.14969754273736763,
    0.14085041966208015,
    0.13252615564761738,
    0.1246938532452423,
    0.11732446503349986,
    0.11039058885430607,
    0.10386649785129919,
    0.09772798570124883,
    0.09195226348280558,
    0.0865178816583512,
    0.08140467291758889,
    0.07659366262828358,
    0.07206697005843195,
    0.06780781192053903,
    0.06380037696069592,
    0.06002977345222309,
    0.0564820075507719,
    0.05314393144118542,
    0.050003114234231524,
    0.04704793686603195,
    0.04426740148833972,
    0.04165120020443161,
    0.03918961375201954,
    0.0368735034129829,
    0.034694277992582755,
    0.032643851730490094,
    0.03071459534999028,
    0.028899363239415818,
    0.027191414181739672,
    0.02558439994540113,
    0.024072362337913877,
    0.022649683089386127,
    0.021311092099735786,
    0.02005160424149179,
    0.01886655505507656,
    0.017751540667355833,
    0.016702427744061103,
    0.01571531497821091,
    0.014786535770396103,
    0.013912651762769943,
    0.013090418519936803,
    0.012316768931710837,
    0.011588849600126475,
    0.010903943586632107,
    0.010259526183227799,
    0.009653186757193668,
    0.009082688171817357,
    0.008545899068542421,
    0.00804083320361364,
    0.007565618804557518,
    0.007118492429622391,
    0.006697793120481266,
    0.0063019473730584336,
    0.005929501997799936,
    0.005579070290327091,
    0.005249347396309216,
    0.004939114136252681,
    0.004647215154254898,
    0.00437256400626425,
    0.004114139259196158,
    0.0038709956233987848,
    0.0036422222163822442,
    0.0034269635873455254,
    0.0032244300300798123,
    0.003033866206344064,
    0.0028545694817259646,
    0.0026858615040063873,
    0.002527124440860861,
    0.002377772426750458,
    0.0022372501846465924,
    0.002105026221950533,
    0.0019806188966821317,
    0.001863566163059441,
    0.0017534302886055876,
    0.0016498016244949178,
    0.0015522968336895225,
    0.0014605572212372654,
    0.0013742383231737623,
    0.0012930183418168389,
    0.0012166008279945002,
    0.0011447005613673634,
    0.0010770513341135804,
    0.001013397095948145,
    0.0009535029620325111,
    0.0008971534673183893,
    0.0008441301639000644,
    0.0007942435095401501,
    0.0007473036766382048,
    0.0007031374518087182,
    0.0006615806720993984,
    0.0006224808039162045,
    0.0005856932236775429,
    0.0005510780772974099,
    0.0005185112321657664,
    0.00048786689510026934,
    0.00045903387854597503,
    0.00043190420223823955,
    0.000406378034681195,
    0.00038236074013664776,
    0.0003597649139507893,
    0.0003385032407062897,
    0.00031849748027454767,
    0.00029967346881992795,
    0.0002819629431575354,
    0.0002652991815966534,
    0.00024961903501571355,
    0.00023486641976601822,
    0.00022098629075865584,
    0.00020792651372860275,
    0.00019563773612380077,
};
/* Cell 6 (0-based) output: iterations 0, 20, ..., 180, verbatim. */
static const double NB_LAYER_RUN1_LOSS[10] = {
    466.56000000000006,    5.329595763793193,     0.41191524253483786,    0.03183621475376345,
    0.002460565405431671,  0.0001901729121621426, 1.4698120139337557e-05, 1.1359948840900371e-06,
    8.779778427447647e-08, 6.785903626216421e-09,
};
static const double NB_LAYER_RUN1_W[3][4] = {
    /* notebook orientation: neuron × input */
    { -0.00698895, -0.0139779, -0.02096685, -0.0279558 },
    { 0.25975286, 0.11950571, -0.02074143, -0.16098857 },
    { 0.53548461, 0.27096922, 0.00645383, -0.25806156 },
};
static const double NB_LAYER_RUN1_B[3] = { -0.00698895, -0.04024714, -0.06451539 };
/* Cell 9 (0-based) output: iterations 0, 20, ..., 180, verbatim. */
static const double NB_LAYER_RUN2_LOSS[10] = {
    466.56000000000006,    5.32959636083938,       0.41191523404899866,    0.031836212079467595,
    0.002460565465389601,  0.000190172825660145,   1.4698126966451542e-05, 1.1359926717815175e-06,
    8.779889800154524e-08, 6.7858241357822796e-09,
};
static const double NB_LAYER_RUN2_W[3][4] = {
    /* notebook orientation: neuron × input */
    { -0.00698895, -0.01397789, -0.02096684, -0.02795579 },
    { 0.25975286, 0.11950572, -0.02074143, -0.16098857 },
    { 0.53548461, 0.27096922, 0.00645383, -0.25806156 },
};
static const double NB_LAYER_RUN2_B[3] = { -0.00698895, -0.04024714, -0.06451539 };
/* Cell 4: "Final weights: [-3.3990955 -0.20180899 0.80271349]", "Final bias: ..." */
static const double NB_NEURON_W[3] = { -3.3990955, -0.20180899, 0.80271349 };
static const double NB_NEURON_B = 0.6009044964517248;

/* ---- the two examples through the kernels ------------------------------------------ */

/* The dot product as the notebook's patched np.dot returns it. The float
 * goes through a volatile: GCC 12.2 at -O2 (Debian 12.2.0-14) SLP-vectorizes
 * `z[i] = (double)(float)z[i]` over two lanes and drops the rounding there
 * (a compiler bug, gone with -fno-tree-slp-vectorize or under clang). */
static void round_to_float(double *z, size_t n, int emulate_nnfs) {
    if (emulate_nnfs)
        for (size_t i = 0; i < n; i++) {
            volatile float f = (float)z[i];
            z[i] = f;
        }
}

/* One ReLU neuron, 3 inputs, squared loss against target 0 (BP_LOSS_MSE with
 * n = k = 1 is exactly (out − target)², gradient 2·(out − target)). As a
 * dense layer: X is 1×3, W is 3×1, b has 1 element. */
static void run_neuron(int emulate_nnfs, double loss[STEPS], double w[3], double *b) {
    const double x[3] = { 1.0, -2.0, 3.0 }, target = 0.0;
    w[0] = -3.0;
    w[1] = -1.0;
    w[2] = 2.0;
    *b = 1.0;
    for (int it = 0; it < STEPS; it++) {
        double z, a, dA, dZ, dW[3], db;
        H_OK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 1, 1, 3, 1.0, x, 3, w, 1, 0.0, &z, 1));
        round_to_float(&z, 1, emulate_nnfs);
        H_OK(bp_bias_add(1, 1, b, &z, 1));
        H_OK(bp_activation_forward(BP_ACT_RELU, 0.0, 1, 1, &z, &a));
        H_OK(bp_loss_compute(BP_LOSS_MSE, 1, 1, &a, &target, &loss[it], &dA));
        H_OK(bp_activation_backward(BP_ACT_RELU, 0.0, 1, 1, &z, &a, &dA, &dZ));
        H_OK(bp_weight_gradient(1, 3, 1, 1.0, x, 3, &dZ, 1, 0.0, dW, 1));
        H_OK(bp_bias_gradient(1, 1, 1.0, &dZ, 1, 0.0, &db));
        H_OK(bp_sgd_update(3, LR, dW, w));
        H_OK(bp_sgd_update(1, LR, &db, b));
    }
}

/* The layer: 3 ReLU neurons on 4 inputs, y = Σ relu(z), L = y². Our W is
 * n_in × n_out = 4×3, the transpose of the notebook's 3×4. The sum is a
 * second "layer" with weights (1, 1, 1): y = A·1 (bp_dgemm), and its
 * gradient dA = dy·1ᵀ (bp_input_gradient); L = y² is MSE with n = k = 1. */
static void run_layer(int emulate_nnfs, double loss[STEPS], double W[12], double b[3]) {
    static const double Wnb[3][4] = { { 0.1, 0.2, 0.3, 0.4 },
                                      { 0.5, 0.6, 0.7, 0.8 },
                                      { 0.9, 1.0, 1.1, 1.2 } };
    const double x[4] = { 1.0, 2.0, 3.0, 4.0 }, ones[3] = { 1.0, 1.0, 1.0 }, target = 0.0;
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 3; i++) W[j * 3 + i] = Wnb[i][j];
    b[0] = 0.1;
    b[1] = 0.2;
    b[2] = 0.3;
    for (int it = 0; it < STEPS; it++) {
        double z[3], a[3], y, dy, dA[3], dZ[3], dW[12], db[3];
        H_OK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 1, 3, 4, 1.0, x, 4, W, 3, 0.0, z, 3));
        round_to_float(z, 3, emulate_nnfs);
        H_OK(bp_bias_add(1, 3, b, z, 3));
        H_OK(bp_activation_forward(BP_ACT_RELU, 0.0, 1, 3, z, a));
        H_OK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 1, 1, 3, 1.0, a, 3, ones, 1, 0.0, &y, 1));
        H_OK(bp_loss_compute(BP_LOSS_MSE, 1, 1, &y, &target, &loss[it], &dy));
        H_OK(bp_input_gradient(1, 3, 1, &dy, 1, ones, 1, dA, 3));
        H_OK(bp_activation_backward(BP_ACT_RELU, 0.0, 1, 3, z, a, dA, dZ));
        H_OK(bp_weight_gradient(1, 4, 3, 1.0, x, 4, dZ, 3, 0.0, dW, 3));
        H_OK(bp_bias_gradient(1, 3, 1.0, dZ, 3, 0.0, db));
        H_OK(bp_sgd_update(12, LR, dW, W));
        H_OK(bp_sgd_update(3, LR, db, b));
    }
}

/* ---- exact references ------------------------------------------------------------------ */

/* The layer by plain scalar loops in long double, in the notebook's own
 * orientation (W is 3×4), from the same double inputs the kernels get. For
 * each step it records the loss and s = Σ over active neurons of
 * (Σ_j |W_ij·x_j| + |b_i|), the magnitude of the terms that make up y. */
static void layer_reference(long double loss[STEPS], long double scale[STEPS], long double W[3][4],
                            long double b[3]) {
    static const double Wnb[3][4] = { { 0.1, 0.2, 0.3, 0.4 },
                                      { 0.5, 0.6, 0.7, 0.8 },
                                      { 0.9, 1.0, 1.1, 1.2 } };
    const long double x[4] = { 1, 2, 3, 4 }, lr = LR;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) W[i][j] = Wnb[i][j];
    b[0] = 0.1;
    b[1] = 0.2;
    b[2] = 0.3;
    for (int it = 0; it < STEPS; it++) {
        long double z[3], y = 0.0L, s = 0.0L;
        for (int i = 0; i < 3; i++) {
            long double t = b[i], ta = fabsl(b[i]);
            for (int j = 0; j < 4; j++) {
                t += W[i][j] * x[j];
                ta += fabsl(W[i][j] * x[j]);
            }
            z[i] = t;
            if (t > 0) {
                y += t;
                s += ta;
            }
        }
        loss[it] = y * y;
        scale[it] = s;
        for (int i = 0; i < 3; i++) {
            long double dz = z[i] > 0 ? 2.0L * y : 0.0L;
            for (int j = 0; j < 4; j++) W[i][j] -= lr * dz * x[j];
            b[i] -= lr * dz;
        }
    }
}

/* Error of a layer loss L = y², measured against the terms it is made of.
 * y is a sum of terms of total magnitude s; when y has shrunk to 2e-5 while
 * s ≈ 2 (the last steps), any correct double computation of y is off by
 * ~ε·s, i.e. 1e-11 relative to y: per-element relative error would blame
 * cancellation on the kernels. Since dL = 2y·dy, we divide |L − Lref| by
 * max(Lref, 2·|y|·s). */
static double layer_loss_err(double L, long double Lref, long double s) {
    long double sc = fmaxl(Lref, 2.0L * sqrtl(Lref) * s);
    return (double)(fabsl(L - Lref) / sc);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_neuron_exact(void **state) {
    (void)state;
    double loss[STEPS], w[3], b;
    run_neuron(0, loss, w, &b);
    for (int i = 0; i < STEPS; i++) {
        long double want = 36.0L * powl(0.97L, 2 * i);
        H_EXPECT(fabsl(loss[i] - want) <= 1e-12L * want,
                 "iteration %d: loss %.17g, exact 36·0.97^%d = %.17Lg", i + 1, loss[i], 2 * i,
                 want);
    }
    const double x[3] = { 1.0, -2.0, 3.0 }, w0[3] = { -3.0, -1.0, 2.0 };
    long double shrink = 0.4L * (1.0L - powl(0.97L, STEPS));
    for (int j = 0; j < 3; j++) {
        long double want = w0[j] - shrink * x[j];
        H_EXPECT(fabsl(w[j] - want) <= 1e-12L * fabsl(want), "final w[%d] = %.17g, exact %.17Lg", j,
                 w[j], want);
    }
    long double bw = 1.0L - shrink;
    H_EXPECT(fabsl(b - bw) <= 1e-12L * bw, "final b = %.17g, exact %.17Lg", b, bw);
}

static void test_layer_exact(void **state) {
    (void)state;
    double loss[STEPS], W[12], b[3];
    long double Lref[STEPS], S[STEPS], Wref[3][4], bref[3];
    run_layer(0, loss, W, b);
    layer_reference(Lref, S, Wref, bref);
    for (int i = 0; i < STEPS; i++) {
        double e = layer_loss_err(loss[i], Lref[i], S[i]);
        H_EXPECT(e <= 1e-12, "iteration %d: loss %.17g, reference %.17Lg (error %.3g)", i, loss[i],
                 Lref[i], e);
    }
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++)
            H_EXPECT(fabsl(W[j * 3 + i] - Wref[i][j]) <= 1e-12L * fabsl(Wref[i][j]),
                     "final W[%d][%d] = %.17g, reference %.17Lg", i, j, W[j * 3 + i], Wref[i][j]);
        H_EXPECT(fabsl(b[i] - bref[i]) <= 1e-12L * fabsl(bref[i]),
                 "final b[%d] = %.17g, reference %.17Lg", i, b[i], bref[i]);
    }
}

/* Printed figures with double precision behind them: the layer's second run
 * (cell 9) and all final parameters, which are printed to 8 decimals — even
 * those of the float32-dot cells agree with the float64 run to 1.2e-8. */
static void test_notebook_printed_figures(void **state) {
    (void)state;
    double loss[STEPS], W[12], b[3], nl[STEPS], nw[3], nb;
    run_layer(0, loss, W, b);
    for (int k = 0; k < 10; k++) {
        double e = fabs(loss[20 * k] - NB_LAYER_RUN2_LOSS[k]) / NB_LAYER_RUN2_LOSS[k];
        H_EXPECT(e <= 1e-7,
                 "layer (cell 9) iteration %d: loss %.17g, printed %.17g "
                 "(rel %.3g)",
                 20 * k, loss[20 * k], NB_LAYER_RUN2_LOSS[k], e);
    }
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
            H_EXPECT(fabs(W[j * 3 + i] - NB_LAYER_RUN1_W[i][j]) <= 2e-8 &&
                         fabs(W[j * 3 + i] - NB_LAYER_RUN2_W[i][j]) <= 2e-8,
                     "layer final W[%d][%d] = %.10f, printed %.8f / %.8f", i, j, W[j * 3 + i],
                     NB_LAYER_RUN1_W[i][j], NB_LAYER_RUN2_W[i][j]);
        }
        H_EXPECT(fabs(b[i] - NB_LAYER_RUN1_B[i]) <= 2e-8 && fabs(b[i] - NB_LAYER_RUN2_B[i]) <= 2e-8,
                 "layer final b[%d] = %.10f, printed %.8f / %.8f", i, b[i], NB_LAYER_RUN1_B[i],
                 NB_LAYER_RUN2_B[i]);
    }
    run_neuron(0, nl, nw, &nb);
    for (int j = 0; j < 3; j++)
        H_EXPECT(fabs(nw[j] - NB_NEURON_W[j]) <= 2e-8,
                 "neuron final w[%d] = %.10f, "
                 "printed %.8f",
                 j, nw[j], NB_NEURON_W[j]);
    H_EXPECT(fabs(nb - NB_NEURON_B) <= 2e-8, "neuron final b = %.17g, printed %.17g", nb,
             NB_NEURON_B);
    H_EXPECT(nl[0] == NB_NEURON_LOSS[0], "neuron first loss %.17g, printed 36.0", nl[0]);
}

/* The float32-dot figures (cells 4 and 6), reproduced by the kernels with
 * the dot product rounded as nnfs's np.dot rounds it: losses to 1e-12
 * (norm-wise for the layer, as in test_layer_exact), the printed 17-digit
 * bias to 1e-12, and the 8-decimal parameters to their printing precision
 * (half a unit of the 8th decimal). */
static void test_notebook_float32_figures_reproduced(void **state) {
    (void)state;
    double loss[STEPS], w[3], b;
    run_neuron(1, loss, w, &b);
    for (int i = 0; i < STEPS; i++) {
        double e = fabs(loss[i] - NB_NEURON_LOSS[i]) / NB_NEURON_LOSS[i];
        H_EXPECT(e <= 1e-12,
                 "neuron (cell 4) iteration %d: loss %.17g, printed %.17g "
                 "(rel %.3g)",
                 i + 1, loss[i], NB_NEURON_LOSS[i], e);
    }
    for (int j = 0; j < 3; j++)
        H_EXPECT(fabs(w[j] - NB_NEURON_W[j]) <= 5e-9 + 1e-15,
                 "neuron final w[%d] = "
                 "%.12f, printed %.8f",
                 j, w[j], NB_NEURON_W[j]);
    H_EXPECT(fabs(b - NB_NEURON_B) <= 1e-12 * NB_NEURON_B,
             "neuron final b = %.17g, "
             "printed %.17g",
             b, NB_NEURON_B);

    double L[STEPS], W[12], bb[3];
    long double Lref[STEPS], S[STEPS], Wref[3][4], bref[3];
    run_layer(1, L, W, bb);
    layer_reference(Lref, S, Wref, bref); /* for the error scale only */
    for (int k = 0; k < 10; k++) {
        double e = layer_loss_err(L[20 * k], NB_LAYER_RUN1_LOSS[k], S[20 * k]);
        H_EXPECT(e <= 1e-12,
                 "layer (cell 6) iteration %d: loss %.17g, printed %.17g "
                 "(error %.3g)",
                 20 * k, L[20 * k], NB_LAYER_RUN1_LOSS[k], e);
    }
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++)
            H_EXPECT(fabs(W[j * 3 + i] - NB_LAYER_RUN1_W[i][j]) <= 5e-9 + 1e-15,
                     "layer (cell 6) final W[%d][%d] = %.12f, printed %.8f", i, j, W[j * 3 + i],
                     NB_LAYER_RUN1_W[i][j]);
        H_EXPECT(fabs(bb[i] - NB_LAYER_RUN1_B[i]) <= 5e-9 + 1e-15,
                 "layer (cell 6) final b[%d] = %.12f, printed %.8f", i, bb[i], NB_LAYER_RUN1_B[i]);
    }
}

#ifdef SEED02_LITERAL_PRINTED_CHECK
/* Opt-in: the float32-era printed losses against the float64 kernels at
 * 1e-7 relative. Expected to FAIL (see the top of this file). */
static void test_notebook_float32_figures_at_1e7(void **state) {
    (void)state;
    double loss[STEPS], w[3], b, L[STEPS], W[12], bb[3];
    int bad = 0;
    run_neuron(0, loss, w, &b);
    for (int i = 0; i < STEPS; i++) {
        double e = fabs(loss[i] - NB_NEURON_LOSS[i]) / NB_NEURON_LOSS[i];
        if (e > 1e-7) {
            print_error("neuron iteration %d: float64 %.17g printed %.17g rel %.3g\n", i + 1,
                        loss[i], NB_NEURON_LOSS[i], e);
            bad++;
        }
    }
    run_layer(0, L, W, bb);
    for (int k = 0; k < 10; k++) {
        double e = fabs(L[20 * k] - NB_LAYER_RUN1_LOSS[k]) / NB_LAYER_RUN1_LOSS[k];
        if (e > 1e-7) {
            print_error("layer (cell 6) iteration %d: float64 %.17g printed %.17g "
                        "rel %.3g\n",
                        20 * k, L[20 * k], NB_LAYER_RUN1_LOSS[k], e);
            bad++;
        }
    }
    H_EXPECT(bad == 0, "%d printed figures are not within 1e-7 of the float64 run", bad);
}
#endif

int run_seeds_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neuron_exact),
        cmocka_unit_test(test_layer_exact),
        cmocka_unit_test(test_notebook_printed_figures),
        cmocka_unit_test(test_notebook_float32_figures_reproduced),
#ifdef SEED02_LITERAL_PRINTED_CHECK
        cmocka_unit_test(test_notebook_float32_figures_at_1e7),
#endif
    };
    return cmocka_run_group_tests_name("seeds", tests, NULL, NULL);
}
