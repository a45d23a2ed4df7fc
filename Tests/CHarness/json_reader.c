/*
 * json_reader.c — the harness's JSON reader (json_reader.h): a recursive
 * descent over the text of a file.
 */
#include "json_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct j_parser {
    const char *p, *end;
    int failed;
} j_parser;

static void skip_space(j_parser *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int fail(j_parser *s) {
    s->failed = 1;
    return 0;
}

static int parse_value(j_parser *s, j_value *v);

static char *parse_string(j_parser *s) {
    if (s->p >= s->end || *s->p != '"') return fail(s), NULL;
    s->p++;
    char *out = malloc((size_t)(s->end - s->p) + 1), *o = out;
    if (out == NULL) return fail(s), NULL;
    while (s->p < s->end && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\') {
            if (s->p >= s->end) break;
            char e = *s->p++;
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *at = strchr(from, e);
            if (e == '\0' || at == NULL) { /* \u and anything unknown */
                free(out);
                return fail(s), NULL;
            }
            c = to[at - from];
        }
        *o++ = c;
    }
    if (s->p >= s->end) {
        free(out);
        return fail(s), NULL;
    }
    s->p++; /* the closing quote */
    *o = '\0';
    return out;
}

/* Appends a zeroed slot to a growing array of values (and of keys). */
static j_value *grow(j_parser *s, j_value *v, size_t *cap, int keyed) {
    if (v->count == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        j_value *items = realloc(v->items, *cap * sizeof *items);
        if (items == NULL) return fail(s), NULL;
        v->items = items;
        if (keyed) {
            char **keys = realloc(v->keys, *cap * sizeof *keys);
            if (keys == NULL) return fail(s), NULL;
            v->keys = keys;
        }
    }
    j_value *slot = &v->items[v->count];
    memset(slot, 0, sizeof *slot);
    if (keyed) v->keys[v->count] = NULL;
    v->count++;
    return slot;
}

static int parse_container(j_parser *s, j_value *v, int object) {
    size_t cap = 0;
    v->kind = object ? J_OBJECT : J_ARRAY;
    s->p++;
    skip_space(s);
    if (s->p < s->end && *s->p == (object ? '}' : ']')) {
        s->p++;
        return 1;
    }
    for (;;) {
        skip_space(s);
        char *key = NULL;
        if (object) {
            key = parse_string(s);
            if (key == NULL) return 0;
            skip_space(s);
            if (s->p >= s->end || *s->p != ':') {
                free(key);
                return fail(s);
            }
            s->p++;
        }
        j_value *slot = grow(s, v, &cap, object);
        if (slot == NULL) {
            free(key);
            return 0;
        }
        if (object) v->keys[v->count - 1] = key;
        if (!parse_value(s, slot)) return 0;
        skip_space(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == (object ? '}' : ']')) {
            s->p++;
            return 1;
        }
        return fail(s);
    }
}

static int parse_value(j_parser *s, j_value *v) {
    skip_space(s);
    if (s->p >= s->end) return fail(s);
    const char c = *s->p;
    if (c == '{' || c == '[') return parse_container(s, v, c == '{');
    if (c == '"') {
        v->kind = J_STRING;
        v->string = parse_string(s);
        return v->string != NULL;
    }
    static const struct {
        const char *word;
        j_kind kind;
        double number;
    } words[] = { { "true", J_BOOL, 1 }, { "false", J_BOOL, 0 }, { "null", J_NULL, 0 } };
    for (size_t w = 0; w < 3; w++) {
        size_t len = strlen(words[w].word);
        if ((size_t)(s->end - s->p) >= len && memcmp(s->p, words[w].word, len) == 0) {
            v->kind = words[w].kind;
            v->number = words[w].number;
            s->p += len;
            return 1;
        }
    }
    char *stop;
    v->kind = J_NUMBER;
    v->number = strtod(s->p, &stop);
    if (stop == s->p || stop > s->end) return fail(s);
    s->p = stop;
    return 1;
}

static void free_contents(j_value *v) {
    for (size_t i = 0; i < v->count; i++) {
        free_contents(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

void j_free(j_value *v) {
    if (v == NULL) return;
    free_contents(v);
    free(v);
}

j_value *j_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "json_reader: cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    size_t got = text ? fread(text, 1, (size_t)size, f) : 0;
    fclose(f);
    if (text == NULL || got != (size_t)size) {
        fprintf(stderr, "json_reader: cannot read %s\n", path);
        free(text);
        return NULL;
    }
    text[size] = '\0'; /* strtod stops at it */
    j_parser s = { text, text + size, 0 };
    j_value *v = calloc(1, sizeof *v);
    int ok = v != NULL && parse_value(&s, v);
    skip_space(&s);
    if (!ok || s.failed || s.p != s.end) {
        fprintf(stderr, "json_reader: %s is not JSON (at byte %ld)\n", path, (long)(s.p - text));
        j_free(v);
        v = NULL;
    }
    free(text);
    return v;
}

const j_value *j_get(const j_value *v, const char *key) {
    if (v == NULL || v->kind != J_OBJECT) return NULL;
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->keys[i], key) == 0) return &v->items[i];
    return NULL;
}

double j_number(const j_value *v, const char *key, double fallback) {
    const j_value *m = j_get(v, key);
    return m != NULL && (m->kind == J_NUMBER || m->kind == J_BOOL) ? m->number : fallback;
}

double *j_numbers(const j_value *v, const char *key, size_t *count) {
    const j_value *a = key ? j_get(v, key) : v;
    if (a == NULL || a->kind != J_ARRAY) return NULL;
    double *out = malloc((a->count ? a->count : 1) * sizeof *out);
    if (out == NULL) return NULL;
    for (size_t i = 0; i < a->count; i++) {
        if (a->items[i].kind != J_NUMBER) {
            free(out);
            return NULL;
        }
        out[i] = a->items[i].number;
    }
    *count = a->count;
    return out;
}
