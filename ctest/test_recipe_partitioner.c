/* The set partitioner from C: members split the set as kazoo does, a member joining or
 * leaving is told RELEASE and the set is split again, each item's lock has one holder;
 * the wait has a deadline and a cancel from another thread; the end of the session fails
 * it; free finishes it (no node left) and runs the callback's finalizer once; bad input
 * gets a result code. */
#include "zktest.h"

#include <stdlib.h>

#define WAIT_MS zkt_wait_ms(10000)
#define SETTLE_MS 200
#define REACT_MS 200

static const char *const items[] = {"q1", "q2", "q3", "q4", "q5"};
#define N_ITEMS 5

static zk_partitioner *member(zk_client *c, const char *path, const char *id,
                              int64_t settle_ms)
{
    zk_partitioner *p = NULL;
    zk_result rc = zk_partitioner_new(c, path, items, N_ITEMS, id, settle_ms, REACT_MS, &p);
    if (rc != ZK_RESULT_OK)
        zkt_fail(__FILE__, __LINE__, "zk_partitioner_new %s: %s", id, zk_result_message(rc));
    return p;
}

/* Our share as one string, "q1,q3,q5" ("" for none; "?" after recording a failure). */
static void share(zk_partitioner *p, char *out, size_t cap)
{
    zk_string_list *l = NULL;
    size_t i, used = 0;
    out[0] = '\0';
    if (zk_partitioner_items(p, &l) != ZK_RESULT_OK) {
        zkt_fail(__FILE__, __LINE__, "zk_partitioner_items failed");
        snprintf(out, cap, "?");
        return;
    }
    for (i = 0; i < zk_string_list_len(l); i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "",
                                 zk_string_list_get(l, i));
    zk_string_list_free(l);
}

/* Runs the members as kazoo's docs run one (release on RELEASE, wait while ALLOCATING)
 * until each is ACQUIRED with the share `want[i]`; false at the deadline. */
static bool settle(zk_partitioner **ps, const char *const *want, int n)
{
    char got[128];
    int64_t until = zkt_now_ms() + 2 * WAIT_MS;
    int i, done;
    while (zkt_now_ms() < until) {
        for (i = 0, done = 0; i < n; i++) {
            switch (zk_partitioner_get_state(ps[i])) {
            case ZK_PARTITION_STATE_RELEASE:
                CHECK_OK(zk_partitioner_release_set(ps[i]));
                break;
            case ZK_PARTITION_STATE_ALLOCATING:
                (void)zk_partitioner_wait_for_acquire(ps[i], 50, NULL);
                break;
            case ZK_PARTITION_STATE_ACQUIRED:
                share(ps[i], got, sizeof got);
                done += strcmp(got, want[i]) == 0;
                break;
            case ZK_PARTITION_STATE_FAILURE:
                zkt_fail(__FILE__, __LINE__, "member %d failed", i);
                return false;
            }
        }
        if (done == n)
            return true;
        zkt_sleep_ms(10);
    }
    for (i = 0; i < n; i++) {
        share(ps[i], got, sizeof got);
        zkt_fail(__FILE__, __LINE__, "member %d: state %d, share \"%s\", want \"%s\"", i,
                 (int)zk_partitioner_get_state(ps[i]), got, want[i]);
    }
    return false;
}

/* Every item's lock has exactly one node: one holder each. */
static void check_one_holder_each(zk_client *c, const char *path)
{
    char lock[ZKT_PATH_MAX];
    int i;
    for (i = 0; i < N_ITEMS; i++) {
        zkt_path(lock, "%s/locks/%s", path, items[i]);
        CHECK_EQ(zkt_count_children(c, lock), 1);
    }
}

static void on_partition_state(void *ud, zk_partition_state s)
{
    zkt_on_state(ud, (zk_state)s, ZK_KEEPER_STATE_CONNECTED);
}

/* Whether `r` records state `s` within the wait (the callback runs on the thread that
 * made the change, perhaps after the state could be read). */
static bool saw(struct zkt_rec *r, zk_partition_state s)
{
    bool found = false;
    int64_t until = zkt_now_ms() + WAIT_MS;
    int i;
    while (!found && zkt_now_ms() < until) {
        pthread_mutex_lock(&r->mu);
        for (i = 0; i < r->n_states && i < ZKT_MAX_EVENTS; i++)
            found = found || (int)r->states[i] == (int)s;
        pthread_mutex_unlock(&r->mu);
        if (!found)
            zkt_sleep_ms(10);
    }
    return found;
}

static bool wait_state(zk_partitioner *p, zk_partition_state s)
{
    int64_t until = zkt_now_ms() + WAIT_MS;
    while (zkt_now_ms() < until) {
        if (zk_partitioner_get_state(p) == s)
            return true;
        zkt_sleep_ms(10);
    }
    return false;
}

static void partition_members_split_the_set_and_a_join_or_leave_asks_for_a_release(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX], party[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_partition_state st = ZK_PARTITION_STATE_FAILURE;
    zk_partitioner *ps[2];
    const char *alone[] = {"q1,q2,q3,q4,q5"};
    const char *two[] = {"q1,q3,q5", "q2,q4"};
    zk_client *c = zkt_setup(root), *c2;
    REQUIRE(c != NULL);
    c2 = zkt_connect();
    REQUIRE(c2 != NULL);
    zkt_path(path, "%s/part", root);
    zkt_path(party, "%s/party", path);
    zkt_rec_init(&r);

    ps[0] = member(c, path, "a", SETTLE_MS);
    REQUIRE(ps[0] != NULL);
    CHECK_OK(zk_partitioner_set_state_callback(ps[0], on_partition_state, &r, zkt_on_final));
    CHECK_OK(zk_partitioner_wait_for_acquire(ps[0], WAIT_MS, &st));
    CHECK_EQ(st, ZK_PARTITION_STATE_ACQUIRED);
    CHECK(settle(ps, alone, 1));
    CHECK(saw(&r, ZK_PARTITION_STATE_ACQUIRED));
    CHECK_EQ(zkt_count_children(c, party), 1);
    CHECK_OK(zk_partitioner_get_failure(ps[0]));

    /* b joins: a is told to release, then the two split the set as kazoo does. */
    ps[1] = member(c2, path, "b", SETTLE_MS);
    REQUIRE(ps[1] != NULL);
    CHECK(wait_state(ps[0], ZK_PARTITION_STATE_RELEASE));
    CHECK(saw(&r, ZK_PARTITION_STATE_RELEASE));
    CHECK(settle(ps, two, 2));
    check_one_holder_each(c, path);
    CHECK_EQ(zkt_count_children(c, party), 2);

    /* b leaves: a releases and takes the whole set again. */
    CHECK_OK(zk_partitioner_finish(ps[1]));
    CHECK_EQ(zk_partitioner_get_state(ps[1]), ZK_PARTITION_STATE_FAILURE);
    CHECK_OK(zk_partitioner_get_failure(ps[1]));
    CHECK(settle(ps, alone, 1));
    check_one_holder_each(c, path);
    zk_partitioner_free(ps[1]);

    /* Freeing finishes: no party node, no lock node; the finalizer runs once. */
    zk_partitioner_free(ps[0]);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    CHECK_EQ(zkt_count_children(c, party), 0);
    zkt_path(party, "%s/locks/q1", path);
    CHECK_EQ(zkt_count_children(c, party), 0);
    zk_client_free(c2);
    zkt_rec_destroy(&r);
    zkt_teardown(c, root);
}

/* A wait on its own thread and what it returned. */
struct waiter {
    pthread_t tid;
    zk_partitioner *p;
    zk_result rc;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    w->rc = zk_partitioner_wait_for_acquire(w->p, -1, NULL);
    return NULL;
}

static void partition_wait_has_a_deadline_and_a_cancel(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX], party[ZKT_PATH_MAX];
    struct waiter w;
    int64_t t0;
    zk_partitioner *p;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(path, "%s/part", root);
    zkt_path(party, "%s/party", path);
    /* A party that must stay unchanged for a minute: it keeps allocating. */
    p = member(c, path, "slow", 60000);
    REQUIRE(p != NULL);
    CHECK_RC(zk_partitioner_wait_for_acquire(p, 0, NULL), ZK_RESULT_TIMED_OUT);
    t0 = zkt_now_ms();
    CHECK_RC(zk_partitioner_wait_for_acquire(p, 100, NULL), ZK_RESULT_TIMED_OUT);
    CHECK(zkt_now_ms() - t0 >= 100);

    w.p = p;
    w.rc = ZK_RESULT_OK;
    REQUIRE(pthread_create(&w.tid, NULL, wait_thread, &w) == 0);
    zkt_sleep_ms(100);
    CHECK_OK(zk_partitioner_cancel(p));
    pthread_join(w.tid, NULL);
    CHECK_RC(w.rc, ZK_RESULT_CANCELLED);
    /* A cancel with no wait running ends the next one; clear_cancel forgets it. */
    CHECK_OK(zk_partitioner_cancel(p));
    CHECK_RC(zk_partitioner_wait_for_acquire(p, -1, NULL), ZK_RESULT_CANCELLED);
    CHECK_OK(zk_partitioner_cancel(p));
    CHECK_OK(zk_partitioner_clear_cancel(p));
    CHECK_RC(zk_partitioner_wait_for_acquire(p, 20, NULL), ZK_RESULT_TIMED_OUT);
    CHECK_EQ(zk_partitioner_get_state(p), ZK_PARTITION_STATE_ALLOCATING);

    /* Freeing while allocating stops the allocation and leaves the party. */
    t0 = zkt_now_ms();
    while (zkt_count_children(c, party) != 1 && zkt_now_ms() - t0 < WAIT_MS)
        zkt_sleep_ms(10);
    CHECK_EQ(zkt_count_children(c, party), 1);
    zk_partitioner_free(p);
    CHECK_EQ(zkt_count_children(c, party), 0);
    zkt_teardown(c, root);
}

static void partition_fails_when_the_session_ends(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX], party[ZKT_PATH_MAX], via[64];
    struct zkt_proxy *proxy;
    zk_client_id id;
    zk_options *o;
    zk_client *held, *thief;
    zk_partitioner *p;
    zk_partition_state st = ZK_PARTITION_STATE_FAILURE;
    int port;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(path, "%s/part", root);
    zkt_path(party, "%s/party", path);
    proxy = zkt_proxy_start(&port);
    REQUIRE(proxy != NULL);
    snprintf(via, sizeof via, "127.0.0.1:%d", port);
    o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, via));
    CHECK_OK(zk_options_set_session_timeout_ms(o, 10000));
    held = zkt_start(o);
    zk_options_free(o);
    REQUIRE(held != NULL);

    p = member(held, path, "s", SETTLE_MS);
    REQUIRE(p != NULL);
    CHECK_OK(zk_partitioner_wait_for_acquire(p, WAIT_MS, &st));
    CHECK_EQ(st, ZK_PARTITION_STATE_ACQUIRED);

    /* Cut off: the connection changed, so RELEASE (kazoo's rule); the session then ends
     * elsewhere: FAILURE, and our nodes are gone with it. */
    CHECK_OK(zk_get_client_id(held, &id));
    zkt_proxy_cut(proxy, true);
    CHECK(wait_state(p, ZK_PARTITION_STATE_RELEASE));
    o = zkt_options(NULL);
    CHECK_OK(zk_options_set_client_id(o, &id));
    thief = zkt_start(o);
    zk_options_free(o);
    if (thief != NULL)
        zk_client_free(thief); /* closes the session */
    zkt_proxy_cut(proxy, false);
    CHECK(wait_state(p, ZK_PARTITION_STATE_FAILURE));
    CHECK_OK(zk_partitioner_get_failure(p));
    CHECK_OK(zk_partitioner_wait_for_acquire(p, -1, &st));
    CHECK_EQ(st, ZK_PARTITION_STATE_FAILURE);
    CHECK_EQ(zkt_count_children(c, party), 0);
    CHECK_OK(zk_partitioner_release_set(p));
    CHECK_EQ(zk_partitioner_get_state(p), ZK_PARTITION_STATE_FAILURE);
    zk_partitioner_free(p);
    zk_client_free(held);
    zkt_proxy_free(proxy);
    zkt_teardown(c, root);
}

static void partitioners_refuse_bad_input_with_a_code(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    const char *empty[] = {""};
    const char *slash[] = {"a/"};
    const char *bad_utf8[] = {"\xff"};
    zk_partitioner *p = NULL;
    zk_string_list *l = NULL;
    zk_client *c = zkt_setup(root), *gone;
    REQUIRE(c != NULL);
    zkt_path(path, "%s/part", root);
    CHECK_RC(zk_partitioner_new(NULL, path, items, N_ITEMS, "m", -1, -1, &p),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_new(c, NULL, items, N_ITEMS, "m", -1, -1, &p),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_new(c, path, NULL, 2, "m", -1, -1, &p), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_new(c, path, items, N_ITEMS, "m", -1, -1, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_new(c, "x", items, N_ITEMS, "m", -1, -1, &p),
             ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_partitioner_new(c, path, empty, 1, "m", -1, -1, &p),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_partitioner_new(c, path, slash, 1, "m", -1, -1, &p),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_partitioner_new(c, path, bad_utf8, 1, "m", -1, -1, &p),
             ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_partitioner_new(c, path, items, N_ITEMS, "x/y", -1, -1, &p),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK(p == NULL);
    CHECK_EQ(zkt_count_children(c, path), 0);
    CHECK_RC(zk_partitioner_wait_for_acquire(NULL, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_cancel(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_clear_cancel(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_release_set(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_finish(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_items(NULL, &l), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_get_failure(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_partitioner_set_state_callback(NULL, NULL, NULL, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zk_partitioner_get_state(NULL), ZK_PARTITION_STATE_FAILURE);
    zk_partitioner_free(NULL);

    /* No items is fine (an empty share); NULL identifier is <host>-<pid>. */
    REQUIRE_OK(zk_partitioner_new(c, path, NULL, 0, NULL, 0, -1, &p));
    CHECK_OK(zk_partitioner_wait_for_acquire(p, WAIT_MS, NULL));
    CHECK_OK(zk_partitioner_items(p, &l));
    CHECK_EQ(zk_string_list_len(l), 0);
    zk_string_list_free(l);
    CHECK_RC(zk_partitioner_items(p, NULL), ZK_RESULT_NULL_ARGUMENT);
    zk_partitioner_free(p);

    /* A partitioner outlives its client: it fails, and freeing it is fine. */
    gone = zkt_connect();
    REQUIRE(gone != NULL);
    p = member(gone, path, "g", SETTLE_MS);
    REQUIRE(p != NULL);
    CHECK_OK(zk_partitioner_wait_for_acquire(p, WAIT_MS, NULL));
    zk_client_free(gone);
    CHECK(wait_state(p, ZK_PARTITION_STATE_FAILURE));
    zk_partitioner_free(p);
    zkt_teardown(c, root);
}

ZKT_SUITE(recipe_partitioner) = {
    ZKT_CASE(partition_members_split_the_set_and_a_join_or_leave_asks_for_a_release),
    ZKT_CASE(partition_wait_has_a_deadline_and_a_cancel),
    ZKT_CASE(partition_fails_when_the_session_ends),
    ZKT_CASE(partitioners_refuse_bad_input_with_a_code),
    ZKT_END,
};
