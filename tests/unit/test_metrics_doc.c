/* docs/metrics.md defines every column of /replicas, /incidents, /timeline
 * and /trace with the unit the field tables write: a column added to the
 * tables without its definition, or a unit that differs, fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/metrics.h"

static char *read_doc(void) {
    FILE *f = fopen("docs/metrics.md", "rb");
    assert_non_null(f);
    char *text = calloc(1, 1 << 20);
    assert_non_null(text);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    assert_true(n > 0);
    return text;
}

/* The section of the doc that starts at `heading`, up to the next "## ". */
static const char *section(const char *text, const char *heading, size_t *len) {
    const char *s = strstr(text, heading);
    if (!s) fail_msg("docs/metrics.md: no section \"%s\"", heading);
    const char *end = strstr(s + strlen(heading), "\n## ");
    *len = end ? (size_t)(end - s) : strlen(s);
    return s;
}

static void assert_documented(const char *text, const char *heading, const metric_field *fields, size_t n) {
    size_t len;
    const char *s = section(text, heading, &len);
    for (size_t i = 0; i < n; i++) {
        char row[96];
        snprintf(row, sizeof row, "| `%s` |", fields[i].name);
        const char *hit = strstr(s, row);
        if (!hit || hit >= s + len) fail_msg("docs/metrics.md, %s: no row for column %s", heading, fields[i].name);
        /* the unit cell: "| `name` | UNIT | definition |" */
        const char *cell = hit + strlen(row);
        const char *end = strchr(cell, '|');
        assert_non_null(end);
        while (cell < end && *cell == ' ') cell++;
        while (end > cell && end[-1] == ' ') end--;
        if (strlen(fields[i].unit) != (size_t)(end - cell) || strncmp(cell, fields[i].unit, (size_t)(end - cell)) != 0)
            fail_msg("docs/metrics.md, %s: column %s has unit '%.*s', the field table writes '%s'", heading,
                     fields[i].name, (int)(end - cell), cell, fields[i].unit);
    }
}

static void test_every_column_is_defined(void **state) {
    (void)state;
    char *text = read_doc();
    assert_documented(text, "## `/replicas`", replica_metric_fields, replica_metric_field_count);
    assert_documented(text, "## `/incidents`", incident_fields, incident_field_count);
    assert_documented(text, "## `/timeline`", timeline_fields, timeline_field_count);
    assert_documented(text, "## `/trace`", trace_fields, trace_field_count);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_column_is_defined)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
