/* sim/engine/queue.c: the pending-event heap against a sorted reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "sim/engine/queue.h"

/* In these tests an entry's slot doubles as its scheduling sequence. */
static uint64_t seq_is_slot(const void *owner, uint32_t slot) {
    (void)owner;
    return slot;
}

static int cmp_entry(const void *a, const void *b) {
    const queue_entry *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* 10^6 random entries with many equal times come out exactly in the order
 * of a stable sort by (time, seq). */
static void test_million_random_against_sorted(void **state) {
    (void)state;
    const size_t n = 1000000;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    queue q;
    assert_int_equal(queue_init(&q, 1, seq_is_slot, NULL), 0);
    queue_entry *ref = malloc(n * sizeof *ref);
    assert_non_null(ref);
    for (size_t i = 0; i < n; i++) {
        /* 1000 distinct times: about 1000 ties per time. */
        ref[i] = (queue_entry){.time = (simtime_ns)gsl_rng_uniform_int(rng, 1000), .slot = (uint32_t)i};
        assert_int_equal(queue_push(&q, ref[i]), 0);
    }
    qsort(ref, n, sizeof *ref, cmp_entry);
    for (size_t i = 0; i < n; i++) {
        assert_false(queue_empty(&q));
        const queue_entry *top = queue_top(&q);
        assert_int_equal(top->time, ref[i].time);
        assert_int_equal(top->slot, ref[i].slot);
        queue_pop(&q);
    }
    assert_true(queue_empty(&q));
    free(ref);
    queue_free(&q);
    gsl_rng_free(rng);
}

static void test_replace_top_keeps_order(void **state) {
    (void)state;
    queue q;
    assert_int_equal(queue_init(&q, 4, seq_is_slot, NULL), 0);
    for (uint64_t i = 0; i < 100; i++)
        queue_push(&q, (queue_entry){.time = (simtime_ns)(i * 7 % 100), .slot = (uint32_t)i});
    uint32_t seq = 100;
    simtime_ns last = -1;
    for (int step = 0; step < 1000; step++) {
        const queue_entry *top = queue_top(&q);
        assert_true(top->time >= last);
        last = top->time;
        queue_replace_top(&q, (queue_entry){.time = last + (step % 13), .slot = seq++});
    }
    assert_int_equal(queue_size(&q), 100);
    queue_free(&q);
}

static bool keep_even(void *ctx, const queue_entry *e) {
    (void)ctx;
    return e->slot % 2 == 0;
}

static void test_filter_then_heap_order(void **state) {
    (void)state;
    queue q;
    assert_int_equal(queue_init(&q, 1, seq_is_slot, NULL), 0);
    for (uint64_t i = 0; i < 5000; i++)
        queue_push(&q, (queue_entry){.time = (simtime_ns)((i * 7919) % 1013), .slot = (uint32_t)i});
    queue_filter(&q, keep_even, NULL);
    assert_int_equal(queue_size(&q), 2500);
    queue_entry prev = *queue_top(&q);
    queue_pop(&q);
    size_t popped = 1;
    while (!queue_empty(&q)) {
        const queue_entry *top = queue_top(&q);
        assert_true(cmp_entry(&prev, top) < 0);
        assert_int_equal(top->slot % 2, 0);
        prev = *top;
        queue_pop(&q);
        popped++;
    }
    assert_int_equal(popped, 2500);
    queue_free(&q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_million_random_against_sorted),
        cmocka_unit_test(test_replace_top_keeps_order),
        cmocka_unit_test(test_filter_then_heap_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
