/* The recipes from C: a lock excludes another and a timed-out or cancelled acquire leaves
 * no node; cancel works from another thread; the state callback is told SUSPENDED, HELD
 * and LOST (a true expiry) and its finalizer runs once; the semaphore counts leases and
 * checks max_leases; the election runs one leader at a time and hands over; bad input
 * gets a result code. */
#include "zktest.h"

#include <stdlib.h>

#define WAIT_MS zkt_wait_ms(10000)

static bool wait_children(zk_client *c, const char *path, int n)
{
    int64_t until = zkt_now_ms() + WAIT_MS;
    while (zkt_now_ms() < until) {
        if (zkt_count_children(c, path) == n)
            return true;
        zkt_sleep_ms(20);
    }
    return false;
}

/* An acquire on its own thread: the lock, its timeout, and what it returned. */
struct acquirer {
    pthread_t tid;
    zk_lock *lock;
    int64_t timeout_ms;
    zk_result rc;
};

static void *acquire_thread(void *arg)
{
    struct acquirer *a = arg;
    a->rc = zk_lock_acquire(a->lock, a->timeout_ms);
    return NULL;
}

static void a_lock_excludes_another_and_a_timed_out_acquire_leaves_no_node(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_lock *a = NULL, *b = NULL;
    zk_string_list *who = NULL;
    char *node = NULL;
    bool got = true;
    int64_t t0;
    zk_client *c = zkt_setup(root), *c2;
    REQUIRE(c != NULL);
    c2 = zkt_connect();
    REQUIRE(c2 != NULL);
    zkt_path(path, "%s/lock", root);

    REQUIRE_OK(zk_lock_new(c, path, "a", ZK_LOCK_KIND_EXCLUSIVE, ZK_LAYOUT_KAZOO, &a));
    REQUIRE_OK(zk_lock_new(c2, path, "b", ZK_LOCK_KIND_EXCLUSIVE, ZK_LAYOUT_KAZOO, &b));
    CHECK_EQ(zk_lock_get_state(a), ZK_LOCK_STATE_NOT_HELD);
    CHECK_OK(zk_lock_acquire(a, WAIT_MS));
    CHECK_EQ(zk_lock_get_state(a), ZK_LOCK_STATE_HELD);
    CHECK_OK(zk_lock_node(a, &node));
    CHECK(node != NULL && strstr(node, "__lock__") != NULL);
    zk_string_free(node);

    CHECK_OK(zk_lock_try_acquire(b, &got));
    CHECK(!got);
    t0 = zkt_now_ms();
    CHECK_RC(zk_lock_acquire(b, 200), ZK_RESULT_TIMED_OUT);
    CHECK(zkt_now_ms() - t0 >= 200);
    CHECK_EQ(zkt_count_children(c, path), 1);
    CHECK_RC(zk_lock_acquire(b, 0), ZK_RESULT_TIMED_OUT);
    CHECK_OK(zk_lock_node(b, &node));
    CHECK(node == NULL);

    CHECK_OK(zk_lock_contenders(a, &who));
    CHECK_EQ(zk_string_list_len(who), 1);
    CHECK_STR(zk_string_list_get(who, 0), "a");
    zk_string_list_free(who);

    CHECK_OK(zk_lock_release(a));
    CHECK_OK(zk_lock_release(a));
    CHECK_OK(zk_lock_acquire(b, 0));
    CHECK_EQ(zk_lock_get_state(b), ZK_LOCK_STATE_HELD);
    /* Freeing a held lock releases it. */
    zk_lock_free(b);
    CHECK_EQ(zkt_count_children(c, path), 0);
    zk_lock_free(a);
    zk_client_free(c2);
    zkt_teardown(c, root);
}

static void cancel_from_another_thread_ends_a_blocked_acquire(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_lock *a = NULL, *b = NULL;
    struct acquirer w;
    int64_t t0;
    zk_client *c = zkt_setup(root), *c2;
    REQUIRE(c != NULL);
    c2 = zkt_connect();
    REQUIRE(c2 != NULL);
    zkt_path(path, "%s/lock", root);
    REQUIRE_OK(zk_lock_new(c, path, NULL, ZK_LOCK_KIND_EXCLUSIVE, ZK_LAYOUT_CURATOR, &a));
    REQUIRE_OK(zk_lock_new(c2, path, NULL, ZK_LOCK_KIND_EXCLUSIVE, ZK_LAYOUT_KAZOO, &b));
    CHECK_OK(zk_lock_acquire(a, WAIT_MS));

    w.lock = b;
    w.timeout_ms = -1;
    w.rc = ZK_RESULT_OK;
    REQUIRE(pthread_create(&w.tid, NULL, acquire_thread, &w) == 0);
    CHECK(wait_children(c, path, 2));
    t0 = zkt_now_ms();
    CHECK_OK(zk_lock_cancel(b));
    pthread_join(w.tid, NULL);
    CHECK_RC(w.rc, ZK_RESULT_CANCELLED);
    CHECK(zkt_now_ms() - t0 < zkt_wait_ms(1000));
    CHECK_EQ(zkt_count_children(c, path), 1);

    /* A cancel that came too late for its wait is forgotten; waiting again, it holds
     * once the other releases. */
    CHECK_OK(zk_lock_cancel(b));
    CHECK_OK(zk_lock_clear_cancel(b));
    REQUIRE(pthread_create(&w.tid, NULL, acquire_thread, &w) == 0);
    CHECK(wait_children(c, path, 2));
    CHECK_OK(zk_lock_release(a));
    pthread_join(w.tid, NULL);
    CHECK_OK(w.rc);
    CHECK_EQ(zk_lock_get_state(b), ZK_LOCK_STATE_HELD);

    zk_lock_free(a);
    zk_lock_free(b);
    zk_client_free(c2);
    zkt_teardown(c, root);
}

/* Records the states a recipe's callback is told, into a zkt_rec (as session states). */
static void on_recipe_state(void *ud, zk_lock_state s)
{
    zkt_on_state(ud, (zk_state)s, ZK_KEEPER_STATE_CONNECTED);
}

static zk_lock_state nth_state(struct zkt_rec *r, int i)
{
    zk_lock_state s;
    pthread_mutex_lock(&r->mu);
    s = (zk_lock_state)(i < r->n_states ? (int)r->states[i] : -1);
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void the_holder_is_told_suspended_held_and_lost(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX], via[64];
    struct zkt_rec r;
    struct zkt_proxy *proxy;
    zk_client_id id;
    zk_options *o;
    zk_client *held, *thief;
    zk_lock *l = NULL;
    int port;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(path, "%s/lock", root);
    zkt_rec_init(&r);
    proxy = zkt_proxy_start(&port);
    REQUIRE(proxy != NULL);
    snprintf(via, sizeof via, "127.0.0.1:%d", port);
    o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, via));
    CHECK_OK(zk_options_set_session_timeout_ms(o, 10000));
    held = zkt_start(o);
    zk_options_free(o);
    REQUIRE(held != NULL);

    REQUIRE_OK(zk_lock_new(held, path, "holder", ZK_LOCK_KIND_EXCLUSIVE, ZK_LAYOUT_KAZOO, &l));
    CHECK_OK(zk_lock_set_state_callback(l, on_recipe_state, &r, zkt_on_final));
    CHECK_OK(zk_lock_acquire(l, WAIT_MS));

    zkt_proxy_cut(proxy, true);
    CHECK(zkt_wait_states(&r, 1, WAIT_MS));
    CHECK_EQ(nth_state(&r, 0), ZK_LOCK_STATE_SUSPENDED);
    CHECK_EQ(zk_lock_get_state(l), ZK_LOCK_STATE_SUSPENDED);
    zkt_proxy_cut(proxy, false);
    CHECK(zkt_wait_states(&r, 2, WAIT_MS));
    CHECK_EQ(nth_state(&r, 1), ZK_LOCK_STATE_HELD);

    /* The session ends while we are cut off: another connection takes it and closes it. */
    CHECK_OK(zk_get_client_id(held, &id));
    zkt_proxy_cut(proxy, true);
    CHECK(zkt_wait_states(&r, 3, WAIT_MS));
    o = zkt_options(NULL);
    CHECK_OK(zk_options_set_client_id(o, &id));
    thief = zkt_start(o);
    zk_options_free(o);
    if (thief != NULL)
        zk_client_free(thief); /* closes the session */
    CHECK_EQ(zkt_count_children(c, path), 0);
    zkt_proxy_cut(proxy, false);
    CHECK(zkt_wait_states(&r, 4, WAIT_MS));
    CHECK_EQ(nth_state(&r, 3), ZK_LOCK_STATE_LOST);
    CHECK_EQ(zk_lock_get_state(l), ZK_LOCK_STATE_LOST);
    CHECK_OK(zk_lock_release(l));
    CHECK_EQ(zk_lock_get_state(l), ZK_LOCK_STATE_NOT_HELD);

    /* Clearing the callback ends its registration: the finalizer runs once, when no
     * call of it is running. */
    CHECK_OK(zk_lock_set_state_callback(l, NULL, NULL, NULL));
    CHECK(zkt_wait_finals(&r, 1, WAIT_MS));
    zk_lock_free(l);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    zk_client_free(held);
    zkt_proxy_free(proxy);
    zkt_rec_destroy(&r);
    zkt_teardown(c, root);
}

static void a_semaphore_counts_leases_and_checks_max_leases(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    zk_semaphore *s1 = NULL, *s2 = NULL, *s3 = NULL, *bad = NULL, *zero = NULL;
    zk_string_list *holders = NULL;
    char *max = NULL;
    bool got = true;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(path, "%s/sem", root);
    REQUIRE_OK(zk_semaphore_new(c, path, "one", 2, &s1));
    REQUIRE_OK(zk_semaphore_new(c, path, "two", 2, &s2));
    REQUIRE_OK(zk_semaphore_new(c, path, "three", 2, &s3));
    CHECK_OK(zk_semaphore_acquire(s1, WAIT_MS));
    CHECK_OK(zk_semaphore_acquire(s2, WAIT_MS));
    CHECK_OK(zkt_get_str(c, path, &max, NULL));
    CHECK_STR(max, "2");
    free(max);
    CHECK_OK(zk_semaphore_try_acquire(s3, &got));
    CHECK(!got);
    CHECK_RC(zk_semaphore_acquire(s3, 100), ZK_RESULT_TIMED_OUT);
    CHECK_EQ(zkt_count_children(c, path), 2);
    CHECK_OK(zk_semaphore_lease_holders(s1, &holders));
    CHECK_EQ(zk_string_list_len(holders), 2);
    zk_string_list_free(holders);
    CHECK_OK(zk_semaphore_release(s1));
    CHECK_OK(zk_semaphore_acquire(s3, WAIT_MS));
    CHECK_EQ(zk_semaphore_get_state(s3), ZK_LOCK_STATE_HELD);

    REQUIRE_OK(zk_semaphore_new(c, path, "bad", 5, &bad));
    CHECK_RC(zk_semaphore_acquire(bad, WAIT_MS), ZK_RESULT_MISMATCH);
    CHECK_RC(zk_semaphore_new(c, path, "zero", 0, &zero), ZK_RESULT_INVALID_ARGUMENT);
    CHECK(zero == NULL);
    zk_semaphore_free(bad);
    zk_semaphore_free(s1);
    zk_semaphore_free(s3);
    zk_semaphore_free(s2);
    CHECK_EQ(zkt_count_children(c, path), 0);
    zkt_teardown(c, root);
}

/* A leader that reports it leads, then leads until told to stop. */
struct leader {
    pthread_t tid;
    zk_election *e;
    struct zkt_rec *led; /* one "state" recorded per election won */
    zk_result rc;
};

static void lead(void *ud, zk_election *e)
{
    struct leader *l = ud;
    CHECK_EQ(zk_election_get_state(e), ZK_LOCK_STATE_HELD);
    zkt_on_state(l->led, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED);
    while (!zk_election_wait(e, -1))
        ;
}

static void *run_thread(void *arg)
{
    struct leader *l = arg;
    l->rc = zk_election_run(l->e, -1, lead, l);
    return NULL;
}

static void an_election_runs_one_leader_and_hands_over_in_order(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    struct zkt_rec led;
    struct leader a, b;
    zk_string_list *who = NULL;
    zk_client *c = zkt_setup(root), *c2;
    REQUIRE(c != NULL);
    c2 = zkt_connect();
    REQUIRE(c2 != NULL);
    zkt_rec_init(&led);
    zkt_path(path, "%s/election", root);
    a.led = b.led = &led;
    REQUIRE_OK(zk_election_new(c, path, "a", ZK_LAYOUT_KAZOO, &a.e));
    REQUIRE_OK(zk_election_new(c2, path, "b", ZK_LAYOUT_KAZOO, &b.e));
    REQUIRE(pthread_create(&a.tid, NULL, run_thread, &a) == 0);
    CHECK(zkt_wait_states(&led, 1, WAIT_MS));
    REQUIRE(pthread_create(&b.tid, NULL, run_thread, &b) == 0);
    CHECK(wait_children(c, path, 2));
    CHECK_OK(zk_election_contenders(b.e, &who));
    CHECK_EQ(zk_string_list_len(who), 2);
    CHECK_STR(zk_string_list_get(who, 0), "a");
    CHECK_STR(zk_string_list_get(who, 1), "b");
    zk_string_list_free(who);
    CHECK_EQ(zk_election_get_state(b.e), ZK_LOCK_STATE_NOT_HELD);
    CHECK_EQ(zkt_rec_states(&led), 1);

    /* Told to stop, a's leader returns and b leads. */
    CHECK_OK(zk_election_cancel(a.e));
    pthread_join(a.tid, NULL);
    CHECK_OK(a.rc);
    CHECK(zkt_wait_states(&led, 2, WAIT_MS));
    CHECK_EQ(zk_election_get_state(b.e), ZK_LOCK_STATE_HELD);
    CHECK(!zk_election_should_stop(b.e));
    CHECK_OK(zk_election_cancel(b.e));
    pthread_join(b.tid, NULL);
    CHECK_OK(b.rc);
    CHECK_EQ(zkt_count_children(c, path), 0);

    /* campaign / resign, and a zero timeout is one look. */
    CHECK_OK(zk_election_campaign(b.e, 0));
    CHECK_RC(zk_election_campaign(a.e, 0), ZK_RESULT_TIMED_OUT);
    CHECK_OK(zk_election_resign(b.e));
    CHECK_OK(zk_election_campaign(a.e, WAIT_MS));
    zk_election_free(a.e);
    zk_election_free(b.e);
    CHECK_EQ(zkt_count_children(c, path), 0);
    zkt_rec_destroy(&led);
    zk_client_free(c2);
    zkt_teardown(c, root);
}

static void recipes_refuse_bad_input_with_a_code(void)
{
    char root[ZKT_PATH_MAX];
    zk_lock *l = NULL;
    zk_semaphore *s = NULL;
    zk_election *e = NULL;
    bool got;
    zk_client *c = zkt_setup(root), *gone;
    REQUIRE(c != NULL);
    CHECK_RC(zk_lock_new(NULL, "/x", NULL, 0, 0, &l), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lock_new(c, NULL, NULL, 0, 0, &l), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lock_new(c, "/x", NULL, 0, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lock_new(c, "/x", NULL, 3, 0, &l), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_lock_new(c, "/x", NULL, 0, 2, &l), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_lock_new(c, "/a//b", NULL, 0, 0, &l), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_lock_new(c, "x", NULL, 0, 0, &l), ZK_RESULT_INVALID_PATH);
    /* Every child of the root would count as a lease. */
    CHECK_RC(zk_semaphore_new(c, "/", NULL, 1, &s), ZK_RESULT_INVALID_PATH);
    CHECK(s == NULL);
    CHECK_RC(zk_lock_new(c, "/x", "\xff", 0, 0, &l), ZK_RESULT_INVALID_UTF8);
    CHECK(l == NULL);
    CHECK_RC(zk_lock_acquire(NULL, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lock_try_acquire(NULL, &got), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lock_cancel(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lock_release(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zk_lock_get_state(NULL), ZK_LOCK_STATE_NOT_HELD);
    CHECK_RC(zk_semaphore_new(c, "/x", NULL, 1, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_election_new(c, "/x", NULL, 7, &e), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_election_run(NULL, 0, lead, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK(zk_election_should_stop(NULL));
    CHECK(zk_election_wait(NULL, 0));
    zk_lock_free(NULL);
    zk_semaphore_free(NULL);
    zk_election_free(NULL);

    /* A lock outlives its client: its calls say the client is closed. */
    gone = zkt_connect();
    REQUIRE(gone != NULL);
    REQUIRE_OK(zk_lock_new(gone, "/x", NULL, 0, 0, &l));
    REQUIRE_OK(zk_semaphore_new(gone, "/x", NULL, 1, &s));
    REQUIRE_OK(zk_election_new(gone, "/x", NULL, 0, &e));
    CHECK_RC(zk_election_run(e, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    zk_client_free(gone);
    CHECK_RC(zk_lock_acquire(l, 100), ZK_RESULT_CLOSED);
    CHECK_RC(zk_semaphore_try_acquire(s, &got), ZK_RESULT_CLOSED);
    CHECK_RC(zk_election_campaign(e, 100), ZK_RESULT_CLOSED);
    CHECK_OK(zk_lock_release(l));
    zk_lock_free(l);
    zk_semaphore_free(s);
    zk_election_free(e);
    zkt_teardown(c, root);
}

ZKT_SUITE(recipe_lock) = {
    ZKT_CASE(a_lock_excludes_another_and_a_timed_out_acquire_leaves_no_node),
    ZKT_CASE(cancel_from_another_thread_ends_a_blocked_acquire),
    ZKT_CASE(the_holder_is_told_suspended_held_and_lost),
    ZKT_CASE(a_semaphore_counts_leases_and_checks_max_leases),
    ZKT_CASE(an_election_runs_one_leader_and_hands_over_in_order),
    ZKT_CASE(recipes_refuse_bad_input_with_a_code),
    ZKT_END,
};
