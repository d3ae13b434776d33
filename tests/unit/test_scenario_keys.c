/* scenarios/README.md, scenarios/schema.json and the parser agree on the set
 * of keys (run from the repository root, as `make test` does). Regenerate
 * both files with scripts/gen_scenario_docs.sh after changing a parser. */
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
        if (object) {
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

static void test_readme_schema_and_parser_agree(void **state) {
    (void)state;
    scenario sc;
    char err[512];
    if (!scenario_load(&sc, "scenarios/reference.json", err, sizeof err)) fail_msg("%s", err);
    keyset parser = {0}, readme = {0}, schema = {0};
    for (size_t i = 0; i < sc.n_known_keys; i++) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(sc.known_keys[i], "\t"), sc.known_keys[i]);
        add(&parser, key);
    }
    assert_true(parser.n > 80);

    char *md = slurp("scenarios/README.md");
    for (char *line = strtok(md, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| `", 3) != 0) continue;
        char *end = strchr(line + 3, '`');
        if (end) *end = '\0', add(&readme, line + 3);
    }
    free(md);

    char *text = slurp("scenarios/schema.json");
    cJSON *json = cJSON_Parse(text);
    assert_non_null(json);
    flatten(json, "", &schema);
    /* the committed schema is exactly what the parser generates now */
    char *generated = cfg_schema_json(sc.known_keys, sc.n_known_keys, "firedrill scenario");
    size_t len = strlen(generated);
    if (!(strncmp(text, generated, len) == 0 && (text[len] == '\0' || strcmp(text + len, "\n") == 0)))
        fail_msg("scenarios/schema.json is stale: run scripts/gen_scenario_docs.sh");
    free(generated);
    cJSON_Delete(json);
    free(text);

    assert_same(&parser, "parser", &readme, "scenarios/README.md");
    assert_same(&parser, "parser", &schema, "scenarios/schema.json");
    keyset_free(&parser);
    keyset_free(&readme);
    keyset_free(&schema);
    scenario_free(&sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_readme_schema_and_parser_agree)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
