/*
 * update_stage.c — the parameter-update stage (update_stage.h): setting a
 * stage up, and its step in double and float, instantiated from
 * update_stage_tmpl.h.
 */
#include <stdlib.h>
#include "ops/update_stage.h"
#include "runtime/internal.h"
#include "runtime/dispatch.h"

size_t bp_update_state_slots(bp_update_rule rule) {
    switch (rule) {
    case BP_UPDATE_SGD: return 0;
    }
    return 0;
}

bp_status bp_update_state_bytes(bp_update_rule rule, size_t n, size_t elem_size, size_t *bytes) {
    size_t values;
    if (bp_mul_overflows(bp_update_state_slots(rule), n, &values) ||
        bp_mul_overflows(values, elem_size, bytes))
        return BP_ERR_SIZE_OVERFLOW;
    return BP_OK;
}

bp_status bp_update_stage_init(bp_update_stage *s, bp_update_rule rule, size_t n,
                               size_t elem_size) {
    size_t bytes;
    *s = (bp_update_stage){
        .rule = rule, .n = n, .elem_size = elem_size, .state_slots = bp_update_state_slots(rule)
    };
    BP_TRY(bp_update_state_bytes(rule, n, elem_size, &bytes));
    if (bytes > 0) {
        /* zeroed: every rule's state starts at 0 (momentum, moments) */
        s->state = calloc(1, bytes);
        if (s->state == NULL) return BP_ERR_NO_MEMORY;
    }
    return BP_OK;
}

void bp_update_stage_free(bp_update_stage *s) {
    free(s->state);
    s->state = NULL;
}

void bp_update_stage_set_hook(bp_update_stage *s, bp_gradient_hook hook, void *user) {
    s->hook = hook;
    s->hook_user = hook ? user : NULL;
}

#define R double
#define U(name) name##_d
#define VEC_NONFINITE vec_nonfinite_d
#define VEC_SGD vec_sgd_d
#include "update_stage_tmpl.h"
#undef R
#undef U
#undef VEC_NONFINITE
#undef VEC_SGD

#define R float
#define U(name) name##_s
#define VEC_NONFINITE vec_nonfinite_s
#define VEC_SGD vec_sgd_s
#include "update_stage_tmpl.h"
