/*
 * main.c — runs the groups of the C harness (registry.h), each printing
 * cmocka's standard report.
 *
 *   charness                  every group, in the order of registry.h
 *   charness narrow training  only the groups named, in the order given
 *   charness --list           the names of the groups, one a line
 *
 * The exit status is 0 when every test that ran passed, 1 when a test
 * failed, and 2 for a name that is not a group or an unknown option
 * (nothing runs then).
 *
 *   make check-c     (or build by hand: see the Makefile)
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

typedef struct group {
    const char *name;
    int (*run)(void);
} group;

static const group GROUPS[] = {
#define HARNESS_GROUP(name) { #name, run_##name##_tests },
#include "registry.h"
#undef HARNESS_GROUP
};

enum { N_GROUPS = sizeof GROUPS / sizeof GROUPS[0] };

static const group *find_group(const char *name) {
    for (size_t g = 0; g < N_GROUPS; g++)
        if (strcmp(GROUPS[g].name, name) == 0) return &GROUPS[g];
    return NULL;
}

static void usage(FILE *to, const char *argv0) {
    fprintf(to,
            "usage: %s [--list | GROUP...]\n"
            "runs every group of tests, or only the groups named; --list names them\n",
            argv0);
}

int main(int argc, char **argv) {
    const char *argv0 = argc > 0 ? argv[0] : "charness";
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t g = 0; g < N_GROUPS; g++) puts(GROUPS[g].name);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout, argv0);
        return 0;
    }
    /* every name is checked before anything runs */
    int bad = 0;
    for (int a = 1; a < argc; a++)
        if (argv[a][0] == '-') {
            fprintf(stderr, "%s: %s %s\n", argv0, argv[a],
                    strcmp(argv[a], "--list") == 0 ? "takes no group names" : "is no option");
            bad = 1;
        } else if (find_group(argv[a]) == NULL) {
            fprintf(stderr, "%s: no group named %s (--list names them)\n", argv0, argv[a]);
            bad = 1;
        }
    if (bad) {
        usage(stderr, argv0);
        return 2;
    }
    int failed = 0;
    if (argc < 2)
        for (size_t g = 0; g < N_GROUPS; g++) failed += GROUPS[g].run();
    else
        for (int a = 1; a < argc; a++) failed += find_group(argv[a])->run();
    return failed == 0 ? 0 : 1;
}
