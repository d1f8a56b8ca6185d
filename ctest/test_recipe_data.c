/* The recipes that need no lock from C: zk_barrier, zk_double_barrier, zk_counter and
 * zk_party (and its shallow form), on kazoo's znodes: what each writes on the server,
 * waits that end on an event, a deadline or a cancel from another thread, what free
 * leaves behind, and bad input. */
#include "zktest.h"

#include <stdlib.h>

/* The number of children of `path` (-1 after recording why not). */
static int count_children(zk_client *c, const char *path)
{
    zk_string_list *l = NULL;
    int n;
    zk_result rc = zk_get_children(c, path, NULL, 0, &l, NULL);
    if (rc == ZK_RESULT_NO_NODE)
        return 0;
    if (rc != ZK_RESULT_OK) {
        zkt_fail(__FILE__, __LINE__, "children of %s: %s", path, zk_result_message(rc));
        return -1;
    }
    n = (int)zk_string_list_len(l);
    zk_string_list_free(l);
    return n;
}

/* ------------------------------------------------------------------ a call on a thread */

/* One blocking recipe call run on a thread of its own, with its result and when it
 * ended. */
struct bg_call {
    pthread_t t;
    zk_barrier *barrier;
    zk_double_barrier *member;
    bool leave; /* member: leave rather than enter */
    int64_t timeout_ms; /* a recipe wait's: negative, no deadline */
    zk_result rc;
    int64_t ended_ms;
};

static void *bg_main(void *arg)
{
    struct bg_call *b = arg;
    if (b->barrier != NULL)
        b->rc = zk_barrier_wait(b->barrier, b->timeout_ms);
    else if (b->leave)
        b->rc = zk_double_barrier_leave(b->member, b->timeout_ms);
    else
        b->rc = zk_double_barrier_enter(b->member, b->timeout_ms);
    b->ended_ms = zkt_now_ms();
    return NULL;
}

static bool bg_start(struct bg_call *b)
{
    b->rc = ZK_RESULT_SYSTEM_ERROR;
    if (pthread_create(&b->t, NULL, bg_main, b) != 0) {
        zkt_fail(__FILE__, __LINE__, "pthread_create");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ Barrier */

static void barrier_holds_waiters_until_removed(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_barrier *b = NULL;
    struct bg_call w;
    int64_t removed_ms;
    bool removed = false;
    REQUIRE(c != NULL);
    REQUIRE_OK(zk_barrier_new(c, zkt_path(path, "%s/barrier", root), &b));
    CHECK_OK(zk_barrier_wait(b, 200)); /* no node: down */
    CHECK_OK(zk_barrier_create(b, 0));
    CHECK_OK(zk_barrier_create(b, 0)); /* up already: fine */
    CHECK_OK(zk_exists(c, path, NULL, 0, NULL));
    CHECK_RC(zk_barrier_wait(b, 200), ZK_RESULT_TIMED_OUT);

    memset(&w, 0, sizeof w);
    w.barrier = b;
    w.timeout_ms = (int64_t)zkt_wait_ms(10000);
    if (bg_start(&w)) {
        zkt_sleep_ms(200);
        removed_ms = zkt_now_ms();
        CHECK_OK(zk_barrier_remove(b, 0, &removed));
        CHECK(removed);
        pthread_join(w.t, NULL);
        CHECK_OK(w.rc);
        CHECK(w.ended_ms >= removed_ms);
    }
    removed = true;
    CHECK_OK(zk_barrier_remove(b, 0, &removed));
    CHECK(!removed);
    CHECK_OK(zk_barrier_remove(b, 0, NULL)); /* removed_out is optional */
    zk_barrier_free(b);
    zkt_teardown(c, root);
}

static void barrier_wait_ends_on_cancel_from_another_thread(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_barrier *b = NULL;
    struct bg_call w;
    int64_t cancelled_ms;
    REQUIRE(c != NULL);
    REQUIRE_OK(zk_barrier_new(c, zkt_path(path, "%s/barrier", root), &b));
    CHECK_OK(zk_barrier_create(b, 0));
    memset(&w, 0, sizeof w);
    w.barrier = b;
    w.timeout_ms = -1;
    if (bg_start(&w)) {
        zkt_sleep_ms(200);
        cancelled_ms = zkt_now_ms();
        CHECK_OK(zk_barrier_cancel(b));
        pthread_join(w.t, NULL);
        CHECK_RC(w.rc, ZK_RESULT_CANCELLED);
        CHECK(w.ended_ms - cancelled_ms < zkt_wait_ms(2000));
    }
    CHECK_RC(zk_barrier_wait(b, 0), ZK_RESULT_TIMED_OUT); /* one look: still up */
    /* A cancel while nobody waits ends the next wait, unless it is cleared. */
    CHECK_OK(zk_barrier_cancel(b));
    CHECK_RC(zk_barrier_wait(b, 100), ZK_RESULT_CANCELLED);
    CHECK_OK(zk_barrier_cancel(b));
    CHECK_OK(zk_barrier_clear_cancel(b));
    CHECK_OK(zk_barrier_remove(b, 0, NULL));
    CHECK_OK(zk_barrier_wait(b, -1));
    zk_barrier_free(b);
    zkt_teardown(c, root);
}

/* ------------------------------------------------------------------ DoubleBarrier */

static void double_barrier_enters_together_and_leaves_together(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX], ready[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_double_barrier *a = NULL, *b = NULL;
    struct bg_call w;
    char *node = NULL, *data = NULL;
    int64_t b_left_ms;
    REQUIRE(c != NULL);
    zkt_path(path, "%s/double", root);
    REQUIRE_OK(zk_double_barrier_new(c, path, 2, "member-a", &a));
    REQUIRE_OK(zk_double_barrier_new(c, path, 2, NULL, &b));

    /* Alone, a member gives up at its deadline and leaves no node. */
    CHECK_RC(zk_double_barrier_enter(a, 200), ZK_RESULT_TIMED_OUT);
    CHECK(!zk_double_barrier_participating(a));
    CHECK_EQ(count_children(c, path), 0);

    memset(&w, 0, sizeof w);
    w.member = a;
    w.timeout_ms = (int64_t)zkt_wait_ms(10000);
    if (!bg_start(&w))
        goto out;
    CHECK_OK(zk_double_barrier_enter(b, (int64_t)zkt_wait_ms(10000)));
    pthread_join(w.t, NULL);
    CHECK_OK(w.rc);
    CHECK(zk_double_barrier_participating(a) && zk_double_barrier_participating(b));
    CHECK_OK(zk_exists(c, zkt_path(ready, "%s/ready", path), NULL, 0, NULL));
    CHECK_OK(zk_double_barrier_node_path(a, &node));
    CHECK(node != NULL && strncmp(node, path, strlen(path)) == 0 &&
          strlen(node) == strlen(path) + 1 + 32);
    CHECK_OK(zkt_get_str(c, node, &data, NULL));
    CHECK_STR(data, "member-a");
    free(data);
    zk_string_free(node);

    /* The first to leave waits for the other. */
    memset(&w, 0, sizeof w);
    w.member = a;
    w.leave = true;
    w.timeout_ms = (int64_t)zkt_wait_ms(10000);
    if (!bg_start(&w))
        goto out;
    zkt_sleep_ms(300);
    b_left_ms = zkt_now_ms();
    CHECK_OK(zk_double_barrier_leave(b, (int64_t)zkt_wait_ms(10000)));
    pthread_join(w.t, NULL);
    CHECK_OK(w.rc);
    CHECK(w.ended_ms >= b_left_ms);
    CHECK_EQ(count_children(c, path), 0);
    CHECK(!zk_double_barrier_participating(a));
out:
    zk_double_barrier_free(a);
    zk_double_barrier_free(b);
    zkt_teardown(c, root);
}

static void double_barrier_enter_ends_on_cancel_and_free_removes_the_member(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_double_barrier *a = NULL, *one = NULL;
    struct bg_call w;
    REQUIRE(c != NULL);
    zkt_path(path, "%s/double", root);
    REQUIRE_OK(zk_double_barrier_new(c, path, 3, NULL, &a));
    memset(&w, 0, sizeof w);
    w.member = a;
    w.timeout_ms = -1;
    if (bg_start(&w)) {
        int64_t deadline = zkt_now_ms() + zkt_wait_ms(5000);
        while (count_children(c, path) < 1 && zkt_now_ms() < deadline)
            zkt_sleep_ms(20);
        CHECK_EQ(count_children(c, path), 1);
        CHECK_OK(zk_double_barrier_cancel(a));
        pthread_join(w.t, NULL);
        CHECK_RC(w.rc, ZK_RESULT_CANCELLED);
        CHECK_EQ(count_children(c, path), 0);
    }
    zk_double_barrier_free(a);

    /* A member of a barrier of one is in at once; freeing it takes its node away. */
    REQUIRE_OK(zk_double_barrier_new(c, path, 1, "solo", &one));
    CHECK_OK(zk_double_barrier_enter(one, -1));
    CHECK_EQ(count_children(c, path), 2); /* ours and ready */
    zk_double_barrier_free(one);
    CHECK_EQ(count_children(c, path), 1); /* ready stays until a member leaves */
    zkt_teardown(c, root);
}

/* ------------------------------------------------------------------ Counter */

static void counter_writes_kazoos_text_and_reports_pre_and_post(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_counter *n = NULL;
    int64_t pre = -1, post = -1, v = -1;
    char *data = NULL;
    REQUIRE(c != NULL);
    REQUIRE_OK(zk_counter_new(c, zkt_path(path, "%s/n", root), ZK_COUNTER_FORM_INT, &n));
    CHECK_OK(zk_counter_value(n, 0, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(zk_counter_add(n, 5, 0, &pre, &post));
    CHECK_EQ(pre, 0);
    CHECK_EQ(post, 5);
    CHECK_OK(zk_counter_add(n, -7, 0, NULL, &post));
    CHECK_EQ(post, -2);
    CHECK_OK(zkt_get_str(c, path, &data, NULL));
    CHECK_STR(data, "-2");
    free(data);
    CHECK_OK(zk_counter_add(n, 1, 0, NULL, NULL)); /* both outputs optional */

    /* A float's calls are refused on an integer counter, before anything is sent. */
    CHECK_RC(zk_counter_add_float(n, 1.0, 0, NULL, NULL), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_counter_add(n, INT64_MIN, 0, NULL, NULL), ZK_RESULT_INVALID_ARGUMENT); /* -1 + INT64_MIN */
    CHECK_OK(zk_counter_value(n, 0, &v));
    CHECK_EQ(v, -1);

    /* Something that is no integer: a marshalling error, and nothing written. */
    CHECK_OK(zkt_set_str(c, path, "twelve"));
    CHECK_RC(zk_counter_add(n, 1, 0, NULL, NULL), ZK_RESULT_MARSHALLING_ERROR);
    CHECK_RC(zk_counter_value(n, 0, &v), ZK_RESULT_MARSHALLING_ERROR);
    zk_counter_free(n);
    zkt_teardown(c, root);
}

static void float_and_curator_counters_write_their_forms(void)
{
    char root[ZKT_PATH_MAX], fpath[ZKT_PATH_MAX], cpath[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_counter *f = NULL, *k = NULL;
    double pre = -1, post = -1, fv = -1;
    int64_t v = 0;
    char *data = NULL;
    zk_buffer buf = { NULL, 0 };
    REQUIRE(c != NULL);
    REQUIRE_OK(zk_counter_new(c, zkt_path(fpath, "%s/f", root), ZK_COUNTER_FORM_FLOAT, &f));
    CHECK_OK(zk_counter_add_float(f, 3.0, 0, &pre, &post));
    CHECK(pre == 0.0 && post == 3.0);
    CHECK_OK(zkt_get_str(c, fpath, &data, NULL));
    CHECK_STR(data, "3.0");
    free(data);
    CHECK_OK(zk_counter_add_float(f, 0.1, 0, NULL, NULL));
    CHECK_OK(zkt_get_str(c, fpath, &data, NULL));
    CHECK_STR(data, "3.1");
    free(data);
    CHECK_OK(zk_counter_value_float(f, 0, &fv));
    CHECK(fv == 3.0 + 0.1);
    CHECK_RC(zk_counter_add(f, 1, 0, NULL, NULL), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_counter_value(f, 0, &v), ZK_RESULT_INVALID_ARGUMENT);

    REQUIRE_OK(zk_counter_new(c, zkt_path(cpath, "%s/c", root), ZK_COUNTER_FORM_CURATOR, &k));
    CHECK_OK(zk_counter_add(k, 258, 0, NULL, NULL));
    CHECK_OK(zk_get(c, cpath, NULL, 0, &buf, NULL));
    CHECK_EQ(buf.len, 4);
    if (buf.len == 4)
        CHECK(buf.data[0] == 0 && buf.data[1] == 0 && buf.data[2] == 1 && buf.data[3] == 2);
    zk_buffer_free(&buf);
    CHECK_RC(zk_counter_add(k, INT32_MAX, 0, NULL, NULL), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_OK(zk_counter_value(k, 0, &v));
    CHECK_EQ(v, 258);
    CHECK_RC(zk_counter_value_float(k, 0, &fv), ZK_RESULT_INVALID_ARGUMENT);
    zk_counter_free(f);
    zk_counter_free(k);
    zkt_teardown(c, root);
}

#define ADDERS 4
#define ADDS 25

struct adder {
    pthread_t t;
    zk_counter *n;
    int failed;
};

static void *adder_main(void *arg)
{
    struct adder *a = arg;
    int i;
    for (i = 0; i < ADDS; i++)
        if (zk_counter_add(a->n, 1, (int64_t)zkt_wait_ms(10000), NULL, NULL) != ZK_RESULT_OK)
            a->failed++;
    return NULL;
}

/* Threads sharing one counter handle, and others with handles of their own, add at once:
 * every add is counted, once. */
static void counter_adds_from_many_threads_are_all_counted(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_counter *shared = NULL, *own[ADDERS];
    struct adder a[ADDERS];
    int i, started = 0;
    int64_t v = -1;
    REQUIRE(c != NULL);
    zkt_path(path, "%s/n", root);
    REQUIRE_OK(zk_counter_new(c, path, ZK_COUNTER_FORM_CURATOR, &shared));
    for (i = 0; i < ADDERS; i++) {
        own[i] = NULL;
        if (i % 2 == 1)
            CHECK_OK(zk_counter_new(c, path, ZK_COUNTER_FORM_CURATOR, &own[i]));
        a[i].n = i % 2 == 1 ? own[i] : shared;
        a[i].failed = 0;
    }
    for (i = 0; i < ADDERS && a[i].n != NULL; i++, started++)
        if (pthread_create(&a[i].t, NULL, adder_main, &a[i]) != 0)
            break;
    for (i = 0; i < started; i++) {
        pthread_join(a[i].t, NULL);
        CHECK_EQ(a[i].failed, 0);
    }
    CHECK_EQ(started, ADDERS);
    CHECK_OK(zk_counter_value(shared, 0, &v));
    CHECK_EQ(v, ADDERS * ADDS);
    for (i = 0; i < ADDERS; i++)
        zk_counter_free(own[i]);
    zk_counter_free(shared);
    zkt_teardown(c, root);
}

/* ------------------------------------------------------------------ Party */

static bool list_has(const zk_string_list *l, const char *s)
{
    size_t i;
    for (i = 0; i < zk_string_list_len(l); i++)
        if (strcmp(zk_string_list_get(l, i), s) == 0)
            return true;
    return false;
}

static void party_members_join_list_and_leave(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_party *p = NULL, *q = NULL;
    zk_string_list *m = NULL;
    char *node = NULL, *data = NULL;
    size_t n = 99;
    bool removed = false;
    zk_stat st;
    REQUIRE(c != NULL);
    zkt_path(path, "%s/party", root);
    REQUIRE_OK(zk_party_new(c, path, "alice", &p));
    REQUIRE_OK(zk_party_new(c, path, NULL, &q)); /* kazoo's default: "" */
    CHECK_OK(zk_party_len(p, 0, &n));
    CHECK_EQ(n, 0);
    CHECK(!zk_party_participating(p));
    CHECK_OK(zk_party_join(p, 0));
    CHECK_OK(zk_party_join(p, 0)); /* again: still one node */
    CHECK_OK(zk_party_join(q, 0));
    CHECK(zk_party_participating(p));
    CHECK_EQ(count_children(c, path), 2);
    CHECK_OK(zk_party_node_path(p, &node));
    REQUIRE(node != NULL);
    CHECK(strlen(node) == strlen(path) + 1 + 32 + strlen("__party__"));
    CHECK(strcmp(node + strlen(node) - 9, "__party__") == 0);
    CHECK_OK(zk_exists(c, node, NULL, 0, &st));
    CHECK(st.ephemeral_owner != 0);
    CHECK_OK(zkt_get_str(c, node, &data, NULL));
    CHECK_STR(data, "alice");
    free(data);
    CHECK_OK(zk_party_members(p, 0, &m));
    CHECK_EQ(zk_string_list_len(m), 2);
    CHECK(list_has(m, "alice") && list_has(m, ""));
    zk_string_list_free(m);
    CHECK_OK(zk_party_len(q, 0, &n));
    CHECK_EQ(n, 2);

    CHECK_OK(zk_party_leave(p, 0, &removed));
    CHECK(removed);
    CHECK_OK(zk_party_leave(p, 0, &removed)); /* again: nothing to remove */
    CHECK(!removed);
    CHECK_RC(zk_exists(c, node, NULL, 0, NULL), ZK_RESULT_NO_NODE);
    zk_string_free(node);

    /* Freeing a member that joined leaves the party. */
    zk_party_free(q);
    CHECK_EQ(count_children(c, path), 0);
    zk_party_free(p);
    zkt_teardown(c, root);
}

static void shallow_party_members_are_their_node_names(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    zk_party *p = NULL, *q = NULL, *bad = NULL;
    zk_string_list *m = NULL;
    char *node = NULL;
    zk_stat st;
    REQUIRE(c != NULL);
    zkt_path(path, "%s/shallow", root);
    REQUIRE_OK(zk_party_new_shallow(c, path, "host-1", &p));
    REQUIRE_OK(zk_party_new_shallow(c, path, "host-2", &q));
    CHECK_OK(zk_party_join(p, 0));
    CHECK_OK(zk_party_join(q, 0));
    CHECK_OK(zk_party_node_path(p, &node));
    REQUIRE(node != NULL);
    CHECK(strcmp(node + strlen(path) + 1 + 32, "-host-1") == 0);
    CHECK_OK(zk_exists(c, node, NULL, 0, &st));
    CHECK_EQ(st.data_length, 0);
    zk_string_free(node);
    CHECK_OK(zk_party_members(q, 0, &m));
    CHECK_EQ(zk_string_list_len(m), 2);
    CHECK(list_has(m, "host-1") && list_has(m, "host-2"));
    zk_string_list_free(m);
    CHECK_RC(zk_party_new_shallow(c, path, "a/b", &bad), ZK_RESULT_INVALID_ARGUMENT);
    CHECK(bad == NULL);
    CHECK_RC(zk_party_new_shallow(c, path, NULL, &bad), ZK_RESULT_NULL_ARGUMENT);
    zk_party_free(p);
    zk_party_free(q);
    CHECK_EQ(count_children(c, path), 0);
    zkt_teardown(c, root);
}

/* ------------------------------------------------------------------ bad input, closed */

static void recipes_refuse_bad_input(void)
{
    zk_client *c = zkt_connect();
    zk_barrier *b = NULL;
    zk_double_barrier *d = NULL;
    zk_counter *n = NULL;
    zk_party *p = NULL;
    const char bad_utf8[] = { '/', (char)0xff, 0 };
    int64_t v;
    size_t len;
    REQUIRE(c != NULL);
    CHECK_RC(zk_barrier_new(NULL, "/b", &b), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_barrier_new(c, NULL, &b), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_barrier_new(c, "/b", NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_barrier_new(c, "b", &b), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_barrier_new(c, "/b/", &b), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_barrier_new(c, bad_utf8, &b), ZK_RESULT_INVALID_UTF8);
    CHECK(b == NULL);
    CHECK_RC(zk_barrier_wait(NULL, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_barrier_cancel(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_barrier_clear_cancel(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_double_barrier_clear_cancel(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_double_barrier_new(c, "/d", 0, NULL, &d), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_double_barrier_new(c, "/d", 2, bad_utf8, &d), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_double_barrier_enter(NULL, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK(!zk_double_barrier_participating(NULL));
    CHECK_RC(zk_counter_new(c, "/n", 0, &n), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_counter_new(c, "/n", 99, &n), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_counter_add(NULL, 1, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_counter_value(NULL, 0, &v), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_party_new(c, "party", "x", &p), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_party_len(NULL, 0, &len), ZK_RESULT_NULL_ARGUMENT);
    CHECK(!zk_party_participating(NULL));
    REQUIRE_OK(zk_counter_new(c, "/n", ZK_COUNTER_FORM_INT, &n));
    CHECK_RC(zk_counter_value(n, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    zk_counter_free(n);
    zk_barrier_free(NULL);
    zk_double_barrier_free(NULL);
    zk_counter_free(NULL);
    zk_party_free(NULL);
    zk_client_free(c);
}

/* A recipe handle keeps its own reference to the session: after zk_close, and after
 * zk_client_free, its calls say ZK_RESULT_CLOSED, and freeing it is still fine. */
static void recipes_outlive_their_client_and_say_closed(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root), *other = NULL;
    zk_party *p = NULL;
    zk_counter *n = NULL;
    zk_barrier *b = NULL;
    zk_double_barrier *d = NULL;
    char *node = NULL;
    REQUIRE(c != NULL);
    zkt_path(path, "%s/p", root);
    REQUIRE_OK(zk_party_new(c, path, "x", &p));
    REQUIRE_OK(zk_counter_new(c, path, ZK_COUNTER_FORM_INT, &n));
    REQUIRE_OK(zk_barrier_new(c, path, &b));
    REQUIRE_OK(zk_double_barrier_new(c, path, 2, NULL, &d));
    CHECK_OK(zk_party_join(p, 0));
    CHECK_OK(zk_party_node_path(p, &node));
    CHECK_OK(zk_close(c));
    CHECK_RC(zk_counter_add(n, 1, 0, NULL, NULL), ZK_RESULT_CLOSED);
    CHECK_RC(zk_barrier_wait(b, 0), ZK_RESULT_CLOSED);
    CHECK_RC(zk_double_barrier_enter(d, -1), ZK_RESULT_CLOSED);
    zk_client_free(c);
    CHECK_RC(zk_party_join(p, 0), ZK_RESULT_CLOSED);
    zk_party_free(p); /* its leave says CLOSED; nothing else to do */
    zk_counter_free(n);
    zk_barrier_free(b);
    zk_double_barrier_free(d);

    other = zkt_connect();
    REQUIRE(other != NULL);
    CHECK_RC(zk_exists(other, node, NULL, 0, NULL), ZK_RESULT_NO_NODE); /* gone with the session */
    zk_string_free(node);
    zkt_teardown(other, root);
}

ZKT_SUITE(recipe_data) = {
    ZKT_CASE(barrier_holds_waiters_until_removed),
    ZKT_CASE(barrier_wait_ends_on_cancel_from_another_thread),
    ZKT_CASE(double_barrier_enters_together_and_leaves_together),
    ZKT_CASE(double_barrier_enter_ends_on_cancel_and_free_removes_the_member),
    ZKT_CASE(counter_writes_kazoos_text_and_reports_pre_and_post),
    ZKT_CASE(float_and_curator_counters_write_their_forms),
    ZKT_CASE(counter_adds_from_many_threads_are_all_counted),
    ZKT_CASE(party_members_join_list_and_leave),
    ZKT_CASE(shallow_party_members_are_their_node_names),
    ZKT_CASE(recipes_refuse_bad_input),
    ZKT_CASE(recipes_outlive_their_client_and_say_closed),
    ZKT_END,
};
