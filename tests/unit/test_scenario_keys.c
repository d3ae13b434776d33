/* scenarios/README.md, the JSON Schemas and the parsers agree on the set
 * of keys, for scenario, sweep and optimize files (run from the repository
 * root, as `make test` does). Regenerate the files with
 * scripts/gen_scenario_docs.sh after changing a parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "models/cfg.h"
#include "models/scenario.h"
#include "sim/optimize.h"
#include "sim/sweep.h"

typedef struct keyset {
    char **k;
    size_t n, cap;
} keyset;

static void add(keyset *s, const char *key) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 128;
        s->k = realloc(s->k, s->cap * sizeof *s->k);
        assert_non_null(s->k);
    }
    s->k[s->n++] = strdup(key);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void keyset_free(keyset *s) {
    for (size_t i = 0; i < s->n; i++) free(s->k[i]);
    free(s->k);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    return text;
}

/* Every property path of a schema object, arrays of objects as "name[]". */
static void flatten(const cJSON *obj, const char *prefix, keyset *out) {
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(obj, "properties");
    const cJSON *p;
    cJSON_ArrayForEach(p, props) {
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", p->string);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(p, "items");
        bool object = cJSON_IsString(type) && strcmp(type->valuestring, "object") == 0;
        bool array_of_objects = items && cJSON_GetObjectItemCaseSensitive(items, "properties");
        /* An object with properties is a section: a key of its own only
         * when the parser registered it (then it has a description); an
         * object without (a map such as "set") is a key. */
        if (object && cJSON_GetObjectItemCaseSensitive(p, "properties")) {
            if (cJSON_GetObjectItemCaseSensitive(p, "description")) add(out, path);
            flatten(p, path, out);
            continue;
        }
        add(out, path);
        if (array_of_objects) {
            char item[260];
            snprintf(item, sizeof item, "%s[]", path);
            flatten(items, item, out);
        }
    }
}

static void assert_same(keyset *a, const char *a_name, keyset *b, const char *b_name) {
    qsort(a->k, a->n, sizeof *a->k, cmp_str);
    qsort(b->k, b->n, sizeof *b->k, cmp_str);
    size_t i = 0, j = 0;
    bool same = true;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->k[i], b->k[j]);
        if (c < 0)
            printf("only in %s: %s\n", a_name, a->k[i++]), same = false;
        else if (c > 0)
            printf("only in %s: %s\n", b_name, b->k[j++]), same = false;
        else
            i++, j++;
    }
    assert_true(same);
}

/* The keys of the table between <!-- MARKER:begin --> and <!-- MARKER:end -->. */
static void readme_keys(const char *marker, keyset *out) {
    char *md = slurp("scenarios/README.md"), begin[64], end[64];
    snprintf(begin, sizeof begin, "<!-- %s:begin -->", marker);
    snprintf(end, sizeof end, "<!-- %s:end -->", marker);
    bool inside = false, seen = false;
    for (char *line = strtok(md, "\n"); line; line = strtok(NULL, "\n")) {
        if (strcmp(line, begin) == 0) inside = seen = true;
        if (strcmp(line, end) == 0) inside = false;
        if (!inside || strncmp(line, "| `", 3) != 0) continue;
        char *stop = strchr(line + 3, '`');
        if (stop) *stop = '\0', add(out, line + 3);
    }
    free(md);
    if (!seen) fail_msg("scenarios/README.md has no %s", begin);
}

/* The key paths of registry lines, less those in `minus`. */
static void registry_keys(char *const *lines, size_t n, const keyset *minus, keyset *out) {
    for (size_t i = 0; i < n; i++) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(lines[i], "\t"), lines[i]);
        bool skip = false;
        for (size_t j = 0; minus && j < minus->n && !skip; j++) skip = strcmp(minus->k[j], key) == 0;
        if (!skip) add(out, key);
    }
}

/* The committed schema is exactly what the registry generates now, and
 * has the same keys. */
static void check_schema(const char *path, char *const *lines, size_t n, const char *title) {
    char *text = slurp(path);
    char *generated = cfg_schema_json(lines, n, title);
    size_t len = strlen(generated);
    if (!(strncmp(text, generated, len) == 0 && (text[len] == '\0' || strcmp(text + len, "\n") == 0)))
        fail_msg("%s is stale: run scripts/gen_scenario_docs.sh", path);
    free(generated);
    cJSON *json = cJSON_Parse(text);
    assert_non_null(json);
    keyset parser = {0}, schema = {0};
    registry_keys(lines, n, NULL, &parser);
    flatten(json, "", &schema);
    assert_same(&parser, "parser", &schema, path);
    keyset_free(&parser);
    keyset_free(&schema);
    cJSON_Delete(json);
    free(text);
}

static void test_readme_schema_and_parser_agree(void **state) {
    (void)state;
    scenario sc;
    char err[512];
    if (!scenario_load(&sc, "scenarios/reference.json", err, sizeof err)) fail_msg("%s", err);
    keyset parser = {0}, readme = {0};
    registry_keys(sc.known_keys, sc.n_known_keys, NULL, &parser);
    assert_true(parser.n > 80);
    readme_keys("keys", &readme);
    assert_same(&parser, "parser", &readme, "scenarios/README.md");
    check_schema("scenarios/schema.json", sc.known_keys, sc.n_known_keys, "firedrill scenario");
    keyset_free(&parser);
    keyset_free(&readme);
    scenario_free(&sc);
}

/* Sweep files: the README's table has every key; optimize files: the
 * table has the keys they add to sweep files, the schema all of them. */
static void test_sweep_and_optimize_keys_agree(void **state) {
    (void)state;
    char **sweep_lines, **opt_lines;
    size_t n_sweep, n_opt;
    assert_true(sweep_known_keys(&sweep_lines, &n_sweep));
    assert_true(opt_known_keys(&opt_lines, &n_opt));
    keyset sweep = {0}, opt_extra = {0}, readme_sweep = {0}, readme_opt = {0};
    registry_keys(sweep_lines, n_sweep, NULL, &sweep);
    registry_keys(opt_lines, n_opt, &sweep, &opt_extra);
    assert_true(sweep.n > 20 && opt_extra.n > 5);
    readme_keys("sweep-keys", &readme_sweep);
    readme_keys("optimize-keys", &readme_opt);
    assert_same(&sweep, "parser", &readme_sweep, "scenarios/README.md (sweep files)");
    assert_same(&opt_extra, "parser", &readme_opt, "scenarios/README.md (optimize files)");
    check_schema("scenarios/sweep.schema.json", sweep_lines, n_sweep, "firedrill sweep file");
    check_schema("scenarios/optimize.schema.json", opt_lines, n_opt, "firedrill optimize file");
    keyset_free(&sweep);
    keyset_free(&opt_extra);
    keyset_free(&readme_sweep);
    keyset_free(&readme_opt);
    cfg_free_keys(sweep_lines, n_sweep);
    cfg_free_keys(opt_lines, n_opt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_schema_and_parser_agree),
        cmocka_unit_test(test_sweep_and_optimize_keys_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
