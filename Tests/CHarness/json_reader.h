/*
 * json_reader.h — a small JSON reader for the harness's fixtures
 * (Tests/Fixtures/optimizers/): the whole document read into a tree
 * of values. Numbers are read by strtod, which recovers every double that
 * Python's json module wrote (it writes the shortest string that reads
 * back as the same double). Strings keep their bytes; the escapes \" \\ \/
 * \b \f \n \r \t are decoded, \u escapes refused (the fixtures have none).
 */
#ifndef JSON_READER_H
#define JSON_READER_H

#include <stddef.h>

typedef enum j_kind { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } j_kind;

typedef struct j_value {
    j_kind kind;
    double number;         /* J_NUMBER; J_BOOL: 0 or 1 */
    char *string;          /* J_STRING, NUL-terminated */
    size_t count;          /* J_ARRAY: items; J_OBJECT: members */
    struct j_value *items; /* J_ARRAY: the items; J_OBJECT: the members' values */
    char **keys;           /* J_OBJECT: the members' names */
} j_value;

/* The document in the file at path, or NULL (a message on stderr) when it
 * cannot be read or is not JSON. Free with j_free. */
j_value *j_read_file(const char *path);
void j_free(j_value *v);

/* The member `key` of an object (NULL when v is no object or has none). */
const j_value *j_get(const j_value *v, const char *key);

/* A member's number, or `fallback` when the member is absent. */
double j_number(const j_value *v, const char *key, double fallback);

/* A member that is an array of numbers (key NULL: v itself), as a
 * malloc'd array of its values (*count receives their number), or NULL
 * when absent or not numbers. */
double *j_numbers(const j_value *v, const char *key, size_t *count);

#endif /* JSON_READER_H */
