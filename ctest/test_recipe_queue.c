/* The queue recipes from C: zk_queue hands entries out in priority then put order under
 * kazoo's names; zk_locking_queue takes, consumes and gives back entries, waits for a put
 * on another thread, ends a wait on cancel, and gets back the entry of a consumer whose
 * client is gone; bad input gets a result code. */
#include "zktest.h"

#include <pthread.h>
#include <string.h>

/* The value in a buffer equals the string s (and the buffer is freed). */
static bool take_str(struct zk_buffer *b, const char *s)
{
    bool eq = b->len == strlen(s) && (b->len == 0 || memcmp(b->data, s, b->len) == 0);
    zk_buffer_free(b);
    return eq;
}

static void a_queue_gives_entries_in_priority_then_put_order(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    struct zk_buffer data = {0};
    char *name = NULL;
    bool found = true;
    size_t n = 99;
    zk_queue *q = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    REQUIRE_OK(zk_queue_new(c, zkt_path(path, "%s/q", root), &q));
    CHECK_OK(zk_queue_get(q, 0, &data, &found));
    CHECK(!found && data.data == NULL && data.len == 0);
    CHECK_OK(zk_queue_len(q, 0, &n));
    CHECK_EQ(n, 0);
    CHECK_OK(zk_queue_put(q, (const uint8_t *)"a", 1, 100, 0, &name));
    CHECK(name != NULL && strncmp(name, "entry-100-", 10) == 0 && strlen(name) == 20);
    zk_string_free(name);
    CHECK_OK(zk_queue_put(q, (const uint8_t *)"b", 1, 3, 0, NULL));
    CHECK_OK(zk_queue_put(q, NULL, 0, 100, 0, NULL));
    CHECK_OK(zk_queue_len(q, 0, &n));
    CHECK_EQ(n, 3);
    CHECK_OK(zk_queue_get(q, 0, &data, &found));
    CHECK(found && take_str(&data, "b"));
    CHECK_OK(zk_queue_get(q, 0, &data, &found));
    CHECK(found && take_str(&data, "a"));
    CHECK_OK(zk_queue_get(q, 0, &data, &found));
    CHECK(found && take_str(&data, ""));
    CHECK_OK(zk_queue_get(q, 0, &data, &found));
    CHECK(!found);
    zk_queue_free(q);
    zkt_teardown(c, root);
}

static void a_locking_queue_takes_consumes_and_releases(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX], taken[ZKT_PATH_MAX];
    const uint8_t *values[] = {(const uint8_t *)"two", (const uint8_t *)"three"};
    const size_t lens[] = {3, 5};
    struct zk_buffer data = {0};
    zk_string_list *names = NULL;
    char *name = NULL;
    bool done = false, held = false;
    size_t n = 0;
    zk_locking_queue *q = NULL, *other = NULL;
    zk_client *c = zkt_setup(root), *c2 = zkt_connect();
    REQUIRE(c != NULL && c2 != NULL);
    zkt_path(path, "%s/lq", root);
    REQUIRE_OK(zk_locking_queue_new(c, path, &q));
    REQUIRE_OK(zk_locking_queue_new(c2, path, &other));
    CHECK_RC(zk_locking_queue_get(q, 0, &data), ZK_RESULT_TIMED_OUT);
    CHECK_OK(zk_locking_queue_consume(q, 0, &done));
    CHECK(!done);
    CHECK_OK(zk_locking_queue_put(q, (const uint8_t *)"one", 3, 100, 0, &name));
    CHECK_OK(zk_locking_queue_put_all(q, values, lens, 2, 100, 0, &names));
    CHECK_EQ(zk_string_list_len(names), 2);
    zk_string_list_free(names);
    CHECK_OK(zk_locking_queue_put_all(q, NULL, NULL, 0, 100, 0, NULL)); /* nothing: fine */
    CHECK_OK(zk_locking_queue_len(q, 0, &n));
    CHECK_EQ(n, 3);

    CHECK_OK(zk_locking_queue_get(q, -1, &data));
    CHECK(take_str(&data, "one"));
    /* taken/<name> holds the consumer's id: 32 hex digits. */
    CHECK_OK(zk_get(c, zkt_path(taken, "%s/taken/%s", path, name), NULL, 0, &data, NULL));
    CHECK_EQ(data.len, 32);
    zk_buffer_free(&data);
    CHECK_OK(zk_locking_queue_holds_lock(q, 0, &held));
    CHECK(held);
    CHECK_OK(zk_locking_queue_get(q, 0, &data)); /* in hand: the same again */
    CHECK(take_str(&data, "one"));
    CHECK_OK(zk_locking_queue_get(other, 0, &data)); /* the taken one is skipped */
    CHECK(take_str(&data, "two"));
    CHECK_OK(zk_locking_queue_consume(q, 0, &done));
    CHECK(done);
    CHECK_RC(zk_exists(c, taken, NULL, 0, NULL), ZK_RESULT_NO_NODE);
    CHECK_OK(zk_locking_queue_holds_lock(q, 0, &held));
    CHECK(!held);
    CHECK_OK(zk_locking_queue_release(other, 0, &done));
    CHECK(done);
    CHECK_OK(zk_locking_queue_get(q, 0, &data)); /* given back: first again */
    CHECK(take_str(&data, "two"));
    CHECK_OK(zk_locking_queue_consume(q, 0, NULL));
    CHECK_OK(zk_locking_queue_get(q, 0, &data));
    CHECK(take_str(&data, "three"));
    CHECK_OK(zk_locking_queue_consume(q, 0, NULL));
    CHECK_OK(zk_locking_queue_len(q, 0, &n));
    CHECK_EQ(n, 0);
    zk_string_free(name);
    zk_locking_queue_free(other);
    zk_locking_queue_free(q);
    zk_client_free(c2);
    zkt_teardown(c, root);
}

struct bg_get {
    pthread_t t;
    zk_locking_queue *q;
    int64_t timeout_ms;
    zk_result rc;
    struct zk_buffer data;
};

static void *bg_get_main(void *arg)
{
    struct bg_get *b = arg;
    b->rc = zk_locking_queue_get(b->q, b->timeout_ms, &b->data);
    return NULL;
}

static bool bg_get_start(struct bg_get *b, zk_locking_queue *q, int64_t timeout_ms)
{
    memset(b, 0, sizeof *b);
    b->q = q;
    b->timeout_ms = timeout_ms;
    b->rc = ZK_RESULT_SYSTEM_ERROR;
    if (pthread_create(&b->t, NULL, bg_get_main, b) != 0) {
        zkt_fail(__FILE__, __LINE__, "pthread_create");
        return false;
    }
    return true;
}

static void a_locking_queue_get_waits_for_a_put_and_ends_on_cancel(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    struct zk_buffer data = {0};
    struct bg_get w;
    zk_locking_queue *q = NULL, *producer = NULL;
    zk_client *c = zkt_setup(root), *c2 = zkt_connect();
    REQUIRE(c != NULL && c2 != NULL);
    zkt_path(path, "%s/lq", root);
    REQUIRE_OK(zk_locking_queue_new(c, path, &q));
    REQUIRE_OK(zk_locking_queue_new(c2, path, &producer));
    CHECK_RC(zk_locking_queue_get(q, 200, &data), ZK_RESULT_TIMED_OUT);
    if (bg_get_start(&w, q, -1)) {
        zkt_sleep_ms(200);
        CHECK_OK(zk_locking_queue_put(producer, (const uint8_t *)"late", 4, 100, 0, NULL));
        pthread_join(w.t, NULL);
        CHECK_OK(w.rc);
        CHECK(take_str(&w.data, "late"));
        CHECK_OK(zk_locking_queue_consume(q, 0, NULL));
    }
    if (bg_get_start(&w, q, zkt_wait_ms(60000))) {
        zkt_sleep_ms(200);
        CHECK_OK(zk_locking_queue_cancel(q));
        pthread_join(w.t, NULL);
        CHECK_RC(w.rc, ZK_RESULT_CANCELLED);
        CHECK(w.data.data == NULL);
    }
    /* A cancel while nobody waits ends the next get, unless it is cleared. */
    CHECK_OK(zk_locking_queue_cancel(q));
    CHECK_RC(zk_locking_queue_get(q, 200, &data), ZK_RESULT_CANCELLED);
    CHECK_OK(zk_locking_queue_cancel(q));
    CHECK_OK(zk_locking_queue_clear_cancel(q));
    CHECK_RC(zk_locking_queue_get(q, 0, &data), ZK_RESULT_TIMED_OUT);
    zk_locking_queue_free(producer);
    zk_locking_queue_free(q);
    zk_client_free(c2);
    zkt_teardown(c, root);
}

static void a_locking_queue_entry_whose_consumer_is_gone_goes_back(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    struct zk_buffer data = {0};
    bool done = true;
    zk_locking_queue *q = NULL, *doomed = NULL;
    zk_client *c = zkt_setup(root), *c2 = zkt_connect();
    REQUIRE(c != NULL && c2 != NULL);
    zkt_path(path, "%s/lq", root);
    REQUIRE_OK(zk_locking_queue_new(c, path, &q));
    REQUIRE_OK(zk_locking_queue_new(c2, path, &doomed));
    CHECK_OK(zk_locking_queue_put(q, (const uint8_t *)"work", 4, 100, 0, NULL));
    CHECK_OK(zk_locking_queue_get(doomed, 0, &data));
    CHECK(take_str(&data, "work"));
    CHECK_RC(zk_locking_queue_get(q, 0, &data), ZK_RESULT_TIMED_OUT);
    /* The client goes (its session closes) without a consume: the entry goes back. */
    zk_client_free(c2);
    CHECK_OK(zk_locking_queue_get(q, zkt_wait_ms(10000), &data));
    CHECK(take_str(&data, "work"));
    /* The handle outlives its client: CLOSED, and it is still freed. */
    CHECK_RC(zk_locking_queue_consume(doomed, 0, &done), ZK_RESULT_CLOSED);
    zk_locking_queue_free(doomed);
    CHECK_OK(zk_locking_queue_consume(q, 0, &done));
    CHECK(done);
    zk_locking_queue_free(q);
    zkt_teardown(c, root);
}

static void queues_refuse_bad_input(void)
{
    static const char bad_utf8[] = {'/', (char)0xff, 0};
    const uint8_t *values[] = {NULL};
    const size_t lens[] = {4};
    struct zk_buffer data = {0};
    bool found = false;
    size_t n = 0;
    zk_queue *q = NULL;
    zk_locking_queue *lq = NULL;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    CHECK_RC(zk_queue_new(NULL, "/q", &q), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_queue_new(c, NULL, &q), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_queue_new(c, "/q", NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_queue_new(c, "q", &q), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_queue_new(c, bad_utf8, &q), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_locking_queue_new(c, "/q/", &lq), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_queue_put(NULL, NULL, 0, 100, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_queue_get(NULL, 0, &data, &found), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_locking_queue_get(NULL, 0, &data), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_locking_queue_cancel(NULL), ZK_RESULT_NULL_ARGUMENT);

    REQUIRE_OK(zk_queue_new(c, "/ctest-queue-bad-input", &q));
    REQUIRE_OK(zk_locking_queue_new(c, "/ctest-queue-bad-input", &lq));
    CHECK_RC(zk_queue_put(q, (const uint8_t *)"x", 1, -1, 0, NULL), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_queue_put(q, (const uint8_t *)"x", 1, 1000, 0, NULL), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_queue_put(q, NULL, 3, 100, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_queue_get(q, 0, NULL, &found), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_queue_get(q, 0, &data, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_queue_len(q, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_locking_queue_put(lq, (const uint8_t *)"x", 1, 1000, 0, NULL),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_locking_queue_put_all(lq, NULL, lens, 1, 100, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_locking_queue_put_all(lq, values, NULL, 1, 100, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_locking_queue_put_all(lq, values, lens, 1, 100, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_locking_queue_put_all(lq, values, lens, SIZE_MAX, 100, 0, NULL),
             ZK_RESULT_TOO_LARGE);
    CHECK_RC(zk_locking_queue_get(lq, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_locking_queue_holds_lock(lq, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_locking_queue_len(lq, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    /* Nothing was sent: the path was never made. */
    CHECK_OK(zk_queue_len(q, 0, &n));
    CHECK_EQ(n, 0);
    CHECK_RC(zk_exists(c, "/ctest-queue-bad-input", NULL, 0, NULL), ZK_RESULT_NO_NODE);
    zk_queue_free(q);
    zk_locking_queue_free(lq);
    zk_queue_free(NULL);
    zk_locking_queue_free(NULL);
    zk_client_free(c);
}

ZKT_SUITE(recipe_queue) = {
    ZKT_CASE(a_queue_gives_entries_in_priority_then_put_order),
    ZKT_CASE(a_locking_queue_takes_consumes_and_releases),
    ZKT_CASE(a_locking_queue_get_waits_for_a_put_and_ends_on_cancel),
    ZKT_CASE(a_locking_queue_entry_whose_consumer_is_gone_goes_back),
    ZKT_CASE(queues_refuse_bad_input),
    ZKT_END,
};
