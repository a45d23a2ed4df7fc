/*
 * fuzz_mlp.c — libFuzzer target for the C API's network entry points
 * (bp_mlp.h), in double and single precision.
 *
 * Each input is read as a little program: the precision and execution
 * context, a network (layer widths, activations, leaky-ReLU slopes, loss,
 * max_rows) for bp_mlp_create, then up to eight calls among forward,
 * gradient, backward, train_step, train_epoch, train_epochs, the
 * per-layer accessors (preactivations, activations, deltas) and
 * parameter_count, each with sizes, leading dimensions,
 * batch positions, row orders, labels, data values and a learning rate
 * taken from the input. Pointers are either NULL or point into buffers
 * allocated to exactly the extent the call's own arguments describe
 * (row r of X at X + r·ldx, n_in values), so AddressSanitizer sees any
 * read or write outside what the contract allows.
 *
 * The contract checked, whatever the input: every call returns one of the
 * bp_status codes and never crashes or hits undefined behaviour; a call
 * that returns an argument error leaves every output untouched
 * (bp_status.h); a training step that reports divergence 1 has not moved
 * the parameters, and one that reports 0 has a finite loss (bp_mlp.h).
 * A broken promise aborts, which libFuzzer records as a crash.
 *
 * Sizes are small (up to 23 wide, a few dozen rows), with now and then an
 * extreme one (2^40 and up, SIZE_MAX) that must be refused or fail to
 * allocate, never wrap. Build and run: Fuzz/README.md.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "CKernels.h"

/* ---- Reading the input ---------------------------------------------------- */

typedef struct {
    const uint8_t *data;
    size_t size, at;
} input;

/* The next byte; zeros once the input is used up. */
static uint8_t take(input *in) { return in->at < in->size ? in->data[in->at++] : 0; }

/* Sizes no network can have: each makes some buffer at least 2^40
 * elements, which must be refused (BP_ERR_SIZE_OVERFLOW) or fail to
 * allocate (BP_ERR_NO_MEMORY). */
static const size_t EXTREME[] = {
    (size_t)1 << 40,   (size_t)1 << 52,  (size_t)1 << 62,
    SIZE_MAX / 16 + 1, SIZE_MAX / 2 + 1, SIZE_MAX,
};

/* A width or count: mostly 0 .. limit−1, sometimes extreme (when allowed). */
static size_t take_size(input *in, size_t limit, int extreme) {
    uint8_t b = take(in);
    if (extreme && b >= 250) return EXTREME[(b - 250) % (sizeof EXTREME / sizeof *EXTREME)];
    return b % limit;
}

/* A data value or hyperparameter: mostly small, sometimes a special one,
 * sometimes any bit pattern. */
static double take_double(input *in) {
    static const double special[] = {
        NAN,    INFINITY, -INFINITY, 0.0,    -0.0,   1e308, -1e308,
        5e-324, 1e30,     -1e30,     3.4e38, 1e-300, 1e4,   0.5,
    };
    uint8_t b = take(in);
    if (b < 200) return (b - 100) / 16.0;
    if (b < 240) return special[(b - 200) % (sizeof special / sizeof *special)];
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) bits = bits << 8 | take(in);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* FUZZ_MLP_TRACE set: each call and its status on stderr (for replaying
 * one input by hand). */
static int tracing(void) {
    static int state = -1;
    if (state < 0) state = getenv("FUZZ_MLP_TRACE") != NULL;
    return state;
}

/* ---- Checking the contract ------------------------------------------------ */

static void fail(const char *what, bp_status status) {
    fprintf(stderr, "contract broken: %s (status %d, %s)\n", what, (int)status,
            bp_status_string(status));
    abort();
}

static void check_status(bp_status status) {
    if ((int)status < BP_OK || (int)status > BP_ERR_GSL) fail("unknown status code", status);
}

/* A byte-for-byte copy of a buffer, to check that an error left it alone. */
typedef struct {
    const void *p;
    void *copy;
    size_t bytes;
} snapshot;

static snapshot take_snapshot(const void *p, size_t bytes) {
    snapshot s = { p, NULL, p ? bytes : 0 };
    if (s.bytes) {
        s.copy = malloc(s.bytes);
        if (!s.copy) abort();
        memcpy(s.copy, p, s.bytes);
    }
    return s;
}

static int unchanged(const snapshot *s) {
    return s->bytes == 0 || memcmp(s->p, s->copy, s->bytes) == 0;
}

static void drop_snapshot(snapshot *s) {
    free(s->copy);
    s->copy = NULL;
}

/* Errors other than these two are argument errors: nothing written. */
static int is_argument_error(bp_status status) {
    return status != BP_OK && status != BP_ERR_NO_MEMORY && status != BP_ERR_GSL;
}

/* Execution contexts, made once: none, one thread, two threads, and two
 * threads on the portable kernels. */
static const bp_exec *context(uint8_t choice) {
    static bp_exec *made[3];
    static int ready;
    if (!ready) {
        if (bp_exec_create(1, &made[0]) || bp_exec_create(2, &made[1]) ||
            bp_exec_create_with(2, BP_EXEC_PORTABLE, &made[2]))
            abort();
        ready = 1;
    }
    return choice % 4 == 0 ? NULL : made[choice % 4 - 1];
}

/* An index array of `count` entries, each below `bound` (or, now and then,
 * anything), and the number of rows it reaches. */
static size_t *take_indices(input *in, size_t count, size_t bound, size_t *reach) {
    size_t *ix = malloc((count ? count : 1) * sizeof *ix);
    if (!ix) abort();
    *reach = 0;
    for (size_t i = 0; i < count; i++) {
        uint8_t b = take(in);
        ix[i] = b == 255 ? SIZE_MAX : b == 254 ? ((size_t)1 << 61) : b % bound;
        if (ix[i] < bound && ix[i] + 1 > *reach) *reach = ix[i] + 1;
    }
    return ix;
}

/* ---- The calls, once per precision ---------------------------------------- */

#define R double
#define MLP bp_mlp
#define F(name) bp_mlp_##name
#define RUN_NAME(name) name##_f64
#include "fuzz_mlp_tmpl.h"
#undef R
#undef MLP
#undef F
#undef RUN_NAME

#define R float
#define MLP bp_mlp_f32
#define F(name) bp_mlp_##name##_f32
#define RUN_NAME(name) name##_f32
#include "fuzz_mlp_tmpl.h"
#undef R
#undef MLP
#undef F
#undef RUN_NAME

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input in = { data, size, 0 };
    uint8_t mode = take(&in);
    const bp_exec *exec = context(mode >> 1);

    /* The network. */
    bp_layer_spec layers[4];
    size_t n_layers = take(&in) % 5;
    size_t previous = take_size(&in, 24, 1);
    for (size_t l = 0; l < n_layers; l++) {
        uint8_t shape = take(&in);
        layers[l].n_in = shape & 1 ? take_size(&in, 24, 1) : previous; /* mostly connected */
        layers[l].n_out = take_size(&in, 24, 1);
        layers[l].act =
            (bp_activation)((int)(take(&in) % 8) - 1); /* −1 and 6 are not activations */
        layers[l].param = shape & 2 ? take_double(&in) : 0.01;
        previous = layers[l].n_out;
    }
    bp_loss loss = (bp_loss)((int)(take(&in) % 7) - 1);
    size_t max_rows = take_size(&in, 40, 1);
    int null_layers = take(&in) == 255;

    if (mode & 1) run_f32(&in, exec, null_layers ? NULL : layers, n_layers, loss, max_rows);
    else run_f64(&in, exec, null_layers ? NULL : layers, n_layers, loss, max_rows);
    return 0;
}

/* Huge requests must fail as BP_ERR_NO_MEMORY, not abort the process. */
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
