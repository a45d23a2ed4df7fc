/*
 * fuzz_mlp_tmpl.h — the calls of fuzz_mlp.c for one precision. Included
 * once per precision with R (the scalar), MLP (the workspace type),
 * F(name) (the public function) and RUN_NAME(name) (this precision's
 * name for a function of this file) defined.
 */

/* Leading dimensions no row can span twice: (rows − 1)·ldx·sizeof(R)
 * overflows for any rows ≥ 2 (one row is fine and reads n_in values). */
static size_t RUN_NAME(take_ldx)(input *in, size_t n_in) {
    static const size_t huge[] = { SIZE_MAX / 4 + 1, SIZE_MAX / 2 + 1, SIZE_MAX };
    uint8_t b = take(in);
    if (b >= 253) return huge[b - 253];
    if (b >= 240) return n_in ? b % n_in : 0; /* too small: BP_ERR_LEADING_DIMENSION */
    return n_in + b % 3;
}

/* A value in the working precision (a double beyond float's range becomes
 * an infinity, as the C conversion would be undefined). */
static R RUN_NAME(value)(input *in) {
    double v = take_double(in);
    if (sizeof(R) < sizeof(double) && !isnan(v) && fabs(v) > 3.4028234663852886e38)
        v = v > 0 ? INFINITY : -INFINITY;
    return (R)v;
}

/* `count` values of the input in a buffer of exactly `count` elements (a
 * live, non-NULL pointer for count 0). */
static R *RUN_NAME(buffer)(input *in, size_t count) {
    R *p = malloc((count ? count : 1) * sizeof(R));
    if (!p) abort();
    for (size_t i = 0; i < count; i++) p[i] = RUN_NAME(value)(in);
    return p;
}

/* X for `reach` rows of n_in values at leading dimension ldx: exactly
 * (reach − 1)·ldx + n_in elements (one row when ldx is huge). */
static R *RUN_NAME(matrix)(input *in, size_t reach, size_t n_in, size_t ldx) {
    size_t count = reach == 0                         ? 0
                   : reach == 1 || ldx > SIZE_MAX / 8 ? n_in
                                                      : (reach - 1) * ldx + n_in;
    return RUN_NAME(buffer)(in, count);
}

/* Labels for `reach` rows, some of them out of range now and then. */
static size_t *RUN_NAME(labels)(input *in, size_t reach, size_t classes) {
    size_t *labels = malloc((reach ? reach : 1) * sizeof *labels);
    if (!labels) abort();
    for (size_t i = 0; i < reach; i++) {
        uint8_t b = take(in);
        labels[i] = b == 255 ? SIZE_MAX : b % (classes + 1 + (b >= 250));
    }
    return labels;
}

static void
RUN_NAME(run)(input *in, const bp_exec *exec, const bp_layer_spec *layers, size_t n_layers,
                bp_loss loss, size_t max_rows) {
    static char marker;
    MLP *const untouched = (MLP *)&marker;
    MLP *mlp = untouched;
    bp_status st = F(create)(n_layers, layers, loss, max_rows, &mlp);
    check_status(st);
    if (tracing()) {
        fprintf(stderr, "%s create: %zu layers", sizeof(R) == sizeof(float) ? "f32" : "f64",
                n_layers);
        for (size_t l = 0; layers && l < n_layers; l++)
            fprintf(stderr, " %zu→%zu act %d (%g)", layers[l].n_in, layers[l].n_out,
                    (int)layers[l].act, layers[l].param);
        fprintf(stderr, ", loss %d, max_rows %zu: status %d\n", (int)loss, max_rows, (int)st);
    }
    if (st != BP_OK) {
        if (mlp != untouched) fail("create wrote *out although it failed", st);
        return;
    }
    /* A network that was created has sane sizes: every width < 24, max_rows < 40. */
    size_t n_in = layers[0].n_in, n_out = layers[n_layers - 1].n_out, n_params = 0;
    st = F(parameter_count)(mlp, &n_params);
    if (st != BP_OK) fail("parameter_count failed on a live workspace", st);
    if (F(parameter_count)(mlp, NULL) != BP_ERR_NULL_POINTER)
        fail("parameter_count took a NULL count", st);
    if (exec && take(in) & 1 && F(set_exec)(mlp, exec) != BP_OK) fail("set_exec failed", st);

    R *params = RUN_NAME(buffer)(in, n_params);
    size_t forward_rows = 0; /* rows of the last forward pass, for preactivations */
    size_t calls = take(in) % 8 + 1;
    for (size_t c = 0; c < calls && in->at < in->size; c++) {
#define TRACE_CALL()                                                                               \
    if (tracing())                                                                                 \
    fprintf(stderr, "call %zu: op %d flags 0x%02x rows %zu ldx %zu lr %g: status %d\n", c, op % 8, \
            flags, rows, ldx, learning_rate, (int)st)
        uint8_t op = take(in), flags = take(in);
        size_t ldx = RUN_NAME(take_ldx)(in, n_in);
        /* Rows beyond max_rows + 3 are extreme: refused before any read,
         * so the buffers are made for one row. */
        size_t rows = take_size(in, max_rows + 4, 1);
        int extreme_rows = rows > max_rows + 3;
        size_t reach = extreme_rows ? 1 : rows;
        double learning_rate = take_double(in);
        R *X = RUN_NAME(matrix)(in, reach, n_in, ldx);
        const R *x_arg = flags & 1 ? NULL : X;
        int target_kind = (flags >> 1) & 3; /* 0: Y, 1: labels, 2: both, 3: neither */
        double loss_value = -1.0;
        int diverged = -1;

        switch (op % 8) {
        case 0: { /* forward */
            R *out = RUN_NAME(buffer)(in, reach * n_out);
            R *out_arg = flags & 8 ? NULL : out;
            snapshot s = take_snapshot(out, reach * n_out * sizeof(R));
            st = F(forward)(mlp, params, rows, x_arg, ldx, out_arg);
            check_status(st);
            TRACE_CALL();
            if (is_argument_error(st) && !unchanged(&s))
                fail("forward wrote its output although it failed", st);
            if (st == BP_OK) forward_rows = rows;
            drop_snapshot(&s);
            free(out);
            break;
        }
        case 1:
        case 2: { /* gradient, backward */
            R *Y = RUN_NAME(buffer)(in, reach * n_out);
            size_t *labels = RUN_NAME(labels)(in, reach, n_out);
            R *grad = RUN_NAME(buffer)(in, n_params), *dX = RUN_NAME(buffer)(in, reach * n_in);
            R *grad_arg = flags & 8 ? NULL : grad, *dX_arg = flags & 16 ? NULL : dX;
            snapshot sg = take_snapshot(grad, n_params * sizeof(R));
            snapshot sx = take_snapshot(dX, reach * n_in * sizeof(R));
            if (op % 8 == 1) {
                st = F(gradient)(mlp, params, rows, x_arg, ldx, target_kind & 1 ? NULL : Y,
                              target_kind == 1 || target_kind == 2 ? labels : NULL,
                              flags & 32 ? NULL : &loss_value, grad_arg, dX_arg);
            } else {
                st = F(backward)(mlp, params, rows, x_arg, ldx, flags & 32 ? NULL : Y, grad_arg,
                              dX_arg);
            }
            check_status(st);
            TRACE_CALL();
            if (is_argument_error(st) && (!unchanged(&sg) || !unchanged(&sx) || loss_value != -1.0))
                fail("gradient or backward wrote an output although it failed", st);
            if (st == BP_OK) forward_rows = rows;
            drop_snapshot(&sg);
            drop_snapshot(&sx);
            free(Y);
            free(labels);
            free(grad);
            free(dX);
            break;
        }
        case 3:
        case 4:
        case 5: { /* train_step, train_epoch, train_epochs */
            size_t epochs = op % 8 == 5 ? take(in) % 4 : 1;
            size_t n = op % 8 == 3 ? rows : take_size(in, 3 * max_rows + 8, 0);
            /* A start beyond the data is SIZE_MAX, where start + rows
             * overflows: any smaller one claims that much data. */
            size_t start = op % 8 == 3 ? take_size(in, 9, 0) : 0;
            if (start == 8) start = SIZE_MAX;
            size_t batch = rows; /* an extreme batch claims no data */
            int extreme_start = start >= 8;
            size_t order_count = op % 8 == 3 ? (extreme_start ? 0 : start + reach) : epochs * n;
            size_t order_reach = 0;
            size_t *order =
                take_indices(in, order_count, (n ? n : 1) + (flags & 64 ? 2 : 0), &order_reach);
            int use_order = (flags >> 3) & 1;
            /* The rows the call may read: those the order names, or rows
             * start .. start+rows (train_step) or 0 .. n (the epochs). */
            size_t data_rows = use_order     ? order_reach
                               : op % 8 == 3 ? (extreme_start ? 0 : start + reach)
                                             : n;
            if (op % 8 == 3 && (extreme_rows || extreme_start)) data_rows = 1;
            R *X_all = RUN_NAME(matrix)(in, data_rows, n_in, ldx);
            R *Y = RUN_NAME(buffer)(in, data_rows * n_out);
            size_t *labels = RUN_NAME(labels)(in, data_rows, n_out);
            R *snap = RUN_NAME(buffer)(in, n_params);
            double *losses = malloc((epochs ? epochs : 1) * sizeof *losses);
            if (!losses) abort();
            for (size_t e = 0; e < epochs; e++) losses[e] = -1.0;
            size_t completed = SIZE_MAX;
            snapshot sp = take_snapshot(params, n_params * sizeof(R));
            snapshot sl = take_snapshot(losses, (epochs ? epochs : 1) * sizeof *losses);
            const R *y_arg = target_kind & 1 ? NULL : Y;
            const size_t *l_arg = target_kind == 1 || target_kind == 2 ? labels : NULL;
            const size_t *o_arg = use_order ? order : NULL;
            const R *xa = flags & 1 ? NULL : X_all;
            if (op % 8 == 3)
                st = F(train_step)(mlp, params, xa, ldx, y_arg, l_arg, o_arg, start, rows,
                                learning_rate, flags & 32 ? NULL : &loss_value, &diverged);
            else if (op % 8 == 4)
                st = F(
                    train_epoch)(mlp, params, xa, ldx, y_arg, l_arg, o_arg, n, batch, learning_rate,
                                 flags & 32 ? NULL : &loss_value, &diverged);
            else
                st = F(train_epochs)(mlp, params, xa, ldx, y_arg, l_arg, o_arg, n, batch, epochs,
                                  learning_rate, losses, flags & 128 ? NULL : snap, &completed,
                                  &diverged);
            check_status(st);
            TRACE_CALL();
            if (tracing())
                fprintf(stderr,
                        "  n %zu batch %zu epochs %zu start %zu order %d targets %d: params %s, "
                        "loss %g, diverged %d, completed %zu\n",
                        n, batch, epochs, start, use_order, target_kind,
                        unchanged(&sp) ? "unchanged" : "changed", loss_value, diverged, completed);
            if (extreme_start && st == BP_OK) fail("a training step accepted an extreme start", st);
            if (is_argument_error(st) &&
                (!unchanged(&sp) || !unchanged(&sl) || loss_value != -1.0 || diverged != -1 ||
                 completed != SIZE_MAX))
                fail("a training call wrote an output although it failed", st);
            if (st == BP_OK) {
                if (diverged < 0 || diverged > 2) fail("divergence flag out of range", st);
                /* A step's loss is finite unless it diverged; an epoch's mean
                 * (Σ loss_b·rows_b / n, bp_mlp.h) of finite losses near the
                 * top of the range may overflow, but is never NaN. */
                if (op % 8 == 3 && diverged == 0 && !(flags & 32) && !isfinite(loss_value))
                    fail("a step that did not diverge has a non-finite loss", st);
                if (op % 8 == 4 && diverged == 0 && !(flags & 32) && isnan(loss_value))
                    fail("an epoch that did not diverge has a NaN loss", st);
                if (op % 8 == 3 && diverged == 1 && !unchanged(&sp))
                    fail("a step that diverged before its update moved the parameters", st);
                if (op % 8 == 5) {
                    if (completed > epochs || (diverged == 0 && completed != epochs))
                        fail("completed epochs out of range", st);
                    for (size_t e = 0; e < completed; e++)
                        if (isnan(losses[e])) fail("a completed epoch has a NaN loss", st);
                }
            }
            forward_rows = 0; /* a training call may run another engine */
            drop_snapshot(&sp);
            drop_snapshot(&sl);
            free(order);
            free(X_all);
            free(Y);
            free(labels);
            free(snap);
            free(losses);
            break;
        }
        case 6: { /* preactivations, activations or deltas (their buffers
                   * are read over the rows of the last pass) */
            const R *Z = NULL;
            size_t layer = take_size(in, n_layers + 2, 1);
            const R **Z_arg = flags & 8 ? NULL : &Z;
            int which = (flags >> 4) % 3;
            st = which == 0   ? F(preactivations)(mlp, layer, Z_arg)
                 : which == 1 ? F(activations)(mlp, layer, Z_arg)
                              : F(deltas)(mlp, layer, Z_arg);
            check_status(st);
            TRACE_CALL();
            if (st == BP_OK && layer >= n_layers)
                fail("a per-layer accessor answered for a layer that does not exist", st);
            if (st != BP_OK && Z != NULL)
                fail("a per-layer accessor wrote its output on an error", st);
            if (st == BP_OK && Z && forward_rows) {
                volatile R sum = 0;
                for (size_t i = 0; i < forward_rows * layers[layer].n_out; i++) sum += Z[i];
                (void)sum;
            }
            break;
        }
        default: /* back to no context, or to the chosen one */
            if (F(set_exec)(mlp, flags & 1 ? exec : NULL) != BP_OK) fail("set_exec failed", BP_OK);
            forward_rows = 0;
            break;
        }
        if (op % 8 <= 5 && extreme_rows && st == BP_OK)
            fail("a call accepted an extreme row count", st);
        free(X);
    }
    free(params);
    F(free)(mlp);
}
#undef TRACE_CALL
